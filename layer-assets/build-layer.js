#!/usr/bin/env node
'use strict';
// Entry point of the layer recipe where it runs as a command: inside the Lambda
// build image (VectorDbLayer with Docker) as
//   node /asset-input/build-layer.js --sdk vectordb --version 0.21.2 --architecture x86_64 --out /asset-output [--no-strip]
// Every value arrives as its own argv entry; nothing is given to a shell.
// On failure it exits 1, leaves the output folder empty but for
// .vectordb-layer-error.json ({ message, code }), and prints the message on stderr.

const fs = require('fs');
const path = require('path');
const { buildLayer, ERROR_FILE } = require('./recipe/build');

function parseArgs(argv) {
  const opts = { strip: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--sdk': opts.sdk = value(); break;
      case '--version': opts.version = value(); break;
      case '--architecture': opts.architecture = value(); break;
      case '--out': opts.outDir = value(); break;
      case '--max-bytes': opts.maxBytes = Number(value()); break;
      case '--no-strip': opts.strip = false; break;
      default: throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return opts;
}

let opts = {};
try {
  opts = parseArgs(process.argv.slice(2));
  const manifest = buildLayer(opts);
  process.stdout.write(`${JSON.stringify(manifest)}\n`);
} catch (e) {
  const message = e && e.message ? e.message : String(e);
  process.stderr.write(`vectordb-layer: ${message}\n`);
  if (opts.outDir) {
    try {
      fs.mkdirSync(opts.outDir, { recursive: true });
      fs.writeFileSync(path.join(opts.outDir, ERROR_FILE), JSON.stringify({ message, code: e && e.code }));
    } catch {
      // the message is on stderr already
    }
  }
  process.exit(1);
}
