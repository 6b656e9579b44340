// @ts-check
'use strict';
// What a long layer build is doing, on stderr. On a terminal: one live line per
// phase, rewritten with what it has done so far and for how long, then left as
// its summary. Elsewhere (CI logs, a container): one line per phase, when it
// ends. Phases: resolving, downloading, pruning, stripping, checking.

/**
 * @typedef {object} ProgressStream
 * @property {(text: string) => unknown} write
 * @property {boolean} [isTTY]
 */

/**
 * @typedef {object} Progress
 * @property {(phase: string) => void} start begins a phase ("downloading")
 * @property {(detail: string) => void} update what the phase has done so far ("12.3 MB")
 * @property {(summary: string) => void} end ends the phase with its summary line ("downloaded 45.1 MB")
 * @property {(line: string) => void} note a line of its own (a skipped step, a warning)
 */

/** @param {number} ms */
function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** @param {number} bytes */
function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * @param {{ prefix: string, stream?: ProgressStream, now?: () => number }} options
 * @returns {Progress}
 */
function createProgress(options) {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const live = stream.isTTY === true;
  let phase = '';
  let started = now();
  let shown = false;
  /** @param {string} text */
  const rewrite = (text) => {
    stream.write(`\r\x1b[2K${options.prefix}${text}`);
    shown = true;
  };
  return {
    start(name) {
      phase = name;
      started = now();
      if (live) rewrite(`${name}...`);
    },
    update(detail) {
      if (live) rewrite(`${phase} ${detail}, ${seconds(now() - started)}`);
    },
    end(summary) {
      const line = `${summary} in ${seconds(now() - started)}`;
      if (live) {
        rewrite(`${line}\n`);
        shown = false;
      } else {
        stream.write(`${options.prefix}${line}\n`);
      }
    },
    note(line) {
      if (live && shown) stream.write('\n');
      shown = false;
      stream.write(`${options.prefix}${line}\n`);
    },
  };
}

/** A progress that says nothing (the host asked for quiet). */
const SILENT = { start() {}, update() {}, end() {}, note() {} };

module.exports = { createProgress, SILENT, seconds, megabytes };
