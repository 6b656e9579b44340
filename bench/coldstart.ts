/**
 * Cold start and warm queries through the local invoker (the real AWS Lambda
 * runtime interface client, Lambda's layout and NODE_PATH), for the example
 * app's `search` function (examples/app.ts, location tmp) with our layer and
 * with the hand-made layer (a plain `npm install <sdk>@<version>`, swapped in
 * by `layerDirs`), on a 10,000-row table of 768-dimension vectors ingested once
 * through the example's `ingest` function.
 *
 * The example handlers load the SDK on their first invoke (connect() requires
 * it then), not at module load: `init` is the runtime plus the handler bundle,
 * the first invoke is SDK load + connect + open + search. `require` is the SDK
 * alone, `require(sdk)` in a new node with NODE_PATH at the layer. Each run
 * starts COLD_STARTS (default 5) execution environments per layout and
 * measures require(sdk) 15 times per layout, ours and plain taking turns, and
 * reports the medians.
 *
 * Part of `npx projen bench` (bench/run.ts); alone:
 *   ts-node --transpile-only --project tsconfig.dev.json bench/coldstart.ts [out.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging } from 'aws-cdk-lib';
import { functionNode, log, median, percentile, plainInstall, ratioStat, run, RUNS, stat, Stat, timed, writePart } from './common';
import { ExampleStack } from '../examples/app';
import { syntheticRows } from '../examples/handlers/ingest';
import { VectorDbSdk } from '../src';
import { findFunction, InvokeResult, localInvoke } from '../src/invoke/local-invoke';

export const ROWS = 10000;
export const DIMENSIONS = 768;
export const WARM_INVOKES = 50;
/** New execution environments per layout in each run (env COLD_STARTS, default 5); a run's cold figures are their median. */
/** require(sdk) measurements per layout in each run (a run's figure is their median). */
export const REQUIRE_SAMPLES = 15;
export const COLD_STARTS = (() => {
  const n = Number(process.env.COLD_STARTS ?? 5);
  if (!Number.isInteger(n) || n < 1) throw new Error(`COLD_STARTS must be a whole number >= 1, got ${process.env.COLD_STARTS}`);
  return n;
})();
const SEED = 42;
/** Where the shared database folders go: outside /tmp (the repository's .tmp/, ignored by git). */
const SHARED_ROOT = path.join(__dirname, '..', '.tmp');
const TARGET = 123;

export interface LayoutStats {
  /** Runtime start to the first request for an event: the runtime client and the handler bundle. */
  readonly initMs: Stat;
  /** The first invoke: loading the SDK from the layer, connect, open the table, search. */
  readonly firstInvokeMs: Stat;
  /** init + first invoke: the cold start a caller waits for. */
  readonly coldMs: Stat;
  /** require(sdk) alone in a new node, NODE_PATH at the layer. */
  readonly requireMs: Stat;
  /** Of the 50 warm invokes after the first, per run. */
  readonly warmP50Ms: Stat;
  readonly warmP95Ms: Stat;
  /** The invoker linking (or copying) the function and layer into its layout (not part of init; Lambda's own unpacking is not measured here). */
  readonly layoutMs: Stat;
}

export interface ColdStartRow {
  readonly sdk: string;
  readonly version: string;
  readonly runtime: string;
  readonly rows: number;
  readonly dimensions: number;
  readonly ingestMs: number;
  readonly ours: LayoutStats;
  readonly plain: LayoutStats;
  /** ours / plain, pair by pair in the same run. */
  readonly ratios: { initMs: Stat; firstInvokeMs: Stat; coldMs: Stat; requireMs: Stat; warmP50Ms: Stat; warmP95Ms: Stat };
  readonly runtimeClient: string;
  /** The Node.js that ran the function (the runtime's own major unless nodeNote says why not). */
  readonly nodeVersion?: string;
  readonly nodeNote?: string;
  readonly warnings: string[];
}

export interface ColdStartPart {
  readonly date: string;
  readonly runs: number;
  /** Cold starts per layout in each run. */
  readonly coldStartsPerRun: number;
  /** require(sdk) measurements per layout in each run. */
  readonly requireSamplesPerRun: number;
  readonly rows: ColdStartRow[];
}

interface Sample {
  initMs: number;
  firstInvokeMs: number;
  coldMs: number;
  requireMs: number;
  warmP50Ms: number;
  warmP95Ms: number;
  layoutMs: number;
}

function check(what: string, r: InvokeResult): void {
  if (r.error) {
    throw new Error(`${what} failed (${r.errorPhase}): ${r.error.errorType}: ${r.error.errorMessage}\n${r.logs.split('\n').slice(-20).join('\n')}`);
  }
}

function requireMs(node: string, sdk: string, layerDir: string, scratch: string): number {
  const cwd = fs.mkdtempSync(path.join(scratch, 'require-'));
  try {
    const code = 'const { performance } = require("perf_hooks"); const t = performance.now(); require(process.argv[1]); process.stdout.write(String(performance.now() - t));';
    const r = run(node, ['-e', code, sdk], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(layerDir, 'nodejs', 'node_modules'), HOME: cwd },
    });
    return Number(r.stdout);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

const summarise = (samples: Sample[], key: keyof Sample) => stat(samples.map((s) => s[key]));

export async function runColdStartBench(): Promise<ColdStartPart> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-cold-'));
  const cdkOut = path.join(scratch, 'cdk.out');
  const rows: ColdStartRow[] = [];
  // The layers are built into this cdk.out, as before the machine-wide cache: where a layer came
  // from does not change how it loads, and nothing is left in a cache folder.
  process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
  try {
    AssetStaging.clearAssetHashCache();
    const { ms: synthMs, value: stacks } = timed(() => {
      const app = new App({ outdir: cdkOut });
      const both = [
        new ExampleStack(app, 'BenchVectordb'),
        new ExampleStack(app, 'BenchLancedb', { sdk: VectorDbSdk.LANCEDB }),
      ];
      app.synth();
      return both;
    });
    log(`cold start: synthesized the example app for ${stacks.map((s) => `${s.layer.sdk.packageName} ${s.layer.version}`).join(' and ')} (layers built) in ${synthMs.toFixed(0)} ms`);

    const query = syntheticRows(TARGET + 1, DIMENSIONS, SEED)[TARGET].vector.map((x, i) => x + (i % 2 === 0 ? 0.001 : -0.001));
    const events = Array.from({ length: WARM_INVOKES + 1 }, () => ({ vector: query, k: 5 }));

    for (const stack of stacks) {
      const sdk = stack.layer.sdk.packageName;
      const version = stack.layer.version;
      const name = `${sdk} ${version}`;
      const searchId = `${stack.stackName}/search`;
      const fn = findFunction(cdkOut, searchId);
      // The function runs on its runtime's own Node.js major, as on Lambda.
      const { node, note: nodeNote } = functionNode(fn.runtime);
      const layer = fn.layers[0];
      if (!layer?.logicalId || !layer.assetPath || !fs.existsSync(path.join(layer.assetPath, 'nodejs'))) {
        throw new Error(`${searchId}: its first layer is not our layer folder in cdk.out`);
      }
      const oursDir = layer.assetPath;
      const plainDir = plainInstall(sdk, version, path.join(scratch, `plain-${stack.stackName}`)).dir;

      // The database: a folder outside /tmp that every execution environment shares, as an EFS
      // mount is (each environment's /tmp is its own), ingested once through our layer.
      fs.mkdirSync(SHARED_ROOT, { recursive: true });
      const dbDir = fs.mkdtempSync(path.join(SHARED_ROOT, 'bench-db-'));
      const env = { VECTORDB_URI: dbDir };
      const sharedDirs = [dbDir];
      const ingest = await localInvoke({
        cdkOut,
        functionId: `${stack.stackName}/ingest`,
        event: { generate: { count: ROWS, dimensions: DIMENSIONS, seed: SEED } },
        env,
        sharedDirs,
        timeoutSeconds: 600,
        initTimeoutSeconds: 60,
        node,
      });
      check(`${name} ingest`, ingest);
      if ((ingest.result as { total?: number }).total !== ROWS) throw new Error(`${name} ingest: expected ${ROWS} rows, got ${JSON.stringify(ingest.result)}`);
      log(`${name}: ingested ${ROWS} x ${DIMENSIONS} in ${ingest.invokeMs[0].toFixed(0)} ms`);

      const samples = { ours: [] as Sample[], plain: [] as Sample[] };
      const warnings = new Set<string>();
      let runtimeClient = '';
      try {
        const invokeSearch = async (kind: 'ours' | 'plain', searchEvents: unknown[]) => {
          const r = await localInvoke({
            cdkOut,
            functionId: searchId,
            events: searchEvents,
            env,
            sharedDirs,
            layerDirs: kind === 'plain' ? { [layer.logicalId!]: plainDir } : undefined,
            node,
          });
          check(`${name} search (${kind})`, r);
          return r;
        };
        // One discarded invoke of each first: the runtime client, node and the table's files are then equally warm for both.
        for (const kind of ['ours', 'plain'] as const) await invokeSearch(kind, events.slice(0, 1));
        for (let r = 0; r < RUNS; r++) {
          // A run is COLD_STARTS new execution environments per layout, ours and plain taking turns
          // (who goes first alternates), so that both meet the same machine; the run's figure is
          // their median. The first of each layout also carries the 50 warm invokes.
          const raw = { ours: [] as Sample[], plain: [] as Sample[] };
          for (let k = 0; k < COLD_STARTS; k++) {
            const order: Array<'ours' | 'plain'> = (r + k) % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
            for (const kind of order) {
              const res = await invokeSearch(kind, k === 0 ? events : events.slice(0, 1));
              const nearest = (res.result as { neighbours: Array<{ id: number }> }).neighbours[0]?.id;
              if (nearest !== TARGET) throw new Error(`${name} search (${kind}): expected row ${TARGET} nearest, got ${nearest}`);
              runtimeClient = res.runtimeClient;
              res.warnings.forEach((w) => warnings.add(w));
              const warm = res.invokeMs.slice(1);
              raw[kind].push({
                initMs: res.initMs,
                firstInvokeMs: res.invokeMs[0],
                coldMs: res.initMs + res.invokeMs[0],
                requireMs: NaN,
                warmP50Ms: k === 0 ? percentile(warm, 50) : NaN,
                warmP95Ms: k === 0 ? percentile(warm, 95) : NaN,
                layoutMs: res.layoutMs,
              });
            }
          }
          // require(sdk) alone, apart from the invokes (whose layout copies keep the disk busy), taking turns too.
          const requires = { ours: [] as number[], plain: [] as number[] };
          for (let k = 0; k < REQUIRE_SAMPLES; k++) {
            const order: Array<'ours' | 'plain'> = (r + k) % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
            for (const kind of order) requires[kind].push(requireMs(node, sdk, kind === 'ours' ? oursDir : plainDir, scratch));
          }
          for (const kind of ['ours', 'plain'] as const) {
            const xs = raw[kind];
            const med = (key: keyof Sample) => median(xs.map((v) => v[key]).filter((v) => !Number.isNaN(v)));
            const sample: Sample = {
              initMs: med('initMs'),
              firstInvokeMs: med('firstInvokeMs'),
              coldMs: med('coldMs'),
              requireMs: median(requires[kind]),
              warmP50Ms: med('warmP50Ms'),
              warmP95Ms: med('warmP95Ms'),
              layoutMs: med('layoutMs'),
            };
            samples[kind].push(sample);
            log(`${name} run ${r + 1}/${RUNS} ${kind} (median of ${COLD_STARTS} cold starts): init ${sample.initMs.toFixed(1)} ms, first invoke ${sample.firstInvokeMs.toFixed(1)} ms, `
              + `require ${sample.requireMs.toFixed(1)} ms, warm p50 ${sample.warmP50Ms.toFixed(1)} ms, p95 ${sample.warmP95Ms.toFixed(1)} ms`);
          }
        }
      } finally {
        fs.rmSync(dbDir, { recursive: true, force: true });
        fs.rmSync(plainDir, { recursive: true, force: true });
      }
      const layoutStats = (xs: Sample[]): LayoutStats => ({
        initMs: summarise(xs, 'initMs'),
        firstInvokeMs: summarise(xs, 'firstInvokeMs'),
        coldMs: summarise(xs, 'coldMs'),
        requireMs: summarise(xs, 'requireMs'),
        warmP50Ms: summarise(xs, 'warmP50Ms'),
        warmP95Ms: summarise(xs, 'warmP95Ms'),
        layoutMs: summarise(xs, 'layoutMs'),
      });
      const ratio = (key: keyof Sample) => ratioStat(samples.ours.map((s) => s[key]), samples.plain.map((s) => s[key]));
      rows.push({
        sdk,
        version,
        runtime: fn.runtime ?? 'unknown',
        rows: ROWS,
        dimensions: DIMENSIONS,
        ingestMs: Math.round(ingest.invokeMs[0]),
        ours: layoutStats(samples.ours),
        plain: layoutStats(samples.plain),
        ratios: {
          initMs: ratio('initMs'),
          firstInvokeMs: ratio('firstInvokeMs'),
          coldMs: ratio('coldMs'),
          requireMs: ratio('requireMs'),
          warmP50Ms: ratio('warmP50Ms'),
          warmP95Ms: ratio('warmP95Ms'),
        },
        runtimeClient,
        nodeVersion: ingest.nodeVersion,
        nodeNote,
        warnings: [...warnings],
      });
    }
    return { date: new Date().toISOString(), runs: RUNS, coldStartsPerRun: COLD_STARTS, requireSamplesPerRun: REQUIRE_SAMPLES, rows };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runColdStartBench().then(writePart, (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
