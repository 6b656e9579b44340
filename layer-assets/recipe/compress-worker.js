// @ts-check
'use strict';
// A worker thread of ./compress.js: compresses the chunks it is sent.

const { parentPort } = require('worker_threads');
const { compressChunk } = require('./compress-chunk');

if (parentPort) {
  const port = parentPort;
  port.on('message', (/** @type {{ i: number, chunk: Uint8Array, codec: import('./compress-chunk').Codec }} */ m) => {
    port.postMessage({ i: m.i, out: compressChunk(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength), m.codec) });
  });
}
