/**
 * A warm synth repeats nothing whose inputs did not change: npm's version, the
 * handler's SDK detection (real esbuild) and the check of the layer in cdk.out
 * are answered from the machine cache or a seal, in a new process each time,
 * and worked out again as soon as one of their inputs changes. Counted by the
 * package's trace file (CDK_VECTORDB_LAYER_TRACE) and, for npm, by the real
 * process starts (test/fixtures/spy-child-process.js). The layer is a small
 * fake one in a test cache, under the hash the construct computes: no build.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/files';
import { storeFake } from './support/fake-layer';
import { FIXTURES } from './support/synth';
import { layerAsset } from '../src/private/layer/bundling';
import { LayerCache } from '../src/private/layer/cache';
import { checkLayerProps } from '../src/private/layer/props';
import { sealFileOf } from '../src/private/layer/staged-seal';

const ROOT = path.join(__dirname, '..');
const SPY = path.join(FIXTURES, 'spy-child-process.js');
const WARM_SYNTH = path.join(FIXTURES, 'warm-synth.js');
const LAYER_PROPS = { version: '0.4.2' };

const work = tempDir('warm-synth');
const appDir = path.join(work, 'app');
const outdir = path.join(work, 'cdk.out');
const cache = path.join(work, 'cache');

/** What one process did: the trace's events, npm's `--version` processes started, its stderr. */
interface Run {
  readonly events: string[];
  readonly npmProbes: number;
  readonly stderr: string;
  readonly stdout: string;
}

function counted(args: string[], env: NodeJS.ProcessEnv, node: string = process.execPath): Run {
  const traceFile = path.join(work, `trace-${Date.now()}-${Math.random()}`);
  const spyFile = `${traceFile}.spy`;
  const r = spawnSync(node, ['-r', SPY, ...args], {
    encoding: 'utf-8',
    env: { ...process.env, CDK_VECTORDB_LAYER_CACHE: cache, ...env, CDK_VECTORDB_LAYER_TRACE: traceFile, SPY_CHILD_PROCESS_LOG: spyFile },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf-8').split('\n').filter((l) => l !== '') : []);
  const events = read(traceFile).map((l) => l.split(' ')[0]);
  const npmProbes = read(spyFile).map((l) => JSON.parse(l) as { file: string; args: string[] })
    .filter((s) => s.args[s.args.length - 1] === '--version' && (path.basename(s.file) === 'npm' || s.args.some((a) => a.endsWith('npm-cli.js')))).length;
  return { events, npmProbes, stderr: r.stderr, stdout: r.stdout };
}

/** A real synth of the app in a new process. */
function synth(env: NodeJS.ProcessEnv = {}): Run {
  return counted([WARM_SYNTH, appDir, outdir, JSON.stringify(LAYER_PROPS)], env);
}

/** A file written now, then dated 10 s back: an edit made before the synth started (see `racy`). */
function edit(file: string, text: string) {
  fs.writeFileSync(file, text);
  const past = new Date(Date.now() - 10_000);
  fs.utimesSync(file, past, past);
}

function count(events: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e] = (out[e] ?? 0) + 1;
  return out;
}

beforeAll(() => {
  fs.mkdirSync(path.join(appDir, 'src'), { recursive: true });
  // esbuild for NodejsFunction's bundling (`npx --no-install esbuild` in the app).
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(appDir, 'node_modules'));
  const fixture = path.join(FIXTURES, 'fn', 'apps', 'vectordb-042');
  for (const f of ['package.json', 'package-lock.json']) edit(path.join(appDir, f), fs.readFileSync(path.join(fixture, f), 'utf-8'));
  edit(path.join(appDir, 'src', 'search.ts'), "import { connect } from './db';\n\nexport const handler = async () => typeof connect;\n");
  edit(path.join(appDir, 'src', 'db.ts'), "import * as vectordb from 'vectordb';\n\nexport const connect = vectordb.connect;\n");
  // The layer the construct asks for, as the machine cache would hold it.
  const { assetHash } = layerAsset(checkLayerProps('Stack/Layer', LAYER_PROPS));
  storeFake(new LayerCache(cache), assetHash, LAYER_PROPS);
});

describe('a real synth in a new process', () => {
  let staged: string;

  test('the first synth works out npm\'s version and the SDK once; the second repeats neither, nor checks the layer in cdk.out', () => {
    const first = synth();
    expect(count(first.events)).toEqual({ 'npm-version-probe': 1, 'sdk-detection': 1 });
    expect(first.npmProbes).toBe(1);
    staged = JSON.parse(first.stdout.trim().split('\n').pop()!).staged;
    expect(fs.existsSync(sealFileOf(staged))).toBe(true);

    const second = synth();
    expect(second.events).toEqual([]);
    expect(second.npmProbes).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!).staged).toBe(staged);
  });

  test('an edited handler, an edited imported file, another SDK version in package.json: detection runs again, and only it', () => {
    edit(path.join(appDir, 'src', 'search.ts'), "import { connect } from './db';\n\nexport const handler = async () => typeof connect === 'function';\n");
    expect(synth().events).toEqual(['sdk-detection']);
    edit(path.join(appDir, 'src', 'db.ts'), "import * as vectordb from 'vectordb';\n\n// edited\nexport const connect = vectordb.connect;\n");
    expect(synth().events).toEqual(['sdk-detection']);
    const pkg = path.join(appDir, 'package.json');
    edit(pkg, fs.readFileSync(pkg, 'utf-8').replace('"vectordb": "0.4.2"', '"vectordb": "^0.4.2"'));
    expect(synth().events).toEqual(['sdk-detection']);
    // Each answer was kept: warm again.
    expect(synth().events).toEqual([]);
  });

  test('a file damaged in cdk.out is caught by the full check (the folder is replaced from the cache), then sealed again', () => {
    const binary = path.join(staged, 'nodejs', 'node_modules', 'vectordb', 'native.node');
    const bytes = fs.readFileSync(binary);
    bytes[100] ^= 0xff;
    // Replaced, as a tool writing a new file would: the cache's entry (the old inode) stays sound.
    fs.rmSync(binary);
    fs.writeFileSync(binary, bytes);
    const damaged = synth();
    expect(damaged.events).toEqual(['layer-check']);
    expect(damaged.stderr).toMatch(/does not match its manifest \(the native binary's sha256 differs from the manifest's\); removed it/);
    expect(fs.readFileSync(binary).equals(bytes)).toBe(false);
    expect(synth().events).toEqual([]);
  });

  test('a cdk.out without a seal (made before this check existed) is checked in full once, then sealed', () => {
    fs.rmSync(sealFileOf(staged));
    expect(synth().events).toEqual(['layer-check']);
    expect(synth().events).toEqual([]);
  });

  test('a file added in the staged layer is noticed, and the full check refuses it as today', () => {
    fs.writeFileSync(path.join(staged, 'extra.txt'), 'x');
    const r = synth();
    expect(r.events).toEqual(['layer-check']);
    expect(r.stderr).toMatch(/holds "extra\.txt" beside nodejs\//);
  });
});
