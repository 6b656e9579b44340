/**
 * compressBinary: the native binary ships compressed (zstd where every runtime
 * of the layer decodes it and the build's Node.js writes it, else brotli) with
 * a loader that decodes it into /tmp on the first require of an execution
 * environment, on as many threads as the process may use, checking each
 * chunk, and loads it. Proven for both codecs and both SDKs on every Node.js
 * major the layer claims, on one CPU and two, under a 128 MB memory limit,
 * arm64 under emulation, with a damaged or truncated file, and through the
 * local invoker (cold start, then a warm invoke that pays nothing). Slow
 * tier: real builds.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../../src';
import { localInvoke } from '../../src/invoke/local-invoke';
import { nodeWritesZstd } from '../../src/private/layer/codec';
import { checkLayerDir } from '../../src/private/layer/dir';
import { ASSETS_DIR, LayerManifest } from '../../src/private/layer/recipe';
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

/** The loader's NODE_DEBUG=cdk-vectordb-layer line: what it decoded, how, on how many threads. */
interface Decoded { codec: string; chunks: number; decoders: number; inPieces: boolean; totalMs: number; maxRssMb: number }
function decodedLine(stderr: string): Decoded | undefined {
  const line = stderr.split('\n').find((l) => /^CDK-VECTORDB-LAYER \d+: decoded /.test(l));
  return line ? JSON.parse(line.slice(line.indexOf('{'))) : undefined;
}

/** Runs test/fixtures/search.js with the layer alone on NODE_PATH and the binary's /tmp in a folder of its own; `cpus` through taskset. */
function search(options: { dir: string; sdk: string; major: number; arch: 'x86_64' | 'arm64'; tmp?: string; cpus?: string; env?: Record<string, string> }) {
  const work = tempDir('search');
  fs.copyFileSync(path.join(FIXTURES, 'search.js'), path.join(work, 'search.js'));
  const tmp = options.tmp ?? tempDir('binary-tmp');
  const node = nodeBinary(options.major, options.arch);
  const args = ['search.js', options.sdk, path.join(work, 'db')];
  const r = runNode({
    node: options.cpus ? 'taskset' : node,
    arch: options.arch,
    args: options.cpus ? ['-c', options.cpus, node, ...args] : args,
    env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(options.dir, 'nodejs', 'node_modules'), CDK_VECTORDB_LAYER_BINARY_DIR: tmp, NODE_DEBUG: 'cdk-vectordb-layer', ...options.env },
    cwd: work,
    timeoutMs: 600_000,
  });
  return { ...r, tmp, result: r.status === 0 ? JSON.parse(r.stdout) : undefined, decoded: decodedLine(r.stderr) };
}

/** The compressed native package of a built layer: its folder and the loader's meta. */
function nativePackage(built: { dir: string; manifest: LayerManifest }) {
  const dir = path.join(built.dir, path.dirname(built.manifest.nativeBinary));
  return { dir, meta: JSON.parse(fs.readFileSync(path.join(dir, 'cdk-vectordb-layer-binary.json'), 'utf-8')) };
}

/**
 * The same layer with the other codec, made from the plain layer's binary by
 * the recipe's compressBinary (as a build does), run by a Node.js that writes
 * it: zstd needs Node.js >= 22.15 (the tests' Node.js 24 when this one has no
 * zstd); brotli any.
 */
function otherCodec(plain: Built, codec: 'zstd' | 'br'): Built {
  const dir = path.join(tempDir('other-codec'), 'layer');
  fs.cpSync(plain.dir, dir, { recursive: true });
  const binary = path.join(dir, ...plain.manifest.nativeBinary.split('/'));
  fs.chmodSync(path.dirname(binary), 0o755);
  for (const f of fs.readdirSync(path.dirname(binary))) fs.chmodSync(path.join(path.dirname(binary), f), 0o644);
  const script = `require(${JSON.stringify(path.join(ASSETS_DIR, 'recipe', 'compress.js'))}).compressBinary(${JSON.stringify({ binary, layerRoot: dir, sha256: plain.manifest.nativeBinarySha256, codec })})`
    + '.then((f) => process.stdout.write(JSON.stringify(f)))';
  const node = codec === 'zstd' && !nodeWritesZstd() ? nodeBinary(24, 'x86_64') : process.execPath;
  const r = runNode({ node, arch: 'x86_64', args: ['-e', script], env: { PATH: process.env.PATH ?? '' }, cwd: dir, timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`compressBinary (${codec}) failed: ${r.stderr}`);
  const manifest: LayerManifest = { ...plain.manifest, compressedBinary: JSON.parse(r.stdout) };
  fs.chmodSync(path.join(dir, 'nodejs', 'vectordb-layer.json'), 0o644);
  fs.writeFileSync(path.join(dir, 'nodejs', 'vectordb-layer.json'), JSON.stringify(manifest));
  return { layer: plain.layer, dir, manifest };
}

describe('@lancedb/lancedb 0.39.0 x86_64, compressed', () => {
  /** The codec VectorDbLayer picks on this host: zstd (every runtime of 0.39.0 is Node.js >= 22) when this Node.js writes it. */
  const hostCodec = nodeWritesZstd() ? 'zstd' : 'br';
  const otherName = hostCodec === 'zstd' ? 'br' : 'zstd';
  let plain: Built;
  const byCodec: Record<string, Built> = {};
  beforeAll(() => {
    plain = build({ sdk: VectorDbSdk.LANCEDB, version: '0.39.0' });
    byCodec[hostCodec] = build({ sdk: VectorDbSdk.LANCEDB, version: '0.39.0', compressBinary: true });
    byCodec[otherName] = otherCodec(plain, otherName);
  });

  test('VectorDbLayer records its codec; each codec is at most 0.35 of the uncompressed layer, and holds no uncompressed binary', () => {
    const compressed = byCodec[hostCodec];
    expect(compressed.manifest.compressedBinary!.codec).toBe(hostCodec);
    for (const codec of ['zstd', 'br']) {
      const built = byCodec[codec];
      const c = built.manifest.compressedBinary!;
      const { meta } = nativePackage(built);
      expect([codec, c.codec, meta.codec, c.file.endsWith(codec === 'zstd' ? '.node.zst' : '.node.br'), meta.chunkBytes]).toEqual([codec, codec, codec, true, c.chunkBytes]);
      // zstd frames carry their checksum; brotli chunks the crc32 the loader checks.
      expect(meta.crc32 === undefined).toBe(codec === 'zstd');
      expect(c.bytes / plain.manifest.nativeBinaryBytes).toBeLessThanOrEqual(0.35);
      expect(c).toMatchObject({ decompressedBytes: plain.manifest.nativeBinaryBytes, decompressedSha256: plain.manifest.nativeBinarySha256 });
      expect(fs.existsSync(path.join(built.dir, built.manifest.nativeBinary))).toBe(false);
      expect(fs.statSync(path.join(built.dir, c.file)).size).toBe(c.bytes);
    }
    const ratio = compressed.manifest.unzippedBytes / plain.manifest.unzippedBytes;
    expect(ratio).toBeLessThanOrEqual(0.35);
    expect(checkLayerDir(compressed.dir, { sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64' })).toEqual([]);
    expect(compressed.layer.decompressedBinaryBytes).toBe(plain.manifest.nativeBinaryBytes);
    expect(compressed.layer.unzippedSizeBytes).toBe(compressed.manifest.unzippedBytes);
  });

  test.each(['zstd', 'br'])('%s loads and searches on every Node.js major the layer claims, decompressing once per environment', (codec) => {
    const compressed = byCodec[codec];
    const majors = compressed.layer.compatibleRuntimes!.map(majorOf);
    expect(majors).toEqual([22, 24]);
    for (const major of majors) {
      const first = search({ dir: compressed.dir, sdk: '@lancedb/lancedb', major, arch: 'x86_64' });
      expect([major, first.status, first.stderr.slice(-400)]).toEqual([major, 0, expect.any(String)]);
      expect(first.result.ids).toEqual([42, 43, 41]);
      expect(first.decoded).toMatchObject({ codec, chunks: compressed.manifest.compressedBinary!.chunks.length });
      const binaryDir = path.join(first.tmp, 'cdk-vectordb-layer', compressed.manifest.compressedBinary!.decompressedSha256.slice(0, 16));
      expect(fs.readdirSync(binaryDir).sort()).toEqual(['lancedb.linux-x64-gnu.node', 'lancedb.linux-x64-gnu.node.verified']);
      // A second process of the same environment (the same /tmp) reuses the decoded binary.
      const mtime = fs.statSync(path.join(binaryDir, 'lancedb.linux-x64-gnu.node')).mtimeMs;
      const again = search({ dir: compressed.dir, sdk: '@lancedb/lancedb', major, arch: 'x86_64', tmp: first.tmp });
      expect(again.result.ids).toEqual([42, 43, 41]);
      expect(again.decoded).toBeUndefined();
      expect(fs.statSync(path.join(binaryDir, 'lancedb.linux-x64-gnu.node')).mtimeMs).toBe(mtime);
    }
  });

  test('decodes on the main thread alone on one CPU (taskset) or a Lambda share of one vCPU, on two threads where two CPUs are there', () => {
    const compressed = byCodec.zstd;
    const run = (cpus: string, env: Record<string, string> = {}) => {
      const r = search({ dir: compressed.dir, sdk: '@lancedb/lancedb', major: 24, arch: 'x86_64', cpus, env });
      expect([cpus, env, r.status, r.result?.ids]).toEqual([cpus, env, 0, [42, 43, 41]]);
      return r.decoded!.decoders;
    };
    expect(run('0')).toBe(1);
    expect(run('0', { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '10240' })).toBe(1);
    if (os.availableParallelism() < 2) throw new Error(`this test needs two CPUs, os.availableParallelism() is ${os.availableParallelism()}`);
    expect(run('0,1')).toBe(2);
    // Lambda: one vCPU per 1,769 MB.
    expect(run('0,1', { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3008' })).toBe(1);
    expect(run('0,1', { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' })).toBe(2);
  });

  test('loads within a 128 MB memory limit, as a 128 MB function must (a memory cgroup, no swap), where touching 200 MB is killed; both codecs, two decoders, in pieces and by whole chunks', () => {
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
      for (const major of byCodec.zstd.layer.compatibleRuntimes!.map(majorOf)) {
        const node = nodeBinary(major, 'x86_64');
        // The control: the same node in the same cgroup dies touching 200 MB, so the limit bites.
        const kills = cgroup.oomKills();
        const over = runNode({ node, arch: 'x86_64', args: ['--require', './join.js', 'touch.js', '200'], env: {}, cwd: work, timeoutMs: 120_000 });
        expect([major, over.signal, over.stdout]).toEqual([major, 'SIGKILL', '']);
        expect(cgroup.oomKills()).toBe(kills + 1);
        // ...and 16 MB is not: the limit leaves node room to start.
        const under = runNode({ node, arch: 'x86_64', args: ['--require', './join.js', 'touch.js', '16'], env: {}, cwd: work, timeoutMs: 120_000 });
        expect([major, under.status, under.stdout]).toEqual([major, 0, 'touched 16 MB']);

        // In pieces (each decoder's one small buffer), and by whole chunks (where a
        // Node.js has no zlib handle for pieces: the collector after each chunk).
        for (const [codec, whole] of [['zstd', false], ['br', false], ['zstd', true], ['br', true]] as const) {
          const r = runNode({
            node,
            arch: 'x86_64',
            args: ['--require', './join.js', '-e', 'const m = require("@lancedb/lancedb"); process.stdout.write(typeof m.connect)'],
            env: {
              NODE_PATH: path.join(byCodec[codec].dir, 'nodejs', 'node_modules'),
              CDK_VECTORDB_LAYER_BINARY_DIR: tempDir('binary-tmp'),
              NODE_DEBUG: 'cdk-vectordb-layer',
              ...whole ? { CDK_VECTORDB_LAYER_WHOLE_CHUNKS: '1' } : {},
            },
            cwd: work,
            timeoutMs: 600_000,
          });
          // By whole chunks, killed (SIGKILL, by the kernel's OOM killer) on Node.js 24 when the loader leaves each chunk's buffers to V8.
          expect([major, codec, whole, r.status, r.signal, r.stdout, r.stderr.slice(-300)]).toEqual([major, codec, whole, 0, null, 'function', expect.any(String)]);
          expect(decodedLine(r.stderr)).toMatchObject({ codec, decoders: Math.min(2, os.availableParallelism()), inPieces: !whole });
          expect(cgroup.oomKills()).toBe(kills + 1);
        }
      }
    } finally {
      cgroup.remove();
    }
  });

  test.each<[string, string, (file: string) => void, RegExp]>([
    ['zstd', 'truncated', (f) => fs.truncateSync(f, 20_000_000), /it ends at byte 20000000 of \d+: truncated/],
    ['br', 'truncated', (f) => fs.truncateSync(f, 20_000_000), /it ends at byte 20000000 of \d+: truncated/],
    ['zstd', 'a byte changed', (f) => flipByte(f, 30_000_000), /chunk \d+ of \d+ at byte \d+ (does not decompress: .*|decompresses to \d+ bytes, not \d+)/],
    ['zstd', 'a byte changed, by whole chunks', (f) => flipByte(f, 30_000_000), /chunk \d+ of \d+ at byte \d+ (does not decompress: .*|decompresses to \d+ bytes, not \d+)/],
    ['br', 'a byte changed', (f) => flipByte(f, 30_000_000), /chunk \d+ of \d+ at byte \d+ has crc32 [0-9a-f]+, not [0-9a-f]+/],
  ])('%s, %s: one error naming the file and the sha256 it must have, and no binary left', (codec, label, damage, why) => {
    const compressed = byCodec[codec];
    const copy = path.join(tempDir('damaged'), 'layer');
    fs.cpSync(compressed.dir, copy, { recursive: true });
    const c = compressed.manifest.compressedBinary!;
    const file = path.join(copy, ...c.file.split('/'));
    fs.chmodSync(file, 0o644);
    damage(file);
    const r = search({ dir: copy, sdk: '@lancedb/lancedb', major: 24, arch: 'x86_64', env: label.endsWith('by whole chunks') ? { CDK_VECTORDB_LAYER_WHOLE_CHUNKS: '1' } : {} });
    expect(r.status).not.toBe(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('cdk-vectordb-layer: '));
    expect(line).toContain(`cdk-vectordb-layer: the compressed native binary ${file} cannot be used (`);
    expect(line).toMatch(why);
    expect(line).toContain(`it must decompress to ${c.decompressedBytes} bytes with sha256 ${c.decompressedSha256}. The layer is damaged: build and deploy it again`);
    const binaryDir = path.join(r.tmp, 'cdk-vectordb-layer', c.decompressedSha256.slice(0, 16));
    expect(fs.existsSync(binaryDir) ? fs.readdirSync(binaryDir) : []).toEqual([]);
  });

  test('zstd, a byte changed: a process that catches the error goes on (the decoder\'s own error event is handled), and nothing is left in /tmp', () => {
    const compressed = byCodec.zstd;
    const copy = path.join(tempDir('damaged'), 'layer');
    fs.cpSync(compressed.dir, copy, { recursive: true });
    const file = path.join(copy, ...compressed.manifest.compressedBinary!.file.split('/'));
    fs.chmodSync(file, 0o644);
    flipByte(file, 30_000_000);
    const tmp = tempDir('binary-tmp');
    const r = runNode({
      node: nodeBinary(24, 'x86_64'),
      arch: 'x86_64',
      args: ['-e', 'try { require("@lancedb/lancedb"); } catch (e) { process.stdout.write("caught;"); } setTimeout(() => process.stdout.write("alive"), 300);'],
      env: { NODE_PATH: path.join(copy, 'nodejs', 'node_modules'), CDK_VECTORDB_LAYER_BINARY_DIR: tmp, CDK_VECTORDB_LAYER_DECODERS: '1' },
      cwd: tempDir('caught'),
      timeoutMs: 120_000,
    });
    expect([r.status, r.stdout, r.stderr.includes('Unhandled \'error\' event')]).toEqual([0, 'caught;alive', false]);
    expect(r.stderr).toContain(`cdk-vectordb-layer: the compressed native binary ${file} cannot be used (`);
    const binaryDir = path.join(tmp, 'cdk-vectordb-layer', compressed.manifest.compressedBinary!.decompressedSha256.slice(0, 16));
    expect(fs.existsSync(binaryDir) ? fs.readdirSync(binaryDir) : []).toEqual([]);
  });
});

/** Flips one byte of a file. */
function flipByte(file: string, at: number) {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] = 255 - b[0];
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

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
