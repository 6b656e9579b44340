// @ts-check
'use strict';
/**
 * The compressed binary's loader, phase by phase (issue 22): the first
 * `require` of the native package in a fresh /tmp, on one and two CPUs
 * (taskset), on each Node.js major given, for
 * - `before`: the loader as it was (brotli, one thread, whole-file sha256,
 *   fsync), its phases timed by an instrumented copy of its steps;
 * - `br` and `zstd`: this loader (layer-assets/recipe/loader-template.js),
 *   its phases from its NODE_DEBUG=cdk-vectordb-layer line.
 * Each run: total require ms, read / decode / write (summed over the
 * decoders) / rename / require(binary), decoders, peak RSS (MB) before the
 * binary is loaded (decodeRssMb: what the decoders took) and after (maxRssMb:
 * with the binary's mapped pages, which a memory cgroup can reclaim).
 *
 * The layouts are made here from one binary, by the recipe's compressBinary,
 * so run it under a Node.js that writes zstd (>= 22.15), e.g.:
 *
 *   N=/path/to/node24  # e.g. .tmp/test-cache/node/v24-x86_64/bin/node
 *   $N bench/loader-phases.js --from <a compressed layer's native package folder | a .node binary> \
 *     --node 22=<node22> --node 24=$N [--runs 5] [--cpus 0 --cpus 0,1] [--json out.json]
 *
 * `--from` a compressed layer's native package (as the layer cache holds:
 * <cache>/layers/<hash>/nodejs/node_modules/@lancedb/lancedb-linux-x64-gnu)
 * decodes its binary first. The `before` loader is read from git
 * (`--before-rev`, default the commit before issue 22's loader) or
 * `--before-loader <file>`. Runs alternate between layouts (round robin), each
 * in its own empty binary folder. Needs `taskset` (util-linux). `--keep`
 * leaves the layouts (the path on stderr) for `--reuse <that path>`.
 */
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');
const zlib = require('zlib');

const ROOT = path.join(__dirname, '..');
const BEFORE_REV = '7fc285f';

const { values } = parseArgs({
  options: {
    'from': { type: 'string' },
    'node': { type: 'string', multiple: true },
    'cpus': { type: 'string', multiple: true },
    'runs': { type: 'string' },
    'layouts': { type: 'string' },
    'before-rev': { type: 'string' },
    'before-loader': { type: 'string' },
    'json': { type: 'string' },
    'keep': { type: 'boolean' },
    'reuse': { type: 'string' },
  },
});
if (!values.from && !values.reuse) {
  process.stderr.write('usage: node bench/loader-phases.js --from <native package folder | .node binary> --node 22=<node> --node 24=<node> [--runs 5] [--cpus 0 --cpus 0,1] [--layouts before,br,zstd] [--json out.json]\n');
  process.exit(2);
}
const runs = Number(values.runs ?? 5);
const cpuSets = values.cpus ?? ['0', '0,1'];
const nodes = (values.node ?? [`${process.versions.node.split('.')[0]}=${process.execPath}`]).map((s) => {
  const [major, bin] = s.split('=');
  return { major, bin };
});
const layoutNames = (values.layouts ?? 'before,br,zstd').split(',');

/** The binary: the given .node file, or the compressed layer's, decoded by its meta. */
function binaryOf(from, scratch) {
  if (fs.statSync(from).isFile()) return from;
  const meta = JSON.parse(fs.readFileSync(path.join(from, 'cdk-vectordb-layer-binary.json'), 'utf-8'));
  const input = fs.readFileSync(path.join(from, meta.compressed));
  const out = path.join(scratch, meta.binary);
  const fd = fs.openSync(out, 'w');
  let off = 0;
  for (const size of meta.chunks) {
    const chunk = input.subarray(off, off + size);
    off += size;
    fs.writeSync(fd, (meta.codec === 'zstd' ? zlib.zstdDecompressSync : zlib.brotliDecompressSync)(chunk));
  }
  fs.closeSync(fd);
  return out;
}

/** A native package folder holding the compressed binary and a loader. */
async function layout(name, binary, scratch) {
  const { compressBinary, LOADER_FILE } = require(path.join(ROOT, 'layer-assets', 'recipe', 'compress.js'));
  const dir = path.join(scratch, name, 'pkg');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, path.basename(binary));
  fs.copyFileSync(binary, file);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'native', version: '0.0.0', main: path.basename(binary) }));
  const sha256 = require('crypto').createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const facts = await compressBinary({ binary: file, layerRoot: dir, sha256, codec: name === 'zstd' ? 'zstd' : 'br' });
  if (name === 'zstd' && facts.codec !== 'zstd') throw new Error(`${process.version} cannot write zstd: run this under Node.js >= 22.15`);
  if (name === 'before') {
    const old = values['before-loader'] ? fs.readFileSync(values['before-loader'], 'utf-8')
      : execFileSync('git', ['show', `${values['before-rev'] ?? BEFORE_REV}:layer-assets/recipe/loader-template.js`], { cwd: ROOT, encoding: 'utf-8' });
    fs.writeFileSync(path.join(dir, LOADER_FILE), old);
  }
  return { name, dir, bytes: facts.bytes };
}

/** The child's code: the first require, timed; the old loader's phases by an instrumented copy of its steps. */
const CHILD = `
const t0 = process.hrtime.bigint();
const [dir, phasesOnly] = process.argv.slice(1);
const ms = (a) => Number(process.hrtime.bigint() - a) / 1e6;
if (phasesOnly === 'before') {
  const fs = require('fs'), zlib = require('zlib'), crypto = require('crypto'), path = require('path'), os = require('os');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'cdk-vectordb-layer-binary.json'), 'utf-8'));
  const folder = path.join(process.env.CDK_VECTORDB_LAYER_BINARY_DIR, 'x'); fs.mkdirSync(folder, { recursive: true });
  const target = path.join(folder, meta.binary), partial = target + '.partial';
  const t = { readMs: 0, decodeMs: 0, hashMs: 0, writeMs: 0, fsyncMs: 0, renameMs: 0, requireMs: 0 };
  const input = fs.openSync(path.join(dir, meta.compressed), 'r'), output = fs.openSync(partial, 'w', 0o755);
  const hash = crypto.createHash('sha256'); let offset = 0;
  for (const size of meta.chunks) {
    let a = process.hrtime.bigint(); const chunk = Buffer.alloc(size); fs.readSync(input, chunk, 0, size, offset); offset += size; t.readMs += ms(a);
    a = process.hrtime.bigint(); const plain = zlib.brotliDecompressSync(chunk); t.decodeMs += ms(a);
    a = process.hrtime.bigint(); hash.update(plain); t.hashMs += ms(a);
    a = process.hrtime.bigint(); for (let d = 0; d < plain.length;) d += fs.writeSync(output, plain, d, plain.length - d); t.writeMs += ms(a);
  }
  let a = process.hrtime.bigint(); fs.fsyncSync(output); t.fsyncMs = ms(a);
  t.decodeRssMb = process.resourceUsage().maxRSS / 1024;
  fs.closeSync(output); fs.closeSync(input);
  if (hash.digest('hex') !== meta.decompressedSha256) throw new Error('sha256');
  a = process.hrtime.bigint(); fs.renameSync(partial, target); t.renameMs = ms(a);
  a = process.hrtime.bigint(); require(target); t.requireMs = ms(a);
  process.stdout.write(JSON.stringify({ totalMs: ms(t0), ...t, decoders: 1, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  const lines = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (s, ...rest) => { lines.push(String(s)); return write(s, ...rest); };
  require(dir);
  const total = ms(t0);
  process.stderr.write = write;
  const parse = (tag) => { const l = lines.join('').split('\\n').find((x) => x.includes(tag)); return l ? JSON.parse(l.slice(l.indexOf('{'))) : {}; };
  const d = parse('decoded '), r = parse('required ');
  process.stdout.write(JSON.stringify({ totalMs: total, readMs: d.readMs, decodeMs: d.decodeMs, writeMs: d.writeMs, renameMs: d.renameMs, requireMs: r.requireMs, decoders: d.decoders, decodeRssMb: d.maxRssMb, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}
`;

function once(node, cpus, l, mode, scratch) {
  const binaryDir = fs.mkdtempSync(path.join(scratch, 'tmp-'));
  try {
    const r = spawnSync('taskset', ['-c', cpus, node.bin, '-e', CHILD, l.dir, mode], {
      env: { PATH: process.env.PATH, CDK_VECTORDB_LAYER_BINARY_DIR: binaryDir, NODE_DEBUG: 'cdk-vectordb-layer' },
      encoding: 'utf-8',
    });
    if (r.status !== 0) throw new Error(`${l.name} on node ${node.major} cpus ${cpus} failed: ${r.stderr.slice(-600)}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(binaryDir, { recursive: true, force: true });
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => xs.every((x) => typeof x === 'number') && xs.length ? `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})` : '-';

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'loader-phases-'));
  try {
    const layouts = [];
    if (values.reuse) {
      // The layouts an earlier --keep run left (its loaders as they were then).
      for (const name of layoutNames) {
        const dir = path.join(values.reuse, name, 'pkg');
        const meta = JSON.parse(fs.readFileSync(path.join(dir, 'cdk-vectordb-layer-binary.json'), 'utf-8'));
        layouts.push({ name, dir, bytes: meta.chunks.reduce((a, b) => a + b, 0) });
      }
    } else {
      const binary = binaryOf(path.resolve(/** @type {string} */ (values.from)), scratch);
      for (const name of layoutNames) layouts.push(await layout(name, binary, scratch));
    }
    const results = [];
    for (const node of nodes) {
      for (const cpus of cpuSets) {
        /** @type {Record<string, any[]>} */
        const samples = Object.fromEntries(layouts.map((l) => [l.name, []]));
        for (let r = 0; r < runs; r++) {
          const order = r % 2 === 0 ? layouts : [...layouts].reverse();
          for (const l of order) {
            if (l.name === 'zstd' && Number(node.major) < 22) continue;
            samples[l.name].push(once(node, cpus, l, l.name === 'before' ? 'before' : 'new', scratch));
            if (l.name === 'before') samples[l.name][samples[l.name].length - 1].loaderTotalMs = once(node, cpus, l, 'new', scratch).totalMs;
          }
        }
        for (const l of layouts) {
          const s = samples[l.name];
          if (s.length === 0) continue;
          const keys = ['totalMs', 'loaderTotalMs', 'readMs', 'decodeMs', 'hashMs', 'writeMs', 'fsyncMs', 'renameMs', 'requireMs', 'decodeRssMb', 'maxRssMb'];
          const row = { layout: l.name, node: node.major, cpus, runs: s.length, decoders: s[0].decoders, compressedBytes: l.bytes };
          for (const k of keys) if (s.some((x) => typeof x[k] === 'number')) row[k] = fmt(s.map((x) => x[k]));
          results.push(row);
          process.stdout.write(`${JSON.stringify(row)}\n`);
        }
      }
    }
    if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), host: `${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`, results }, null, 2)}\n`);
  } finally {
    if (values.keep) process.stderr.write(`kept ${scratch}\n`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
