/**
 * Every snippet of the README and docs/ runs in a test: the handler blocks
 * (```js, ```mts) are the files in examples/readme/, which
 * test/full/runtime-bundles.test.ts, test/integ/readme.test.ts and
 * test/integ/cdk-init-app.test.ts bundle and invoke; the README's TypeScript
 * blocks (```ts) compile in package:check (jsii-rosetta, strict), and those of
 * docs/ compile here, in rosetta's fixture, as strictly. Fast tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { docBlocks, DocBlock, markdownFiles, REPO_ROOT } from './support/docs';

const ROOT = REPO_ROOT;

/** The user-facing documents: the README and docs/*.md. */
const DOCS = ['README.md', ...markdownFiles().filter((f) => f.startsWith('docs/'))];

/** Every fenced block of the documents, with the file it is in. */
const BLOCKS: Array<DocBlock & { file: string }> = DOCS.flatMap((file) => docBlocks(file).map((b) => ({ ...b, file })));

/**
 * Handler snippets: blocks whose first line names their file (`// search.js: ...`).
 * The jest test snippet (`// test/...`) runs in test/integ/cdk-init-app.test.ts.
 */
const handlers = BLOCKS.filter((b) => ['js', 'mts'].includes(b.lang) && /^\/\/ (\S+\.(m?ts|js)):/.test(b.code) && !/^\/\/ test\//.test(b.code));

/** Each handler snippet: the file the tests run, and the document and section it sits in. */
const FILES: Record<string, { test: string; doc: string; heading: string }> = {
  'search.js': { test: 'examples/readme/search.js', doc: 'docs/storage.md', heading: '## Opening the database in a handler' },
  'search.mts': { test: 'examples/readme/search.mts', doc: 'docs/storage.md', heading: '## Opening the database in a handler' },
  'src/search.ts': { test: 'examples/readme/quickstart/search.ts', doc: 'README.md', heading: '## Quick start (TypeScript, either SDK)' },
};

test('the documents are the README and the pages of docs/', () => {
  expect(DOCS).toEqual(expect.arrayContaining(['README.md', 'docs/storage.md', 'docs/layer.md', 'docs/local-invoker.md', 'docs/maintenance.md']));
});

test('every handler snippet is a file the tests run, word for word, where the tests look for it', () => {
  expect(handlers.map((b) => /^\/\/ (\S+):/.exec(b.code)![1]).sort()).toEqual(Object.keys(FILES).sort());
  for (const b of handlers) {
    const name = /^\/\/ (\S+):/.exec(b.code)![1];
    expect([name, b.file, b.heading]).toEqual([name, FILES[name].doc, FILES[name].heading]);
    expect([name, b.code]).toEqual([name, fs.readFileSync(path.join(ROOT, FILES[name].test), 'utf-8')]);
  }
});

test('the README is read in one sitting: at most 460 lines', () => {
  expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8').split('\n').length).toBeLessThanOrEqual(460);
});

test('the README\'s TypeScript blocks are left to rosetta (strict), and handler code is never fenced as ts', () => {
  const readme = BLOCKS.filter((b) => b.file === 'README.md' && (b.lang === 'ts' || b.lang === 'typescript'));
  expect(readme.length).toBeGreaterThanOrEqual(6);
  // A handler imports an SDK, which rosetta cannot compile: it must not hide in a ts block.
  const all = BLOCKS.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
  expect(all.filter((b) => /from '(@lancedb\/lancedb|vectordb)'|lib\/runtime/.test(b.code))).toEqual([]);
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf-8')).tasks;
  expect(tasks['package:check'].steps[0]).toEqual({ exec: 'jsii-rosetta extract --strict' });
  expect(tasks.package.steps).toEqual(expect.arrayContaining([{ spawn: 'package:check' }]));
});

/**
 * A ```ts block of docs/ as rosetta compiles the README's: in the fixture's
 * Stack constructor, its imports hoisted above, `cdk-vectordb-layer` being
 * this checkout's src/.
 */
function inFixture(code: string): string {
  const fixture = fs.readFileSync(path.join(ROOT, 'rosetta', 'default.ts-fixture'), 'utf-8');
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import ')).join('\n');
  expect(fixture).toContain('/// here');
  return `${imports.join('\n')}\n${fixture.replace('/// here', body)}`;
}

test('the TypeScript blocks of docs/ compile in rosetta\'s fixture, strictly', () => {
  const snippets = BLOCKS.filter((b) => b.file.startsWith('docs/') && (b.lang === 'ts' || b.lang === 'typescript'));
  // The commit table (docs/storage.md) and the compressed binary (docs/layer.md), at least.
  expect(snippets.map((b) => `${b.file} ${b.heading}`)).toEqual(expect.arrayContaining([
    'docs/storage.md ## Concurrent writers',
    'docs/layer.md ## Compressed binary: most of the 250 MB back',
  ]));
  const files = new Map(snippets.map((b, i) => [path.join(ROOT, '.docs-snippets', `snippet${i}.ts`), inFixture(b.code)]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    noUnusedLocals: false,
    baseUrl: ROOT,
    paths: { 'cdk-vectordb-layer': ['src/index.ts'] },
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  host.readFile = (f) => files.get(path.normalize(f)) ?? read(f);
  host.fileExists = (f) => files.has(path.normalize(f)) || exists(f);
  const program = ts.createProgram([...files.keys()], options, host);
  // Only the snippets are checked (src/ is type-checked by the compile): their errors, with the block each comes from.
  const problems = [...files.keys()].flatMap((f, i) => {
    const source = program.getSourceFile(f)!;
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      .map((d) => `${snippets[i].file} "${snippets[i].heading}": ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  });
  expect(problems).toEqual([]);
}, 120_000);
