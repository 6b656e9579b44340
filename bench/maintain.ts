/**
 * A maintenance run on a table grown as Lambda writers grow one: 50,000
 * rows of 128 dimensions appended in 500 batches of 100 (500 fragments, 500
 * versions), @lancedb/lancedb 0.39.0 from a real layer, in a folder the
 * function shares (the EFS case). The run is the maintenance handler
 * (src/maintenance-handler) in a VectorDbFunction, run by the local invoker
 * on the Node.js major of its runtime in a new execution environment, with
 * `cleanupOlderThanSeconds: 0` (every version older than the run is pruned).
 *
 * Measured before and after, in the same run: fragments, versions, bytes and
 * files of the table's folder, the 20 fixed queries' exact nearest
 * neighbours (ids and distances, `bypassVectorIndex`) and their median
 * latency; after: the same through the index (its plan shows it is used),
 * recall@10 against exact search; bytes, files and versions again after the
 * next run (which deletes the files compaction replaced); the run's time per step (index build,
 * optimize) and the function's peak RSS (what its memory size must hold).
 *
 * Part of `npx projen bench` (bench/run.ts); alone:
 *   ts-node --transpile-only --project tsconfig.dev.json bench/maintain.ts [out.json]
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, AssetStaging, Duration, Stack } from 'aws-cdk-lib';
import { functionNode, log, RUNS, stat, Stat, writePart } from './common';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../src';
import { findFunction, localInvoke } from '../src/invoke/local-invoke';
import type { MaintenanceReport } from '../src/runtime/maintenance';
import { storeFigures } from '../src/runtime/maintenance-store';
import { appendInBatches, lancedbFrom, medianOf, nearest, plan, queryVectors, recall } from '../test/support/vector-workload';

/**
 * The table's shape. `BENCH_MAINTAIN_BATCH_SIZE` scales the rows (500 batches
 * each way) to find how far one run goes: a trial, never the recorded results.
 */
export const MAINTAIN_SHAPE = {
  batches: 500,
  batchSize: Number(process.env.BENCH_MAINTAIN_BATCH_SIZE ?? 100),
  dimension: 128,
  queries: 20,
  k: 10,
} as const;
if (!Number.isInteger(MAINTAIN_SHAPE.batchSize) || MAINTAIN_SHAPE.batchSize < 1) {
  throw new Error(`BENCH_MAINTAIN_BATCH_SIZE must be a whole number of rows per batch, got ${JSON.stringify(process.env.BENCH_MAINTAIN_BATCH_SIZE)}`);
}
const SDK = { sdk: '@lancedb/lancedb', version: '0.39.0' } as const;
const SHARED_ROOT = path.join(__dirname, '..', '.tmp');
const HANDLER = path.join(__dirname, '..', 'src', 'maintenance-handler', 'index.ts');

/** Figures of one side (before or after the run). */
export interface MaintainSide {
  readonly fragments: Stat;
  readonly versions: Stat;
  readonly bytes: Stat;
  readonly files: Stat;
  /** Median of the 20 queries' exact search, ms. */
  readonly exactMedianMs: Stat;
}

export interface MaintainPart {
  readonly sdk: string;
  readonly version: string;
  readonly rows: number;
  readonly dimension: number;
  readonly batches: number;
  readonly runs: number;
  readonly runtime?: string;
  readonly nodeVersion?: string;
  readonly nodeNote?: string;
  /** Appending the 500 batches (in the bench's process), ms. */
  readonly appendMs: Stat;
  readonly before: MaintainSide;
  readonly after: MaintainSide;
  /**
   * After the next run: LanceDB deletes the files compaction replaced only
   * once the compaction's own version is older than the cutoff, so the
   * bytes fall in the run after the one that compacted.
   */
  readonly afterNext: { readonly versions: Stat; readonly bytes: Stat; readonly files: Stat };
  /** after / before, run by run. */
  readonly ratios: {
    readonly fragments: Stat;
    readonly versions: Stat;
    readonly bytes: Stat;
    readonly bytesAfterNext: Stat;
    readonly exactLatency: Stat;
    readonly indexedOverExactBefore: Stat;
  };
  /** Median of the 20 queries through the index, ms. */
  readonly indexedMedianMs: Stat;
  readonly recallAt10: Stat;
  /** The index is in every run's query plan (ANNSubIndex, IVF partitions). */
  readonly indexUsed: boolean;
  /** Every run: the same ids and distances (to 1e-4) for the 20 queries before and after. */
  readonly sameNeighbours: boolean;
  readonly indexParameters: { readonly numPartitions: number; readonly numSubVectors: number };
  /** The run (the handler's maintain), its index build and its optimize, ms. */
  readonly runMs: Stat;
  readonly indexBuildMs: Stat;
  readonly optimizeMs: Stat;
  /** The invoke as the invoker timed it, ms. */
  readonly invokeMs: Stat;
  /** The function's peak RSS (its process, Node.js and the SDK included), MB. */
  readonly peakRssMb: Stat;
  /** A second run right after: nothing to do. */
  readonly idleRunMs: Stat;
  readonly idleWroteNothing: boolean;
}

function synth(outdir: string): void {
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchMaintain');
  new VectorDbFunction(stack, 'Maintain', {
    entry: HANDLER,
    layer: new VectorDbLayer(stack, 'Layer', { sdk: VectorDbSdk.LANCEDB, version: SDK.version }),
    timeout: Duration.minutes(15),
    memorySize: 3008,
    environment: { VECTORDB_MAINTENANCE: JSON.stringify({ cleanupOlderThanSeconds: 0, vectorIndex: { mode: 'auto' } }) },
  });
  app.synth();
}

function layerDir(outdir: string): string {
  const dirs = fs.readdirSync(outdir).map((n) => path.join(outdir, n)).filter((d) => fs.existsSync(path.join(d, 'nodejs', 'vectordb-layer.json')));
  if (dirs.length !== 1) throw new Error(`expected one layer in ${outdir}, found ${dirs.length}`);
  return dirs[0];
}

interface OneRun {
  appendMs: number;
  before: { fragments: number; versions: number; bytes: number; files: number; exactMedianMs: number };
  after: { fragments: number; versions: number; bytes: number; files: number; exactMedianMs: number };
  afterNext: { versions: number; bytes: number; files: number };
  indexedMedianMs: number;
  recall: number;
  indexUsed: boolean;
  same: boolean;
  params: { numPartitions: number; numSubVectors: number };
  runMs: number;
  indexBuildMs: number;
  optimizeMs: number;
  invokeMs: number;
  peakRssMb: number;
  idleRunMs: number;
  idleWroteNothing: boolean;
  nodeVersion: string;
}

async function oneRun(cdkOut: string, lancedb: any, node: string, i: number): Promise<OneRun> {
  const { batches, batchSize, dimension, queries: nq, k } = MAINTAIN_SHAPE;
  const dbDir = fs.mkdtempSync(path.join(SHARED_ROOT, 'bench-maintain-'));
  try {
    const db = await lancedb.connect(dbDir);
    const t0 = performance.now();
    const table = await appendInBatches(db, 'docs', { batches, batchSize, dimension, seed: 1 });
    const appendMs = performance.now() - t0;
    const tableDir = path.join(dbDir, 'docs.lance');
    const queries = queryVectors(nq, dimension);
    const store0 = storeFigures(tableDir)!;
    const exact0 = await nearest(table, queries, k, true);
    const side = async (t: any, store: { bytes: number; files: number }, ms: number[]) => ({
      fragments: (await t.stats()).fragmentStats.numFragments as number,
      versions: (await t.listVersions()).length as number,
      bytes: store.bytes,
      files: store.files,
      exactMedianMs: medianOf(ms),
    });
    const before = await side(table, store0, exact0.ms);
    log(`maintain run ${i + 1}: appended ${batches} x ${batchSize} rows in ${(appendMs / 1000).toFixed(1)} s; ${before.fragments} fragments, ${before.versions} versions, ${(before.bytes / 1e6).toFixed(1)} MB; exact median ${before.exactMedianMs.toFixed(1)} ms`);

    const invoke = (): ReturnType<typeof localInvoke> => localInvoke({ cdkOut, functionId: 'BenchMaintain/Maintain', env: { VECTORDB_URI: dbDir }, sharedDirs: [dbDir], node, timeoutSeconds: 900 });
    const r = await invoke();
    if (r.error) throw new Error(`the maintenance run failed: ${r.error.errorMessage}\n${r.logs.slice(-2000)}`);
    const report = r.result as unknown as MaintenanceReport;
    const t = report.tables[0];
    if (report.status !== 'done' || t.status !== 'done') throw new Error(`the maintenance run did not finish: ${JSON.stringify(report).slice(0, 2000)}`);

    const after0 = await db.openTable('docs');
    const store1 = storeFigures(tableDir)!;
    const exact1 = await nearest(after0, queries, k, true);
    const indexed = await nearest(after0, queries, k, false);
    const same = exact1.results.every((n, q) => JSON.stringify(n.ids) === JSON.stringify(exact0.results[q].ids)
      && n.distances.every((d, j) => Math.abs(d - exact0.results[q].distances[j]) < 1e-4));
    const after = await side(after0, store1, exact1.ms);
    const indexUsed = /ANNSubIndex[\s\S]*ANNIvfPartition/.test(await plan(after0, queries[0], k));

    // The next run prunes the first run's own commits and the files compaction replaced.
    const drain = await invoke();
    if (drain.error) throw new Error(`the second maintenance run failed: ${drain.error.errorMessage}`);
    const drained = await db.openTable('docs');
    const store2 = storeFigures(tableDir)!;
    const afterNext = { versions: (await drained.listVersions()).length as number, bytes: store2.bytes, files: store2.files };
    // Each run keeps the versions it made (newer than its cutoff): runs until one prunes nothing, then one with nothing to do.
    for (let n = 0; n < 3; n++) {
      const more = await invoke();
      if (more.error) throw new Error(`a maintenance run failed: ${more.error.errorMessage}`);
      if (((more.result as unknown as MaintenanceReport).tables[0].prune?.oldVersionsRemoved ?? 0) === 0) break;
    }
    const version = await (await db.openTable('docs')).version();
    const files = fs.readdirSync(dbDir, { recursive: true }).map(String).sort().join('\n');
    const idle = await invoke();
    if (idle.error) throw new Error(`the idle maintenance run failed: ${idle.error.errorMessage}`);
    const idleReport = idle.result as unknown as MaintenanceReport;
    const idleWroteNothing = (await (await db.openTable('docs')).version()) === version && fs.readdirSync(dbDir, { recursive: true }).map(String).sort().join('\n') === files;

    const one: OneRun = {
      appendMs,
      before,
      after,
      afterNext,
      indexedMedianMs: medianOf(indexed.ms),
      recall: recall(exact1.results, indexed.results),
      indexUsed,
      same,
      params: { numPartitions: t.index.numPartitions ?? 0, numSubVectors: t.index.numSubVectors ?? 0 },
      runMs: report.durationMs,
      indexBuildMs: t.index.buildMs ?? 0,
      optimizeMs: t.stepMs.optimize ?? 0,
      invokeMs: r.invokeMs[0],
      peakRssMb: report.peakRssMb,
      idleRunMs: idleReport.durationMs,
      idleWroteNothing,
      nodeVersion: r.nodeVersion,
    };
    log(`maintain run ${i + 1}: ${JSON.stringify(one)}`);
    return one;
  } finally {
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(SHARED_ROOT, { recursive: true });
  const cdkOut = fs.mkdtempSync(path.join(SHARED_ROOT, 'bench-maintain-out-'));
  try {
    synth(cdkOut);
    const lancedb = lancedbFrom(layerDir(cdkOut));
    const runtime = findFunction(cdkOut, 'BenchMaintain/Maintain').runtime;
    const { node, note: nodeNote } = functionNode(runtime);
    const runs: OneRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await oneRun(cdkOut, lancedb, node, i));
    const s = (f: (r: OneRun) => number, digits = 1) => stat(runs.map(f), digits);
    const side = (pick: (r: OneRun) => OneRun['before']): MaintainSide => ({
      fragments: s((r) => pick(r).fragments, 0),
      versions: s((r) => pick(r).versions, 0),
      bytes: s((r) => pick(r).bytes, 0),
      files: s((r) => pick(r).files, 0),
      exactMedianMs: s((r) => pick(r).exactMedianMs, 2),
    });
    const part: MaintainPart = {
      ...SDK,
      rows: MAINTAIN_SHAPE.batches * MAINTAIN_SHAPE.batchSize,
      dimension: MAINTAIN_SHAPE.dimension,
      batches: MAINTAIN_SHAPE.batches,
      runs: RUNS,
      runtime,
      nodeVersion: runs[0].nodeVersion,
      ...(nodeNote ? { nodeNote } : {}),
      appendMs: s((r) => r.appendMs, 0),
      before: side((r) => r.before),
      after: side((r) => r.after),
      afterNext: { versions: s((r) => r.afterNext.versions, 0), bytes: s((r) => r.afterNext.bytes, 0), files: s((r) => r.afterNext.files, 0) },
      ratios: {
        fragments: s((r) => r.after.fragments / r.before.fragments, 4),
        versions: s((r) => r.after.versions / r.before.versions, 4),
        bytes: s((r) => r.after.bytes / r.before.bytes, 3),
        bytesAfterNext: s((r) => r.afterNext.bytes / r.before.bytes, 3),
        exactLatency: s((r) => r.after.exactMedianMs / r.before.exactMedianMs, 3),
        indexedOverExactBefore: s((r) => r.indexedMedianMs / r.before.exactMedianMs, 3),
      },
      indexedMedianMs: s((r) => r.indexedMedianMs, 2),
      recallAt10: s((r) => r.recall, 3),
      indexUsed: runs.every((r) => r.indexUsed),
      sameNeighbours: runs.every((r) => r.same),
      indexParameters: runs[0].params,
      runMs: s((r) => r.runMs, 0),
      indexBuildMs: s((r) => r.indexBuildMs, 0),
      optimizeMs: s((r) => r.optimizeMs, 0),
      invokeMs: s((r) => r.invokeMs, 0),
      peakRssMb: s((r) => r.peakRssMb, 0),
      idleRunMs: s((r) => r.idleRunMs, 0),
      idleWroteNothing: runs.every((r) => r.idleWroteNothing),
    };
    writePart(part);
  } finally {
    fs.rmSync(cdkOut, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
