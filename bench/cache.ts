/**
 * The machine-wide layer cache (CDK_VECTORDB_LAYER_CACHE), as ratios in one run:
 *
 * - layer cost: `new VectorDbLayer(...)` (where CDK stages the asset: build,
 *   or link from the cache, and the checks) in a fresh cdk.out with an empty
 *   machine cache (cold: the layer is built) and with the cache that cold
 *   build filled (warm), in this process; for the default vectordb and
 *   @lancedb/lancedb layers;
 * - a fresh clone: `git clone` of this repository's HEAD into a temp folder
 *   (node_modules shared by a symlink), its test/fixtures/synth-layer.js run as
 *   a process with an empty cache, then a second fresh clone with the cache
 *   the first filled;
 * - N Apps in one process: 20 Apps (each a new App() + Stack + VectorDbFunction,
 *   or VectorDbLayer, and Template.fromStack, as a user's jest suite makes
 *   them) against one App, each in a new process with an empty cache; the
 *   layer builds counted (localBuildCount()); the same again with the caches
 *   warm; and, once, 2 Apps with the cache off (the build per App it saves);
 * - disk per cdk.out: for each cdk.out of the 20 Apps, `du -s -B1 <cache>
 *   <cdk.out>` in one invocation (du counts a hard-linked file once, so its
 *   second figure is what that cdk.out adds), and the blocks of the files and
 *   folders below it whose inode the cache does not hold;
 * - a real `npx cdk synth` of a small TypeScript app as a new user has it:
 *   aws-cdk-lib, constructs, ts-node, typescript, @types/node and esbuild from
 *   this repository's node_modules (symlinks), the aws-cdk CLI installed from
 *   the npm registry once into .tmp/bench-cache/aws-cdk, and this package as
 *   `npm pack` of HEAD (jsii-compiled in a fresh clone, kept in
 *   .tmp/bench-cache/pack per commit) installed with npm; cdk.json's app is
 *   `npx ts-node --prefer-ts-exts bin/app.ts` (type-checked, as `cdk init`
 *   sets it up). An identical app with a plain NodejsFunction and no layer is
 *   timed the same way, turn about: the difference is what this package costs.
 *   First synth (empty machine cache, no cdk.out), second (same cdk.out),
 *   third (cdk.out removed, warm machine cache). bin/app.ts writes where its
 *   process spent the time (start-up, the function's constructor, the rest)
 *   to BENCH_TIMINGS when that is set.
 *
 * Every measurement sets CDK_VECTORDB_LAYER_CACHE itself: a new temp folder
 * (cold), the one a cold measurement filled (warm), or `off`; never the
 * user's cache folder. npm's own cache is the user's (warm): a cold build
 * here downloads nothing a previous run fetched, so cold builds are the
 * fastest they get and warm / cold ratios the least flattering.
 *
 * Part of `npx projen bench` (bench/run.ts); alone:
 *   BENCH_PARTS=cache npx projen bench
 *   ts-node --transpile-only --project tsconfig.dev.json bench/cache.ts [out.json]
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { log, median, npmCommand, npmEnv, ratioStat, run, RUNS, stat, Stat, timed, tsNodeChild, writePart } from './common';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../src';
import { localBuildCount } from '../src/private/layer/local-build';

const ROOT = path.join(__dirname, '..');
/** What the bench keeps between runs: the aws-cdk CLI and packed tarballs (the repository's .tmp/, ignored by git). */
export const BENCH_CACHE = path.join(ROOT, '.tmp', 'bench-cache');
/** Which aws-cdk CLI the real-synth measurement installs once (env BENCH_CDK_CLI, default the newest 2.x). */
const CDK_CLI_SPEC = process.env.BENCH_CDK_CLI?.trim() || '2';
export const APP_COUNT = 20;
/** Apps synthesized once with the cache off, to count the builds it saves. */
export const OFF_APP_COUNT = 2;
const CACHE_ENV = 'CDK_VECTORDB_LAYER_CACHE';
const FUNCTION_ENTRY = path.join(ROOT, 'test', 'fixtures', 'fn', 'handler.js');
/** What VectorDbFunction keeps out of the bundle for the default layer, and the runtime's AWS SDK: the same bundle from NodejsFunction. */
const NODEJS_EXTERNALS = ['vectordb', 'apache-arrow', '@aws-sdk/*'];
const LAYER_BUILT = /Bundling asset \S*VectorDbLayer|Bundling asset \S*\/L\/Code/;

export interface LayerCostRow {
  readonly sdk: string;
  readonly version: string;
  readonly unzippedBytes: number;
  readonly files: number;
  /** `new VectorDbLayer(...)` in a fresh cdk.out: an empty machine cache (the layer is built). */
  readonly coldMs: Stat;
  /** The same in another fresh cdk.out with the cache the cold one filled (linked from it). */
  readonly warmMs: Stat;
  /** warm / cold, pair by pair. */
  readonly warmOverCold: Stat;
  /** app.synth() after the constructor, for context (the layer is staged by then). */
  readonly coldSynthMs: Stat;
  readonly warmSynthMs: Stat;
  /** Layer builds (the most seen in any run). */
  readonly buildsCold: number;
  readonly buildsWarm: number;
  /** Every warm cdk.out held the cache entry's own files (same inodes): hard links, no copy. */
  readonly warmLinked: boolean;
}

export interface CloneSynth {
  readonly commit: string;
  readonly sdk: string;
  readonly version: string;
  /** `git clone` of the repository (not part of the synth times). */
  readonly cloneMs: Stat;
  /** `node <clone>/test/fixtures/synth-layer.js <outdir>` as a process, wall time. */
  readonly coldMs: Stat;
  readonly warmMs: Stat;
  readonly warmOverCold: Stat;
  /**
   * The same process in the warm clone with bundling skipped (`--skip-bundling`:
   * node, ts-node, aws-cdk-lib, the constructs, no layer staged): what the
   * process costs before the layer.
   */
  readonly baselineMs: Stat;
  /** cold - baseline and warm - baseline, pair by pair: the layer's share of each process. */
  readonly layerColdMs: Stat;
  readonly layerWarmMs: Stat;
  /** (warm - baseline) / (cold - baseline), pair by pair. */
  readonly layerWarmOverCold: Stat;
  /** Whether CDK bundled (built) the layer, in every run. */
  readonly builtCold: boolean;
  readonly builtWarm: boolean;
}

/** NodejsFunction: the same handler and externals, no layer: what a suite pays per App without this package. */
export type AppKind = 'VectorDbFunction' | 'VectorDbLayer' | 'NodejsFunction';

export interface AppsRow {
  readonly kind: AppKind;
  readonly apps: number;
  /** One App in a new process with an empty cache: from `new App()` to Template.fromStack done. */
  readonly oneMs: Stat;
  /** `apps` Apps in one new process with an empty cache. */
  readonly manyMs: Stat;
  /** many / one, pair by pair. */
  readonly manyOverOne: Stat;
  /** In the many-App process: the first App (it builds), and the median of the others (they link). */
  readonly firstAppMs: Stat;
  readonly otherAppMs: Stat;
  /** Each App after the first against NodejsFunction's, run by run (the runs interleave the kinds); not for NodejsFunction. */
  readonly otherAppOverNodejs?: Stat;
  readonly buildsOne: number;
  readonly buildsMany: number;
  /** The same two processes again, each with the cache its cold run filled (not for NodejsFunction). */
  readonly warmOneMs?: Stat;
  readonly warmManyMs?: Stat;
  readonly buildsWarm?: number;
}

export interface OffRow {
  readonly kind: AppKind;
  readonly apps: number;
  readonly builds: number;
  readonly appMs: number[];
}

export interface DiskRow {
  readonly kind: AppKind;
  readonly fileSystem: string;
  readonly cdkOuts: number;
  /** What each cdk.out adds beside the cache: the second figure of `du -s -B1 <cache> <cdk.out>`. */
  readonly extraBytes: Stat;
  /** The blocks of the files and folders below a cdk.out whose inodes the cache does not hold. */
  readonly newInodeBytes: Stat;
  /** Of that: the folders (ext4 gives each at least one 4 KiB block). */
  readonly folderBytes: number;
  readonly folders: number;
  readonly files: number;
  /** Files of the cdk.out that are the cache's own (hard links). */
  readonly linkedFiles: number;
  /** `du -s -B1 <cdk.out>` alone: what it takes as a copy, without the cache. */
  readonly aloneBytes: number;
}

/** One `npx cdk synth`, as bin/app.ts and the wall clock saw it. */
interface SynthSample {
  wallMs: number;
  /** The app process's uptime at its first statement: node, ts-node (type-check), loading the imports. */
  startMs: number;
  /** The function's constructor: VectorDbFunction (layer build or link, checks, SDK detection, esbuild) or NodejsFunction (esbuild). */
  constructMs: number;
  /** The app process's uptime at exit (after App.synth). */
  exitMs: number;
  layerBuilt: boolean;
  stderr: string;
}

export interface SynthTimes {
  readonly wallMs: Stat;
  readonly startMs: Stat;
  readonly constructMs: Stat;
  /** exit - start - construct: the rest of the app process, mostly App.synth. */
  readonly restMs: Stat;
  /** wall - exit: npx, the CLI, starting the app through a shell, reading the assembly, printing the template. */
  readonly cliMs: Stat;
  /** Whether CDK bundled (built) the layer, run by run. */
  readonly layerBuilt: boolean[];
}

export type SynthOrdinal = 'first' | 'second' | 'third';

export interface RealSynthRow {
  readonly which: SynthOrdinal;
  readonly what: string;
  readonly vectordb: SynthTimes;
  readonly plain: SynthTimes;
  /** What this package costs: wall time of the VectorDbFunction app minus the NodejsFunction app, pair by pair. */
  readonly packageMs: Stat;
  /** VectorDbFunction's constructor minus NodejsFunction's, pair by pair. */
  readonly packageConstructMs: Stat;
}

export interface RealSynthPart {
  readonly cli: string;
  readonly tsNode: string;
  readonly typescript: string;
  readonly awsCdkLib: string;
  readonly tarball: { readonly commit: string; readonly bytes: number };
  /** Setup: installing the CLI and packing (undefined: taken from .tmp/bench-cache), making both app folders. */
  readonly setupMs: { readonly cli?: number; readonly pack?: number; readonly apps: number };
  readonly rows: RealSynthRow[];
  readonly ratios: {
    /** Wall time of the VectorDbFunction app, second / first and third / first. */
    readonly secondOverFirst: Stat;
    readonly thirdOverFirst: Stat;
    /** The same for the NodejsFunction app. */
    readonly plainSecondOverFirst: Stat;
    /** The VectorDbFunction app's second and third synth against the NodejsFunction app's, pair by pair (issue 22: at most 1.03x). */
    readonly secondOverPlain?: Stat;
    readonly thirdOverPlain?: Stat;
    /** VectorDbFunction's constructor, second / first and third / first. */
    readonly constructSecondOverFirst: Stat;
    readonly constructThirdOverFirst: Stat;
  };
  /**
   * Fixed costs of VectorDbFunction with the layer ready, each timed in a new
   * process (as in a synth) on the app of this measurement: the npm version
   * probe (whether the host can build without Docker, which decides the
   * layer's hash), SDK detection (an esbuild pass over the handler), the check
   * of a layer found in cdk.out (its manifest, the binary's sha256).
   */
  readonly probe: { readonly npmProbeMs: Stat; readonly detectionMs: Stat; readonly cdkOutCheckMs: Stat };
  /** What the first synth of the VectorDbFunction app said on stderr about the layer and warnings (first run). */
  readonly firstSynthSaid: string[];
}

/** Each measurement is there unless CACHE_PARTS left it out. */
export interface CachePart {
  readonly date: string;
  readonly runs: number;
  readonly layerCost?: LayerCostRow[];
  readonly clone?: CloneSynth;
  readonly apps?: AppsRow[];
  readonly off?: OffRow;
  readonly disk?: DiskRow[];
  readonly realSynth?: RealSynthPart;
  /** Seconds each measurement took (setup included). */
  readonly seconds: Record<string, number>;
  /**
   * Measurements during which what decides the layer's content hash changed:
   * the recipe in layer-assets/ or the hash code in the working tree (cost,
   * apps), or HEAD (clone). Someone edited or committed mid-run, so a warm
   * cache could miss, and those figures do not stand.
   */
  readonly recipeChangedDuring: string[];
}

/** The environment for a process the bench starts: no npm script, ts-node or CDK variables of ours leak in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = npmEnv();
  for (const k of Object.keys(env)) {
    if (/^TS_NODE_/.test(k) || k === CACHE_ENV || k === 'CDK_OUTDIR' || k === 'CDK_CONTEXT_JSON' || k === 'BENCH_TIMINGS') delete env[k];
  }
  return { ...env, ...extra };
}

function fileSystemOf(dir: string): string {
  try {
    return run('df', ['--output=fstype', dir]).stdout.trim().split('\n').pop()?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function headCommit(): string {
  return run('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).stdout.trim();
}

/** A fresh clone of this repository's HEAD, sharing its node_modules by a symlink; returns the clone time. */
function freshClone(dir: string): number {
  const { ms } = timed(() => run('git', ['clone', '--quiet', ROOT, dir]));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return ms;
}

/**
 * sha256 of what decides a layer's content hash and default version (the
 * recipe, its SDK table and pins, the hash code, the constructs' defaults),
 * read now: a change while the bench runs means someone edited them.
 */
function layerInputsSnapshot(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    if (fs.statSync(file).isDirectory()) {
      for (const n of fs.readdirSync(file).sort()) add(path.join(file, n));
    } else {
      hash.update(`${path.relative(ROOT, file)}\0`).update(fs.readFileSync(file)).update('\0');
    }
  };
  const assets = path.join(ROOT, 'layer-assets');
  for (const f of ['build-layer.js', 'recipe', 'sdks.json', 'pins']) add(path.join(assets, f));
  for (const f of ['layer/asset-hash.ts', 'layer/request.ts', 'layer/bundling.ts', 'common/sdk.ts', '../vector-db-layer.ts']) add(path.join(ROOT, 'src', 'private', f));
  return hash.digest('hex');
}

/** Files below a folder, and its folders. */
function walk(dir: string, visit: (p: string, st: fs.Stats) => void): void {
  visit(dir, fs.lstatSync(dir));
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else visit(p, fs.lstatSync(p));
  }
}

// ---------------------------------------------------------------- layer cost

interface LayerSample { ms: number; synthMs: number; builds: number; staged: string; bytes: number; files: number }

/** One App with one VectorDbLayer in a new cdk.out, with the machine cache at `cache`. */
function layerOnce(sdk: VectorDbSdk, outdir: string, cache: string): LayerSample {
  process.env[CACHE_ENV] = cache;
  // A new process would start with an empty hash cache: so does every App here.
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bench');
  const before = localBuildCount();
  const { ms, value: layer } = timed(() => new VectorDbLayer(stack, 'L', { sdk }));
  const synth = timed(() => app.synth());
  const staged = (layer.node.findChild('Code').node.findChild('Stage') as AssetStaging).absoluteStagedPath;
  let files = 0;
  walk(staged, (_p, st) => {
    if (st.isFile()) files += 1;
  });
  return { ms, synthMs: synth.ms, builds: localBuildCount() - before, staged, bytes: layer.unzippedSizeBytes ?? NaN, files };
}

/** Whether every file of `staged` is one of the cache's own files (same inode). */
function linkedFromCache(staged: string, cache: string): boolean {
  const cached = new Set<number>();
  walk(path.join(cache, 'layers'), (_p, st) => {
    if (st.isFile()) cached.add(st.ino);
  });
  let all = true;
  walk(staged, (_p, st) => {
    if (st.isFile() && !cached.has(st.ino)) all = false;
  });
  return all;
}

function runLayerCost(scratch: string): LayerCostRow[] {
  // Load and JIT aws-cdk-lib and the constructs once (bundling skipped), so the first measured App is not also the process's first.
  process.env[CACHE_ENV] = 'off';
  const warmup = new App({ outdir: fs.mkdtempSync(path.join(scratch, 'warmup-')), context: { 'aws:cdk:bundling-stacks': [] } });
  new VectorDbLayer(new Stack(warmup, 'Warmup'), 'L');
  warmup.synth();
  const rows: LayerCostRow[] = [];
  for (const sdk of [VectorDbSdk.VECTORDB, VectorDbSdk.LANCEDB]) {
    const cold: LayerSample[] = [];
    const warm: LayerSample[] = [];
    let linked = true;
    for (let r = 0; r < RUNS; r++) {
      const dir = fs.mkdtempSync(path.join(scratch, 'cost-'));
      const cache = path.join(dir, 'cache');
      const c = layerOnce(sdk, path.join(dir, 'cold.out'), cache);
      const w = layerOnce(sdk, path.join(dir, 'warm.out'), cache);
      linked = linked && linkedFromCache(w.staged, cache);
      cold.push(c);
      warm.push(w);
      log(`layer cost, ${sdk.packageName}, run ${r + 1}/${RUNS}: cold ${c.ms.toFixed(0)} ms (${c.builds} build), warm ${w.ms.toFixed(0)} ms (${w.builds} builds), ${(100 * w.ms / c.ms).toFixed(1)}%`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    rows.push({
      sdk: sdk.packageName,
      version: sdk.defaultVersion,
      unzippedBytes: cold[0].bytes,
      files: cold[0].files,
      coldMs: stat(cold.map((s) => s.ms), 0),
      warmMs: stat(warm.map((s) => s.ms), 0),
      warmOverCold: ratioStat(warm.map((s) => s.ms), cold.map((s) => s.ms)),
      coldSynthMs: stat(cold.map((s) => s.synthMs), 0),
      warmSynthMs: stat(warm.map((s) => s.synthMs), 0),
      buildsCold: Math.max(...cold.map((s) => s.builds)),
      buildsWarm: Math.max(...warm.map((s) => s.builds)),
      warmLinked: linked,
    });
  }
  process.env[CACHE_ENV] = 'off';
  return rows;
}

// ---------------------------------------------------------------- fresh clone

interface CloneSample { ms: number; built: boolean; sdk: string; version: string }

function cloneSynth(clone: string, outdir: string, cache: string, skipBundling = false): CloneSample {
  const { ms, value } = timed(() => run(process.execPath, [path.join(clone, 'test', 'fixtures', 'synth-layer.js'), outdir, '{}', ...(skipBundling ? ['--skip-bundling'] : [])], {
    cwd: clone,
    env: cleanEnv({ [CACHE_ENV]: cache }),
  }));
  const out = JSON.parse(value.stdout.trim().split('\n').pop() ?? '{}') as { stagedPath: string };
  if (skipBundling) return { ms, built: false, sdk: '', version: '' };
  const manifest = JSON.parse(fs.readFileSync(path.join(out.stagedPath, 'nodejs', 'vectordb-layer.json'), 'utf-8')) as { sdk: string; version: string };
  return { ms, built: LAYER_BUILT.test(value.stderr), sdk: manifest.sdk, version: manifest.version };
}

function runClone(scratch: string, commit: string): CloneSynth {
  const clone: number[] = [];
  const cold: CloneSample[] = [];
  const warm: CloneSample[] = [];
  const base: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const dir = fs.mkdtempSync(path.join(scratch, 'clone-'));
    const cache = path.join(dir, 'cache');
    clone.push(freshClone(path.join(dir, 'a')));
    const c = cloneSynth(path.join(dir, 'a'), path.join(dir, 'a', 'cdk.out'), cache);
    clone.push(freshClone(path.join(dir, 'b')));
    const w = cloneSynth(path.join(dir, 'b'), path.join(dir, 'b', 'cdk.out'), cache);
    const b = cloneSynth(path.join(dir, 'b'), path.join(dir, 'b', 'skip.out'), cache, true);
    cold.push(c);
    warm.push(w);
    base.push(b.ms);
    log(`fresh clone synth, run ${r + 1}/${RUNS}: empty cache ${c.ms.toFixed(0)} ms (built: ${c.built}), warm cache ${w.ms.toFixed(0)} ms (built: ${w.built}), ${(100 * w.ms / c.ms).toFixed(1)}%; `
      + `bundling skipped ${b.ms.toFixed(0)} ms, so the layer's share: ${(c.ms - b.ms).toFixed(0)} vs ${(w.ms - b.ms).toFixed(0)} ms`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    commit,
    sdk: cold[0].sdk,
    version: cold[0].version,
    cloneMs: stat(clone, 0),
    coldMs: stat(cold.map((s) => s.ms), 0),
    warmMs: stat(warm.map((s) => s.ms), 0),
    warmOverCold: ratioStat(warm.map((s) => s.ms), cold.map((s) => s.ms)),
    baselineMs: stat(base, 0),
    layerColdMs: stat(cold.map((s, i) => s.ms - base[i]), 0),
    layerWarmMs: stat(warm.map((s, i) => s.ms - base[i]), 0),
    layerWarmOverCold: ratioStat(warm.map((s, i) => s.ms - base[i]), cold.map((s, i) => s.ms - base[i])),
    builtCold: cold.every((s) => s.built),
    builtWarm: warm.some((s) => s.built),
  };
}

// ---------------------------------------------------------------- N Apps in one process

interface AppsResult { totalMs: number; appMs: number[]; builds: number; outdirs: string[] }

/**
 * In a child process (`--apps <kind> <count>`): `count` Apps as a jest suite
 * makes them (`new App()`, its cdk.out a new temp folder), each with a Stack,
 * the construct, and Template.fromStack; prints the times and the builds.
 */
function appsInThisProcess(kind: AppKind, count: number): AppsResult {
  const before = localBuildCount();
  const appMs: number[] = [];
  const outdirs: string[] = [];
  const total = timed(() => {
    for (let i = 0; i < count; i++) {
      const { ms, value } = timed(() => {
        const app = new App();
        const stack = new Stack(app, 'Stack');
        if (kind === 'VectorDbFunction') new VectorDbFunction(stack, 'Fn', { entry: FUNCTION_ENTRY });
        else if (kind === 'NodejsFunction') new NodejsFunction(stack, 'Fn', { entry: FUNCTION_ENTRY, bundling: { externalModules: NODEJS_EXTERNALS } });
        else new VectorDbLayer(stack, 'L');
        Template.fromStack(stack);
        return app.outdir;
      });
      appMs.push(ms);
      outdirs.push(value);
    }
  });
  return { totalMs: total.ms, appMs, builds: localBuildCount() - before, outdirs };
}

/** Runs `count` Apps in a new process with the cache at `cache`; their cdk.out folders go below `outRoot`. */
function appsProcess(kind: AppKind, count: number, cache: string, outRoot: string): AppsResult {
  fs.mkdirSync(outRoot, { recursive: true });
  const child = tsNodeChild(__filename, ['--apps', kind, String(count)]);
  const r = run(child.file, child.args, { env: { ...child.env, [CACHE_ENV]: cache, TMPDIR: outRoot }, timeoutMs: 20 * 60 * 1000 });
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as AppsResult;
}

function duBytes(paths: string[]): number[] {
  return run('du', ['-s', '-B1', ...paths]).stdout.trim().split('\n').map((l) => Number(l.split('\t')[0]));
}

function diskOf(kind: AppKind, cache: string, outdirs: string[]): DiskRow {
  const cached = new Set<number>();
  walk(cache, (_p, st) => cached.add(st.ino));
  const extra: number[] = [];
  const fresh: number[] = [];
  let folderBytes = 0;
  let folders = 0;
  let files = 0;
  let linkedFiles = 0;
  for (const [i, out] of outdirs.entries()) {
    extra.push(duBytes([cache, out])[1]);
    const seen = new Set<number>();
    let bytes = 0;
    walk(out, (_p, st) => {
      if (i === 0) {
        if (st.isDirectory()) folders += 1;
        else files += 1;
        if (!st.isDirectory() && cached.has(st.ino)) linkedFiles += 1;
      }
      if (cached.has(st.ino) || seen.has(st.ino)) return;
      seen.add(st.ino);
      bytes += st.blocks * 512;
      if (i === 0 && st.isDirectory()) folderBytes += st.blocks * 512;
    });
    fresh.push(bytes);
  }
  return {
    kind,
    fileSystem: fileSystemOf(outdirs[0]),
    cdkOuts: outdirs.length,
    extraBytes: stat(extra, 0),
    newInodeBytes: stat(fresh, 0),
    folderBytes,
    folders,
    files,
    linkedFiles,
    aloneBytes: duBytes([outdirs[0]])[0],
  };
}

function runApps(scratch: string): { apps: AppsRow[]; off: OffRow; disk: DiskRow[] } {
  const kinds: AppKind[] = ['VectorDbFunction', 'VectorDbLayer', 'NodejsFunction'];
  const rows: AppsRow[] = [];
  const disk: DiskRow[] = [];
  type Samples = { one: AppsResult[]; many: AppsResult[]; warmOne: AppsResult[]; warmMany: AppsResult[] };
  const samples = Object.fromEntries(kinds.map((k) => [k, { one: [], many: [], warmOne: [], warmMany: [] }])) as unknown as Record<AppKind, Samples>;
  // Run by run, every kind in turn (the order rotating), so that run r of each kind meets the same machine and pairs up.
  for (let r = 0; r < RUNS; r++) {
    const turn = kinds.map((_, i) => kinds[(i + r) % kinds.length]);
    for (const kind of turn) {
      const s = samples[kind];
      const dir = fs.mkdtempSync(path.join(scratch, 'apps-'));
      const cacheOne = path.join(dir, 'cache-one');
      const cacheMany = path.join(dir, 'cache-many');
      let one!: AppsResult;
      let many!: AppsResult;
      // Alternate which goes first, so neither always meets the busier machine.
      const order = r % 2 === 0 ? ['one', 'many'] : ['many', 'one'];
      for (const which of order) {
        if (which === 'one') one = appsProcess(kind, 1, cacheOne, path.join(dir, 'out-one'));
        else many = appsProcess(kind, APP_COUNT, cacheMany, path.join(dir, 'out-many'));
      }
      const layered = kind !== 'NodejsFunction';
      if (r === 0 && layered) disk.push(diskOf(kind, cacheMany, many.outdirs));
      s.one.push(one);
      s.many.push(many);
      let warm = '';
      if (layered) {
        const warmOne = appsProcess(kind, 1, cacheOne, path.join(dir, 'out-warm-one'));
        const warmMany = appsProcess(kind, APP_COUNT, cacheMany, path.join(dir, 'out-warm-many'));
        s.warmOne.push(warmOne);
        s.warmMany.push(warmMany);
        warm = `; warm cache: ${warmMany.totalMs.toFixed(0)} ms vs ${warmOne.totalMs.toFixed(0)} ms (${warmMany.builds + warmOne.builds} builds)`;
      }
      log(`${kind}: ${APP_COUNT} Apps in one process, run ${r + 1}/${RUNS}: ${many.totalMs.toFixed(0)} ms (${many.builds} layer builds; first App ${many.appMs[0].toFixed(0)} ms, `
        + `the others ${median(many.appMs.slice(1)).toFixed(0)} ms each) vs one App ${one.totalMs.toFixed(0)} ms (${one.builds}): ${(many.totalMs / one.totalMs).toFixed(2)}x${warm}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const ms = (xs: AppsResult[]) => xs.map((x) => x.totalMs);
  const perApp = (xs: AppsResult[]) => xs.map((x) => median(x.appMs.slice(1)));
  for (const kind of kinds) {
    const s = samples[kind];
    rows.push({
      kind,
      apps: APP_COUNT,
      oneMs: stat(ms(s.one), 0),
      manyMs: stat(ms(s.many), 0),
      manyOverOne: ratioStat(ms(s.many), ms(s.one)),
      firstAppMs: stat(s.many.map((x) => x.appMs[0]), 0),
      otherAppMs: stat(perApp(s.many), 0),
      ...(kind === 'NodejsFunction' ? {} : { otherAppOverNodejs: ratioStat(perApp(s.many), perApp(samples.NodejsFunction.many)) }),
      buildsOne: Math.max(...s.one.map((x) => x.builds)),
      buildsMany: Math.max(...s.many.map((x) => x.builds)),
      ...(s.warmOne.length > 0 ? {
        warmOneMs: stat(ms(s.warmOne), 0),
        warmManyMs: stat(ms(s.warmMany), 0),
        buildsWarm: Math.max(...[...s.warmOne, ...s.warmMany].map((x) => x.builds)),
      } : {}),
    });
  }
  // Once: the cache off, a build per App (what the cache saves a test suite).
  const dir = fs.mkdtempSync(path.join(scratch, 'apps-off-'));
  const offRun = appsProcess('VectorDbFunction', OFF_APP_COUNT, 'off', path.join(dir, 'out'));
  fs.rmSync(dir, { recursive: true, force: true });
  log(`VectorDbFunction: ${OFF_APP_COUNT} Apps with the cache off: ${offRun.appMs.map((m) => m.toFixed(0)).join(' + ')} ms, ${offRun.builds} builds`);
  return { apps: rows, off: { kind: 'VectorDbFunction', apps: OFF_APP_COUNT, builds: offRun.builds, appMs: offRun.appMs.map((m) => Math.round(m)) }, disk };
}

// ---------------------------------------------------------------- a real cdk synth

/** The aws-cdk CLI, installed from the npm registry once into .tmp/bench-cache/aws-cdk. */
export function cdkCli(): { dir: string; version: string; ms?: number } {
  const dir = path.join(BENCH_CACHE, 'aws-cdk');
  const pkg = path.join(dir, 'node_modules', 'aws-cdk', 'package.json');
  let ms: number | undefined;
  if (!fs.existsSync(pkg)) {
    log(`installing the aws-cdk CLI (aws-cdk@${CDK_CLI_SPEC}) from the npm registry into ${dir}, once`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'bench-aws-cdk-cli', version: '0.0.0', private: true }, null, 2)}\n`);
    const npm = npmCommand();
    ms = timed(() => run(npm.file, [...npm.args, 'install', '--no-audit', '--no-fund', `aws-cdk@${CDK_CLI_SPEC}`], { cwd: dir, env: cleanEnv({}) })).ms;
  }
  const version = (JSON.parse(fs.readFileSync(pkg, 'utf-8')) as { version: string }).version;
  return { dir: path.join(dir, 'node_modules', 'aws-cdk'), version, ms };
}

/** `npm pack` of HEAD: jsii-compiled in a fresh clone, kept in .tmp/bench-cache/pack per commit. */
export function packedTarball(commit: string, scratch: string): { file: string; ms?: number } {
  const dir = path.join(BENCH_CACHE, 'pack');
  const file = path.join(dir, `cdk-vectordb-layer-${commit.slice(0, 12)}.tgz`);
  if (fs.existsSync(file)) return { file };
  log(`packing cdk-vectordb-layer at ${commit.slice(0, 12)} (jsii compile in a fresh clone, npm pack), once per commit`);
  const { ms } = timed(() => {
    const clone = path.join(scratch, 'pack-clone');
    freshClone(clone);
    // projen's compile (jsii) and post-compile (the invoker's scripts into lib/) steps; docgen is not packed.
    run(process.execPath, [path.join(ROOT, 'node_modules', 'jsii', 'bin', 'jsii'), '--silence-warnings=reserved-word'], { cwd: clone, timeoutMs: 20 * 60 * 1000 });
    fs.cpSync(path.join(clone, 'src', 'invoke', 'scripts'), path.join(clone, 'lib', 'invoke', 'scripts'), { recursive: true });
    fs.mkdirSync(dir, { recursive: true });
    const npm = npmCommand();
    const r = run(npm.file, [...npm.args, 'pack', '--json', '--pack-destination', scratch], { cwd: clone, env: cleanEnv({}) });
    const name = (JSON.parse(r.stdout) as Array<{ filename: string }>)[0].filename;
    fs.copyFileSync(path.join(scratch, name), `${file}.${process.pid}`);
    fs.renameSync(`${file}.${process.pid}`, file);
    // Older commits' tarballs are not used again.
    for (const n of fs.readdirSync(dir)) if (n !== path.basename(file) && n.endsWith('.tgz')) fs.rmSync(path.join(dir, n), { force: true });
    fs.rmSync(clone, { recursive: true, force: true });
  });
  return { file, ms };
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['es2022'],
    declaration: true,
    strict: true,
    noImplicitAny: true,
    strictNullChecks: true,
    noImplicitThis: true,
    alwaysStrict: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: false,
    inlineSourceMap: true,
    inlineSources: true,
    experimentalDecorators: true,
    strictPropertyInitialization: false,
    skipLibCheck: true,
    typeRoots: ['./node_modules/@types'],
    // TypeScript 6 (this repository's) no longer includes every @types package by default.
    types: ['node'],
  },
  exclude: ['node_modules', 'cdk.out'],
};

const HANDLER = `import { connect } from 'cdk-vectordb-layer/runtime';

let db: Promise<any> | undefined;

export const handler = async (event: { vector: number[] }) => {
  db ??= connect(); // once per execution environment
  const table = await (await db).openTable('vectors');
  return table.search(event.vector).limit(5).execute();
};
`;

function appSource(kind: 'vectordb' | 'plain'): string {
  const [imports, construct] = kind === 'vectordb'
    ? ["import { VectorDbFunction } from 'cdk-vectordb-layer';", "new VectorDbFunction(stack, 'Search', { entry: 'lambda/search.ts' });"]
    : ["import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';", "new NodejsFunction(stack, 'Search', { entry: 'lambda/search.ts' });"];
  return `#!/usr/bin/env node
import * as fs from 'fs';
import * as cdk from 'aws-cdk-lib';
${imports}

const startMs = process.uptime() * 1000; // bench: node, ts-node and the imports above

const app = new cdk.App();
const stack = new cdk.Stack(app, 'SearchStack');
const t0 = performance.now();
${construct}
const constructMs = performance.now() - t0;

// bench: where this process spent its time, written at exit (after the App synthesizes), when asked for
const timings = process.env.BENCH_TIMINGS;
if (timings) process.on('exit', () => fs.writeFileSync(timings, JSON.stringify({ startMs, constructMs, exitMs: process.uptime() * 1000 })));
`;
}

/** Links node_modules/<name> of the app to `target`, and the package's bins into node_modules/.bin. */
function linkPackage(app: string, name: string, target: string): void {
  const dest = path.join(app, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.symlinkSync(target, dest, 'dir');
  const pkg = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf-8')) as { bin?: string | Record<string, string> };
  const bins = typeof pkg.bin === 'string' ? { [name.split('/').pop()!]: pkg.bin } : pkg.bin ?? {};
  const binDir = path.join(app, 'node_modules', '.bin');
  fs.mkdirSync(binDir, { recursive: true });
  for (const [bin, file] of Object.entries(bins)) {
    const link = path.join(binDir, bin);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.relative(binDir, path.join(dest, file)), link);
  }
}

/**
 * A small TypeScript CDK app as a new user has it: cdk.json, tsconfig.json as
 * `cdk init` writes them, bin/app.ts, lambda/search.ts; this package installed
 * from its tarball by npm (its peers are the symlinked aws-cdk-lib and
 * constructs, so --legacy-peer-deps keeps npm from fetching them again).
 */
export function makeApp(dir: string, kind: 'vectordb' | 'plain', tarball: string, cli: string): void {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'lambda'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: `bench-${kind}-app`, version: '0.1.0', private: true, bin: { app: 'bin/app.js' }, scripts: { cdk: 'cdk' } }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'cdk.json'), `${JSON.stringify({ app: 'npx ts-node --prefer-ts-exts bin/app.ts' }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'bin', 'app.ts'), appSource(kind));
  fs.writeFileSync(path.join(dir, 'lambda', 'search.ts'), HANDLER);
  const npm = npmCommand();
  run(npm.file, [...npm.args, 'install', '--legacy-peer-deps', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir, env: cleanEnv({}) });
  const nm = path.join(ROOT, 'node_modules');
  for (const name of ['aws-cdk-lib', 'constructs', 'ts-node', 'typescript', '@types/node', 'esbuild']) linkPackage(dir, name, path.join(nm, ...name.split('/')));
  linkPackage(dir, 'aws-cdk', cli);
}

function cdkSynth(app: string, cache: string, scratch: string): SynthSample {
  const timings = path.join(scratch, `timings-${path.basename(app)}.json`);
  fs.rmSync(timings, { force: true });
  const { ms, value } = timed(() => run('npx', ['cdk', 'synth'], {
    cwd: app,
    env: cleanEnv({ [CACHE_ENV]: cache, BENCH_TIMINGS: timings }),
    timeoutMs: 20 * 60 * 1000,
  }));
  const t = JSON.parse(fs.readFileSync(timings, 'utf-8')) as { startMs: number; constructMs: number; exitMs: number };
  return { wallMs: ms, ...t, layerBuilt: LAYER_BUILT.test(value.stderr), stderr: value.stderr };
}

function synthTimes(xs: SynthSample[]): SynthTimes {
  return {
    wallMs: stat(xs.map((x) => x.wallMs), 0),
    startMs: stat(xs.map((x) => x.startMs), 0),
    constructMs: stat(xs.map((x) => x.constructMs), 0),
    restMs: stat(xs.map((x) => x.exitMs - x.startMs - x.constructMs), 0),
    cliMs: stat(xs.map((x) => x.wallMs - x.exitMs), 0),
    layerBuilt: xs.map((x) => x.layerBuilt),
  };
}

interface ProbeResult { npmProbeMs: number; detectionMs: number; cdkOutCheckMs: number }

/**
 * In a child process (`--probe <app> <layer folder>`, the synths' machine
 * cache in CDK_VECTORDB_LAYER_CACHE): VectorDbFunction's fixed costs, each
 * once, as a synth meets them: npm's version, the SDK detection and the check
 * of the layer in cdk.out, each answered from the machine cache or the
 * layer's seal when what it depends on is unchanged.
 */
function probeInThisProcess(app: string, layerDir: string): ProbeResult {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { hostCanBuildWithoutDocker } = require('../src/private/layer/local-build') as typeof import('../src/private/layer/local-build');
  const { esbuildInstallation } = require('../src/private/function/entry') as typeof import('../src/private/function/entry');
  const { detectSdkImports } = require('../src/private/function/sdk-detection') as typeof import('../src/private/function/sdk-detection');
  const { checkStagedLayer } = require('../src/private/layer/staged-seal') as typeof import('../src/private/layer/staged-seal');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const npm = timed(() => hostCanBuildWithoutDocker());
  const detection = timed(() => detectSdkImports({
    entry: path.join(app, 'lambda', 'search.ts'),
    projectRoot: app,
    externals: ['@aws-sdk/*'],
    ignoreUnder: [path.join(app, 'node_modules', 'cdk-vectordb-layer', 'lib', 'runtime')],
    esbuildDir: esbuildInstallation()?.packageDir,
  }));
  const manifest = JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', 'vectordb-layer.json'), 'utf-8')) as { sdk: string; version: string; architecture: 'x86_64' | 'arm64' };
  const check = timed(() => checkStagedLayer(layerDir, { sdk: manifest.sdk, version: manifest.version, architecture: manifest.architecture }));
  if (check.value.problems.length > 0) throw new Error(`probe: the layer in ${layerDir} does not check: ${check.value.problems.join('; ')}`);
  return { npmProbeMs: npm.ms, detectionMs: detection.ms, cdkOutCheckMs: check.ms };
}

/**
 * The fixed costs in two new processes with the synths' machine cache: the
 * first may work out what the synths did not ask in these words (the probe's
 * own detection options); the second meets them as a warm synth does, and is
 * what is reported.
 */
function probeProcess(app: string, cache: string): ProbeResult {
  const out = path.join(app, 'cdk.out');
  const layerDir = fs.readdirSync(out).map((n) => path.join(out, n)).find((d) => fs.existsSync(path.join(d, 'nodejs', 'vectordb-layer.json')));
  if (!layerDir) throw new Error(`probe: no layer in ${out}`);
  const child = tsNodeChild(__filename, ['--probe', app, layerDir]);
  const once = () => {
    const r = run(child.file, child.args, { env: { ...child.env, [CACHE_ENV]: cache } });
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ProbeResult;
  };
  const first = once();
  log(`VectorDbFunction's fixed costs, a probe's first process: npm probe ${first.npmProbeMs.toFixed(0)} ms, SDK detection ${first.detectionMs.toFixed(0)} ms, layer check in cdk.out ${first.cdkOutCheckMs.toFixed(0)} ms`);
  return once();
}

function runRealSynth(scratch: string, commit: string): RealSynthPart {
  const cli = cdkCli();
  const tarball = packedTarball(commit, scratch);
  const apps = { vectordb: path.join(scratch, 'real', 'vectordb-app'), plain: path.join(scratch, 'real', 'plain-app') };
  const setup = timed(() => {
    makeApp(apps.vectordb, 'vectordb', tarball.file, cli.dir);
    makeApp(apps.plain, 'plain', tarball.file, cli.dir);
  });
  log(`real cdk synth: aws-cdk ${cli.version}${cli.ms === undefined ? '' : ` (installed in ${(cli.ms / 1000).toFixed(0)} s)`}, `
    + `package ${commit.slice(0, 12)}${tarball.ms === undefined ? '' : ` (packed in ${(tarball.ms / 1000).toFixed(0)} s)`}, apps made in ${(setup.ms / 1000).toFixed(1)} s`);
  const ordinals: SynthOrdinal[] = ['first', 'second', 'third'];
  type Pair = { vectordb: SynthSample[]; plain: SynthSample[] };
  const samples = Object.fromEntries(ordinals.map((o) => [o, { vectordb: [], plain: [] }])) as unknown as Record<SynthOrdinal, Pair>;
  const probes: ProbeResult[] = [];
  for (let r = 0; r < RUNS; r++) {
    const cache = fs.mkdtempSync(path.join(scratch, 'real-cache-'));
    const order: Array<'vectordb' | 'plain'> = r % 2 === 0 ? ['vectordb', 'plain'] : ['plain', 'vectordb'];
    for (const o of ordinals) {
      // first: no cdk.out, an empty machine cache; second: the same cdk.out; third: cdk.out removed, the cache warm.
      if (o !== 'second') for (const a of Object.values(apps)) fs.rmSync(path.join(a, 'cdk.out'), { recursive: true, force: true });
      for (const kind of order) samples[o][kind].push(cdkSynth(apps[kind], cache, scratch));
      const v = samples[o].vectordb[r];
      const p = samples[o].plain[r];
      log(`real cdk synth, run ${r + 1}/${RUNS}, ${o}: VectorDbFunction app ${v.wallMs.toFixed(0)} ms (start ${v.startMs.toFixed(0)}, construct ${v.constructMs.toFixed(0)}, `
        + `CLI ${(v.wallMs - v.exitMs).toFixed(0)}; layer built: ${v.layerBuilt}), NodejsFunction app ${p.wallMs.toFixed(0)} ms (construct ${p.constructMs.toFixed(0)})`);
    }
    probes.push(probeProcess(apps.vectordb, cache));
    const q = probes[probes.length - 1];
    log(`VectorDbFunction's fixed costs, run ${r + 1}/${RUNS}: npm probe ${q.npmProbeMs.toFixed(0)} ms, SDK detection ${q.detectionMs.toFixed(0)} ms, layer check in cdk.out ${q.cdkOutCheckMs.toFixed(0)} ms`);
    fs.rmSync(cache, { recursive: true, force: true });
  }
  const what: Record<SynthOrdinal, string> = {
    first: 'no cdk.out, empty machine cache (the layer is built)',
    second: 'again, same cdk.out (the layer asset is found there)',
    third: 'cdk.out removed, warm machine cache (the layer is linked from it)',
  };
  const rows: RealSynthRow[] = ordinals.map((o) => {
    const { vectordb, plain } = samples[o];
    return {
      which: o,
      what: what[o],
      vectordb: synthTimes(vectordb),
      plain: synthTimes(plain),
      packageMs: stat(vectordb.map((v, i) => v.wallMs - plain[i].wallMs), 0),
      packageConstructMs: stat(vectordb.map((v, i) => v.constructMs - plain[i].constructMs), 0),
    };
  });
  const wall = (o: SynthOrdinal, k: 'vectordb' | 'plain') => samples[o][k].map((x) => x.wallMs);
  const construct = (o: SynthOrdinal) => samples[o].vectordb.map((x) => x.constructMs);
  const said = samples.first.vectordb[0].stderr.split('\n')
    .filter((l) => /\[vectordb-layer\]|Bundling asset|\[Warning|\[Info|\[Error|warning/i.test(l))
    .map((l) => l.replace(/\s+$/, '').slice(0, 300))
    .slice(0, 30);
  const version = (name: string) => (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf-8')) as { version: string }).version;
  return {
    cli: cli.version,
    tsNode: version('ts-node'),
    typescript: version('typescript'),
    awsCdkLib: version('aws-cdk-lib'),
    tarball: { commit, bytes: fs.statSync(tarball.file).size },
    setupMs: {
      cli: cli.ms === undefined ? undefined : Math.round(cli.ms),
      pack: tarball.ms === undefined ? undefined : Math.round(tarball.ms),
      apps: Math.round(setup.ms),
    },
    rows,
    ratios: {
      secondOverFirst: ratioStat(wall('second', 'vectordb'), wall('first', 'vectordb')),
      thirdOverFirst: ratioStat(wall('third', 'vectordb'), wall('first', 'vectordb')),
      plainSecondOverFirst: ratioStat(wall('second', 'plain'), wall('first', 'plain')),
      secondOverPlain: ratioStat(wall('second', 'vectordb'), wall('second', 'plain')),
      thirdOverPlain: ratioStat(wall('third', 'vectordb'), wall('third', 'plain')),
      constructSecondOverFirst: ratioStat(construct('second'), construct('first')),
      constructThirdOverFirst: ratioStat(construct('third'), construct('first')),
    },
    probe: {
      npmProbeMs: stat(probes.map((q) => q.npmProbeMs), 0),
      detectionMs: stat(probes.map((q) => q.detectionMs), 0),
      cdkOutCheckMs: stat(probes.map((q) => q.cdkOutCheckMs), 0),
    },
    firstSynthSaid: said,
  };
}

// ---------------------------------------------------------------- the part

/** Which measurements to make (env CACHE_PARTS, comma-separated; default all): cost, clone, apps, real. */
function wanted(name: string): boolean {
  const raw = process.env.CACHE_PARTS?.trim();
  return !raw || raw.split(',').map((s) => s.trim()).includes(name);
}

export function runCacheBench(): CachePart {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-cache-'));
  const commit = headCommit();
  const seconds: Record<string, number> = {};
  const recipeChangedDuring: string[] = [];
  // What a measurement runs: this checkout's working tree (cost, apps), fresh clones of its HEAD
  // (clone), or one tarball packed from HEAD (real, immune to edits once packed).
  const watched = { tree: layerInputsSnapshot, head: headCommit, none: () => '' };
  const step = <T>(name: string, watch: keyof typeof watched, fn: () => T): T | undefined => {
    if (!wanted(name)) return undefined;
    const before = watched[watch]();
    const { ms, value } = timed(fn);
    seconds[name] = ms / 1000;
    if (watched[watch]() !== before) {
      recipeChangedDuring.push(name);
      log(`cache: WARNING: ${watch === 'tree' ? 'the layer\'s hash inputs (layer-assets/, src/private/layer/asset-hash.ts) changed' : 'HEAD moved'} while "${name}" ran: `
        + 'warm figures may include builds; measure again on a checkout nobody edits');
    }
    log(`cache: ${name} took ${(ms / 1000).toFixed(0)} s`);
    return value;
  };
  try {
    const layerCost = step('cost', 'tree', () => runLayerCost(scratch));
    const clone = step('clone', 'head', () => runClone(scratch, commit));
    const apps = step('apps', 'tree', () => runApps(scratch));
    const realSynth = step('real', 'none', () => runRealSynth(scratch, headCommit()));
    return { date: new Date().toISOString(), runs: RUNS, layerCost, clone, ...apps, realSynth, seconds, recipeChangedDuring };
  } finally {
    // The cache folders hold read-only files in writable folders: removable as they are.
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv[2] === '--probe') {
    process.stdout.write(`\n${JSON.stringify(probeInThisProcess(process.argv[3], process.argv[4]))}\n`);
  } else if (process.argv[2] === '--apps') {
    process.stdout.write(`\n${JSON.stringify(appsInThisProcess(process.argv[3] as AppKind, Number(process.argv[4])))}\n`);
  } else {
    writePart(runCacheBench());
  }
}
