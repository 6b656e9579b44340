/**
 * Layer build time and size: this library's recipe against a plain
 * `npm install <sdk>@<version>` into a `nodejs/` folder (the hand-made layer),
 * and the CDK cache hit. Prints a table and writes bench/layer-results.json.
 *
 *   npx projen bench            (RUNS=3 by default; RUNS=1 for a quick look)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbLayer, VectorDbSdk } from '../src';
import { measureDir } from '../src/private/measure';
import { recipe } from '../src/private/recipe';

const RUNS = Number(process.env.RUNS ?? 3);
const SPECS = [
  { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64' },
  { sdk: 'vectordb', version: '0.21.2', architecture: 'x86_64' },
  { sdk: 'vectordb', version: '0.4.2', architecture: 'arm64' },
  { sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64' },
];

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const stats = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length });
const log = (s: string) => process.stderr.write(`${s}\n`);

function zippedBytes(dir: string): number {
  const zip = path.join(scratch, `z-${Date.now()}.zip`);
  const r = spawnSync('zip', ['-q', '-r', '-X', '-6', zip, 'nodejs'], { cwd: dir, shell: false });
  if (r.status !== 0) throw new Error(`zip failed: ${r.stderr}`);
  const size = fs.statSync(zip).size;
  fs.rmSync(zip);
  return size;
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function ours(spec: typeof SPECS[number], cache?: string) {
  const out = fs.mkdtempSync(path.join(scratch, 'ours-'));
  const saved = process.env.npm_config_cache;
  if (cache) process.env.npm_config_cache = cache;
  try {
    const { ms } = timed(() => recipe.buildLayer({ ...spec, outDir: out, log: () => undefined }));
    return { ms, dir: out };
  } finally {
    if (cache) {
      if (saved === undefined) delete process.env.npm_config_cache;
      else process.env.npm_config_cache = saved;
    }
  }
}

function plain(spec: typeof SPECS[number], cache?: string) {
  const dir = fs.mkdtempSync(path.join(scratch, 'plain-'));
  fs.mkdirSync(path.join(dir, 'nodejs'));
  const cpu = recipe.CPU_BY_ARCHITECTURE[spec.architecture];
  // What a Cloud9/EC2 box of the target platform does: npm install <sdk>@<version>.
  const args = ['install', `${spec.sdk}@${spec.version}`, '--no-audit', '--no-fund', ...(cpu === process.arch ? [] : ['--os=linux', `--cpu=${cpu}`, '--libc=glibc'])];
  const { ms, value } = timed(() => spawnSync('npm', args, {
    cwd: path.join(dir, 'nodejs'),
    env: { ...process.env, ...(cache ? { npm_config_cache: cache } : {}) },
    encoding: 'utf-8',
    shell: false,
  }));
  if (value.status !== 0) throw new Error(`plain npm install failed: ${value.stderr}`);
  return { ms, dir };
}

function synthTimes() {
  const outdir = fs.mkdtempSync(path.join(scratch, 'cdkout-'));
  const synth = () => timed(() => {
    AssetStaging.clearAssetHashCache();
    const app = new App({ outdir });
    new VectorDbLayer(new Stack(app, 'Bench'), 'Layer', { sdk: VectorDbSdk.VECTORDB, version: '0.21.2', architecture: lambda.Architecture.X86_64 });
    app.synth();
  }).ms;
  return { firstMs: synth(), secondMs: synth() };
}

const results: Record<string, unknown>[] = [];
for (const spec of SPECS) {
  const name = `${spec.sdk} ${spec.version} ${spec.architecture}`;
  log(`== ${name}`);
  const cold = ours(spec, fs.mkdtempSync(path.join(scratch, 'cache-')));
  const warm = Array.from({ length: RUNS }, () => ours(spec));
  const plainCold = plain(spec, fs.mkdtempSync(path.join(scratch, 'cache-')));
  const plainWarm = Array.from({ length: RUNS }, () => plain(spec));
  const oursBytes = measureDir(warm[0].dir);
  const plainBytes = measureDir(plainWarm[0].dir);
  const oursZip = zippedBytes(warm[0].dir);
  const plainZip = zippedBytes(plainWarm[0].dir);
  const row = {
    sdk: spec.sdk,
    version: spec.version,
    architecture: spec.architecture,
    oursUnzippedBytes: oursBytes,
    oursZippedBytes: oursZip,
    plainUnzippedBytes: plainBytes,
    plainZippedBytes: plainZip,
    unzippedRatio: +(oursBytes / plainBytes).toFixed(3),
    zippedRatio: +(oursZip / plainZip).toFixed(3),
    oursColdMs: Math.round(cold.ms),
    oursWarmMs: stats(warm.map((w) => Math.round(w.ms))),
    plainColdMs: Math.round(plainCold.ms),
    plainWarmMs: stats(plainWarm.map((w) => Math.round(w.ms))),
  };
  results.push(row);
  log(JSON.stringify(row));
  for (const d of [cold, ...warm, plainCold, ...plainWarm]) fs.rmSync(d.dir, { recursive: true, force: true });
}
const synth = synthTimes();
log(`synth vectordb 0.21.2: first ${Math.round(synth.firstMs)} ms, second into the same cdk.out ${Math.round(synth.secondMs)} ms`);

const mb = (b: number) => (b / 1e6).toFixed(1);
const lines = [
  '| SDK | version | arch | ours unzipped MB | plain unzipped MB | ratio | ours zipped MB | plain zipped MB | ratio | ours build cold / warm (median) s | plain cold / warm s |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map((r: any) => `| ${r.sdk} | ${r.version} | ${r.architecture} | ${mb(r.oursUnzippedBytes)} | ${mb(r.plainUnzippedBytes)} | ${r.unzippedRatio} | ${mb(r.oursZippedBytes)} | ${mb(r.plainZippedBytes)} | ${r.zippedRatio} | ${(r.oursColdMs / 1000).toFixed(1)} / ${(r.oursWarmMs.median / 1000).toFixed(1)} | ${(r.plainColdMs / 1000).toFixed(1)} / ${(r.plainWarmMs.median / 1000).toFixed(1)} |`),
  '',
  `Synth of one VectorDbLayer (vectordb 0.21.2): first ${(synth.firstMs / 1000).toFixed(1)} s, second into the same cdk.out ${(synth.secondMs / 1000).toFixed(2)} s (${(100 * synth.secondMs / synth.firstMs).toFixed(0)}%).`,
];
process.stdout.write(`${lines.join('\n')}\n`);
fs.writeFileSync(path.join(__dirname, 'layer-results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runs: RUNS, results, synth }, null, 2)}\n`);
fs.writeFileSync(path.join(__dirname, 'layer-results.md'), `${lines.join('\n')}\n`);
fs.rmSync(scratch, { recursive: true, force: true });
