/**
 * The machine-wide layer cache: a layer is built once per machine. Many Apps
 * in one process, other processes and other cdk.out folders reuse it; each
 * cdk.out gets it by hard links (no second copy); a damaged entry is rebuilt,
 * an unusable cache folder means building as without it (one note), two synths
 * racing on an empty cache build once, and the cache stays within its bound,
 * on a build and on a reuse; `cdk-vectordb-layer cache` as docs/layer.md shows it.
 * Slow tier: real builds.
 */
import * as fs from 'fs';
import * as path from 'path';
import { VectorDbLayer, VectorDbLayerProps } from '../../src';
import { LayerCache } from '../../src/private/layer/cache';
import { checkLayerDir, readManifest } from '../../src/private/layer/dir';
import { localBuildCount } from '../../src/private/layer/local-build';
import { cliInProcess } from '../support/cli';
import { sectionBlocks } from '../support/docs';
import { withEnv } from '../support/env';
import { tempDir, walkFiles } from '../support/files';
import { searchWith } from '../support/search';
import { appAt, runSynthLayer } from '../support/synth';

const EXPECTED = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64' } as const;

function withCache<T>(dir: string, fn: () => T, extra: Record<string, string> = {}): T {
  return withEnv({ CDK_VECTORDB_LAYER_CACHE: dir, ...extra }, fn);
}

/** One App with one layer, synthesized into a new cdk.out; the staged folder. */
function synthOnce(props: VectorDbLayerProps = { version: '0.4.2' }): { staged: string; layer: VectorDbLayer } {
  const { app, stack } = appAt(tempDir('app'));
  const layer = new VectorDbLayer(stack, 'L', props);
  app.synth();
  const staged = (layer.node.findChild('Code').node.findChild('Stage') as import('aws-cdk-lib').AssetStaging).absoluteStagedPath;
  return { staged, layer };
}

/** Files below a folder with their inodes. */
function inodes(dir: string): Map<string, number> {
  return new Map(walkFiles(dir).map((e) => [e.rel, e.stat.ino]));
}

/** Captures this process's stderr while `fn` runs. */
function stderrOf<T>(fn: () => T): { result: T; said: string } {
  let said = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    said += String(chunk);
    return true;
  });
  try {
    return { result: fn(), said };
  } finally {
    spy.mockRestore();
  }
}

describe('one machine, one build', () => {
  const cache = tempDir('cache');

  test('20 Apps in one process (as a user\'s unit tests make them) build the layer once; each cdk.out holds it by hard links', () => {
    const before = localBuildCount();
    const staged = withCache(cache, () => Array.from({ length: 20 }, () => synthOnce().staged));
    expect(localBuildCount() - before).toBe(1);
    const first = inodes(staged[0]);
    expect(first.size).toBeGreaterThan(500);
    for (const s of staged.slice(1)) {
      expect(checkLayerDir(s, EXPECTED)).toEqual([]);
      // The same files, not copies: no second 60 MB per cdk.out.
      expect(inodes(s)).toEqual(first);
    }
    expect(searchWith({ layerDir: staged[19], sdk: 'vectordb' }).ids).toEqual([42, 43, 41]);
  });

  test('another process, in another cdk.out, reuses it without bundling and says nothing about a build', async () => {
    const r = await runSynthLayer(tempDir('other'), { CDK_VECTORDB_LAYER_CACHE: cache });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Bundling asset|\[vectordb-layer\]/);
    expect(JSON.parse(r.stdout).unzippedSizeBytes).toBeGreaterThan(50_000_000);
  });

  test('a damaged entry is found before reuse, removed and built again', () => {
    const entry = path.join(cache, 'layers', fs.readdirSync(path.join(cache, 'layers')).find((n) => !n.endsWith('.json'))!);
    const victim = path.join(entry, 'nodejs', 'node_modules', 'vectordb', 'package.json');
    fs.chmodSync(victim, 0o644);
    fs.appendFileSync(victim, ' ');
    const before = localBuildCount();
    const { result, said } = stderrOf(() => withCache(cache, () => synthOnce()));
    expect(localBuildCount() - before).toBe(1);
    expect(said).toMatch(/the cached layer .* does not match its manifest \(it holds \d+ files, \d+ bytes; its manifest says \d+ files, \d+ bytes\); removed it, building the layer again/);
    expect(checkLayerDir(result.staged, EXPECTED)).toEqual([]);
    expect(checkLayerDir(entry, EXPECTED)).toEqual([]);
  });
});

describe('a cache folder that cannot be used', () => {
  test('a cache path that is a file: the layer builds into cdk.out as without a cache, with one note', () => {
    const notAFolder = path.join(tempDir('file'), 'cache');
    fs.writeFileSync(notAFolder, 'not a folder');
    const before = localBuildCount();
    const { result, said } = stderrOf(() => withCache(notAFolder, () => synthOnce()));
    expect(localBuildCount() - before).toBe(1);
    expect(checkLayerDir(result.staged, EXPECTED)).toEqual([]);
    expect(said.match(/note: the layer cache .* cannot be used/g) ?? []).toHaveLength(1);
    expect(said).toMatch(/cannot be used \((ENOTDIR|EEXIST)\); building into cdk\.out as without it\. Set CDK_VECTORDB_LAYER_CACHE to a writable folder, or to off/);
  });

  test('off: nothing is written anywhere but cdk.out', () => {
    const home = tempDir('home');
    const before = localBuildCount();
    withCache('off', () => synthOnce(), { XDG_CACHE_HOME: home });
    expect(localBuildCount() - before).toBe(1);
    expect(fs.readdirSync(home)).toEqual([]);
  });
});

describe('two synths racing on one empty cache', () => {
  test('both succeed; one builds, the other waits for it and links its result', async () => {
    const cache = tempDir('race');
    const [a, b] = await Promise.all([runSynthLayer(tempDir('race-a'), { CDK_VECTORDB_LAYER_CACHE: cache }), runSynthLayer(tempDir('race-b'), { CDK_VECTORDB_LAYER_CACHE: cache })]);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect([a.stderr, b.stderr].filter((s) => s.includes('Bundling asset Stack/L/Code/Stage')).length).toBe(1);
    expect([a.stderr, b.stderr].some((s) => /waiting for another synth .* building this layer into the cache/.test(s))).toBe(true);
    const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(inodes(ra.stagedPath)).toEqual(inodes(rb.stagedPath));
    expect(checkLayerDir(rb.stagedPath, EXPECTED)).toEqual([]);
  });
});

describe('the size bound', () => {
  test('the least recently used layers go first; the one in use stays', () => {
    const cache = tempDir('bound');
    withCache(cache, () => {
      synthOnce({ version: '0.4.2' });
      synthOnce({ version: '0.4.2', strip: false });
    });
    const layers = () => fs.readdirSync(path.join(cache, 'layers')).filter((n) => !n.endsWith('.json'));
    expect(layers()).toHaveLength(2);
    const stripped = fs.readdirSync(path.join(cache, 'layers')).filter((n) => n.endsWith('.json'));
    // Use the stripped one again, then bound the cache to one layer's size: the other goes.
    withCache(cache, () => synthOnce({ version: '0.4.2' }));
    const used = stripped.map((n) => ({ n, t: fs.statSync(path.join(cache, 'layers', n)).mtimeMs })).sort((x, y) => y.t - x.t)[0].n.replace(/\.json$/, '');
    const evicted = new LayerCache(cache, 70_000_000).evict(used);
    expect(evicted).toHaveLength(1);
    expect(layers()).toEqual([used]);
  });
});

describe('the bound kept on a hit, and the cache command, on real layers', () => {
  const cache = tempDir('hit-bound');
  /** The two builds of vectordb 0.4.2 x86_64 (stripped, and not): their hashes and their folders in cdk.out. */
  const built: Record<'stripped' | 'notStripped', { hash: string; staged: string }> = {} as never;

  beforeAll(() => {
    withCache(cache, () => {
      built.notStripped = { hash: '', staged: synthOnce({ version: '0.4.2', strip: false }).staged };
      built.stripped = { hash: '', staged: synthOnce({ version: '0.4.2' }).staged };
    });
    for (const e of new LayerCache(cache).entries()) {
      const key = readManifest(e.dir)!.strip.applied ? 'stripped' : 'notStripped';
      built[key].hash = e.hash;
    }
    expect(built.stripped.hash).not.toBe(built.notStripped.hash);
  });

  const seal = (dir: string, hash: string) => path.join(dir, 'layers', `${hash}.json`);
  const ago = (ms: number) => new Date(Date.now() - ms);

  test('a synth that reuses a layer trims a cache over its bound: the least recently used goes, the layer reused stays', () => {
    // The layer about to be reused is the least recently used; the bound holds it alone.
    fs.utimesSync(seal(cache, built.stripped.hash), ago(7_200_000), ago(7_200_000));
    fs.utimesSync(seal(cache, built.notStripped.hash), ago(3_600_000), ago(3_600_000));
    const entries = new LayerCache(cache).entries();
    expect(entries.map((e) => e.hash)).toEqual([built.notStripped.hash, built.stripped.hash]);
    const bound = entries.find((e) => e.hash === built.stripped.hash)!.bytes + 1_000_000;

    const before = localBuildCount();
    const { result, said } = stderrOf(() => withCache(cache, () => synthOnce({ version: '0.4.2' }), { CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: String(bound) }));
    expect(localBuildCount() - before).toBe(0);
    expect(said).not.toMatch(/\[vectordb-layer\]/);
    expect(new LayerCache(cache).entries().map((e) => e.hash)).toEqual([built.stripped.hash]);
    expect(fs.existsSync(path.join(cache, 'layers', built.notStripped.hash))).toBe(false);
    expect(checkLayerDir(result.staged, EXPECTED)).toEqual([]);
    expect(inodes(result.staged)).toEqual(inodes(path.join(cache, 'layers', built.stripped.hash)));
  });

  test('the `cache` block of docs/layer.md, run on a cache of these two layers: the same lines, but for sizes, ages, hashes and the folder', async () => {
    // A cache as docs/layer.md shows it: the stripped layer used just now, the other a minute ago.
    const dir = tempDir('readme-cache');
    const filler = new LayerCache(dir);
    for (const [b, usedAt] of [[built.notStripped, ago(90_000)], [built.stripped, new Date()]] as const) {
      const release = filler.lock(b.hash, 'test');
      filler.store(b.hash, EXPECTED, b.staged);
      release();
      fs.utimesSync(seal(dir, b.hash), usedAt, usedAt);
    }
    const [block] = sectionBlocks('docs/layer.md', '## Built once per machine: the layer cache', 'console');
    expect(block).toMatch(/^\$ npx cdk-vectordb-layer cache\n/);
    const steps: Array<{ argv: string[]; shown: string[] }> = [];
    for (const line of block.trimEnd().split('\n')) {
      if (line.startsWith('$ npx cdk-vectordb-layer ')) steps.push({ argv: line.slice('$ npx cdk-vectordb-layer '.length).split(' '), shown: [] });
      else steps[steps.length - 1].shown.push(line);
    }
    expect(steps.map((s) => s.argv.join(' '))).toEqual(['cache', 'cache prune --max-bytes 100MB', 'cache clear']);
    const shape = (text: string, folder: string) => text.split(folder).join('<dir>')
      .replace(/\b\d+(\.\d+)? (B|kB|MB|GB)\b/g, '<size>')
      .replace(/\b(just now|\d+ (min|h|days?) ago)\b/g, '<age>')
      .replace(/\b[0-9a-f]{12}\b/g, '<hash>')
      .replace(/\s+/g, ' ');
    for (const step of steps) {
      const r = await cliInProcess(step.argv, { env: { CDK_VECTORDB_LAYER_CACHE: dir, CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: undefined } });
      expect([step.argv.join(' '), r.status, r.stderr]).toEqual([step.argv.join(' '), 0, '']);
      const real = r.stdout.trimEnd().split('\n').slice(0, step.shown.length);
      expect(real.map((l) => shape(l, dir))).toEqual(step.shown.map((l) => shape(l, '/home/me/.cache/cdk-vectordb-layer')));
    }
    expect(fs.readdirSync(path.join(dir, 'layers'))).toEqual([]);
  });
});

