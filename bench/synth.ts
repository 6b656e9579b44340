/**
 * Synth cost of VectorDbFunction stacks sharing one layer: 1, 10, 20 and 50
 * functions (the default layer, vectordb 0.21.2 x86_64), a first synth into an
 * empty cdk.out (the layer is built) and a second one into the same cdk.out
 * (the layer is reused), counting the layer builds of each (localBuildCount(),
 * the recipe commands this process started). The machine-wide layer cache is
 * off (CDK_VECTORDB_LAYER_CACHE=off): bench/cache.ts measures it.
 *
 * Part of `npx projen bench` (bench/run.ts); alone:
 *   ts-node --transpile-only --project tsconfig.dev.json bench/synth.ts [out.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { log, ratioStat, run, RUNS, stat, Stat, timed, tsNodeChild, writePart } from './common';
import { VectorDbFunction } from '../src';
import { localBuildCount } from '../src/private/layer/local-build';

export const FUNCTION_COUNTS = [1, 10, 20, 50];
/** Function counts also measured as whole processes. */
export const PROCESS_COUNTS = [50];
const entry = path.join(__dirname, '..', 'test', 'fixtures', 'fn', 'handler.js');

export interface SynthRow {
  readonly functions: number;
  readonly firstMs: Stat;
  readonly secondMs: Stat;
  /** second / first, pair by pair (same cdk.out). */
  readonly secondOverFirst: Stat;
  /** Layer builds in the first and in the second synth (the most seen in any run). */
  readonly layerBuildsFirst: number;
  readonly layerBuildsSecond: number;
  /** Whether every run saw the same counts. */
  readonly buildCountsStable: boolean;
  /**
   * The same two synths, each as a whole new process (node + ts-node + aws-cdk-lib
   * loading + the app + synth), as `cdk synth` runs an app; wall time.
   */
  readonly process?: { firstMs: Stat; secondMs: Stat; secondOverFirst: Stat; layerBuildsFirst: number; layerBuildsSecond: number };
}

export interface SynthPart {
  readonly date: string;
  readonly runs: number;
  readonly rows: SynthRow[];
}

/**
 * This part measures what a cdk.out alone gives (the layer built into an empty
 * cdk.out, reused from the same cdk.out): the machine-wide layer cache is off,
 * here and in the child processes, which inherit this environment. bench/cache.ts
 * measures the cache.
 */
function cacheOff(): void {
  process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
}

/** One synth of a stack of `functions` VectorDbFunctions; returns its time and the layer builds it did. */
function synth(outdir: string, functions: number): { ms: number; builds: number } {
  cacheOff();
  const before = localBuildCount();
  const { ms } = timed(() => {
    // A new process would start with an empty hash cache: so does every synth here.
    AssetStaging.clearAssetHashCache();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bench');
    for (let i = 0; i < functions; i++) new VectorDbFunction(stack, `Fn${i}`, { entry });
    app.synth();
  });
  return { ms, builds: localBuildCount() - before };
}

/** One synth in a new process: wall time, and the layer builds the child counted. */
function synthProcess(outdir: string, functions: number): { ms: number; builds: number } {
  const child = tsNodeChild(__filename, ['--synth-once', outdir, String(functions)]);
  const { ms, value } = timed(() => run(child.file, child.args, { env: child.env }));
  return { ms, builds: (JSON.parse(value.stdout) as { builds: number }).builds };
}

function processRow(scratch: string, n: number): SynthRow['process'] {
  const first: number[] = [];
  const second: number[] = [];
  const counts: Array<[number, number]> = [];
  for (let r = 0; r < RUNS; r++) {
    const outdir = fs.mkdtempSync(path.join(scratch, 'proc-'));
    const a = synthProcess(outdir, n);
    const b = synthProcess(outdir, n);
    first.push(a.ms);
    second.push(b.ms);
    counts.push([a.builds, b.builds]);
    fs.rmSync(outdir, { recursive: true, force: true });
    log(`synth ${n} functions as a process, run ${r + 1}/${RUNS}: first ${a.ms.toFixed(0)} ms (${a.builds} layer builds), second ${b.ms.toFixed(0)} ms (${b.builds})`);
  }
  return {
    firstMs: stat(first, 0),
    secondMs: stat(second, 0),
    secondOverFirst: ratioStat(second, first),
    layerBuildsFirst: Math.max(...counts.map((c) => c[0])),
    layerBuildsSecond: Math.max(...counts.map((c) => c[1])),
  };
}

export function runSynthBench(): SynthPart {
  cacheOff();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-synth-'));
  try {
    // Load and JIT aws-cdk-lib and esbuild once, so the first measured synth is not also the process's first.
    synth(fs.mkdtempSync(path.join(scratch, 'warmup-')), 1);
    const rows: SynthRow[] = [];
    for (const n of FUNCTION_COUNTS) {
      const first: number[] = [];
      const second: number[] = [];
      const counts: Array<[number, number]> = [];
      for (let r = 0; r < RUNS; r++) {
        const outdir = fs.mkdtempSync(path.join(scratch, 'out-'));
        const a = synth(outdir, n);
        const b = synth(outdir, n);
        first.push(a.ms);
        second.push(b.ms);
        counts.push([a.builds, b.builds]);
        fs.rmSync(outdir, { recursive: true, force: true });
        log(`synth ${n} functions run ${r + 1}/${RUNS}: first ${a.ms.toFixed(0)} ms (${a.builds} layer builds), second ${b.ms.toFixed(0)} ms (${b.builds})`);
      }
      rows.push({
        functions: n,
        firstMs: stat(first, 0),
        secondMs: stat(second, 0),
        secondOverFirst: ratioStat(second, first),
        layerBuildsFirst: Math.max(...counts.map((c) => c[0])),
        layerBuildsSecond: Math.max(...counts.map((c) => c[1])),
        buildCountsStable: counts.every((c) => c[0] === counts[0][0] && c[1] === counts[0][1]),
        process: PROCESS_COUNTS.includes(n) ? processRow(scratch, n) : undefined,
      });
    }
    return { date: new Date().toISOString(), runs: RUNS, rows };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv[2] === '--synth-once') {
    process.stdout.write(JSON.stringify(synth(process.argv[3], Number(process.argv[4]))));
  } else {
    writePart(runSynthBench());
  }
}
