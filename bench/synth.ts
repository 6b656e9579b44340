/**
 * Synth cost of VectorDbFunction stacks sharing one layer: 1, 10, 20 and 50
 * functions, first synth (layer built) and a second synth into the same
 * cdk.out (layer reused), with the number of layer builds counted.
 * Writes bench/synth-results.{md,json}.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { VectorDbFunction } from '../src';
import { recipe } from '../src/private/recipe';

const RUNS = Number(process.env.RUNS ?? 3);
const COUNTS = [1, 10, 20, 50];
const entry = path.join(__dirname, '..', 'test', 'fixtures', 'fn', 'handler.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-synth-'));

let builds = 0;
const original = recipe.buildLayer.bind(recipe);
(recipe as { buildLayer: typeof recipe.buildLayer }).buildLayer = (options) => {
  builds++;
  return original({ ...options, log: () => undefined });
};

function synth(outdir: string, functions: number): number {
  const start = process.hrtime.bigint();
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bench');
  for (let i = 0; i < functions; i++) new VectorDbFunction(stack, `Fn${i}`, { entry });
  app.synth();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const rows = [];
for (const n of COUNTS) {
  const first: number[] = [];
  const second: number[] = [];
  const buildCounts: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const outdir = fs.mkdtempSync(path.join(scratch, 'out-'));
    builds = 0;
    first.push(synth(outdir, n));
    second.push(synth(outdir, n));
    buildCounts.push(builds);
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const row = {
    functions: n,
    firstMs: { median: Math.round(median(first)), min: Math.round(Math.min(...first)), max: Math.round(Math.max(...first)) },
    secondMs: { median: Math.round(median(second)), min: Math.round(Math.min(...second)), max: Math.round(Math.max(...second)) },
    secondOverFirst: +(median(second.map((s, i) => s / first[i]))).toFixed(3),
    layerBuildsPerTwoSynths: Math.max(...buildCounts),
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
const lines = [
  '| functions | first synth s (median, min-max) | second synth s | second / first | layer builds for both synths |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.functions} | ${(r.firstMs.median / 1000).toFixed(2)} (${(r.firstMs.min / 1000).toFixed(2)}-${(r.firstMs.max / 1000).toFixed(2)}) | ${(r.secondMs.median / 1000).toFixed(2)} (${(r.secondMs.min / 1000).toFixed(2)}-${(r.secondMs.max / 1000).toFixed(2)}) | ${r.secondOverFirst} | ${r.layerBuildsPerTwoSynths} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
fs.writeFileSync(path.join(__dirname, 'synth-results.json'), `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, rows }, null, 2)}\n`);
fs.writeFileSync(path.join(__dirname, 'synth-results.md'), `${lines.join('\n')}\n`);
fs.rmSync(scratch, { recursive: true, force: true });
