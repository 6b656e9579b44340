/**
 * A new user's first hour, in a stock app: `cdk init app --language typescript`
 * (the aws-cdk CLI of this checkout's lock file, with its own tsconfig, jest
 * config and .gitignore as they come), its dependencies installed by npm, then
 * this package from its packed tarball and the SDK installed by the README's
 * quick-start lines. In that app:
 * - the README's handlers (the quick start's, and the runtime helper's in
 *   TypeScript, as an ES module and as CommonJS) type-check with the app's own
 *   TypeScript under its own tsconfig (NodeNext): `cdk-vectordb-layer/runtime`
 *   resolves with its types from `.ts`, `.mts` and `.js`;
 * - the README's unit-test pattern runs as written with the app's own jest,
 *   its layer cache where git never sees it;
 * - `cdk synth` with the app's CLI, and an invoke of the packed package's CLI:
 *   a handler that uses only the runtime helper gets the SDK the app depends
 *   on (@lancedb/lancedb), and answers.
 * Slow tier: npm installs from the registry (about 2 minutes), one layer build.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/files';
import { readmeSnippet } from '../support/readme';

const ROOT = path.join(__dirname, '..', '..');
const CDK_CLI = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

const snippet = readmeSnippet;

/** Runs a program (argument vector, no shell) in `cwd`; throws with its output unless it exits 0. */
function run(cwd: string, argv: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 10 * 60_000): SpawnSyncReturns<string> {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf-8', shell: false, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    throw new Error(`${argv.join(' ')} in ${cwd} exited ${r.status ?? r.error?.message}\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  return r;
}

/** The environment of a user's shell: no variables of this repository's test run. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', ...extra };
  for (const key of Object.keys(env)) {
    if (key.startsWith('CDK_VECTORDB_LAYER_') && !(key in extra)) delete env[key];
    if (key.startsWith('JEST_') || key === 'NODE_OPTIONS' || key === 'TS_NODE_PROJECT') delete env[key];
  }
  return env;
}

const npm = (cwd: string, args: string[]) => run(cwd, ['npm', ...args, '--no-audit', '--no-fund'], userEnv());

let work: string;
let app: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'lib', 'runtime', 'index.d.ts')) || !fs.existsSync(path.join(ROOT, 'lib', 'invoke', 'scripts', 'task-root.cjs'))) {
    throw new Error('lib/ is not compiled: run npx projen compile first (npx projen build does)');
  }
  work = tempDir('cdk-init');
  // The package as npm publishes it.
  const packed = run(ROOT, ['npm', 'pack', '--ignore-scripts', '--pack-destination', work], userEnv()).stdout.trim().split('\n').pop()!;
  const tarball = path.join(work, packed);
  app = path.join(work, 'my-app');
  fs.mkdirSync(app);
  run(app, [process.execPath, CDK_CLI, 'init', 'app', '--language', 'typescript', '--generate-only'], userEnv());
  npm(app, ['install']);
  // The quick start's install lines, with this package from its tarball.
  const lines = snippet('## Quick start', /npm install cdk-vectordb-layer/).split('\n').filter((l) => l.startsWith('npm install'));
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    npm(app, line.split(/\s+/).slice(1).map((word) => (word === 'cdk-vectordb-layer' ? tarball : word)));
  }
  // The README's handlers, under the names their first lines give.
  fs.mkdirSync(path.join(app, 'src', 'helper'), { recursive: true });
  fs.writeFileSync(path.join(app, 'src', 'search.ts'), snippet('## Quick start', /^\/\/ src\/search\.ts:/));
  fs.writeFileSync(path.join(app, 'src', 'helper', 'search.mts'), snippet('### Opening the database in a handler', /^\/\/ search\.mts:/));
  fs.writeFileSync(path.join(app, 'src', 'helper', 'search.js'), snippet('### Opening the database in a handler', /^\/\/ search\.js:/));
  // The helper from a CommonJS TypeScript handler, imported the same way.
  fs.writeFileSync(path.join(app, 'src', 'helper', 'search-cjs.ts'), [
    "import { connect, openOrCreateTable, search } from 'cdk-vectordb-layer/runtime';",
    '',
    "export const handler = async (event: { vector: number[] }) => search(await openOrCreateTable(await connect(), 'docs', [{ id: 7, vector: [1, 0, 0] }]), event.vector, { limit: 1 });",
    '',
  ].join('\n'));
}, 20 * 60_000);

test('the README\'s handlers type-check with the app\'s own TypeScript and tsconfig (NodeNext): cdk-vectordb-layer/runtime has its types', () => {
  const tsconfig = JSON.parse(fs.readFileSync(path.join(app, 'tsconfig.json'), 'utf-8'));
  expect(tsconfig.compilerOptions.moduleResolution).toMatch(/^node(next|16)$/i);
  const r = run(app, ['npx', 'tsc', '--listFilesOnly'], userEnv());
  // The handlers are part of the program, and the runtime helper's declarations come from the package.
  expect(r.stdout).toMatch(/src\/helper\/search\.mts/);
  expect(r.stdout).toMatch(/node_modules\/cdk-vectordb-layer\/lib\/runtime\/index\.d\.ts/);
  // The app's own check (`npm run build` is `tsc`); the CommonJS handler is checked as JavaScript too.
  run(app, ['npx', 'tsc'], userEnv());
  run(app, ['npx', 'tsc', '--ignoreConfig', '--noEmit', '--allowJs', '--checkJs', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--noImplicitAny', 'false', '--types', 'node', 'src/helper/search.js'], userEnv());
});

test('the README\'s unit-test pattern runs as written with the app\'s jest; its layers stay where git never sees them', () => {
  const testFile = snippet('**Your unit tests are fast.**', /test\.each/);
  expect(testFile.split('\n')[0]).toBe('// test/search.test.ts: five Apps, one layer build.');
  for (const f of fs.readdirSync(path.join(app, 'test'))) fs.rmSync(path.join(app, 'test', f));
  fs.writeFileSync(path.join(app, 'test', 'search.test.ts'), testFile);
  const r = run(app, ['npx', 'jest'], userEnv());
  expect(`${r.stdout}${r.stderr}`).toMatch(/Tests:\s+5 passed, 5 total/);
  const cache = path.join(app, 'node_modules', '.cache', 'cdk-vectordb-layer', 'layers');
  expect(fs.readdirSync(cache).filter((e) => !e.startsWith('.') && !e.endsWith('.json'))).toHaveLength(1);
  // git sees the test file (cdk init's .gitignore hides *.js, not *.ts) and nothing of the cache.
  run(app, ['git', 'init', '-q', '.'], userEnv());
  const status = run(app, ['git', 'status', '--porcelain', '--untracked-files=all'], userEnv()).stdout.split('\n');
  expect(status).toContain('?? test/search.test.ts');
  expect(status.filter((l) => l.includes('node_modules'))).toEqual([]);
});

test('cdk synth with the app\'s CLI, then the packed CLI invokes a helper handler: its layer holds the SDK the app depends on', () => {
  const stackFile = fs.readdirSync(path.join(app, 'lib')).find((f) => f.endsWith('-stack.ts'))!;
  const source = fs.readFileSync(path.join(app, 'lib', stackFile), 'utf-8');
  fs.writeFileSync(path.join(app, 'lib', stackFile), source
    .replace(/^(import \{ Construct \} from 'constructs';)$/m, "$1\nimport { VectorDbFunction } from 'cdk-vectordb-layer';")
    .replace('// The code that defines your stack goes here', "// The code that defines your stack goes here\n    new VectorDbFunction(this, 'Helper', { entry: 'src/helper/search.mts' });"));
  const env = userEnv({ CDK_VECTORDB_LAYER_CACHE: path.join(app, 'node_modules', '.cache', 'cdk-vectordb-layer') });
  const synth = run(app, ['npx', 'cdk', 'synth', '--quiet'], env);
  const stackName = fs.readdirSync(path.join(app, 'cdk.out')).find((f) => f.endsWith('.template.json'))!.replace('.template.json', '');
  const template = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', `${stackName}.template.json`), 'utf-8'));
  const fn = Object.values(template.Resources as Record<string, { Type: string; Properties: any }>).find((r) => r.Type === 'AWS::Lambda::Function')!;
  expect(fn.Properties.Environment.Variables.VECTORDB_SDK).toBe('@lancedb/lancedb');
  // The synth says once why the layer holds that SDK.
  expect(`${synth.stdout}${synth.stderr}`.match(/imports neither LanceDB SDK/g) ?? []).toHaveLength(1);
  const cli = path.join(app, 'node_modules', 'cdk-vectordb-layer', 'bin', 'cdk-vectordb-layer');
  const invoke = run(app, [process.execPath, cli, 'invoke', 'cdk.out', `${stackName}/Helper`, '--event-json', '{"vector":[0.1,0.9,0.1]}', '--json'], env);
  const result = JSON.parse(invoke.stdout);
  expect(result.result.map((row: { id: number }) => row.id)).toEqual([3, 4]);
});
