/**
 * compressBinary: the native binary ships brotli-compressed with a loader that
 * decompresses it into /tmp on the first require of an execution environment,
 * checks its sha256 and loads it. Proven for both SDKs on every Node.js major
 * the layer claims, arm64 under emulation, with a damaged or truncated file,
 * and through the local invoker (cold start, then a warm invoke that pays
 * nothing). Slow tier: real builds.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../../src';
import { localInvoke } from '../../src/invoke/local-invoke';
import { checkLayerDir } from '../../src/private/layer/dir';
import { LayerManifest } from '../../src/private/layer/recipe';
import { tempDir } from '../support/files';
import { available, memoryCgroup, nodeBinary, runNode } from '../support/platforms';
import { appAt, FIXTURES } from '../support/synth';

interface Built {
  readonly layer: VectorDbLayer;
  readonly dir: string;
  readonly manifest: LayerManifest;
}

function build(props: VectorDbLayerProps): Built {
  const { app, stack } = appAt(tempDir('compress'));
  const layer = new VectorDbLayer(stack, 'L', props);
  app.synth();
  const dir = (layer.node.findChild('Code').node.findChild('Stage') as import('aws-cdk-lib').AssetStaging).absoluteStagedPath;
  return { layer, dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, 'nodejs', 'vectordb-layer.json'), 'utf-8')) };
}

const majorOf = (r: lambda.Runtime) => Number(/^nodejs(\d+)\.x$/.exec(r.name)![1]);

/** Runs test/fixtures/search.js with the layer alone on NODE_PATH and the binary's /tmp in a folder of its own. */
function search(options: { dir: string; sdk: string; major: number; arch: 'x86_64' | 'arm64'; tmp?: string }) {
  const work = tempDir('search');
  fs.copyFileSync(path.join(FIXTURES, 'search.js'), path.join(work, 'search.js'));
  const tmp = options.tmp ?? tempDir('binary-tmp');
  const r = runNode({
    node: nodeBinary(options.major, options.arch),
    arch: options.arch,
    args: ['search.js', options.sdk, path.join(work, 'db')],
    env: { NODE_PATH: path.join(options.dir, 'nodejs', 'node_modules'), CDK_VECTORDB_LAYER_BINARY_DIR: tmp },
    cwd: work,
    timeoutMs: 600_000,
  });
  return { ...r, tmp, result: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

describe('@lancedb/lancedb 0.39.0 x86_64, compressed', () => {
  let plain: Built;
  let compressed: Built;
  beforeAll(() => {
    plain = build({ sdk: VectorDbSdk.LANCEDB, version: '0.39.0' });
    compressed = build({ sdk: VectorDbSdk.LANCEDB, version: '0.39.0', compressBinary: true });
  });

  test('is at most 0.35 of the uncompressed layer, and holds no uncompressed binary', () => {
    const ratio = compressed.manifest.unzippedBytes / plain.manifest.unzippedBytes;
    expect(ratio).toBeLessThanOrEqual(0.35);
    const c = compressed.manifest.compressedBinary!;
    expect(c).toMatchObject({ codec: 'br', decompressedBytes: plain.manifest.nativeBinaryBytes, decompressedSha256: plain.manifest.nativeBinarySha256 });
    expect(fs.existsSync(path.join(compressed.dir, compressed.manifest.nativeBinary))).toBe(false);
    expect(fs.statSync(path.join(compressed.dir, c.file)).size).toBe(c.bytes);
    expect(checkLayerDir(compressed.dir, { sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64' })).toEqual([]);
    expect(compressed.layer.decompressedBinaryBytes).toBe(plain.manifest.nativeBinaryBytes);
    expect(compressed.layer.unzippedSizeBytes).toBe(compressed.manifest.unzippedBytes);
  });

  test('loads and searches on every Node.js major the layer claims, decompressing once per environment', () => {
    const majors = compressed.layer.compatibleRuntimes!.map(majorOf);
    expect(majors).toEqual([22, 24]);
    for (const major of majors) {
      const first = search({ dir: compressed.dir, sdk: '@lancedb/lancedb', major, arch: 'x86_64' });
      expect([major, first.status, first.stderr.slice(-400)]).toEqual([major, 0, expect.any(String)]);
      expect(first.result.ids).toEqual([42, 43, 41]);
      const binaryDir = path.join(first.tmp, 'cdk-vectordb-layer', compressed.manifest.compressedBinary!.decompressedSha256.slice(0, 16));
      expect(fs.readdirSync(binaryDir).sort()).toEqual(['lancedb.linux-x64-gnu.node', 'lancedb.linux-x64-gnu.node.verified']);
      // A second process of the same environment (the same /tmp) reuses the checked binary.
      const mtime = fs.statSync(path.join(binaryDir, 'lancedb.linux-x64-gnu.node')).mtimeMs;
      const again = search({ dir: compressed.dir, sdk: '@lancedb/lancedb', major, arch: 'x86_64', tmp: first.tmp });
      expect(again.result.ids).toEqual([42, 43, 41]);
      expect(fs.statSync(path.join(binaryDir, 'lancedb.linux-x64-gnu.node')).mtimeMs).toBe(mtime);
    }
  });

  test('loads within a 128 MB memory limit, as a 128 MB function must (a memory cgroup, no swap), where touching 200 MB is killed', () => {
    if (!available('cgroup')) return;
    const limit = 128 * 1024 * 1024;
    const cgroup = memoryCgroup(limit);
    if ('why' in cgroup) throw new Error(`a memory cgroup was made to probe for one, but this one cannot be: ${cgroup.why}`);
    try {
      const work = tempDir('memory-limit');
      // The child joins the cgroup before it loads anything else.
      fs.writeFileSync(path.join(work, 'join.js'), `require('fs').writeFileSync(${JSON.stringify(cgroup.procs)}, String(process.pid));\n`);
      // Outside V8's heap (Buffers), each page written, so nothing but the cgroup can stop it.
      fs.writeFileSync(path.join(work, 'touch.js'), [
        'const mb = Number(process.argv[2]); const kept = [];',
        'for (let i = 0; i < mb; i++) kept.push(Buffer.alloc(1024 * 1024, 1));',
        'process.stdout.write(`touched ${kept.length} MB`);',
        '',
      ].join('\n'));
      for (const major of compressed.layer.compatibleRuntimes!.map(majorOf)) {
        const node = nodeBinary(major, 'x86_64');
        // The control: the same node in the same cgroup dies touching 200 MB, so the limit bites.
        const kills = cgroup.oomKills();
        const over = runNode({ node, arch: 'x86_64', args: ['--require', './join.js', 'touch.js', '200'], env: {}, cwd: work, timeoutMs: 120_000 });
        expect([major, over.signal, over.stdout]).toEqual([major, 'SIGKILL', '']);
        expect(cgroup.oomKills()).toBe(kills + 1);
        // ...and 16 MB is not: the limit leaves node room to start.
        const under = runNode({ node, arch: 'x86_64', args: ['--require', './join.js', 'touch.js', '16'], env: {}, cwd: work, timeoutMs: 120_000 });
        expect([major, under.status, under.stdout]).toEqual([major, 0, 'touched 16 MB']);

        const r = runNode({
          node,
          arch: 'x86_64',
          args: ['--require', './join.js', '-e', 'const m = require("@lancedb/lancedb"); process.stdout.write(typeof m.connect)'],
          env: { NODE_PATH: path.join(compressed.dir, 'nodejs', 'node_modules'), CDK_VECTORDB_LAYER_BINARY_DIR: tempDir('binary-tmp') },
          cwd: work,
          timeoutMs: 600_000,
        });
        // Killed (SIGKILL, by the kernel's OOM killer) on Node.js 24 when the loader leaves each chunk's buffers to V8.
        expect([major, r.status, r.signal, r.stdout, r.stderr.slice(-300)]).toEqual([major, 0, null, 'function', expect.any(String)]);
        expect(cgroup.oomKills()).toBe(kills + 1);
      }
    } finally {
      cgroup.remove();
    }
  });

  test.each<[string, (file: string) => void, RegExp]>([
    ['truncated', (f) => fs.truncateSync(f, 20_000_000), /it ends at byte \d+ of \d+: truncated/],
    ['a byte changed', (f) => {
      const fd = fs.openSync(f, 'r+');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, 30_000_000);
      b[0] = 255 - b[0];
      fs.writeSync(fd, b, 0, 1, 30_000_000);
      fs.closeSync(fd);
    }, /does not decompress|decompresses to \d+ bytes with sha256 [0-9a-f]{64}/],
  ])('a %s compressed binary gives one error naming the file and the sha256 it must have, and leaves no binary', (_label, damage, why) => {
    const copy = path.join(tempDir('damaged'), 'layer');
    fs.cpSync(compressed.dir, copy, { recursive: true });
    const c = compressed.manifest.compressedBinary!;
    const file = path.join(copy, ...c.file.split('/'));
    fs.chmodSync(file, 0o644);
    damage(file);
    const r = search({ dir: copy, sdk: '@lancedb/lancedb', major: 22, arch: 'x86_64' });
    expect(r.status).not.toBe(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('cdk-vectordb-layer: '));
    expect(line).toContain(`cdk-vectordb-layer: the compressed native binary ${file} cannot be used (`);
    expect(line).toMatch(why);
    expect(line).toContain(`it must decompress to ${c.decompressedBytes} bytes with sha256 ${c.decompressedSha256}. The layer is damaged: build and deploy it again`);
    const binaryDir = path.join(r.tmp, 'cdk-vectordb-layer', c.decompressedSha256.slice(0, 16));
    expect(fs.existsSync(binaryDir) ? fs.readdirSync(binaryDir) : []).toEqual([]);
  });
});

describe('vectordb, compressed', () => {
  test('0.21.2 x86_64 loads and searches on Node.js 20, 22 and 24', () => {
    const built = build({ version: '0.21.2', compressBinary: true });
    expect(built.layer.compatibleRuntimes!.map(majorOf)).toEqual([20, 22, 24]);
    for (const major of [20, 22, 24]) {
      expect(search({ dir: built.dir, sdk: 'vectordb', major, arch: 'x86_64' }).result.ids).toEqual([42, 43, 41]);
    }
  });

  test('0.4.2 arm64 loads and searches under emulation on Node.js 22', () => {
    if (!available('emulator')) return;
    const built = build({ version: '0.4.2', architecture: lambda.Architecture.ARM_64, compressBinary: true });
    expect(built.manifest.compressedBinary!.decompressedBytes).toBe(built.manifest.nativeBinaryBytes);
    const r = search({ dir: built.dir, sdk: 'vectordb', major: 22, arch: 'arm64' });
    expect(r.result?.ids).toEqual([42, 43, 41]);
  });
});

describe('through the local invoker, as Lambda runs it', () => {
  test('the cold start pays the decompression (init + first invoke); a second invoke in the same environment pays nothing', async () => {
    const { app, stack } = appAt(tempDir('invoke'));
    new VectorDbFunction(stack, 'Search', {
      entry: path.join(FIXTURES, 'fn', 'lancedb-handler.js'),
      compressBinary: true,
      timeout: Duration.seconds(60),
    });
    const assembly = app.synth();
    const r = await localInvoke({ cdkOut: assembly.directory, functionId: 'Stack/Search', invocations: 2, timeoutSeconds: 60 });
    expect(r.error).toBeUndefined();
    expect(r.invocations).toHaveLength(2);
    expect(r.result).toMatchObject({ connect: 'function' });
    // The handler loads the SDK (and so the binary) when its module loads: init pays it, the second invoke does not.
    expect(r.invokeMs[1]).toBeLessThan(Math.max(200, r.initMs / 5));
  });
});
