// @ts-check
'use strict';
// How one chunk of the native binary is compressed (./compress.js).

const zlib = require('zlib');

/** The decompressed size of one chunk. */
const CHUNK_BYTES = 16 * 1024 * 1024;
/** Brotli quality 6 with a 16 MiB window: about 0.3 of the stripped binary in seconds (quality 9 takes minutes, decodes no faster). */
const QUALITY = 6;
const WINDOW_BITS = 24;

/**
 * @param {Buffer} chunk
 * @returns {Buffer}
 */
function compressChunk(chunk) {
  return zlib.brotliCompressSync(chunk, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: WINDOW_BITS,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: chunk.length,
    },
  });
}

module.exports = { compressChunk, CHUNK_BYTES, QUALITY, WINDOW_BITS };
