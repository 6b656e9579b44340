// @ts-check
'use strict';
// The opt-in compressed native binary (VectorDbLayer compressBinary, build
// --compress): the binary is replaced by brotli-compressed chunks and a small
// loader (./loader-template.js) that decompresses it into /tmp on the first
// require of an execution environment, checks its sha256 and loads it.
//
// Brotli, because every Lambda Node.js runtime (18 to 24) decodes it with its
// own zlib; zstd would decode faster but only on Node.js >= 22.15. Chunks of
// 16 MiB, each compressed alone: the loader then holds one chunk in memory at
// a time (a 128 MB function loads a 168 MB binary), and the build
// compresses them on all cores.

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const { CHUNK_BYTES } = require('./compress-chunk');
const { LayerBuildError } = require('./errors');

/** Written beside the compressed binary; the loader reads it. */
const META_FILE = 'cdk-vectordb-layer-binary.json';
const LOADER_FILE = 'cdk-vectordb-layer-loader.js';

/**
 * @typedef {object} CompressedBinary
 * @property {'br'} codec
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
 * @returns {Promise<Buffer[]>}
 */
async function compressChunks(data) {
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
      worker.postMessage({ i, chunk: slices[i] });
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

/**
 * Replaces the native binary of `nativeDir` by its compressed chunks and the
 * loader; the package's `main` becomes the loader.
 * @param {object} options
 * @param {string} options.binary the stripped binary (absolute)
 * @param {string} options.layerRoot the folder that holds nodejs/ (for relative paths)
 * @param {string} options.sha256 the binary's sha256
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
  const data = fs.readFileSync(options.binary);
  const parts = await compressChunks(data);
  const compressedPath = `${options.binary}.br`;
  const compressed = Buffer.concat(parts);
  fs.writeFileSync(compressedPath, compressed);
  /** @type {CompressedBinary} */
  const facts = {
    codec: 'br',
    file: path.relative(options.layerRoot, compressedPath).split(path.sep).join('/'),
    bytes: compressed.length,
    sha256: crypto.createHash('sha256').update(compressed).digest('hex'),
    chunkBytes: CHUNK_BYTES,
    chunks: parts.map((p) => p.length),
    decompressedBytes: data.length,
    decompressedSha256: options.sha256,
  };
  // What the loader needs, and no build-time path: the layer's bytes do not depend on where it was built.
  const meta = { binary: name, compressed: `${name}.br`, chunks: facts.chunks, decompressedBytes: facts.decompressedBytes, decompressedSha256: facts.decompressedSha256 };
  fs.writeFileSync(path.join(nativeDir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  fs.copyFileSync(path.join(__dirname, 'loader-template.js'), path.join(nativeDir, LOADER_FILE));
  fs.writeFileSync(pkgFile, `${JSON.stringify({ ...pkg, main: LOADER_FILE }, null, 2)}\n`);
  fs.rmSync(options.binary);
  return facts;
}

module.exports = { compressBinary, META_FILE, LOADER_FILE };
