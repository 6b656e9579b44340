// @ts-check
'use strict';
// The opt-in compressed native binary (VectorDbLayer compressBinary, build
// --compress): the binary is replaced by compressed chunks and a small loader
// (./loader-template.js) that decodes them into /tmp on the first require of
// an execution environment, checks each and loads the binary.
//
// The codec is the host's choice (--codec, src/private/layer/codec.ts): zstd
// (decodes about twice as fast) when every Node.js the layer's runtimes run
// has it (>= 22.15), else brotli, which every Lambda Node.js runtime decodes.
// A Node.js that cannot write zstd (a build image's) writes brotli and says
// so. Chunks of 16 MiB, each compressed alone: the loader's decoders each
// hold one chunk in memory at a time (a 128 MB function loads a 168 MB
// binary) and decode them in parallel, and the build compresses them on all
// cores.

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const zlib = require('zlib');
const { CHUNK_BYTES, crc32 } = require('./compress-chunk');
const { LayerBuildError } = require('./errors');

/** Written beside the compressed binary; the loader reads it. */
const META_FILE = 'cdk-vectordb-layer-binary.json';
const LOADER_FILE = 'cdk-vectordb-layer-loader.js';

/**
 * @typedef {object} CompressedBinary
 * @property {import('./compress-chunk').Codec} codec `zstd` (frames with their content checksum) or `br` (brotli)
 * @property {string} file the compressed file, relative to the layer root (`nodejs/node_modules/...`)
 * @property {number} bytes its size
 * @property {string} sha256 its sha256
 * @property {number} chunkBytes decompressed bytes per chunk (the last may be shorter)
 * @property {number[]} chunks the compressed size of each chunk, in order
 * @property {number} decompressedBytes the binary's size
 * @property {string} decompressedSha256 the binary's sha256, which the loader checks
 */

/**
 * Compresses every chunk, on as many worker threads as there are cores.
 * @param {Buffer} data
 * @param {import('./compress-chunk').Codec} codec
 * @returns {Promise<Buffer[]>}
 */
async function compressChunks(data, codec) {
  /** @type {Buffer[]} */
  const slices = [];
  for (let off = 0; off < data.length; off += CHUNK_BYTES) slices.push(data.subarray(off, Math.min(off + CHUNK_BYTES, data.length)));
  const out = /** @type {Buffer[]} */ (new Array(slices.length));
  let next = 0;
  const workers = Math.max(1, Math.min(os.cpus().length, slices.length));
  await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'compress-worker.js'));
    const feed = () => {
      if (next >= slices.length) {
        void worker.terminate().then(() => resolve(undefined));
        return;
      }
      const i = next++;
      worker.postMessage({ i, chunk: slices[i], codec });
    };
    worker.on('message', (/** @type {{ i: number, out: Uint8Array }} */ m) => {
      out[m.i] = Buffer.from(m.out);
      feed();
    });
    worker.on('error', reject);
    feed();
  })));
  return out;
}

/** Whether this Node.js writes zstd (>= 22.15, 23.8). */
function canWriteZstd() {
  return typeof (/** @type {{ zstdCompressSync?: unknown }} */ (/** @type {unknown} */ (zlib))).zstdCompressSync === 'function';
}

/**
 * Replaces the native binary of `nativeDir` by its compressed chunks and the
 * loader; the package's `main` becomes the loader.
 * @param {object} options
 * @param {string} options.binary the stripped binary (absolute)
 * @param {string} options.layerRoot the folder that holds nodejs/ (for relative paths)
 * @param {string} options.sha256 the binary's sha256
 * @param {import('./compress-chunk').Codec} [options.codec] `zstd` when the layer's runtimes all decode it (the default `br`)
 * @returns {Promise<CompressedBinary>}
 */
async function compressBinary(options) {
  const nativeDir = path.dirname(options.binary);
  const name = path.basename(options.binary);
  const pkgFile = path.join(nativeDir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf-8'));
  if (pkg.main !== undefined && path.posix.normalize(pkg.main) !== name) {
    throw new LayerBuildError(`cannot compress the native binary: ${path.basename(nativeDir)}'s package.json main is ${JSON.stringify(pkg.main)}, not the binary ${name}`, 'COMPRESS_FAILED');
  }
  /** @type {import('./compress-chunk').Codec} */
  let codec = options.codec === 'zstd' ? 'zstd' : 'br';
  if (codec === 'zstd' && !canWriteZstd()) {
    process.stderr.write(`vectordb-layer: the Node.js running this build (${process.version}) cannot write zstd (Node.js >= 22.15 can): the binary is brotli-compressed instead, which decodes slower at each cold start\n`);
    codec = 'br';
  }
  const data = fs.readFileSync(options.binary);
  const parts = await compressChunks(data, codec);
  const extension = codec === 'zstd' ? 'zst' : 'br';
  const compressedPath = `${options.binary}.${extension}`;
  const compressed = Buffer.concat(parts);
  fs.writeFileSync(compressedPath, compressed);
  /** @type {CompressedBinary} */
  const facts = {
    codec,
    file: path.relative(options.layerRoot, compressedPath).split(path.sep).join('/'),
    bytes: compressed.length,
    sha256: crypto.createHash('sha256').update(compressed).digest('hex'),
    chunkBytes: CHUNK_BYTES,
    chunks: parts.map((p) => p.length),
    decompressedBytes: data.length,
    decompressedSha256: options.sha256,
  };
  // What the loader needs, and no build-time path: the layer's bytes do not depend on where it was built.
  const meta = {
    binary: name,
    compressed: `${name}.${extension}`,
    codec,
    chunkBytes: CHUNK_BYTES,
    chunks: facts.chunks,
    // zstd frames carry their own checksum; a brotli chunk is checked by the crc32 of its bytes.
    ...(codec === 'br' ? { crc32: parts.map((p) => crc32(p)) } : {}),
    decompressedBytes: facts.decompressedBytes,
    decompressedSha256: facts.decompressedSha256,
  };
  fs.writeFileSync(path.join(nativeDir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  fs.copyFileSync(path.join(__dirname, 'loader-template.js'), path.join(nativeDir, LOADER_FILE));
  fs.writeFileSync(pkgFile, `${JSON.stringify({ ...pkg, main: LOADER_FILE }, null, 2)}\n`);
  fs.rmSync(options.binary);
  return facts;
}

module.exports = { compressBinary, canWriteZstd, META_FILE, LOADER_FILE };
