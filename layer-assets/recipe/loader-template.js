// @ts-check
'use strict';
// cdk-vectordb-layer: this package's native binary ships compressed
// (VectorDbLayer compressBinary), in chunks: zstd where every Node.js the
// layer's runtimes run has it (>= 22.15), else brotli. On the first require
// in an execution environment the chunks are decoded into /tmp, and the
// binary loaded; later requires of the environment reuse it. Copied into the
// layer from layer-assets/recipe/loader-template.js.
//
// - Decoders: the main thread, and worker threads beside it when the process
//   may really use more than one CPU (the CPUs it may run on, its cgroup's CPU
//   quota, and on Lambda the memory's share of a vCPU: one per 1,769 MB).
//   Each takes the next chunk and writes it at its offset of one temporary
//   file, which is renamed when complete: never a half-written binary loaded,
//   by this process or another one of the environment.
// - Each chunk is decoded in pieces into one small buffer per decoder, reused,
//   each piece written as it comes: no chunk-sized buffer, so nothing for V8's
//   collector to free and no fresh memory to fault in (half the loader's time
//   on one core). Where a Node.js lacks the zlib handle that takes an output
//   buffer, whole chunks are decoded instead, the collector run after each.
// - Checks, per chunk as it is decoded: its decoded size, and zstd's frame
//   checksum (of the decoded bytes) or the crc32 of the brotli chunk recorded
//   at build. No whole-file sha256 and no fsync: the layer's zip is checked by
//   Lambda, a damaged or truncated chunk is caught here, and an environment's
//   /tmp is private and dies with it (nothing to recover after a crash).

const fs = require('fs');
const os = require('os');
const path = require('path');
const wt = require('worker_threads');
const zlib = require('zlib');

/**
 * @typedef {object} Meta
 * @property {string} binary the binary's file name
 * @property {string} compressed the compressed file's name, beside this loader
 * @property {'zstd' | 'br'} codec
 * @property {number} chunkBytes decoded bytes per chunk (the last may be shorter)
 * @property {number[]} chunks compressed size of each chunk, in order
 * @property {number[]} [crc32] brotli: the crc32 of each compressed chunk
 * @property {number} decompressedBytes
 * @property {string} decompressedSha256
 */

/** Marks a worker thread of this loader (workerData). */
const WORKER = 'cdk-vectordb-layer-decoder';
/** Lambda's CPU share: one vCPU per 1,769 MB of memory. */
const LAMBDA_MB_PER_VCPU = 1769;

/** @type {Meta} Read beside this file: written by the build into the native package. */
const meta = JSON.parse(fs.readFileSync(path.join(__dirname, 'cdk-vectordb-layer-binary.json'), 'utf-8'));
const compressedFile = path.join(__dirname, meta.compressed);
const folder = path.join(process.env.CDK_VECTORDB_LAYER_BINARY_DIR || os.tmpdir(), 'cdk-vectordb-layer', meta.decompressedSha256.slice(0, 16));
const target = path.join(folder, meta.binary);
const verified = `${target}.verified`;
const compressedBytes = meta.chunks.reduce((a, b) => a + b, 0);

// The shared state of the decoders (Int32 slots of a SharedArrayBuffer).
const NEXT = 0; // the next chunk to claim
const ACTIVE = 1; // decoders inside a claim
const DONE = 2; // chunks written
const FAILED = 3; // 1 once a decoder failed (its error in the message bytes)
const READ_US = 4; // time summed over the decoders, microseconds
const DECODE_US = 5;
const WRITE_US = 6;
const SLOTS = 8;
const MESSAGE_BYTES = 4096;
/** Whether this thread is the only decoder. */
let decodingAlone = true;
/** Bytes of the buffer each decoder decodes pieces into (fits a core's cache). */
const PIECE_BYTES = 1024 * 1024;
/** @type {Buffer | undefined} this thread's piece buffer */
let pieceBuffer;

/** The error of a damaged layer: the file and what it should decompress to. */
function damaged(/** @type {string} */ why) {
  return new Error(`cdk-vectordb-layer: the compressed native binary ${compressedFile} cannot be used (${why}); it must decompress to ${meta.decompressedBytes} bytes with sha256 ${meta.decompressedSha256}. The layer is damaged: build and deploy it again`);
}

/** @type {Uint32Array | undefined} */
let crcTable;
/**
 * crc32 (zlib's), with zlib.crc32 where Node.js has it (>= 20.15 / 22.2).
 * @param {Buffer} data
 * @returns {number}
 */
function crc32(data) {
  const native = /** @type {{ crc32?: (d: Buffer) => number }} */ (/** @type {unknown} */ (zlib)).crc32;
  if (typeof native === 'function') return native(data);
  // crc32 is bit arithmetic (Node.js 18 has no zlib.crc32).
  /* eslint-disable no-bitwise */
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
  /* eslint-enable no-bitwise */
}

/**
 * How many threads decode: the CPUs this process may really use.
 * @returns {number}
 */
function decoderCount() {
  let cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const quota = cgroupCpus();
  if (quota !== undefined) cpus = Math.min(cpus, quota);
  const mb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (Number.isFinite(mb) && mb > 0) cpus = Math.min(cpus, Math.floor(mb / LAMBDA_MB_PER_VCPU));
  const forced = Number(process.env.CDK_VECTORDB_LAYER_DECODERS);
  if (Number.isInteger(forced) && forced > 0) cpus = forced;
  return Math.max(1, Math.min(cpus, meta.chunks.length));
}

/**
 * The whole CPUs the cgroup CPU quotas allow (this process's cgroup and its
 * parents: v2 `cpu.max`, v1 `cpu.cfs_quota_us`), or undefined when none is set.
 * @returns {number | undefined}
 */
function cgroupCpus() {
  /** @type {number | undefined} */
  let cpus;
  const limit = (/** @type {string} */ quota, /** @type {string} */ period) => {
    const q = Number(quota);
    const p = Number(period);
    if (q > 0 && p > 0) cpus = Math.min(cpus ?? Infinity, Math.max(1, Math.floor(q / p)));
  };
  /** @param {string} file */
  const read = (file) => {
    try {
      return fs.readFileSync(file, 'utf-8').trim();
    } catch {
      return undefined; // no such controller at this level
    }
  };
  let lines;
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf-8').split('\n');
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [, controllers, cgroup] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (cgroup === undefined) continue;
    const v1 = controllers.split(',').includes('cpu');
    if (controllers !== '' && !v1) continue;
    for (let dir = cgroup; ; dir = path.posix.dirname(dir)) {
      if (v1) {
        limit(read(path.posix.join('/sys/fs/cgroup/cpu', dir, 'cpu.cfs_quota_us')) ?? '', read(path.posix.join('/sys/fs/cgroup/cpu', dir, 'cpu.cfs_period_us')) ?? '');
      } else {
        const [quota, period] = (read(path.posix.join('/sys/fs/cgroup', dir, 'cpu.max')) ?? '').split(/\s+/);
        limit(quota, period);
      }
      if (dir === '/' || dir === '.' || dir === '') break;
    }
  }
  return cpus;
}

/**
 * Whether this Node.js decodes in pieces (pieceDecoder), so that no decoder
 * needs V8's collector.
 * @returns {boolean}
 */
function decodesInPieces() {
  const z = pieceDecoder();
  if (!z) return false;
  z.close();
  return true;
}

/**
 * V8's collector, where whole chunks are decoded (decodesInPieces() false),
 * to free each chunk's buffers before the next is decoded: left to itself, V8 keeps them (external memory) until far more than a
 * 128 MB function has, which then gets killed while loading (measured with a
 * 128 MB memory cgroup). `gc` is exposed only by --expose-gc, which no runtime
 * passes: the flag is set while the decoders run (the worker threads started
 * meanwhile get `gc` too), `gc` read from a new context, and the flag unset.
 * @template T
 * @param {(gc: (() => void) | undefined) => T} body
 * @returns {T}
 */
function withCollector(body) {
  if (decodesInPieces()) return body(undefined);
  /** @type {typeof import('v8') | undefined} */
  let v8;
  /** @type {(() => void) | undefined} */
  let gc;
  try {
    v8 = require('v8');
    v8.setFlagsFromString('--expose-gc');
    const found = require('vm').runInNewContext('gc');
    gc = typeof found === 'function' ? found : undefined;
  } catch {
    gc = undefined;
  }
  try {
    return body(gc);
  } finally {
    try {
      if (v8) v8.setFlagsFromString('--no-expose-gc');
    } catch {
      // left set: harmless
    }
  }
}

/** Microseconds since `start` (a process.hrtime.bigint()). */
function since(/** @type {bigint} */ start) {
  return Number((process.hrtime.bigint() - start) / 1000n);
}

/**
 * Decodes chunks until none is left (or a decoder failed), each written at
 * its offset of `partial`. Run by the main thread and each worker thread.
 * @param {Int32Array} state
 * @param {string} partial
 * @param {(() => void) | undefined} gc
 */
function decodeChunks(state, partial, gc) {
  const offsets = [];
  for (let i = 0, off = 0; i < meta.chunks.length; off += meta.chunks[i], i++) offsets.push(off);
  const inputBuffer = Buffer.allocUnsafe(Math.max(...meta.chunks));
  /** @type {number | undefined} */
  let input;
  /** @type {number | undefined} */
  let output;
  try {
    for (;;) {
      Atomics.add(state, ACTIVE, 1);
      try {
        if (Atomics.load(state, FAILED) !== 0) return;
        const i = Atomics.add(state, NEXT, 1);
        if (i >= meta.chunks.length) return;
        // A claimed chunk is not yet written: the partial file still exists.
        if (input === undefined) input = fs.openSync(compressedFile, 'r');
        if (output === undefined) output = fs.openSync(partial, 'r+');
        decodeChunk(state, i, offsets[i], input, output, inputBuffer);
        Atomics.add(state, DONE, 1);
      } finally {
        Atomics.sub(state, ACTIVE, 1);
        Atomics.notify(state, ACTIVE);
      }
      if (gc) gc();
    }
  } finally {
    if (input !== undefined) fs.closeSync(input);
    if (output !== undefined) fs.closeSync(output);
  }
}

/**
 * @typedef {object} PieceDecoder zlib's decoder object, as Node.js's own
 * synchronous functions drive it (lib/zlib.js, processChunkSync: the same
 * fields since Node.js 10, not documented)
 * @property {{ writeSync: (flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number) => void }} _handle
 * @property {Uint32Array} _writeState [output bytes left, input bytes left] after a writeSync
 * @property {number} _finishFlushFlag
 * @property {Error | null} errored set (synchronously) when the data is bad
 * @property {() => void} close
 * @property {(event: 'error', listener: () => void) => void} on
 */

/**
 * A new decoder of this layer's codec that can decode into a buffer of ours,
 * or undefined where this Node.js's zlib has no such handle (or
 * CDK_VECTORDB_LAYER_WHOLE_CHUNKS=1, which the tests set to try the other way).
 * @returns {PieceDecoder | undefined}
 */
function pieceDecoder() {
  if (process.env.CDK_VECTORDB_LAYER_WHOLE_CHUNKS === '1') return undefined;
  try {
    const z = /** @type {PieceDecoder} */ (/** @type {unknown} */ (meta.codec === 'zstd'
      ? new (/** @type {{ ZstdDecompress: new () => unknown }} */ (/** @type {unknown} */ (zlib))).ZstdDecompress()
      : zlib.createBrotliDecompress()));
    if (z._handle && typeof z._handle.writeSync === 'function' && z._writeState instanceof Uint32Array && z._writeState.length >= 2 && typeof z._finishFlushFlag === 'number') {
      // Bad data sets z.errored at once, which decodeInPieces reads; the stream also emits
      // it as an 'error' event a tick later, which would end a process that caught our error.
      z.on('error', () => undefined);
      return z;
    }
    z.close();
  } catch {
    // no such decoder here: whole chunks
  }
  return undefined;
}

/**
 * Decodes one chunk (one zstd frame, one brotli stream) in pieces into this
 * thread's piece buffer, each piece written at its place in `output` as it
 * comes. Returns the microseconds spent writing.
 * @param {PieceDecoder} z a new decoder, closed here
 * @param {Buffer} chunk
 * @param {number} output
 * @param {number} at0 where the chunk's decoded bytes start in the binary
 * @param {number} plainBytes how many it must decode to
 * @param {string} at the chunk, for errors
 * @returns {number}
 */
function decodeInPieces(z, chunk, output, at0, plainBytes, at) {
  const piece = pieceBuffer ?? (pieceBuffer = Buffer.allocUnsafe(PIECE_BYTES));
  const left = z._writeState;
  let inOff = 0;
  let inLen = chunk.length;
  let total = 0;
  let writeUs = 0;
  try {
    for (;;) {
      try {
        z._handle.writeSync(z._finishFlushFlag, chunk, inOff, inLen, piece, 0, piece.length);
      } catch (e) {
        throw damaged(`${at} does not decompress: ${/** @type {Error} */ (e).message}`);
      }
      if (z.errored) throw damaged(`${at} does not decompress: ${z.errored.message}`);
      const outLeft = left[0];
      const inLeft = left[1];
      const have = piece.length - outLeft;
      if (total + have > plainBytes) throw damaged(`${at} decompresses to more than ${plainBytes} bytes`);
      const t = process.hrtime.bigint();
      for (let done = 0; done < have;) done += fs.writeSync(output, piece, done, have - done, at0 + total + done);
      writeUs += since(t);
      total += have;
      inOff += inLen - inLeft;
      inLen = inLeft;
      // Room left in the piece: the decoder took all it could.
      if (outLeft !== 0) break;
    }
  } finally {
    z.close();
  }
  if (inLen !== 0) throw damaged(`${at} has ${inLen} bytes after its end`);
  if (total !== plainBytes) throw damaged(`${at} decompresses to ${total} bytes, not ${plainBytes}`);
  return writeUs;
}

/**
 * Reads, checks, decodes and writes chunk `i`. Its decoded buffer is garbage
 * when it returns.
 * @param {Int32Array} state
 * @param {number} i
 * @param {number} offset where it starts in the compressed file
 * @param {number} input
 * @param {number} output
 * @param {Buffer} inputBuffer
 */
function decodeChunk(state, i, offset, input, output, inputBuffer) {
  const size = meta.chunks[i];
  const at = `chunk ${i + 1} of ${meta.chunks.length} at byte ${offset}`;
  const plainBytes = Math.min(meta.chunkBytes, meta.decompressedBytes - i * meta.chunkBytes);
  let t = process.hrtime.bigint();
  const chunk = inputBuffer.subarray(0, size);
  if (fs.readSync(input, chunk, 0, size, offset) !== size) throw damaged(`it ends before byte ${offset + size} of ${compressedBytes}: truncated`);
  if (meta.crc32) {
    const crc = crc32(chunk);
    if (crc !== meta.crc32[i]) throw damaged(`${at} has crc32 ${crc.toString(16)}, not ${meta.crc32[i].toString(16)}`);
  }
  Atomics.add(state, READ_US, since(t));
  t = process.hrtime.bigint();
  const at0 = i * meta.chunkBytes;
  const z = pieceDecoder();
  if (z) {
    const writeUs = decodeInPieces(z, chunk, output, at0, plainBytes, at);
    Atomics.add(state, DECODE_US, since(t) - writeUs);
    Atomics.add(state, WRITE_US, writeUs);
    return;
  }
  // Whole chunks, at most the chunk's size (and a little room to see an overrun). zstd into one
  // buffer of that size (no growing: faster). brotli too when threads share the
  // memory (zlib's default pieces, then joined, hold the chunk twice: two
  // decoders so are killed in 128 MB), else in those pieces (faster, measured on
  // Node.js 24).
  const maxOutputLength = plainBytes + 65536;
  const brotliOptions = decodingAlone ? { maxOutputLength } : { chunkSize: maxOutputLength, maxOutputLength };
  const zstd = /** @type {{ zstdDecompressSync: (b: Buffer, o: object) => Buffer }} */ (/** @type {unknown} */ (zlib));
  let plain;
  try {
    plain = meta.codec === 'zstd'
      ? zstd.zstdDecompressSync(chunk, { chunkSize: maxOutputLength, maxOutputLength })
      : zlib.brotliDecompressSync(chunk, brotliOptions);
  } catch (e) {
    throw damaged(`${at} does not decompress: ${/** @type {Error} */ (e).message}`);
  }
  if (plain.length !== plainBytes) throw damaged(`${at} decompresses to ${plain.length} bytes, not ${plainBytes}`);
  Atomics.add(state, DECODE_US, since(t));
  t = process.hrtime.bigint();
  for (let done = 0; done < plain.length;) done += fs.writeSync(output, plain, done, plain.length - done, at0 + done);
  Atomics.add(state, WRITE_US, since(t));
}

/**
 * Records a decoder's failure (the first one wins) in the shared state.
 * @param {Int32Array} state
 * @param {Uint8Array} message
 * @param {unknown} e
 */
function recordFailure(state, message, e) {
  if (Atomics.compareExchange(state, FAILED, 0, 1) !== 0) return;
  const err = /** @type {NodeJS.ErrnoException} */ (e);
  const text = Buffer.from(JSON.stringify({ message: err && err.message ? err.message : String(e), code: err && err.code }));
  const n = Math.min(text.length, message.length - 4);
  new DataView(message.buffer, message.byteOffset).setUint32(0, n);
  message.set(text.subarray(0, n), 4);
}

/**
 * @param {Uint8Array} message
 * @returns {Error}
 */
function failureOf(message) {
  const n = new DataView(message.buffer, message.byteOffset).getUint32(0);
  let parsed = { message: 'a decoder failed', code: undefined };
  try {
    parsed = JSON.parse(Buffer.from(message.subarray(4, 4 + n)).toString('utf-8'));
  } catch {
    // cut short: the default above
  }
  const error = /** @type {NodeJS.ErrnoException} */ (new Error(parsed.message));
  if (parsed.code) error.code = parsed.code;
  return error;
}

/** Decodes the binary into `target`, checked; throws when the layer or /tmp cannot give it. */
function decompress() {
  const started = process.hrtime.bigint();
  const onDisk = fs.statSync(compressedFile).size;
  if (onDisk < compressedBytes) throw damaged(`it ends at byte ${onDisk} of ${compressedBytes}: truncated`);
  if (onDisk > compressedBytes) throw damaged(`it is ${onDisk} bytes, not ${compressedBytes}`);
  fs.mkdirSync(folder, { recursive: true });
  const partial = `${target}.partial-${process.pid}-${wt.threadId}`;
  fs.closeSync(fs.openSync(partial, 'w', 0o755));
  const shared = new SharedArrayBuffer(SLOTS * 4 + MESSAGE_BYTES);
  const state = new Int32Array(shared, 0, SLOTS);
  const message = new Uint8Array(shared, SLOTS * 4);
  const decoders = decoderCount();
  decodingAlone = decoders === 1;
  try {
    withCollector((gc) => {
      for (let w = 1; w < decoders; w++) {
        const worker = new wt.Worker(__filename, { workerData: { [WORKER]: true, shared, partial } });
        worker.on('error', () => undefined); // its failure is in the shared state
        worker.unref();
      }
      try {
        decodeChunks(state, partial, gc);
      } catch (e) {
        recordFailure(state, message, e);
      }
      // Wait for the workers' claimed chunks (a worker that never started claimed none).
      for (;;) {
        const active = Atomics.load(state, ACTIVE);
        if (active === 0 && (Atomics.load(state, DONE) === meta.chunks.length || Atomics.load(state, FAILED) !== 0)) break;
        Atomics.wait(state, ACTIVE, active, 50);
      }
    });
    if (Atomics.load(state, FAILED) !== 0) throw failureOf(message);
    const size = fs.statSync(partial).size;
    if (size !== meta.decompressedBytes) throw damaged(`it decompresses to ${size} bytes`);
  } catch (e) {
    fs.rmSync(partial, { force: true });
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new Error(`cdk-vectordb-layer: no space in ${folder} for the native binary (${meta.decompressedBytes} bytes): give the function more ephemeral storage (ephemeralStorageSize) or keep less in /tmp`);
    }
    throw e;
  }
  const renameStart = process.hrtime.bigint();
  fs.renameSync(partial, target);
  fs.writeFileSync(verified, meta.decompressedSha256);
  return {
    codec: meta.codec,
    chunks: meta.chunks.length,
    decoders,
    inPieces: decodesInPieces(),
    totalMs: since(started) / 1000,
    readMs: state[READ_US] / 1000,
    decodeMs: state[DECODE_US] / 1000,
    writeMs: state[WRITE_US] / 1000,
    renameMs: since(renameStart) / 1000,
    // Peak resident memory so far: the decoders' (the binary is not mapped yet).
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Whether an earlier process of this environment left the decoded binary. */
function ready() {
  try {
    return fs.statSync(target).size === meta.decompressedBytes && fs.readFileSync(verified, 'utf-8') === meta.decompressedSha256;
  } catch {
    return false;
  }
}

/** Runs in a worker thread: decodes chunks beside the main thread. */
function decoderThread() {
  const data = /** @type {{ shared: SharedArrayBuffer, partial: string }} */ (wt.workerData);
  const state = new Int32Array(data.shared, 0, SLOTS);
  const message = new Uint8Array(data.shared, SLOTS * 4);
  // `gc` is there when the main thread set --expose-gc (withCollector): whole chunks.
  const g = /** @type {{ gc?: () => void }} */ (/** @type {unknown} */ (globalThis)).gc;
  decodingAlone = false;
  try {
    decodeChunks(state, data.partial, typeof g === 'function' && !decodesInPieces() ? g : undefined);
  } catch (e) {
    recordFailure(state, message, e);
  }
}

if (!wt.isMainThread && wt.workerData && wt.workerData[WORKER] === true) {
  decoderThread();
} else {
  const debug = require('util').debuglog('cdk-vectordb-layer');
  if (!ready()) {
    try {
      const phases = decompress();
      debug('decoded %s', JSON.stringify(phases));
    } catch (e) {
      // The SDK's own loader may wrap this error in one of its own ("Cannot find
      // native binding"): say it where the function's logs show it, once.
      process.stderr.write(`${/** @type {Error} */ (e).message}\n`);
      throw e;
    }
  }
  const requireStart = process.hrtime.bigint();
  module.exports = require(target);
  debug('required %s', JSON.stringify({ requireMs: since(requireStart) / 1000 }));
}
