#!/usr/bin/env node
// @ts-check
'use strict';
// The layer recipe as a command, the one way every layer is built: on the host
// (VectorDbLayer's local bundling and `cdk-vectordb-layer build` start it as a
// child process) and inside a build container (Docker bundling), as
//   node build-layer.js --sdk vectordb --version 0.21.2 --architecture x86_64 --out <dir> [--no-strip] [--compress [--codec zstd]]
// and, for a compressed layer whose plain layer is built, without an install:
//   node build-layer.js ... --compress --from-plain <the plain layer's folder>
// and, for a compressed layer built in full, its plain layer kept too:
//   node build-layer.js ... --compress --keep-plain <an empty folder>
// Every value arrives as its own argv entry; nothing is given to a shell.
// Success: exit 0, the layer in <dir>/nodejs, the result as JSON on stdout.
// Failure: exit 1, { "failure": { message, code, details } } on stdout, and
// <dir> empty but for .vectordb-layer-error.json holding the same (the message
// on stderr only when that file cannot be written).

const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');
const { buildFromPlain, buildLayer, ERROR_FILE } = require('./recipe/build');
const { LayerBuildError } = require('./recipe/errors');

/** @returns {import('./recipe/build').BuildOptions} */
function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      'sdk': { type: 'string' },
      'version': { type: 'string' },
      'architecture': { type: 'string' },
      'out': { type: 'string' },
      'max-bytes': { type: 'string' },
      'no-strip': { type: 'boolean' },
      'compress': { type: 'boolean' },
      'codec': { type: 'string' },
      'from-plain': { type: 'string' },
      'keep-plain': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const maxBytes = values['max-bytes'] === undefined ? undefined : Number(values['max-bytes']);
  if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
    throw new LayerBuildError(`--max-bytes must be a whole number of bytes, got ${JSON.stringify(values['max-bytes'])}`, 'BAD_INPUT');
  }
  if (values.codec !== undefined && values.codec !== 'zstd' && values.codec !== 'br') {
    throw new LayerBuildError(`--codec must be zstd or br, got ${JSON.stringify(values.codec)}`, 'BAD_INPUT');
  }
  return {
    sdk: values.sdk ?? '',
    version: values.version ?? '',
    architecture: /** @type {import('./recipe/sdks').Architecture} */ (values.architecture ?? ''),
    outDir: values.out ?? '',
    strip: !values['no-strip'],
    compress: values.compress === true,
    codec: values.codec === 'zstd' ? 'zstd' : undefined,
    fromPlain: values['from-plain'],
    keepPlain: values['keep-plain'],
    maxBytes,
    inContainer: process.env.VECTORDB_LAYER_IN_CONTAINER === '1',
  };
}

/**
 * Reports a failure: as JSON on stdout (the host that started this process
 * reads it) and into the error file in the output folder (the host of a
 * container reads that); on stderr only when neither can carry it.
 * @param {unknown} e
 * @param {string | undefined} outDir
 */
function report(e, outDir) {
  const err = e instanceof LayerBuildError ? e : new LayerBuildError(e instanceof Error ? e.message : String(e), 'BAD_INPUT');
  const failure = { message: err.message, code: err.code, details: err.details };
  process.stdout.write(`${JSON.stringify({ failure })}\n`);
  try {
    if (!outDir) throw new Error('no output folder');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, ERROR_FILE), JSON.stringify(failure));
  } catch {
    process.stderr.write(`vectordb-layer: ${err.message}\n`);
  }
}

/**
 * The output folder named on the command line, even when the rest of it does
 * not parse (the error file goes there).
 * @param {string[]} argv
 */
function rawOutDir(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') return argv[i + 1];
    if (argv[i].startsWith('--out=')) return argv[i].slice('--out='.length);
  }
  return undefined;
}

async function main() {
  let outDir = rawOutDir(process.argv.slice(2)) || undefined;
  try {
    const opts = options();
    outDir = opts.outDir || undefined;
    const fromPlain = opts.fromPlain;
    const result = fromPlain === undefined ? await buildLayer(opts) : await buildFromPlain({ ...opts, fromPlain });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (e) {
    report(e, outDir);
    process.exitCode = 1;
  }
}

void main();
