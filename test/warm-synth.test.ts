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
import { storeFake } from './support/fake-layer';
import { tempDir } from './support/files';
import { FIXTURES } from './support/synth';
import { layerAsset } from '../src/private/layer/bundling';
import { LayerCache } from '../src/private/layer/cache';
import { checkLayerProps } from '../src/private/layer/props';
import { sealFileOf } from '../src/private/layer/staged-seal';

const ROOT = path.join(__dirname, '..');
const SPY = path.join(FIXTURES, 'spy-child-process.js');
const WARM_SYNTH = path.join(FIXTURES, 'warm-synth.js');
const WARM_PARTS = path.join(FIXTURES, 'warm-parts.js');
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
  // The folder holding the sources is an input too (a file added there can change an import): dated back as well.
  const past = new Date(Date.now() - 10_000);
  fs.utimesSync(path.join(appDir, 'src'), past, past);
  // The layer the construct asks for, as the machine cache would hold it.
  const { assetHash } = layerAsset(checkLayerProps('Stack/Layer', LAYER_PROPS), 'Stack/Layer');
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

  test('a file damaged in cdk.out is caught by the full check as today, and the folder replaced from the cache', () => {
    const binary = path.join(staged, 'nodejs', 'node_modules', 'vectordb', 'native.node');
    const bytes = fs.readFileSync(binary);
    bytes[100] = 255 - bytes[100];
    // Replaced, as a tool writing a new file would: the cache's entry (the old inode) stays sound.
    fs.rmSync(binary);
    fs.writeFileSync(binary, bytes);
    const damaged = synth();
    expect(damaged.events).toEqual(['layer-check']);
    expect(damaged.stderr).toMatch(/does not match its manifest \(the native binary's sha256 differs from the manifest's\); removed it/);
    expect(fs.readFileSync(binary).equals(bytes)).toBe(false);
    expect(fs.existsSync(sealFileOf(staged))).toBe(true);
  });
});

describe('each input, changed, is noticed in the next process (the parts as the constructs call them)', () => {
  const entry = path.join(appDir, 'src', 'search.ts');
  /** One process: npm's version, the detection, the check of the staged layer. */
  const parts = (env: NodeJS.ProcessEnv = {}, node?: string) => {
    const run = counted([WARM_PARTS, entry, appDir, stagedDir()], env, node);
    return { ...run, answer: JSON.parse(run.stdout.trim().split('\n').pop()!) as { npmCanBuild: boolean; sdks: string[]; check: { problems: string[]; how: string } } };
  };
  const stagedDir = () => path.join(outdir, fs.readdirSync(outdir).find((n) => n.startsWith('asset.') && fs.existsSync(path.join(outdir, n, 'nodejs')))!);

  test('the handler, a file it imports, the SDK version in package.json: detection again, and only it', () => {
    // This process's detection options (not the function's): worked out once.
    parts();
    expect(parts().events).toEqual([]);
    edit(entry, "import { connect } from './db';\n\nexport const handler = async () => typeof connect === 'function';\n");
    expect(parts().events).toEqual(['sdk-detection']);
    edit(path.join(appDir, 'src', 'db.ts'), "import * as lancedb from '@lancedb/lancedb';\n\nexport const connect = lancedb.connect;\n");
    const imported = parts();
    expect(imported.events).toEqual(['sdk-detection']);
    expect(imported.answer.sdks).toEqual(['@lancedb/lancedb']);
    const pkg = path.join(appDir, 'package.json');
    edit(pkg, fs.readFileSync(pkg, 'utf-8').replace('"vectordb": "0.4.2"', '"vectordb": "^0.4.2"'));
    expect(parts().events).toEqual(['sdk-detection']);
    // Each answer was kept: warm again, with the last answer.
    const warm = parts();
    expect(warm.events).toEqual([]);
    expect(warm.answer.sdks).toEqual(['@lancedb/lancedb']);
  });

  test('a file written too recently for its stamp to be trusted (here: dated in the future) is not kept for the next process', () => {
    const db = path.join(appDir, 'src', 'db.ts');
    fs.appendFileSync(db, '// now\n');
    const soon = new Date(Date.now() + 60_000);
    fs.utimesSync(db, soon, soon);
    expect(parts().events).toEqual(['sdk-detection']);
    expect(parts().events).toEqual(['sdk-detection']);
    // Dated back (written before the synth): kept again.
    edit(db, fs.readFileSync(db, 'utf-8'));
    expect(parts().events).toEqual(['sdk-detection']);
    expect(parts().events).toEqual([]);
  });

  test('another npm (npm_execpath), then that npm upgraded: npm is asked again each time, and only then', () => {
    const npm = path.join(work, 'other-npm');
    fs.mkdirSync(path.join(npm, 'bin'), { recursive: true });
    edit(path.join(npm, 'bin', 'npm-cli.js'), "process.stdout.write(require('../package.json').version + '\\n');\n");
    edit(path.join(npm, 'package.json'), JSON.stringify({ name: 'npm', version: '10.9.0' }));
    const env = { npm_execpath: path.join(npm, 'bin', 'npm-cli.js') };
    const other = parts(env);
    expect([other.events, other.npmProbes, other.answer.npmCanBuild]).toEqual([['npm-version-probe'], 1, true]);
    expect(parts(env).npmProbes).toBe(0);
    edit(path.join(npm, 'package.json'), JSON.stringify({ name: 'npm', version: '10.3.0' }));
    const upgraded = parts(env);
    expect([upgraded.npmProbes, upgraded.answer.npmCanBuild]).toEqual([1, false]);
    expect(parts(env).npmProbes).toBe(0);
  });

  test('an npm on PATH (a node with no npm beside it): another one put first on PATH, then replaced, is asked again', () => {
    const nodeDir = path.join(work, 'node-alone', 'bin');
    fs.mkdirSync(nodeDir, { recursive: true });
    const node = path.join(nodeDir, 'node');
    fs.copyFileSync(process.execPath, node);
    fs.chmodSync(node, 0o755);
    const fakeBin = path.join(work, 'fake-bin');
    fs.mkdirSync(fakeBin);
    const fake = path.join(fakeBin, 'npm');
    const writeFake = (version: string) => {
      fs.rmSync(fake, { force: true });
      edit(fake, `#!/bin/sh\necho ${version}\n`);
      fs.chmodSync(fake, 0o755);
    };
    // A cache of its own: where the runner's node has no npm beside it (CI's Node.js 22/24 builds), the tests
    // above already asked the same npm on PATH, with the same node on PATH, and kept the answer.
    const env = { npm_execpath: undefined, CDK_VECTORDB_LAYER_CACHE: path.join(work, 'cache-npm-on-path') };
    expect(parts(env, node).npmProbes).toBe(1);
    expect(parts(env, node).npmProbes).toBe(0);
    writeFake('10.3.0');
    const onPath = { ...env, PATH: `${fakeBin}${path.delimiter}${process.env.PATH}` };
    const first = parts(onPath, node);
    expect([first.npmProbes, first.answer.npmCanBuild]).toEqual([1, false]);
    expect(parts(onPath, node).npmProbes).toBe(0);
    writeFake('11.0.0');
    const replaced = parts(onPath, node);
    expect([replaced.npmProbes, replaced.answer.npmCanBuild]).toEqual([1, true]);
  });

  test('the staged layer: without its seal, checked in full once and sealed; a file added or removed, at the top or deeper, caught as today', () => {
    const dir = stagedDir();
    fs.rmSync(sealFileOf(dir));
    const unsealed = parts();
    expect([unsealed.events, unsealed.answer.check]).toEqual([['layer-check'], { problems: [], how: 'full' }]);
    expect(parts().answer.check).toEqual({ problems: [], how: 'seal' });
    fs.writeFileSync(path.join(dir, 'extra.txt'), 'x');
    const added = parts();
    expect(added.events).toEqual(['layer-check']);
    expect(added.answer.check.problems).toEqual(['it holds "extra.txt" beside nodejs/']);
    fs.rmSync(path.join(dir, 'extra.txt'));
    expect(parts().answer.check).toEqual({ problems: [], how: 'full' });
    // Deeper: a file added (its folder's mtime moves), a file removed (its stat fails).
    const pkgDir = path.join(dir, 'nodejs', 'node_modules', 'vectordb');
    fs.writeFileSync(path.join(pkgDir, 'added.js'), '');
    expect(parts().answer.check).toEqual({ problems: [expect.stringMatching(/^it holds 5 files, \d+ bytes; its manifest says 4 files/)], how: 'full' });
    fs.rmSync(path.join(pkgDir, 'added.js'));
    expect(parts().answer.check).toEqual({ problems: [], how: 'full' });
    const padding = fs.readFileSync(path.join(pkgDir, 'padding.bin'));
    fs.rmSync(path.join(pkgDir, 'padding.bin'));
    expect(parts().answer.check).toEqual({ problems: [expect.stringMatching(/^it holds 3 files, \d+ bytes; its manifest says 4 files/)], how: 'full' });
    fs.writeFileSync(path.join(pkgDir, 'padding.bin'), padding);
    expect(parts().answer.check).toEqual({ problems: [], how: 'full' });
  });

  test('with the cache off, npm and the detection are worked out in every process; the seal in cdk.out still holds', () => {
    const env = { CDK_VECTORDB_LAYER_CACHE: 'off' };
    for (let i = 0; i < 2; i++) {
      const off = parts(env);
      expect([off.events, off.npmProbes, off.answer.check.how]).toEqual([['npm-version-probe', 'sdk-detection'], 1, 'seal']);
    }
  });

  test('a cache folder that cannot be written: the answers are worked out again, the synth goes on', () => {
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, '');
    const env = { CDK_VECTORDB_LAYER_CACHE: path.join(file, 'cache') };
    for (let i = 0; i < 2; i++) {
      const r = parts(env);
      expect([r.events, r.npmProbes, r.answer.sdks]).toEqual([['npm-version-probe', 'sdk-detection'], 1, ['@lancedb/lancedb']]);
    }
  });
});
