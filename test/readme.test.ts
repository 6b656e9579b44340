/**
 * Every README snippet runs in a test: the handler blocks (```js, ```mts) are
 * the files in examples/readme/, which test/full/runtime-bundles.test.ts and
 * test/integ/readme.test.ts bundle and invoke; the TypeScript blocks (```ts)
 * compile in package:check (jsii-rosetta, strict). Fast tier.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');

/** The README's fenced blocks with their info string. */
function blocks(): Array<{ lang: string; code: string }> {
  return [...README.matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));
}

/**
 * Handler snippets: blocks whose first line names their file (`// search.js: ...`).
 * The jest setup and test snippets run in test/integ/readme.test.ts, from the README itself.
 */
const handlers = blocks().filter((b) => ['js', 'mts'].includes(b.lang) && /^\/\/ (\S+\.(m?ts|js)):/.test(b.code) && !/^\/\/ (jest\.setup\.js|test\/)/.test(b.code));

const FILES: Record<string, string> = {
  'search.js': 'examples/readme/search.js',
  'search.mts': 'examples/readme/search.mts',
  'src/search.ts': 'examples/readme/quickstart/search.ts',
};

test('every handler snippet is a file the tests run, word for word', () => {
  expect(handlers.map((b) => /^\/\/ (\S+):/.exec(b.code)![1]).sort()).toEqual(Object.keys(FILES).sort());
  for (const b of handlers) {
    const name = /^\/\/ (\S+):/.exec(b.code)![1];
    expect([name, b.code]).toEqual([name, fs.readFileSync(path.join(ROOT, FILES[name]), 'utf-8')]);
  }
});

test('the TypeScript blocks are left to rosetta (strict), and handler code is never fenced as ts', () => {
  const ts = blocks().filter((b) => b.lang === 'ts' || b.lang === 'typescript');
  expect(ts.length).toBeGreaterThanOrEqual(5);
  // A handler imports an SDK, which rosetta cannot compile: it must not hide in a ts block.
  expect(ts.filter((b) => /from '(@lancedb\/lancedb|vectordb)'|lib\/runtime/.test(b.code))).toEqual([]);
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf-8')).tasks;
  expect(tasks['package:check'].steps[0]).toEqual({ exec: 'jsii-rosetta extract --strict' });
  expect(tasks.package.steps).toEqual(expect.arrayContaining([{ spawn: 'package:check' }]));
});
