/**
 * The compressed native binary (`compressBinary`) against the same layer
 * uncompressed, x86_64: layer sizes (unzipped, zipped, the binary), the cold
 * start through the local invoker (init + first invoke, in a new execution
 * environment with its own empty /tmp, so every cold start decompresses), the
 * second invoke in the same environment, and the memory and /tmp peaks of
 * `require(sdk)`. Pair by pair: both layouts take turns in every run (who
 * goes first alternates), and the ratios are compressed / uncompressed of the
 * same run. @lancedb/lancedb 0.39.0 runs on two CPUs with a 3,538 MB function
 * (Lambda's two vCPUs: the loader decodes on two threads) and on one CPU
 * (taskset 0) with a 1,769 MB one (one vCPU, one thread); vectordb 0.21.2 on
 * two.
 *
 * Both layers are built by the recipe's command (cache off); the function is
 * the example's `search` handler with the layer imported by ARN and each
 * layer folder swapped in (`layerDirs`), on a table ingested once into a
 * shared folder, as the cold start part does.
 *
 * Part of `npx projen bench` (bench/run.ts); alone:
 *   ts-node --transpile-only --project tsconfig.dev.json bench/compress.ts [out.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { COLD_STARTS } from './coldstart';
import { functionNode, log, measure, median, ratioStat, run, RUNS, stat, Stat, writePart, zippedBytes } from './common';
import { syntheticRows } from '../examples/handlers/ingest';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../src';
import { findFunction, InvokeResult, localInvoke } from '../src/invoke/local-invoke';
import { chooseCodec, nodeWritesZstd } from '../src/private/layer/codec';
import { runRecipe } from '../src/private/layer/local-build';
import { ASSETS_DIR, BuildResult } from '../src/private/layer/recipe';
import { LayerRequest, recipeArgs } from '../src/private/layer/request';

export const COMPRESS_SPECS = [
  { sdk: '@lancedb/lancedb', version: '0.39.0', cpuCases: ['0,1', '0'] },
  { sdk: 'vectordb', version: '0.21.2', cpuCases: ['0,1'] },
] as const;

/**
 * The function's memory for a CPU case, as Lambda shares CPU: one vCPU per
 * 1,769 MB. Two CPUs (taskset 0,1): 3,538 MB, so the loader decodes on two
 * threads; one CPU (taskset 0): 1,769 MB, one thread. The plain layer's
 * function is the same.
 */
const MEMORY_BY_CPUS: Record<string, number> = { '0,1': 3538, '0': 1769 };

const ROWS = 1000;
const DIMENSIONS = 128;
const SEED = 7;
const TARGET = 321;
const HANDLERS = path.join(__dirname, '..', 'examples', 'handlers');
const SHARED_ROOT = path.join(__dirname, '..', '.tmp');

export interface CompressLayout {
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
  /** The native binary as it is in the layer (compressed: the .br file). */
  readonly binaryBytes: number;
  /** Runtime start to the first request. */
  readonly initMs: Stat;
  /** The first invoke (the example handler loads the SDK there: decompression included). */
  readonly firstInvokeMs: Stat;
  /** init + first invoke: the cold start a caller waits for. */
  readonly coldMs: Stat;
  /** The second invoke in the same execution environment. */
  readonly secondInvokeMs: Stat;
  /** Peak resident memory of `node -e "require(sdk)"`, MB. */
  readonly requireMaxRssMb: Stat;
  /** What `require(sdk)` leaves in the binary folder (the decompressed binary), bytes. */
  readonly binaryDirBytes: number;
}

export interface CompressRow {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: 'x86_64';
  /** The CPUs the bench and the functions ran on (taskset), and the functions' memory (Lambda's share: one vCPU per 1,769 MB). */
  readonly cpus?: string;
  readonly memorySize?: number;
  readonly codec: string;
  readonly decompressedBytes: number;
  readonly uncompressed: CompressLayout;
  readonly compressed: CompressLayout;
  /** compressed / uncompressed: sizes, and times pair by pair in the same run. */
  readonly ratios: { unzipped: number; zipped: number; coldMs: Stat; secondInvokeMs: Stat; requireMaxRss: Stat };
  /** compressed - uncompressed cold start, ms, pair by pair: the cost compression adds to a cold start. */
  readonly addedColdMs: Stat;
  readonly runtimeClient: string;
  /** The function's runtime, and the Node.js that ran it (its own major unless nodeNote says why not). */
  readonly runtime?: string;
  readonly nodeVersion?: string;
  readonly nodeNote?: string;
}

export interface CompressPart {
  readonly date: string;
  readonly runs: number;
  readonly coldStartsPerRun: number;
  readonly rows: CompressRow[];
}

type Kind = 'uncompressed' | 'compressed';

interface Sample { initMs: number; firstInvokeMs: number; coldMs: number; secondInvokeMs: number; requireMaxRssMb: number }

function check(what: string, r: InvokeResult): void {
  if (r.error) throw new Error(`${what} failed (${r.errorPhase}): ${r.error.errorType}: ${r.error.errorMessage}\n${r.logs.split('\n').slice(-20).join('\n')}`);
}

/** require(sdk) in a new node with NODE_PATH at the layer and an empty binary folder: peak RSS (MB) and what the folder then holds. */
function requirePeak(node: string, sdk: string, layerDir: string, scratch: string): { maxRssMb: number; binaryDirBytes: number } {
  const cwd = fs.mkdtempSync(path.join(scratch, 'require-'));
  const binaryDir = path.join(cwd, 'binary');
  try {
    const code = 'require(process.argv[1]); process.stdout.write(String(process.resourceUsage().maxRSS / 1024));';
    const r = run(node, ['-e', code, sdk], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(layerDir, 'nodejs', 'node_modules'), HOME: cwd, CDK_VECTORDB_LAYER_BINARY_DIR: binaryDir },
    });
    return { maxRssMb: Number(r.stdout), binaryDirBytes: fs.existsSync(binaryDir) ? measure(binaryDir).bytes : 0 };
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/** The example's ingest and search handlers on a layer imported by ARN (its folder is given at invoke time). */
function synthFunctions(cdkOut: string, sdk: string, version: string, arn: string, memorySize: number): void {
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir: cdkOut });
  const stack = new Stack(app, 'BenchCompress');
  const layer = VectorDbLayer.fromLayerArn(stack, 'Layer', arn, { sdk: VectorDbSdk.of(sdk), version });
  for (const name of ['ingest', 'search']) {
    new VectorDbFunction(stack, name, {
      entry: path.join(HANDLERS, `${name}.ts`), layer, memorySize, projectRoot: path.join(__dirname, '..'), depsLockFilePath: path.join(__dirname, '..', 'package-lock.json'),
    });
  }
  app.synth();
}

/**
 * The compressed layer as VectorDbLayer builds it on a host whose Node.js
 * writes zstd (>= 22.15): the codec it picks (zstd where every runtime of the
 * version decodes it), the recipe run by this Node.js when it writes zstd,
 * else by the tests' Node.js 24 build (this host's Node.js 20 writes only
 * brotli).
 */
function buildCompressed(request: LayerRequest, outDir: string): BuildResult {
  const withCodec = chooseCodec(request, { inDocker: false, hostWritesZstd: true }).request;
  if (withCodec.codec !== 'zstd' || nodeWritesZstd()) return runRecipe(withCodec, outDir);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nodeBinary } = require('../test/support/platforms') as typeof import('../test/support/platforms');
  const [, script, ...args] = recipeArgs(withCodec, ASSETS_DIR, outDir);
  const r = run(nodeBinary(24, 'x86_64'), [script, ...args], { cwd: path.dirname(outDir), env: process.env });
  return JSON.parse(r.stdout) as BuildResult;
}

/** Runs `fn` with this process and every thread of it on `cpus` (taskset; children inherit it), then puts the CPUs it had back. */
async function onCpus<T>(cpus: string, fn: () => Promise<T>): Promise<T> {
  const had = run('taskset', ['-p', '-c', String(process.pid)]).stdout.trim().split(':').pop()?.trim() ?? '';
  if (had === '') throw new Error(`taskset could not tell the CPUs of process ${process.pid}`);
  run('taskset', ['-a', '-p', '-c', cpus, String(process.pid)]);
  try {
    return await fn();
  } finally {
    run('taskset', ['-a', '-p', '-c', had, String(process.pid)]);
  }
}

async function benchOne(spec: typeof COMPRESS_SPECS[number], scratch: string): Promise<CompressRow[]> {
  const rows: CompressRow[] = [];
  const { sdk, version } = spec;
  const dirs: Record<Kind, string> = { uncompressed: path.join(scratch, `${sdk.replace(/\W/g, '_')}-plain`), compressed: path.join(scratch, `${sdk.replace(/\W/g, '_')}-br`) };
  const built = {
    uncompressed: runRecipe({ sdk, version, architecture: 'x86_64', strip: true }, dirs.uncompressed),
    compressed: buildCompressed({ sdk, version, architecture: 'x86_64', strip: true, compressBinary: true }, dirs.compressed),
  };
  log(`${sdk} ${version}: built both layers (${built.uncompressed.manifest.unzippedBytes} and ${built.compressed.manifest.unzippedBytes} bytes unzipped)`);
  for (const cpus of spec.cpuCases) {
    rows.push(await onCpus(cpus, () => benchCase(spec, cpus, MEMORY_BY_CPUS[cpus], dirs, built, scratch)));
  }
  return rows;
}

async function benchCase(
  spec: typeof COMPRESS_SPECS[number], cpus: string, memorySize: number,
  dirs: Record<Kind, string>, built: Record<Kind, BuildResult>, scratch: string,
): Promise<CompressRow> {
  const { sdk, version } = spec;
  const name = `${sdk} ${version} on CPUs ${cpus}, ${memorySize} MB`;
  const compressedBinary = built.compressed.manifest.compressedBinary;
  if (!compressedBinary) throw new Error(`${name}: the compressed build has no compressedBinary in its manifest`);
  const arn = `arn:aws:lambda:us-east-1:123456789012:layer:bench-compress:${COMPRESS_SPECS.indexOf(spec) + 1}`;
  const cdkOut = path.join(scratch, `cdk.out-${COMPRESS_SPECS.indexOf(spec)}-${cpus.replace(/\W/g, '_')}`);
  synthFunctions(cdkOut, sdk, version, arn, memorySize);
  fs.mkdirSync(SHARED_ROOT, { recursive: true });
  const dbDir = fs.mkdtempSync(path.join(SHARED_ROOT, 'bench-compress-db-'));
  const env = { VECTORDB_URI: dbDir };
  // The function runs on its runtime's own Node.js major, as on Lambda.
  const runtime = findFunction(cdkOut, 'BenchCompress/search').runtime;
  const { node, note: nodeNote } = functionNode(runtime);
  let nodeVersion = '';
  const invoke = (kind: Kind, functionId: string, events: unknown[]) => localInvoke({
    cdkOut,
    functionId,
    events,
    env,
    sharedDirs: [dbDir],
    layerDirs: { [arn]: dirs[kind] },
    timeoutSeconds: 300,
    initTimeoutSeconds: 60,
    node,
  });
  try {
    const ingest = await invoke('uncompressed', 'BenchCompress/ingest', [{ generate: { count: ROWS, dimensions: DIMENSIONS, seed: SEED } }]);
    check(`${name} ingest`, ingest);
    const query = syntheticRows(TARGET + 1, DIMENSIONS, SEED)[TARGET].vector;
    const events = [{ vector: query, k: 3 }, { vector: query, k: 3 }];

    const samples: Record<Kind, Sample[]> = { uncompressed: [], compressed: [] };
    let runtimeClient = '';
    for (const kind of ['uncompressed', 'compressed'] as const) check(`${name} warm-up (${kind})`, await invoke(kind, 'BenchCompress/search', events.slice(0, 1)));
    for (let r = 0; r < RUNS; r++) {
      const raw: Record<Kind, Omit<Sample, 'requireMaxRssMb'>[]> = { uncompressed: [], compressed: [] };
      const rss: Record<Kind, number[]> = { uncompressed: [], compressed: [] };
      for (let k = 0; k < COLD_STARTS; k++) {
        const order: Kind[] = (r + k) % 2 === 0 ? ['uncompressed', 'compressed'] : ['compressed', 'uncompressed'];
        for (const kind of order) {
          const res = await invoke(kind, 'BenchCompress/search', events);
          check(`${name} search (${kind})`, res);
          const nearest = (res.result as { neighbours: Array<{ id: number }> }).neighbours[0]?.id;
          if (nearest !== TARGET) throw new Error(`${name} search (${kind}): expected row ${TARGET} nearest, got ${nearest}`);
          runtimeClient = res.runtimeClient;
          nodeVersion = res.nodeVersion;
          const [first, second] = res.invokeMs;
          raw[kind].push({ initMs: res.initMs, firstInvokeMs: first, coldMs: res.initMs + first, secondInvokeMs: second });
          rss[kind].push(requirePeak(node, sdk, dirs[kind], scratch).maxRssMb);
        }
      }
      for (const kind of ['uncompressed', 'compressed'] as const) {
        const med = (key: keyof Omit<Sample, 'requireMaxRssMb'>) => median(raw[kind].map((s) => s[key]));
        const sample: Sample = {
          initMs: med('initMs'), firstInvokeMs: med('firstInvokeMs'), coldMs: med('coldMs'), secondInvokeMs: med('secondInvokeMs'), requireMaxRssMb: median(rss[kind]),
        };
        samples[kind].push(sample);
        log(`${name} run ${r + 1}/${RUNS} ${kind} (median of ${COLD_STARTS}): init ${sample.initMs.toFixed(1)} ms, first invoke ${sample.firstInvokeMs.toFixed(1)} ms, `
          + `second ${sample.secondInvokeMs.toFixed(1)} ms, require peak RSS ${sample.requireMaxRssMb.toFixed(0)} MB`);
      }
    }

    const layout = (kind: Kind): CompressLayout => {
      const s = samples[kind];
      const st = (key: keyof Sample) => stat(s.map((x) => x[key]));
      const m = built[kind].manifest;
      return {
        unzippedBytes: measure(dirs[kind]).bytes,
        zippedBytes: zippedBytes(dirs[kind], scratch),
        binaryBytes: kind === 'compressed' ? compressedBinary.bytes : m.nativeBinaryBytes,
        initMs: st('initMs'),
        firstInvokeMs: st('firstInvokeMs'),
        coldMs: st('coldMs'),
        secondInvokeMs: st('secondInvokeMs'),
        requireMaxRssMb: st('requireMaxRssMb'),
        binaryDirBytes: requirePeak(node, sdk, dirs[kind], scratch).binaryDirBytes,
      };
    };
    const uncompressed = layout('uncompressed');
    const compressed = layout('compressed');
    const pair = (key: keyof Sample) => ratioStat(samples.compressed.map((s) => s[key]), samples.uncompressed.map((s) => s[key]));
    return {
      sdk,
      version,
      architecture: 'x86_64',
      cpus,
      memorySize,
      codec: compressedBinary.codec,
      decompressedBytes: compressedBinary.decompressedBytes,
      uncompressed,
      compressed,
      ratios: {
        unzipped: +(compressed.unzippedBytes / uncompressed.unzippedBytes).toFixed(3),
        zipped: +(compressed.zippedBytes / uncompressed.zippedBytes).toFixed(3),
        coldMs: pair('coldMs'),
        secondInvokeMs: pair('secondInvokeMs'),
        requireMaxRss: pair('requireMaxRssMb'),
      },
      addedColdMs: stat(samples.compressed.map((s, i) => s.coldMs - samples.uncompressed[i].coldMs)),
      runtimeClient,
      runtime,
      nodeVersion,
      nodeNote,
    };
  } finally {
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
}

export async function runCompressBench(): Promise<CompressPart> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-compress-'));
  process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
  try {
    const rows: CompressRow[] = [];
    for (const spec of COMPRESS_SPECS) rows.push(...await benchOne(spec, scratch));
    return { date: new Date().toISOString(), runs: RUNS, coldStartsPerRun: COLD_STARTS, rows };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runCompressBench().then(writePart, (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
