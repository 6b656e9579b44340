// @ts-check
'use strict';
// cdk-vectordb-layer: this package's native binary ships brotli-compressed
// (VectorDbLayer compressBinary). On the first require in an execution
// environment it is decompressed into /tmp, one chunk at a time (written to a
// temporary file, fsync'd, renamed: never a half-written binary loaded),
// checked against the sha256 recorded when the layer was built, and loaded;
// later requires in the same environment reuse it. Copied into the layer
// from layer-assets/recipe/loader-template.js.

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

/**
 * @typedef {object} Meta
 * @property {string} binary the binary's file name
 * @property {string} compressed the compressed file's name, beside this loader
 * @property {number[]} chunks compressed size of each chunk, in order
 * @property {number} decompressedBytes
 * @property {string} decompressedSha256
 */

/** @type {Meta} Read beside this file: written by the build into the native package. */
const meta = JSON.parse(fs.readFileSync(path.join(__dirname, 'cdk-vectordb-layer-binary.json'), 'utf-8'));

/**
 * V8's collector, to free each chunk's buffers before the next is decoded:
 * left to itself, V8 keeps them (external memory) until far more than a
 * 128 MB function has, which then gets killed while loading (measured with a
 * 128 MB memory cgroup). `gc` is exposed only by --expose-gc, which no runtime
 * passes: the flag is set, `gc` read from a new context, and the flag unset.
 * Undefined where that fails: then V8 collects when it will.
 * @returns {(() => void) | undefined}
 */
function collector() {
  try {
    const v8 = require('v8');
    v8.setFlagsFromString('--expose-gc');
    try {
      const gc = require('vm').runInNewContext('gc');
      return typeof gc === 'function' ? gc : undefined;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  } catch {
    return undefined;
  }
}

const compressedFile = path.join(__dirname, meta.compressed);
const folder = path.join(process.env.CDK_VECTORDB_LAYER_BINARY_DIR || os.tmpdir(), 'cdk-vectordb-layer', meta.decompressedSha256.slice(0, 16));
const target = path.join(folder, meta.binary);
const verified = `${target}.verified`;

/** The error of a damaged layer: the file and what it should decompress to. */
function damaged(/** @type {string} */ why) {
  return new Error(`cdk-vectordb-layer: the compressed native binary ${compressedFile} cannot be used (${why}); it must decompress to ${meta.decompressedBytes} bytes with sha256 ${meta.decompressedSha256}. The layer is damaged: build and deploy it again`);
}

/**
 * Reads, decodes, hashes and writes one chunk; returns its decoded size. Its
 * buffers are garbage when it returns.
 * @param {number} input
 * @param {number} output
 * @param {import('crypto').Hash} hash
 * @param {number} offset
 * @param {number} size
 * @returns {number}
 */
function decodeChunk(input, output, hash, offset, size) {
  const chunk = Buffer.alloc(size);
  if (fs.readSync(input, chunk, 0, size, offset) !== size) throw damaged(`it ends at byte ${offset + size} of ${meta.chunks.reduce((a, b) => a + b, 0)}: truncated`);
  let plain;
  try {
    plain = zlib.brotliDecompressSync(chunk);
  } catch (e) {
    throw damaged(`chunk at byte ${offset} does not decompress: ${/** @type {Error} */ (e).message}`);
  }
  hash.update(plain);
  for (let done = 0; done < plain.length;) done += fs.writeSync(output, plain, done, plain.length - done);
  return plain.length;
}

/** Decompresses the binary into `target`, checked; throws when the layer or /tmp cannot give it. */
function decompress() {
  fs.mkdirSync(folder, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const hash = crypto.createHash('sha256');
  const input = fs.openSync(compressedFile, 'r');
  const output = fs.openSync(partial, 'w', 0o755);
  const gc = collector();
  let written = 0;
  try {
    let offset = 0;
    for (const size of meta.chunks) {
      written += decodeChunk(input, output, hash, offset, size);
      offset += size;
      if (gc) gc();
    }
    fs.fsyncSync(output);
  } catch (e) {
    fs.closeSync(output);
    fs.rmSync(partial, { force: true });
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new Error(`cdk-vectordb-layer: no space in ${folder} for the native binary (${meta.decompressedBytes} bytes): give the function more ephemeral storage (ephemeralStorageSize) or keep less in /tmp`);
    }
    throw e;
  } finally {
    fs.closeSync(input);
  }
  fs.closeSync(output);
  const sha256 = hash.digest('hex');
  if (written !== meta.decompressedBytes || sha256 !== meta.decompressedSha256) {
    fs.rmSync(partial, { force: true });
    throw damaged(`it decompresses to ${written} bytes with sha256 ${sha256}`);
  }
  fs.renameSync(partial, target);
  fs.writeFileSync(verified, meta.decompressedSha256);
}

/** Whether an earlier process of this environment left the checked binary. */
function ready() {
  try {
    return fs.statSync(target).size === meta.decompressedBytes && fs.readFileSync(verified, 'utf-8') === meta.decompressedSha256;
  } catch {
    return false;
  }
}

if (!ready()) {
  try {
    decompress();
  } catch (e) {
    // The SDK's own loader may wrap this error in one of its own ("Cannot find
    // native binding"): say it where the function's logs show it, once.
    process.stderr.write(`${/** @type {Error} */ (e).message}\n`);
    throw e;
  }
}
module.exports = require(target);
