// @ts-check
'use strict';
// How one chunk of the native binary is compressed (./compress.js): zstd
// where the layer's runtimes and this Node.js have it (./codec.js), else
// brotli; and the crc32 the loader checks a brotli chunk with.

const zlib = require('zlib');

/** The decompressed size of one chunk. */
const CHUNK_BYTES = 16 * 1024 * 1024;
/** Brotli quality 6 with a 16 MiB window: about 0.3 of the stripped binary in seconds (quality 9 takes minutes, decodes no faster). */
const QUALITY = 6;
const WINDOW_BITS = 24;
/**
 * zstd level 9: 0.322 of @lancedb/lancedb 0.39.0's stripped binary (brotli 6:
 * 0.312) in 0.5 s a chunk; level 19 gives 0.280 but takes 14 s a chunk
 * (about 80 s for that binary on 2 cores) and decodes no faster.
 */
const ZSTD_LEVEL = 9;

/**
 * @typedef {'zstd' | 'br'} Codec
 */

/**
 * @param {Buffer} chunk
 * @param {Codec} codec
 * @returns {Buffer}
 */
function compressChunk(chunk, codec) {
  if (codec === 'zstd') {
    /** @type {{ zstdCompressSync: (b: Buffer, o: object) => Buffer, constants: Record<string, number> }} */
    const z = /** @type {any} */ (zlib);
    return z.zstdCompressSync(chunk, {
      params: {
        [z.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
        // The frame carries its content's checksum, which the decoder checks.
        [z.constants.ZSTD_c_checksumFlag]: 1,
      },
    });
  }
  return zlib.brotliCompressSync(chunk, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: WINDOW_BITS,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: chunk.length,
    },
  });
}

/** @type {Uint32Array | undefined} */
let crcTable;

/**
 * zlib's crc32, with zlib.crc32 where this Node.js has it (>= 20.15 / 22.2);
 * the loader holds the same function.
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

module.exports = { compressChunk, crc32, CHUNK_BYTES, QUALITY, WINDOW_BITS, ZSTD_LEVEL };
