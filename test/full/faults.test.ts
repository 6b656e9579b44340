/**
 * Faults: the registry away, a build killed halfway, two synths at once, a
 * damaged cached layer, no room to build, a read-only layer cache. Each ends in
 * a clear message or a clean rebuild, and never in a half-built layer that
 * could be shipped. Slow tier. The machine-wide cache is off here unless a test
 * says otherwise: these are faults of cdk.out and of the build.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { VectorDbLayer, VectorDbLayerProps } from '../../src';
import * as assetHash from '../../src/private/layer/asset-hash';
import { checkLayerDir, readManifest } from '../../src/private/layer/dir';
import { localBuildCount } from '../../src/private/layer/local-build';
import { ASSETS_DIR } from '../../src/private/layer/recipe';
import { withEnv } from '../support/env';
import { listing, tempDir } from '../support/files';
import { searchWith } from '../support/search';
import { appAt, FIXTURES, runSynthLayer } from '../support/synth';

const NO_CACHE = { CDK_VECTORDB_LAYER_CACHE: 'off' };

// The module object itself (not a TypeScript namespace copy), so spies see every call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cp: typeof import('child_process') = require('child_process');

const SYNTH = path.join(FIXTURES, 'synth-layer.js');
const BUILD_LAYER = path.join(ASSETS_DIR, 'build-layer.js');
const EXPECTED = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64' };

// Faults of cdk.out and of the build: no machine-wide cache to hide them.
let savedCache: string | undefined;
beforeAll(() => {
  savedCache = process.env.CDK_VECTORDB_LAYER_CACHE;
  process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
});
afterAll(() => {
  if (savedCache === undefined) delete process.env.CDK_VECTORDB_LAYER_CACHE;
  else process.env.CDK_VECTORDB_LAYER_CACHE = savedCache;
});

/** The asset hash a layer gets (bundling skipped: same hash, no build). */
function assetHashOf(props: VectorDbLayerProps): string {
  const { stack } = appAt(tempDir('hash'), { 'aws:cdk:bundling-stacks': [] });
  new VectorDbLayer(stack, 'L', props);
  const content = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content;
  return String(content.S3Key).replace(/\.zip$/, '');
}

/** Synthesizes one layer into `outdir` in this process; its staged folder. */
function synth(outdir: string, props: VectorDbLayerProps = { version: '0.4.2' }): string {
  const { app, stack } = appAt(outdir);
  const layer = new VectorDbLayer(stack, 'L', props);
  app.synth();
  return (layer.node.findChild('Code').node.findChild('Stage') as import('aws-cdk-lib').AssetStaging).absoluteStagedPath;
}

function synthError(outdir: string, props: VectorDbLayerProps): string {
  try {
    synth(outdir, props);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the synth to fail');
}

/** What a fault may never leave in a cloud assembly. */
function leftovers(outdir: string): string[] {
  return fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((n) => n.startsWith('asset.') || n.endsWith('.lock') || n.includes('.stale-')) : [];
}


async function waitFor(what: string, condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** SIGKILL to the child's whole process group (it and the npm it started), as a cancelled CI job gets. */
async function killGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

/** The recipe's work folder inside a `-building` folder, once npm has started filling node_modules. */
function npmHalfway(building: string): string | undefined {
  if (!fs.existsSync(building)) return undefined;
  const work = fs.readdirSync(building).find((n) => n.startsWith('.work-'));
  const nm = work && path.join(building, work, 'nodejs', 'node_modules');
  if (!nm || !fs.existsSync(nm)) return undefined;
  // npm writes its record of the install last: before it, the install is under way.
  return fs.readdirSync(nm).length > 0 && !fs.existsSync(path.join(nm, '.package-lock.json')) ? work : undefined;
}

const REGISTRY_DOWN = () => ({
  npm_config_registry: 'http://127.0.0.1:9/',
  npm_config_cache: tempDir('emptycache'),
});

describe('(a) the npm registry refusing connections: known at once', () => {
  const REFUSED = /the npm registry http:\/\/127\.0\.0\.1:9\/ cannot be reached from this machine: 127\.0\.0\.1:9 \(127\.0\.0\.1:9: ECONNREFUSED, the connection was refused\)\. The layer's npm install needs it: check the network and npm's `registry` \(and `https-proxy`\) settings$/;

  test.each([['a version without a lockfile', '0.4.3'], ['a pinned version', '0.4.2']])('%s: one line naming the registry, within 15 s, leaving nothing', (_label, version) => {
    const outdir = tempDir('noregistry');
    const started = Date.now();
    const message = withEnv(REGISTRY_DOWN(), () => synthError(outdir, { version }));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(message).toMatch(new RegExp(`^Stack\\/L: ${REFUSED.source.slice(0, -1)}$`));
    expect(leftovers(outdir)).toEqual([]);
  });

  test('the build command says the same and exits 1, within 15 s', () => {
    const started = Date.now();
    const r = cp.spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'cdk-vectordb-layer'), 'build', '--version', '0.4.3'], {
      cwd: tempDir('cliregistry'),
      env: { ...process.env, ...REGISTRY_DOWN(), CDK_VECTORDB_LAYER_FROM_SOURCE: '1' },
      encoding: 'utf-8',
      timeout: 120_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000 + 10_000); // + ts-node's start-up
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^cdk-vectordb-layer build: ${REFUSED.source}`, 'm'));
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('(b) a build killed halfway, (d) a damaged cached layer', () => {
  const outdir = tempDir('killed');
  let hash: string;
  beforeAll(() => {
    hash = assetHashOf({ version: '0.4.2' });
  });

  test('(b) the recipe SIGKILLed during npm install, in CDK\'s asset.<hash>-building: the next synth builds it cleanly', async () => {
    const building = path.join(outdir, `asset.${hash}-building`);
    // As CDK's Docker path runs it: the command form, writing into the -building folder.
    const child = spawn(process.execPath, [BUILD_LAYER, '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'x86_64', '--out', building], { detached: true, stdio: 'ignore' });
    await waitFor('npm to start filling node_modules', () => npmHalfway(building) !== undefined);
    await killGroup(child);
    // Killed halfway: a work folder, no layer.
    expect(fs.readdirSync(building)).toEqual([expect.stringMatching(/^\.work-/)]);
    expect(fs.existsSync(path.join(outdir, `asset.${hash}`))).toBe(false);

    const before = localBuildCount();
    const staged = synth(outdir);
    expect(localBuildCount() - before).toBe(1);
    expect(staged).toBe(path.join(outdir, `asset.${hash}`));
    expect(leftovers(outdir)).toEqual([`asset.${hash}`]);
    expect(checkLayerDir(staged, EXPECTED)).toEqual([]);
    expect(searchWith({ layerDir: staged, sdk: 'vectordb' }).ids).toEqual([42, 43, 41]);
  });

  test('(b) a synth SIGKILLed while it builds leaves a stale lock; the next synth takes it over and builds', async () => {
    const out2 = tempDir('killedsynth');
    const building = path.join(out2, `asset.${hash}-building`);
    const child = spawn(process.execPath, [SYNTH, out2, '{"version":"0.4.2"}'], { detached: true, stdio: 'ignore', env: { ...process.env, CDK_VECTORDB_LAYER_CACHE: 'off' } });
    await waitFor('npm to start filling node_modules', () => npmHalfway(building) !== undefined);
    await killGroup(child);
    const lock = fs.readdirSync(out2).filter((n) => n.endsWith('.lock'));
    expect(lock).toEqual([expect.stringMatching(/^\.vectordb-layer-[0-9a-f]{64}\.lock$/)]);
    expect(JSON.parse(fs.readFileSync(path.join(out2, lock[0]), 'utf-8')).pid).toBe(child.pid);

    const staged = synth(out2);
    expect(leftovers(out2)).toEqual([path.basename(staged)]);
    expect(checkLayerDir(staged, EXPECTED)).toEqual([]);
  });

  test('(d) a file removed from the cached layer is detected; the folder is removed and built again', () => {
    const staged = path.join(outdir, `asset.${hash}`);
    fs.rmSync(path.join(staged, 'nodejs', 'node_modules', 'vectordb', 'package.json'));
    const before = localBuildCount();
    const said: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      said.push(String(chunk));
      return true;
    });
    try {
      expect(synth(outdir)).toBe(staged);
      expect(localBuildCount() - before).toBe(1);
    } finally {
      stderr.mockRestore();
    }
    expect(said.join('')).toMatch(new RegExp(`\\[vectordb-layer\\] Stack/L: ${staged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not match its manifest \\(it holds (\\d+) files, \\d+ bytes; its manifest says \\d+ files, \\d+ bytes\\); removed it, building the layer again`));
    expect(checkLayerDir(staged, EXPECTED)).toEqual([]);
    expect(searchWith({ layerDir: staged, sdk: 'vectordb' }).ids).toEqual([42, 43, 41]);
  });

  test('(d) when the construct cannot find the cached folder beforehand, the synth refuses it and says to delete it', () => {
    const staged = path.join(outdir, `asset.${hash}`);
    const copy = tempDir('damaged');
    linkTree(staged, path.join(copy, 'layer'));
    fs.rmSync(path.join(copy, 'layer', 'nodejs', 'node_modules', 'vectordb', 'package.json'));
    // A fresh cdk.out holding only the damaged layer under the real hash.
    const out3 = tempDir('damagedout');
    fs.renameSync(path.join(copy, 'layer'), path.join(out3, `asset.${hash}`));
    // As if a future aws-cdk-lib named asset folders differently: the check before CDK misses it.
    const predict = jest.spyOn(assetHash, 'stagedAssetHash').mockReturnValue('0'.repeat(64));
    let message: string;
    try {
      message = synthError(out3, { version: '0.4.2' });
    } finally {
      predict.mockRestore();
    }
    expect(message).toBe(`Stack/L: the built layer in ${path.join(out3, `asset.${hash}`)} does not match its manifest (${checkLayerDir(path.join(out3, `asset.${hash}`), EXPECTED).join('; ')}), so it cannot be shipped. Delete that folder and synthesize again`);
  });

  describe('(d) what the check of a cached layer catches', () => {
    type Damage = (dir: string, manifest: any) => void;
    const binary = (dir: string, m: any) => path.join(dir, ...m.nativeBinary.split('/'));
    /** Replaces a hard-linked file by a changed copy, never touching the original. */
    const rewrite = (file: string, change: (b: Buffer) => Buffer) => {
      const data = fs.readFileSync(file);
      fs.rmSync(file);
      fs.writeFileSync(file, change(data));
    };
    const cases: Array<[string, Damage, RegExp]> = [
      ['a file removed', (d) => fs.rmSync(path.join(d, 'nodejs', 'node_modules', 'vectordb', 'package.json')), /^it holds \d+ files, \d+ bytes; its manifest says \d+ files, \d+ bytes$/],
      ['a file added beside nodejs/', (d) => fs.writeFileSync(path.join(d, '.work-x'), ''), /^it holds "\.work-x" beside nodejs\/$/],
      ['a file added inside', (d) => fs.writeFileSync(path.join(d, 'nodejs', 'node_modules', 'evil.js'), 'x'), /^it holds \d+ files/],
      ['the native binary truncated', (d, m) => rewrite(binary(d, m), (b) => b.subarray(0, 1000)), /the native binary is 1000 bytes, not \d+/],
      ['one byte of the native binary changed', (d, m) => rewrite(binary(d, m), (b) => { b[b.length - 1] = b[b.length - 1] === 0 ? 1 : 0; return b; }), /^the native binary's sha256 differs from the manifest's$/],
      ['the native binary removed', (d, m) => fs.rmSync(binary(d, m)), /the native binary nodejs\/node_modules\/@lancedb\/vectordb-linux-x64-gnu\/index\.node is missing/],
      ['the manifest removed', (d) => fs.rmSync(path.join(d, 'nodejs', 'vectordb-layer.json')), /^nodejs\/vectordb-layer\.json is missing$/],
      ['the manifest garbled', (d) => rewrite(path.join(d, 'nodejs', 'vectordb-layer.json'), () => Buffer.from('{"sdk": "vectordb", ')), /^nodejs\/vectordb-layer\.json is not valid JSON$/],
      ['another version\'s manifest', (d) => rewrite(path.join(d, 'nodejs', 'vectordb-layer.json'), (b) => Buffer.from(b.toString().replace('"version": "0.4.2"', '"version": "0.4.3"'))), /^it holds version "0\.4\.3", not "0\.4\.2"$/],
      ['a file where the folder should be', (d) => { fs.rmSync(d, { recursive: true }); fs.writeFileSync(d, ''); }, /^it is not a folder$/],
    ];
    test.each(cases)('%s', (_label, damage, problem) => {
      const staged = path.join(outdir, `asset.${hash}`);
      const copy = path.join(tempDir('damage'), 'layer');
      linkTree(staged, copy);
      expect(checkLayerDir(copy, EXPECTED)).toEqual([]);
      damage(copy, JSON.parse(fs.readFileSync(path.join(copy, 'nodejs', 'vectordb-layer.json'), 'utf-8')));
      const problems = checkLayerDir(copy, EXPECTED);
      expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
      // The original is untouched.
      expect(checkLayerDir(staged, EXPECTED)).toEqual([]);
    });
  });
});

/** A copy of a folder made of hard links (cheap for 60 MB; change files only by replacing them). */
function linkTree(from: string, to: string) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) linkTree(src, dst);
    else fs.linkSync(src, dst);
  }
}

describe('(c) two synths into one cdk.out at once', () => {
  test('both succeed, one builds and the other waits and reuses it; the asset is complete', async () => {
    const outdir = tempDir('concurrent');
    const [a, b] = await Promise.all([runSynthLayer(outdir, NO_CACHE), runSynthLayer(outdir, NO_CACHE)]);
    expect([a.status, b.status, a.stderr.match(/^\s+at /m), b.stderr.match(/^\s+at /m)]).toEqual([0, 0, null, null]);
    const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(ra.stagedPath).toBe(rb.stagedPath);
    expect(ra.unzippedSizeBytes).toBe(rb.unzippedSizeBytes);
    // Exactly one of them bundled; the other found the finished folder.
    expect([a.stderr, b.stderr].filter((s) => s.includes('Bundling asset Stack/L/Code/Stage')).length).toBe(1);
    expect(leftovers(outdir)).toEqual([path.basename(ra.stagedPath)]);
    const manifest = readManifest(ra.stagedPath)!;
    const files = listing(path.join(ra.stagedPath, 'nodejs'));
    expect(files.length).toBe(manifest.fileCount);
    expect(files.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)).toBe(manifest.unzippedBytes);
    expect(checkLayerDir(ra.stagedPath, EXPECTED)).toEqual([]);
  });
});

describe('(e) no writable space for the build', () => {
  /** A tmpfs of `size` at a fresh folder, or why there cannot be one here. */
  function mountTmpfs(size: string): { dir?: string; reason?: string } {
    const dir = tempDir('tmpfs');
    const r = cp.spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf-8', shell: false });
    if (r.error || r.status !== 0) return { reason: (r.error?.message ?? r.stderr).trim() || `mount exited ${r.status}` };
    return { dir };
  }
  const umount = (dir: string) => cp.spawnSync('umount', [dir], { shell: false });
  const probe = mountTmpfs('64k');
  if (probe.dir) umount(probe.dir);
  const maybe = probe.dir ? test : test.skip;
  const why = probe.dir ? '' : ` (skipped: cannot mount a tmpfs here: ${probe.reason})`;

  maybe(`a cdk.out on a full device (1 MB tmpfs) gives ENOSPC with the fix, and leaves nothing${why}`, () => {
    const { dir } = mountTmpfs('1m');
    try {
      const outdir = path.join(dir!, 'cdk.out');
      const message = synthError(outdir, { version: '0.4.2' });
      expect(message).toMatch(/^Stack\/L: npm install of vectordb@0\.4\.2 for linux-x64-gnu failed: cannot write the layer \(ENOSPC: no space left on the device\) under .*-building; the layer needs about 300 MB of free, writable space there while it builds\. Free space or synthesize into another folder \(cdk synth --output <dir>, or new App\(\{ outdir \}\)\)/);
      expect(message).not.toMatch(/^\s+at /m);
      expect(leftovers(outdir)).toEqual([]);
    } finally {
      umount(dir!);
    }
  });

  maybe(`a read-only layer cache: the layer builds into cdk.out as without it, with one note${why}`, () => {
    const { dir } = mountTmpfs('1m');
    try {
      fs.mkdirSync(path.join(dir!, 'cache'));
      expect(cp.spawnSync('mount', ['-o', 'remount,ro', dir!], { shell: false }).status).toBe(0);
      const outdir = tempDir('rocache');
      const before = localBuildCount();
      let said = '';
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        said += String(chunk);
        return true;
      });
      let staged: string;
      try {
        staged = withEnv({ CDK_VECTORDB_LAYER_CACHE: path.join(dir!, 'cache') }, () => synth(outdir));
      } finally {
        stderr.mockRestore();
      }
      expect(localBuildCount() - before).toBe(1);
      expect(checkLayerDir(staged, EXPECTED)).toEqual([]);
      expect(said).toMatch(/\[vectordb-layer\] note: the layer cache .*\/cache cannot be used \(EROFS\); building into cdk\.out as without it/);
    } finally {
      umount(dir!);
    }
  });

  maybe(`a read-only cdk.out gives EROFS with the fix${why}`, () => {
    const { dir } = mountTmpfs('1m');
    try {
      const outdir = path.join(dir!, 'cdk.out');
      fs.mkdirSync(outdir);
      expect(cp.spawnSync('mount', ['-o', 'remount,ro', dir!], { shell: false }).status).toBe(0);
      const message = synthError(outdir, { version: '0.4.2' });
      expect(message).toBe(`Stack/L: cannot write to the cloud assembly folder ${outdir} (EROFS): the layer is built there. Synthesize into a writable folder with free space (cdk synth --output <dir>, or new App({ outdir }))`);
    } finally {
      umount(dir!);
    }
  });
});
