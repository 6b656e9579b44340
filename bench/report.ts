/**
 * Renders the benchmark results (bench/results.json) as markdown, for
 * bench/results.md (the README links there), and judges each target against
 * what the bench measured, nothing else.
 */
import type { AppsRow, CachePart, SynthTimes } from './cache';
import type { ColdStartPart, LayoutStats } from './coldstart';
import type { MeasuredCommit } from './commit';
import type { Stat } from './common';
import type { CompressPart } from './compress';
import type { LayerPart, LayerRow } from './layer';
import type { MaintainPart } from './maintain';
import type { SynthPart } from './synth';

export interface Machine {
  readonly os: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly npm: string;
}

export interface Results {
  readonly date: string;
  readonly command: string;
  readonly runs: number;
  readonly machine: Machine;
  /** Seconds each part took. */
  readonly partSeconds: Record<string, number>;
  /** The commit each part measured (parts not re-run keep theirs from the previous results). */
  readonly partCommits?: Record<string, MeasuredCommit>;
  readonly layer?: LayerPart;
  readonly synth?: SynthPart;
  readonly coldstart?: ColdStartPart;
  readonly compress?: CompressPart;
  readonly cache?: CachePart;
  readonly maintain?: MaintainPart;
  readonly targets: Target[];
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  /** Against the bench's own figures: met, or missed (a median over the target by any margin is missed). */
  readonly verdict: 'met' | 'missed';
  readonly why: string;
}

const mb = (b: number) => (b / 1e6).toFixed(1);
const x = (r: number, d = 2) => r.toFixed(d);
const range = (s: Stat, f: (n: number) => string) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
const sec = (ms: number) => (ms / 1000).toFixed(1);
const sec2 = (ms: number) => (ms / 1000).toFixed(2);
const msf = (ms: number) => ms.toFixed(1);
const rat = (s: Stat) => range(s, (n) => x(n));
const pct = (r: number) => `${(100 * r).toFixed(1)}%`;
const label = (r: { sdk: string; version: string }) => `\`${r.sdk}\` ${r.version}`;

/** Evaluates the issue's targets against the measured results. */
export function evaluateTargets(r: Pick<Results, 'layer' | 'synth' | 'coldstart' | 'compress' | 'cache' | 'maintain'>): Target[] {
  const out: Target[] = [];
  const synthRows = r.synth?.rows ?? [];
  if (synthRows.length > 0) {
    const worst = synthRows.reduce((a, b) => (b.secondOverFirst.median > a.secondOverFirst.median ? b : a));
    const worstRun = Math.max(...synthRows.map((s) => s.secondOverFirst.max));
    const proc = synthRows.find((s) => s.process)?.process;
    const met = worst.secondOverFirst.median <= 0.1;
    out.push({
      target: 'a second synth into the same cdk.out costs at most 10% of the first (in one process, machine cache off)',
      measured: `worst median ${pct(worst.secondOverFirst.median)} (${worst.functions} functions), worst single run ${pct(worstRun)}${proc ? `; as whole new processes (50 functions) ${pct(proc.secondOverFirst.median)}` : ''}`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'the second synth finds the layer asset by its hash and skips the build; what remains is constructing the app and bundling the handlers with esbuild.' : 'the second synth still costs more than a tenth of the first.'}${proc ? ` Counted as whole \`cdk synth\`-style processes the second is ${pct(proc.secondOverFirst.median)} of the first: once the layer build is gone, the ${sec(proc.secondMs.median)} s of the second process are mostly starting node and ts-node, loading aws-cdk-lib and bundling the 50 handlers, which the first pays as well; the target holds for the synth itself, not for process start-up, which this library does not control.` : ''}`
        + `${r.cache?.realSynth ? ' A real `npx cdk synth` of a TypeScript app is measured below (target "a second real `cdk synth`").' : ''}`,
    });
    const fifty = synthRows.find((s) => s.functions === 50);
    if (fifty) {
      const ok = fifty.layerBuildsFirst === 1 && fifty.layerBuildsSecond === 0 && fifty.buildCountsStable;
      out.push({
        target: '50 functions synthesize with exactly one layer build',
        measured: `${fifty.layerBuildsFirst} build in the first synth, ${fifty.layerBuildsSecond} in the second, in every run: ${fifty.buildCountsStable ? 'yes' : 'no'}`,
        verdict: ok ? 'met' : 'missed',
        why: ok ? 'the functions share the stack\'s one layer per SDK, version and architecture; the second synth reuses the asset in cdk.out.' : 'more than one build was counted.',
      });
    }
  }
  const layerRow = (sdk: string) => r.layer?.rows.find((l) => l.sdk === sdk && l.architecture === 'x86_64' && (sdk !== 'vectordb' || l.version === '0.21.2'));
  const v21 = layerRow('vectordb');
  if (v21) {
    const met = v21.ratios.oursOverPlainUnzipped <= 0.8;
    out.push({
      target: 'unzipped layer at most 80% of the plain install, vectordb 0.21.2',
      measured: `${pct(v21.ratios.oursOverPlainUnzipped)} (${mb(v21.ours.unzippedBytes)} MB vs ${mb(v21.plain.unzippedBytes)} MB); the floor is ${mb(v21.floor.unzippedBytes)} MB, ours is ${x(v21.ratios.oursOverFloorUnzipped, 3)}x the floor`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: the stripped binary (${mb(v21.ours.binaryBytes)} MB, ${mb(v21.plain.binaryBytes)} MB unstripped) is ${pct(v21.ours.binaryBytes / v21.ours.unzippedBytes)} of our layer; the floor itself is ${pct(v21.floor.unzippedBytes / v21.plain.unzippedBytes)} of the plain install, so no layer can go below that.`,
    });
  }
  const lance = layerRow('@lancedb/lancedb');
  if (lance) {
    const met = lance.ratios.oursOverPlainUnzipped <= 0.4;
    const floorShare = lance.floor.unzippedBytes / lance.plain.unzippedBytes;
    const big = lance.plain.largestPackages.slice(0, 4).map((p) => `${p.name} ${mb(p.bytes)} MB`).join(', ');
    const missing = lance.plain.optionalMissing;
    const registryNote = missing.length > 0
      ? `npm left out the SDK's optional ${missing.join(', ')} here, so this plain install is smaller than one that has them. `
      : '';
    out.push({
      target: `unzipped layer at most 40% of the plain install, @lancedb/lancedb ${lance.version}`,
      measured: `${pct(lance.ratios.oursOverPlainUnzipped)} (${mb(lance.ours.unzippedBytes)} MB vs ${mb(lance.plain.unzippedBytes)} MB)`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: the plain install is ${mb(lance.plain.unzippedBytes)} MB (largest packages: ${big}); ${registryNote}`
        + `The floor (stripped binary ${mb(lance.floor.binaryBytes)} MB + ${mb(lance.floor.jsBytes)} MB of loaded JS) is ${pct(floorShare)} of this plain install, `
        + `${floorShare > 0.4 ? 'so no layer can meet 40% against it' : 'below 40%'}; ours is ${x(lance.ratios.oursOverFloorUnzipped, 3)}x the floor.`,
    });
  }
  for (const row of r.coldstart?.rows ?? []) {
    const cold = row.ratios.coldMs;
    const req = row.ratios.requireMs;
    const init = row.ratios.initMs;
    // The example handlers load the SDK on their first invoke: the cold start that includes loading the SDK
    // from the layer is init + first invoke, and the verdict is on it. No slower: the median of the per-run
    // ratios ours / plain at most 1; above 1 is missed, however close (the why gives the spread).
    const met = cold.median <= 1;
    const noise = !met && cold.median <= 1.05 && cold.min <= 1;
    const f = (s: Stat) => `${x(s.median)} (${x(s.min)}-${x(s.max)})`;
    const spread = (s: Stat) => (s.max - s.min) / s.median;
    const within = (a: Stat, b: Stat) => Math.abs(a.median - b.median) < Math.min(a.max - a.min, b.max - b.min);
    const ms = (a: Stat, b: Stat) => `medians ${a.median.toFixed(1)} vs ${b.median.toFixed(1)} ms`;
    const context = (what: string, ratio: Stat, a: Stat, b: Stat) => (ratio.median <= 1
      ? `${what} is no slower either (${f(ratio)}).`
      : `${what}: ${f(ratio)}, ${ms(a, b)}; the difference is ${within(a, b) ? 'smaller' : 'larger'} than the run-to-run spread of either layout alone `
        + `(${pct(spread(a))} ours, ${pct(spread(b))} plain).`);
    out.push({
      target: `local init from our layer no slower than from the plain install (${row.sdk} ${row.version})`,
      measured: `ours / plain, median (min-max) of per-run ratios: init + first invoke (where the SDK loads) ${f(cold)}; for context: init alone ${f(init)}, require(sdk) alone ${f(req)}`,
      verdict: met ? 'met' : 'missed',
      why: 'the example handlers load the SDK on their first invoke, not at module load, so the cold start that includes loading the SDK from the layer is "init + first invoke"; it '
        + `${met ? 'is no slower from our layer, run by run' : noise ? `is slower from our layer by ${pct(cold.median - 1)} (median), with a run at or below 1` : 'is slower from our layer beyond run-to-run noise'}`
        + `${row.ours.coldMs.median > row.plain.coldMs.median
          ? ` (the medians of the values themselves, taken from different runs, are ${row.ours.coldMs.median.toFixed(1)} vs ${row.plain.coldMs.median.toFixed(1)} ms: `
            + `${pct(row.ours.coldMs.median / row.plain.coldMs.median - 1)} apart, ${within(row.ours.coldMs, row.plain.coldMs) ? 'less' : 'more'} than the run-to-run spread of either layout, `
            + `${pct(spread(row.ours.coldMs))} ours, ${pct(spread(row.plain.coldMs))} plain)`
          : ` (${ms(row.ours.coldMs, row.plain.coldMs)})`}. `
        + `${context('Init alone (the runtime client and the handler bundle, which do not read the layer)', init, row.ours.initMs, row.plain.initMs)} `
        + `${context('require(sdk) alone, timed apart in a new node', req, row.ours.requireMs, row.plain.requireMs)} `
        + 'Both layers load nearly the same JS files (the floor\'s) and the same binary, ours stripped of symbols the loader does not read.',
    });
  }
  out.push(...compressTargets(r.compress, r.layer));
  out.push(...cacheTargets(r.cache));
  return out;
}

/** Issue 15's targets: @lancedb/lancedb 0.39.0 x86_64 at most 0.35x unzipped, at most 0.6 s added to a cold start. */
function compressTargets(c: CompressPart | undefined, layer: LayerPart | undefined): Target[] {
  const lance = c?.rows.filter((r) => r.sdk === '@lancedb/lancedb' && r.version === '0.39.0') ?? [];
  // The target's row: two CPUs (the function's memory gives it two vCPUs); rows measured before the CPU cases have no cpus.
  const row = lance.find((r) => r.cpus === undefined || r.cpus.includes(','));
  if (!row) return [];
  const oneCpu = lance.find((r) => r.cpus !== undefined && !r.cpus.includes(','));
  const floor = layer?.rows.find((l) => l.sdk === row.sdk && l.version === row.version && l.architecture === 'x86_64')?.floor;
  const sizeMet = row.ratios.unzipped <= 0.35;
  const added = row.addedColdMs;
  const timeMet = added.median <= 600;
  return [{
    target: `compressBinary: unzipped layer at most 0.35x of the uncompressed one, ${row.sdk} ${row.version} x86_64`,
    measured: `${x(row.ratios.unzipped, 3)}x (${mb(row.compressed.unzippedBytes)} MB vs ${mb(row.uncompressed.unzippedBytes)} MB); zipped ${x(row.ratios.zipped, 3)}x (${mb(row.compressed.zippedBytes)} vs ${mb(row.uncompressed.zippedBytes)} MB)`,
    verdict: sizeMet ? 'met' : 'missed',
    why: `the ${mb(row.decompressedBytes)} MB stripped binary ships as ${mb(row.compressed.binaryBytes)} MB of ${row.codec === 'br' ? 'brotli' : row.codec} chunks plus a loader`
      + `${floor ? `; the uncompressed layer is ${x(row.uncompressed.unzippedBytes / floor.unzippedBytes, 3)}x the floor (${mb(floor.unzippedBytes)} MB), the compressed one ${x(row.compressed.unzippedBytes / floor.unzippedBytes, 3)}x` : ''}.`,
  }, {
    target: `compressBinary: at most 0.6 s added to a cold start (init + first invoke), ${row.sdk} ${row.version} x86_64${row.cpus ? `, on this machine's 2 cores (a ${row.memorySize} MB function)` : ''}`,
    measured: `${range(added, (n) => `${sec2(n)} s`)} added, compressed - uncompressed pair by pair; ratio ${rat(row.ratios.coldMs)}; the second invoke ${rat(row.ratios.secondInvokeMs)}`
      + `${oneCpu ? `; on one core (taskset, a ${oneCpu.memorySize} MB function): ${range(oneCpu.addedColdMs, (n) => `${sec2(n)} s`)} added` : ''}`,
    verdict: timeMet ? 'met' : 'missed',
    why: `each cold start decodes the ${row.codec === 'br' ? 'brotli' : row.codec} chunks into the execution environment's own empty /tmp (${mb(row.compressed.binaryDirBytes)} MB written), each chunk decoded in 1 MiB pieces through one reused buffer per thread, each piece written as it comes, and checked as it is decoded, and loads the binary; `
      + `${row.cpus ? 'the loader decodes on as many threads as the function may use CPUs: the CPUs it may run on, a cgroup CPU quota, and one per 1,769 MB of the function\'s memory (Lambda\'s share); two here, one on one core. ' : ''}`
      + `The second invoke in the same environment pays nothing more. Peak memory of require(sdk): ${range(row.compressed.requireMaxRssMb, (n) => n.toFixed(0))} MB compressed vs ${range(row.uncompressed.requireMaxRssMb, (n) => n.toFixed(0))} MB.`,
  }];
}

const secs = (s: Stat) => range(s, sec);
const kb = (b: number) => `${Math.round(b / 1024)} KiB`;

/** The cache part's targets (issue 14), and the README's old promise measured on a real `cdk synth`. */
function cacheTargets(c?: CachePart): Target[] {
  if (!c) return [];
  const out: Target[] = [];
  const changed = c.recipeChangedDuring.length > 0
    ? ` NOTE: what decides the layer's hash changed while ${c.recipeChangedDuring.join(', ')} ran (an edit or a commit in this checkout mid-run): those figures do not stand.`
    : '';
  if (c.layerCost && c.layerCost.length > 0) {
    const worst = c.layerCost.reduce((a, b) => (b.warmOverCold.median > a.warmOverCold.median ? b : a));
    const warmBuilt = c.layerCost.some((l) => l.buildsWarm > 0);
    const met = worst.warmOverCold.median <= 0.05 && !warmBuilt;
    const each = c.layerCost.map((l) => `${l.sdk} ${l.version}: ${sec2(l.warmMs.median)} s vs ${sec(l.coldMs.median)} s, ${pct(l.warmOverCold.median)} (worst run ${pct(l.warmOverCold.max)})`).join('; ');
    const k = c.clone;
    const clone = k ? ` Seen as whole processes, a fresh clone's synth (${k.sdk} ${k.version}, test/fixtures/synth-layer.js) takes ${sec(k.warmMs.median)} s with the warm cache vs ${sec(k.coldMs.median)} s with an empty one `
      + `(${pct(k.warmOverCold.median)}); the same process with bundling skipped takes ${sec(k.baselineMs.median)} s (node, ts-node, aws-cdk-lib: no layer), so the layer's share of the process is `
      + `${sec2(k.layerWarmMs.median)} s warm vs ${sec(k.layerColdMs.median)} s cold, ${pct(k.layerWarmOverCold.median)} (worst run ${pct(k.layerWarmOverCold.max)}): `
      + `${k.layerWarmOverCold.median <= 0.05 ? 'within 5% too' : 'ABOVE 5% this way (a new process also pays loading the code the layer path runs, and a cold page cache)'}.` : '';
    out.push({
      target: 'layer cost in a fresh cdk.out with a warm machine cache at most 5% of a cold build',
      measured: `worst ${pct(worst.warmOverCold.median)} (${worst.sdk}); ${each}`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: the cost is \`new VectorDbLayer(...)\`, where CDK stages the asset, timed in one process with CDK's in-memory asset cache cleared, in a new cdk.out each time. `
        + 'Cold builds with an empty machine cache (npm\'s own cache warm, so the build downloads nothing twice: the fastest a cold build gets); warm links the cache entry\'s files into cdk.out '
        + `(${c.layerCost.every((l) => l.warmLinked) ? 'every file the cache\'s own inode' : 'NOT every file linked'}) after comparing each with the entry's seal (a stat each), ${warmBuilt ? 'but a warm run built the layer' : 'no build'}.${clone}${changed}`,
    });
  }
  const apps = c.apps ?? [];
  const row = (kind: string) => apps.find((a) => a.kind === kind);
  const fn = row('VectorDbFunction');
  const layer = row('VectorDbLayer');
  const plain = row('NodejsFunction');
  const appsLine = (a: AppsRow) => `${a.kind}: ${x(a.manyOverOne.median)}x (${sec(a.manyMs.median)} s vs ${sec(a.oneMs.median)} s; ${a.buildsMany} layer build${a.buildsMany === 1 ? '' : 's'} for ${a.apps} Apps)`;
  if (layer) {
    const met = layer.manyOverOne.median <= 1.3 && layer.buildsMany === 1;
    out.push({
      target: `${layer.apps} Apps in one process at most 1.3x the time of one (VectorDbLayer: the layer's own cost)`,
      measured: `${appsLine(layer)}; each App after the first ${sec2(layer.otherAppMs.median)} s`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: each App is \`new App()\` (its cdk.out a new temp folder) + Stack + \`new VectorDbLayer\` + \`Template.fromStack\`, as a jest suite makes them, in a new process with an empty machine cache; `
        + `the first App builds the layer (${sec(layer.firstAppMs.median)} s) and stores it in the cache, the others link it from there. With the cache warm (a second run of the suite): ${layer.warmManyMs ? `${sec(layer.warmManyMs.median)} s for ${layer.apps} Apps, ${layer.buildsWarm} builds` : 'not measured'}.${changed}`,
    });
  }
  if (fn) {
    const met = fn.manyOverOne.median <= 1.3 && fn.buildsMany === 1;
    const perPlain = plain ? plain.otherAppMs.median : NaN;
    const perFn = fn.otherAppMs.median;
    out.push({
      target: `${fn.apps} Apps in one process at most 1.3x the time of one (VectorDbFunction, as a user's jest suite makes them)`,
      measured: `${appsLine(fn)}; each App after the first ${sec2(perFn)} s${plain ? `; the same ${plain.apps} Apps with a plain NodejsFunction (same handler and externals, no layer): ${sec(plain.manyMs.median)} s, ${sec2(perPlain)} s per App` : ''}`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: the layer is built once (${fn.buildsMany} build in ${fn.apps} Apps; with the cache off, ${c.off ? `${c.off.apps} Apps built it ${c.off.builds} times, ${c.off.appMs.map((m) => sec(m)).join(' s and ')} s` : 'not measured'}), `
        + `but every App also bundles its handler: NodejsFunction runs esbuild through \`npx\` in a shell per App${plain ? ` (${sec2(perPlain)} s per App without this package)` : ''}, a cost the suite pays with a plain NodejsFunction too; `
        + `${plain && layer ? `each VectorDbFunction App after the first takes ${sec2(perFn)} s against NodejsFunction's ${sec2(perPlain)} s (a difference of ${sec2(perFn - perPlain)} s; `
          + `the layer alone, linked from the cache, takes ${sec2(layer.otherAppMs.median)} s per App in the VectorDbLayer row). ` : ''}`
        + `So ${fn.apps} Apps cost one build plus ${fn.apps} handler bundlings; the target holds for the layer (VectorDbLayer row), not for NodejsFunction's bundling.${changed}`,
    });
  }
  if (fn && plain && fn.otherAppOverNodejs) {
    const r = fn.otherAppOverNodejs;
    const met = r.median <= 1.05;
    out.push({
      target: `each App after the first at most 1.05x NodejsFunction's (${fn.apps} Apps in one process, VectorDbFunction, the layer in the machine cache)`,
      measured: `${rat(r)} per App, run by run (${sec2(fn.otherAppMs.median)} s vs ${sec2(plain.otherAppMs.median)} s, medians of each run's Apps 2 to ${fn.apps})`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: the same ${fn.apps}-App processes as the row above, each kind in turn in every run so that the runs pair up; per App, VectorDbFunction adds to NodejsFunction's work (esbuild through \`npx\`) `
        + 'linking the cached layer into the App\'s new cdk.out (the first App checks the cache entry, later Apps link its remembered files, comparing each as linked) and the SDK detection remembered in the process; '
        + `the layer alone takes ${layer ? `${sec2(layer.otherAppMs.median)} s` : 'an unmeasured time'} per App (VectorDbLayer row).${changed}`,
    });
  }
  if (c.disk && c.disk.length > 0) {
    const worst = c.disk.reduce((a, b) => (b.extraBytes.max > a.extraBytes.max ? b : a));
    const ext4 = c.disk.every((d) => /^ext[234]$/.test(d.fileSystem));
    const met = worst.extraBytes.max <= 1e6;
    out.push({
      target: 'at most 1 MB of extra disk per additional cdk.out (ext4)',
      measured: c.disk.map((d) => `${d.kind} on ${d.fileSystem}: ${kb(d.extraBytes.median)} (max ${kb(d.extraBytes.max)}) per cdk.out vs ${mb(d.aloneBytes)} MB as a copy`).join('; '),
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}${ext4 ? '' : ' (NOT on ext4 here)'}: \`du -s -B1 <cache> <cdk.out>\` in one invocation (du counts a hard-linked file once) over the ${worst.cdkOuts} cdk.out folders of the ${worst.cdkOuts}-App run, and the blocks of the inodes below each cdk.out that the cache does not hold agree (${kb(worst.newInodeBytes.median)}). `
        + `The layer's ${worst.linkedFiles} files are the cache's own; what remains is the folder tree (${worst.folders} folders, ${kb(worst.folderBytes)}: ext4 gives each folder a 4 KiB block), the template, the manifest${worst.kind === 'VectorDbFunction' ? ' and the handler bundle' : ''}.`,
    });
  }
  const real = c.realSynth;
  if (real) {
    const first = real.rows.find((w) => w.which === 'first');
    const second = real.rows.find((w) => w.which === 'second');
    const third = real.rows.find((w) => w.which === 'third');
    if (first && second && third) {
      const met = real.ratios.secondOverFirst.median <= 0.1;
      const plainWalls = real.rows.map((w) => w.plain.wallMs.median);
      const plainSpread = Math.max(...plainWalls) - Math.min(...plainWalls);
      const packageSecond = second.packageConstructMs.median / first.packageConstructMs.median;
      out.push({
        target: 'a second real `npx cdk synth` (TypeScript app, ts-node, aws-cdk CLI) at most 10% of the first',
        measured: `second ${pct(real.ratios.secondOverFirst.median)} of the first (${sec(second.vectordb.wallMs.median)} s vs ${sec(first.vectordb.wallMs.median)} s), third (cdk.out removed, warm cache) ${pct(real.ratios.thirdOverFirst.median)}; `
          + `the same app with a plain NodejsFunction: ${sec(first.plain.wallMs.median)} s first, ${sec(second.plain.wallMs.median)} s second`,
        verdict: met ? 'met' : 'missed',
        why: `${met ? 'met' : 'missed'}: what this package costs (the VectorDbFunction app minus the NodejsFunction app, run by run) is ${sec(first.packageMs.median)} s of wall time in the first synth (the layer build), `
          + `${sec(second.packageMs.median)} s in the second and ${sec(third.packageMs.median)} s in the third, where the NodejsFunction app, doing the same work each time, itself varies by ${sec(plainSpread)} s between its three synths; `
          + `counted by the functions' constructors, the package's part is ${sec(first.packageConstructMs.median)} s, ${sec(second.packageConstructMs.median)} s and ${sec(third.packageConstructMs.median)} s: `
          + `the second is ${pct(packageSecond)} of the first${packageSecond <= 0.1 ? ', within 10%' : ', above 10%'}. `
          + `With the layer ready, VectorDbFunction's fixed costs are npm's version (${sec2(real.probe.npmProbeMs.median)} s), the handler's SDK (${sec2(real.probe.detectionMs.median)} s) and, when the layer is in cdk.out, its check `
          + `(${sec2(real.probe.cdkOutCheckMs.median)} s; each timed in a new process with the synths' machine cache). `
          + `The rest of every synth, ${sec(second.plain.wallMs.median)} s for the NodejsFunction app here, is node and ts-node type-checking bin/app.ts (${sec(second.plain.startMs.median)} s to the app's first statement), NodejsFunction's esbuild bundling `
          + `(${sec(second.plain.constructMs.median)} s) and npx with the CLI (${sec(second.plain.cliMs.median)} s), paid by any CDK app with a NodejsFunction. `
          + `So a second synth is ${packageSecond <= 0.1 ? 'within' : 'not within'} 10% of the first for this package's own part, and far from it for the whole \`cdk synth\` a user waits for.${changed}`,
      });
    }
  }
  if (real && real.ratios.secondOverPlain && real.ratios.thirdOverPlain) {
    const second = real.rows.find((w) => w.which === 'second');
    const third = real.rows.find((w) => w.which === 'third');
    const r2 = real.ratios.secondOverPlain;
    const r3 = real.ratios.thirdOverPlain;
    const met = r2.median <= 1.03 && r3.median <= 1.03;
    out.push({
      target: 'a warm real `npx cdk synth` at most 1.03x the same app with a plain NodejsFunction (second and third synth, pair by pair)',
      measured: `second ${rat(r2)}, third ${rat(r3)}${second && third ? ` (medians ${sec(second.vectordb.wallMs.median)} vs ${sec(second.plain.wallMs.median)} s and ${sec(third.vectordb.wallMs.median)} vs ${sec(third.plain.wallMs.median)} s)` : ''}`,
      verdict: met ? 'met' : 'missed',
      why: `${met ? 'met' : 'missed'}: the two apps differ only in the function's construct (and the layer); the synths alternate which app goes first. `
        + `With the layer ready, a warm synth answers npm's version (${sec2(real.probe.npmProbeMs.median)} s), the handler's SDK (${sec2(real.probe.detectionMs.median)} s) and the check of the layer in cdk.out (${sec2(real.probe.cdkOutCheckMs.median)} s) `
        + 'from the machine cache or the layer\'s seal (each timed in a new process with the synths\' machine cache)'
        + `${second && third ? `; the VectorDbFunction app's start-up to its first statement is ${sec(second.vectordb.startMs.median)} s against ${sec(second.plain.startMs.median)} s, its constructor ${sec(second.vectordb.constructMs.median)} s against ${sec(second.plain.constructMs.median)} s (second synth)` : ''}.${changed}`,
    });
  }
  return out;
}

function synthCells(t: SynthTimes): string {
  return [t.startMs, t.constructMs, t.restMs, t.cliMs].map((s) => sec(s.median)).join(' / ');
}

/** The cache part as markdown sections. */
function renderCache(c: CachePart, h: string): string[] {
  const out: string[] = [];
  out.push(`${h} Machine-wide layer cache`, '');
  out.push('Every measurement sets `CDK_VECTORDB_LAYER_CACHE` itself: a new temp folder (cold), the folder a cold measurement just filled (warm), or `off`; never the user\'s cache folder. '
    + 'npm\'s own cache is warm throughout, so cold builds download nothing twice (the fastest a cold build gets, and the least flattering warm / cold ratio). Seconds, median (min-max).', '');
  if (c.recipeChangedDuring.length > 0) {
    out.push(`**What decides the layer's hash changed while ${c.recipeChangedDuring.join(', ')} ran (an edit or a commit in this checkout mid-run): those figures may include builds that a stable checkout would not make.**`, '');
  }
  if (c.layerCost) {
    out.push('Layer cost: `new VectorDbLayer(...)` (CDK stages the asset there: the build, or the link from the cache, and the checks) in a new cdk.out, in one process with CDK\'s in-memory asset cache cleared; cold: an empty machine cache; warm: the cache the cold build filled.', '');
    out.push('| layer | files, MB | cold s (builds) | warm s (builds) | warm / cold | linked from the cache | app.synth() cold / warm s |');
    out.push('| --- | ---: | ---: | ---: | ---: | --- | ---: |');
    for (const l of c.layerCost) {
      out.push(`| ${label(l)} | ${l.files}, ${mb(l.unzippedBytes)} | ${secs(l.coldMs)} (${l.buildsCold}) | ${range(l.warmMs, sec2)} (${l.buildsWarm}) | ${range(l.warmOverCold, pct)} | ${l.warmLinked ? 'yes: every file is the cache\'s inode' : 'no'} | ${sec2(l.coldSynthMs.median)} / ${sec2(l.warmSynthMs.median)} |`);
    }
    out.push('');
  }
  if (c.clone) {
    const k = c.clone;
    out.push(`A fresh clone (\`git clone\` of ${k.commit.slice(0, 12)} into a temp folder, node_modules shared by a symlink, ${sec2(k.cloneMs.median)} s): its \`test/fixtures/synth-layer.js\` (${k.sdk} ${k.version}) as a process, with an empty cache, then in a second fresh clone with the cache the first filled; the baseline is the second clone's process with bundling skipped (node, ts-node, aws-cdk-lib, no layer).`, '');
    out.push('| empty cache s | warm cache s | warm / cold | baseline s | layer\'s share cold / warm s | layer\'s share warm / cold | layer built (cold / warm) |');
    out.push('| ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    out.push(`| ${secs(k.coldMs)} | ${secs(k.warmMs)} | ${range(k.warmOverCold, pct)} | ${secs(k.baselineMs)} | ${sec(k.layerColdMs.median)} / ${sec(k.layerWarmMs.median)} | ${range(k.layerWarmOverCold, pct)} | ${k.builtCold ? 'yes' : 'no'} / ${k.builtWarm ? 'yes' : 'no'} |`, '');
  }
  if (c.apps) {
    out.push(`N Apps in one process, as a jest suite makes them: each App is \`new App()\` (its cdk.out a new temp folder) + Stack + the construct + \`Template.fromStack\`; one App and ${c.apps[0]?.apps ?? 20} Apps, each in a new process with an empty machine cache, then again with the cache warm. NodejsFunction: the same handler and externals without this package. Layer builds counted with \`localBuildCount()\`.`, '');
    out.push('| construct | 1 App s | N Apps s | N / 1 | first of N s | each other App s | layer builds (1 / N) | warm cache: 1 / N Apps s (builds) |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const a of c.apps) {
      const warm = a.warmOneMs && a.warmManyMs ? `${sec(a.warmOneMs.median)} / ${sec(a.warmManyMs.median)} (${a.buildsWarm})` : '-';
      out.push(`| ${a.kind} | ${secs(a.oneMs)} | ${secs(a.manyMs)} | ${rat(a.manyOverOne)} | ${sec(a.firstAppMs.median)} | ${sec2(a.otherAppMs.median)} | ${a.kind === 'NodejsFunction' ? '-' : `${a.buildsOne} / ${a.buildsMany}`} | ${warm} |`);
    }
    if (c.off) out.push('', `With the cache off (\`CDK_VECTORDB_LAYER_CACHE=off\`, measured once), ${c.off.apps} ${c.off.kind} Apps in one process built the layer ${c.off.builds} times: ${c.off.appMs.map((m) => sec(m)).join(' s + ')} s.`);
    out.push('');
  }
  if (c.disk) {
    out.push('Disk per cdk.out: for each cdk.out of the N-App run, `du -s -B1 <cache> <cdk.out>` in one invocation (du counts a hard-linked file once: its second figure is what that cdk.out adds), and the blocks of the files and folders below it whose inodes the cache does not hold. KiB = 1024 bytes.', '');
    out.push('| construct | file system | extra per cdk.out, du | new inodes | of which folders | files linked / all | one cdk.out alone (a copy) |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const d of c.disk) {
      out.push(`| ${d.kind} | ${d.fileSystem} | ${kb(d.extraBytes.median)} (${kb(d.extraBytes.min)}-${kb(d.extraBytes.max)}) | ${kb(d.newInodeBytes.median)} | ${d.folders} folders, ${kb(d.folderBytes)} | ${d.linkedFiles} / ${d.files} | ${mb(d.aloneBytes)} MB |`);
    }
    out.push('');
  }
  const real = c.realSynth;
  if (real) {
    out.push(`${h} A real \`cdk synth\``, '');
    out.push('A small TypeScript app as a new user has it: `cdk.json` with `"app": "npx ts-node --prefer-ts-exts bin/app.ts"` (type-checked), `tsconfig.json` as `cdk init` writes it, '
      + '`bin/app.ts` with one `VectorDbFunction` and `lambda/search.ts` (the README\'s handler, through `cdk-vectordb-layer/lib/runtime`); '
      + `this package installed by npm from \`npm pack\` of ${real.tarball.commit.slice(0, 12)} (${Math.round(real.tarball.bytes / 1e3)} kB), aws-cdk CLI ${real.cli} from the npm registry, aws-cdk-lib ${real.awsCdkLib}, ts-node ${real.tsNode}, typescript ${real.typescript}, esbuild (symlinked). `
      + 'The same app with a plain `NodejsFunction` (same handler, no layer) is timed the same way, turn about: the difference is what this package costs. '
      + 'bin/app.ts notes where its process spent the time: start-up (node, ts-node type-checking, loading the imports, to its first statement), the function\'s constructor (VectorDbFunction: the layer built or linked, SDK detection, checks, esbuild; NodejsFunction: esbuild), the rest of the process (App.synth at exit); CLI is the wall time outside the app process (npx, the CLI, reading the assembly, printing the template). Seconds.', '');
    out.push('| synth | VectorDbFunction app | NodejsFunction app | this package: wall / constructor difference | VectorDbFunction: start-up / constructor / rest / CLI | NodejsFunction: start-up / constructor / rest / CLI | layer built |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const w of real.rows) {
      const built = w.vectordb.layerBuilt.every((b) => b) ? 'yes' : w.vectordb.layerBuilt.some((b) => b) ? 'in some runs' : 'no';
      out.push(`| ${w.which}: ${w.what} | ${secs(w.vectordb.wallMs)} | ${secs(w.plain.wallMs)} | ${secs(w.packageMs)} / ${sec(w.packageConstructMs.median)} | ${synthCells(w.vectordb)} | ${synthCells(w.plain)} | ${built} |`);
    }
    const q = real.ratios;
    out.push('', `VectorDbFunction's fixed costs with the layer ready, each timed in a new process with the synths' machine cache: npm version ${range(real.probe.npmProbeMs, sec2)} s, SDK detection (esbuild) ${range(real.probe.detectionMs, sec2)} s, `
      + `check of the layer in cdk.out (its seal, or the manifest and the binary's sha256) ${range(real.probe.cdkOutCheckMs, sec2)} s.`);
    out.push('', `VectorDbFunction app, second / first ${range(q.secondOverFirst, pct)}, third / first ${range(q.thirdOverFirst, pct)}; its constructor alone, second / first ${range(q.constructSecondOverFirst, pct)}, third / first ${range(q.constructThirdOverFirst, pct)}; NodejsFunction app, second / first ${range(q.plainSecondOverFirst, pct)}.`);
    if (real.firstSynthSaid.length > 0) {
      out.push('', 'What the first synth printed about the layer (stderr):', '', '```text', ...real.firstSynthSaid, '```');
    }
    out.push('');
  }
  out.push(`Time per measurement: ${Object.entries(c.seconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}.`, '');
  return out;
}

function statsRow(s: LayoutStats): string[] {
  return [s.initMs, s.firstInvokeMs, s.coldMs, s.requireMs, s.warmP50Ms, s.warmP95Ms].map((v) => msf(v.median));
}

/** One commit as results.md prints it: `abcdef123456` (clean), or with what differed, or why it is not known. */
function commitText(c: MeasuredCommit | undefined): string {
  if (!c || c.commit === null) return `not recorded${c?.note ? ` (${c.note})` : ''}`;
  const changed = c.changed && c.changed.length > 0 ? `: ${c.changed.map((f) => `\`${f}\``).join(', ')}` : '';
  return `\`${c.commit.slice(0, 12)}\`${c.dirty ? ` with uncommitted changes${changed}` : ', a clean checkout'}`;
}

/** Which commit each part measured: one line when they agree, else part by part. */
export function renderCommits(r: Pick<Results, 'partSeconds' | 'partCommits'>): string {
  const parts = Object.keys(r.partSeconds);
  const texts = parts.map((p) => commitText(r.partCommits?.[p]));
  if (parts.length > 0 && texts.every((t) => t === texts[0])) return `Commit measured: ${texts[0]}.`;
  return `Commit measured, part by part: ${parts.map((p, i) => `${p} ${texts[i]}`).join('; ')}.`;
}

/** The results as markdown; `level` is the heading level of the sections (2 in results.md). */
export function renderMarkdown(r: Results, level: number): string {
  const h = '#'.repeat(level);
  const m = r.machine;
  const out: string[] = [];
  out.push(`Measured ${r.date.slice(0, 10)} on ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.os}, Node.js ${m.node}, npm ${m.npm}, the public npm registry, no Docker; every figure is the median of ${r.runs} runs with (min-max), ratios are taken pair by pair within a run. Made by:`);
  out.push('', '```bash', r.command, '```', '');
  out.push(renderCommits(r), '');
  out.push(`${h} Targets`, '');
  out.push('| target | measured | verdict |', '| --- | --- | --- |');
  for (const t of r.targets) out.push(`| ${t.target} | ${t.measured} | **${t.verdict}** |`);
  out.push('');
  for (const t of r.targets) out.push(`- **${t.target}**: ${t.why}`);
  out.push('');

  if (r.layer) {
    const rows = r.layer.rows;
    out.push(`${h} Layer size (x86_64)`, '');
    out.push('Ours: the recipe (`VectorDbLayer`). Plain: `npm install <sdk>@<version>` into an empty `nodejs/` folder, the hand-made layer. Floor: the stripped native binary plus the JavaScript files Node.js loads for `require(sdk)`, connect, create a table and search (its `require.cache`); zipped with `zip -r -X -6`. MB = 10^6 bytes.', '');
    out.push('| SDK | ours MB | plain MB | floor MB | ours / plain | ours / floor | plain / floor | ours zip MB | plain zip MB | floor zip MB | ours / plain zip | ours / floor zip |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const l of rows) {
      out.push(`| ${label(l)} | ${mb(l.ours.unzippedBytes)} | ${mb(l.plain.unzippedBytes)} | ${mb(l.floor.unzippedBytes)} | ${x(l.ratios.oursOverPlainUnzipped, 3)} | ${x(l.ratios.oursOverFloorUnzipped, 3)} | ${x(l.ratios.plainOverFloorUnzipped, 3)} | ${mb(l.ours.zippedBytes)} | ${mb(l.plain.zippedBytes)} | ${mb(l.floor.zippedBytes)} | ${x(l.ratios.oursOverPlainZipped, 3)} | ${x(l.ratios.oursOverFloorZipped, 3)} |`);
    }
    out.push('');
    out.push('| SDK | binary ours (stripped) / plain MB | floor: loaded JS files, MB | floor verified | files ours / plain | plain install: largest packages (MB); optional deps npm left out | same files every run (ours / plain) |');
    out.push('| --- | ---: | ---: | --- | ---: | --- | --- |');
    for (const l of rows) {
      const largest = l.plain.largestPackages.slice(0, 4).map((p) => `${p.name} ${mb(p.bytes)}`).join(', ');
      const missing = l.plain.optionalMissing.length > 0 ? `; left out: ${l.plain.optionalMissing.join(', ')}` : '';
      const verified = l.floor.verified ? 'yes: the floor files alone ran the search' : 'no';
      const same = `${l.ours.identicalAcrossRuns ? 'yes' : 'no'} / ${l.plain.identicalAcrossRuns ? 'yes' : 'no'}`;
      out.push(`| ${label(l)} | ${mb(l.ours.binaryBytes)} / ${mb(l.plain.binaryBytes)} | ${l.floor.jsFiles}, ${(l.floor.jsBytes / 1e6).toFixed(2)} | ${verified} | ${l.ours.files} / ${l.plain.files} | ${largest}${missing} | ${same} |`);
    }
    out.push('');
    out.push(`${h} Layer build time (x86_64)`, '');
    out.push('Seconds of wall time. Cold: an empty npm cache folder. Warm: the same folder right after the cold install. '
      + 'Ours is more than an install: lockfile verification, ELF checks, pruning, `strip` of the binary and a `require` of the built layer; '
      + 'the npm install inside it is given apart (median). The plain install resolves every dependency, optional ones included, and fetches more packages.', '');
    out.push('| SDK | ours cold s; its npm install | plain cold s | ours / plain cold | ours warm s; its npm install | plain warm s | ours / plain warm |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const l of rows) {
      const inst = (s?: Stat) => (s && Number.isFinite(s.median) ? `; npm ${sec(s.median)}` : '');
      out.push(`| ${label(l)} | ${range(l.buildMs.oursCold, sec)}${inst(l.buildMs.oursColdInstall)} | ${range(l.buildMs.plainCold, sec)} | ${rat(l.buildRatio.cold)} `
        + `| ${range(l.buildMs.oursWarm, sec)}${inst(l.buildMs.oursWarmInstall)} | ${range(l.buildMs.plainWarm, sec)} | ${rat(l.buildRatio.warm)} |`);
    }
    out.push('');
  }

  if (r.synth) {
    out.push(`${h} Synth`, '');
    out.push('A stack of N `VectorDbFunction`s sharing the default layer (`vectordb` 0.21.2), synthesized into an empty cdk.out (first) and again into the same cdk.out (second), in one process (after a warm-up synth), with the machine-wide layer cache off (`CDK_VECTORDB_LAYER_CACHE=off`: what a cdk.out alone gives); layer builds counted with `localBuildCount()` (the recipe commands the process started). Seconds.', '');
    out.push('| functions | first s | second s | second / first | layer builds (first / second) |');
    out.push('| ---: | ---: | ---: | ---: | ---: |');
    for (const s of r.synth.rows) {
      out.push(`| ${s.functions} | ${range(s.firstMs, sec2)} | ${range(s.secondMs, sec2)} | ${range(s.secondOverFirst, pct)} | ${s.layerBuildsFirst} / ${s.layerBuildsSecond}${s.buildCountsStable ? '' : ' (varied)'} |`);
    }
    const procRows = r.synth.rows.filter((s) => s.process);
    if (procRows.length > 0) {
      out.push('', 'The same, each synth as a whole new process (node, ts-node, loading aws-cdk-lib, the app, synth), as `cdk synth` runs an app:', '');
      out.push('| functions | first s | second s | second / first | layer builds (first / second) |');
      out.push('| ---: | ---: | ---: | ---: | ---: |');
      for (const s of procRows) {
        const p = s.process!;
        out.push(`| ${s.functions} | ${range(p.firstMs, sec2)} | ${range(p.secondMs, sec2)} | ${range(p.secondOverFirst, pct)} | ${p.layerBuildsFirst} / ${p.layerBuildsSecond} |`);
      }
    }
    out.push('');
  }

  if (r.coldstart) {
    const c = r.coldstart.rows;
    out.push(`${h} Cold start and queries (local invoker)`, '');
    out.push(`The example app's \`search\` function (examples/app.ts, location tmp) run by the local invoker (${c[0]?.runtimeClient ?? 'aws-lambda-ric'}, Lambda's layout and NODE_PATH, read-only /opt, on the Node.js major of the function's runtime: the official build from the npm registry) on a table of ${c[0]?.rows.toLocaleString('en-US')} rows of ${c[0]?.dimensions}-dimension vectors (no index: a full scan), ingested once through the example's \`ingest\`. Ours: the layer in cdk.out; plain: the hand-made layer put in its place with \`layerDirs\`. The example handlers load the SDK on their first invoke, so *init* is the runtime client and the handler bundle, and the SDK load is in the *first invoke* (load, connect, open, search); *require* is \`require(sdk)\` alone in a new node with NODE_PATH at the layer. Each run starts ${r.coldstart.coldStartsPerRun ?? 1} new execution environments per layout and times require(sdk) ${r.coldstart.requireSamplesPerRun ?? 1} times per layout, ours and plain taking turns, and takes the medians; warm: p50 and p95 of the 50 invokes after the first in one of them. Milliseconds, medians of ${r.runs} runs; ratios ours / plain run by run, median (min-max). Warm invokes run the same native code from either layer (stripping removes symbols, not code): their differences, p95 above all (the 3rd slowest of 50 invokes), are this 2-core machine's noise.`, '');
    out.push('| SDK | layer | init | first invoke | init + first | require(sdk) | warm p50 | warm p95 |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of c) {
      out.push(`| ${label(row)}${onNode(row)} | ours | ${statsRow(row.ours).join(' | ')} |`);
      out.push(`| | plain | ${statsRow(row.plain).join(' | ')} |`);
      const q = row.ratios;
      out.push(`| | ours / plain | ${[q.initMs, q.firstInvokeMs, q.coldMs, q.requireMs, q.warmP50Ms, q.warmP95Ms].map((s) => rat(s)).join(' | ')} |`);
    }
    out.push('');
    out.push('Ranges (min-max over runs), ms:', '');
    out.push('| SDK | layer | init | first invoke | require(sdk) | warm p50 | warm p95 |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const row of c) {
      for (const [name, s] of [['ours', row.ours], ['plain', row.plain]] as const) {
        out.push(`| ${label(row)} | ${name} | ${[s.initMs, s.firstInvokeMs, s.requireMs, s.warmP50Ms, s.warmP95Ms].map((v) => `${msf(v.min)}-${msf(v.max)}`).join(' | ')} |`);
      }
    }
    const warnings = [...new Set(c.flatMap((row) => row.warnings))];
    if (warnings.length > 0) {
      out.push('', 'The invoker\'s notes on how these runs differ from Lambda:', '');
      for (const w of warnings) out.push(`- ${w}`);
    }
    out.push('');
  }
  if (r.compress) out.push(...renderCompress(r.compress, h));
  if (r.cache) out.push(...renderCache(r.cache, h));
  if (r.maintain) out.push(...renderMaintain(r.maintain, h));
  out.push(`Time per part: ${Object.entries(r.partSeconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}.`);
  return `${out.join('\n')}\n`;
}

/** ` (nodejs24.x on Node.js v24.x)`: the function's runtime and the Node.js that ran it locally. */
function onNode(row: { runtime?: string; nodeVersion?: string; nodeNote?: string }): string {
  const parts = [row.runtime, row.nodeVersion ? `on Node.js ${row.nodeVersion}` : undefined, row.nodeNote ? `(${row.nodeNote})` : undefined].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}

function renderCompress(c: CompressPart, h: string): string[] {
  const out: string[] = [`${h} Compressed binary (\`compressBinary\`, x86_64)`, ''];
  out.push(`The same layer built twice by the recipe, with and without \`compressBinary\`; the example's \`search\` handler on a layer imported by ARN, each layer folder swapped in (\`layerDirs\`), run by the local invoker on the Node.js major of the function's runtime in a new execution environment (its own empty /tmp, so every cold start decompresses), with the bench and its functions on the CPUs named (taskset) and the function's memory that Lambda would give that many vCPUs (1,769 MB each), ${c.coldStartsPerRun} per layout per run, the two taking turns; a second invoke in each environment. Sizes in MB (10^6 bytes), times in ms, medians of ${c.runs} runs (min-max); ratios compressed / uncompressed pair by pair. Peak RSS: \`require(sdk)\` in a new node.`, '');
  out.push('| SDK | layer | unzipped MB | zipped MB | binary MB | init | first invoke | init + first | second invoke | require peak RSS MB | /tmp after require MB |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of c.rows) {
    for (const [name, l] of [['uncompressed', row.uncompressed], ['compressed', row.compressed]] as const) {
      out.push(`| ${name === 'uncompressed' ? `${label(row)}${onNode(row)}${row.cpus ? `, CPUs ${row.cpus} (${row.memorySize} MB function)` : ''}` : ''} | ${name} | ${mb(l.unzippedBytes)} | ${mb(l.zippedBytes)} | ${mb(l.binaryBytes)} | ${range(l.initMs, msf)} | ${range(l.firstInvokeMs, msf)} | ${range(l.coldMs, msf)} | ${range(l.secondInvokeMs, msf)} | ${range(l.requireMaxRssMb, (n) => n.toFixed(0))} | ${mb(l.binaryDirBytes)} |`);
    }
    out.push(`| | compressed / uncompressed | ${x(row.ratios.unzipped, 3)} | ${x(row.ratios.zipped, 3)} | | | | ${rat(row.ratios.coldMs)} (+${range(row.addedColdMs, sec2)} s) | ${rat(row.ratios.secondInvokeMs)} | ${rat(row.ratios.requireMaxRss)} | |`);
  }
  out.push('');
  return out;
}

function renderMaintain(m: MaintainPart, h: string): string[] {
  const out: string[] = [`${h} Maintenance run (\`maintain\`, ${label(m)})`, ''];
  out.push(`A table of ${m.rows.toLocaleString('en-US')} rows of ${m.dimension} dimensions appended in ${m.batches} batches (vectors near an 8-dimensional surface, as embeddings are), in a folder shared with the function (the EFS case); `
    + `then one maintenance run: the handler of \`VectorDbMaintenance\` (src/maintenance-handler) run by the local invoker${onNode(m)} in a new execution environment, \`cleanupOlderThanSeconds: 0\`: `
    + `compaction, every version older than the run pruned, the IVF_PQ index built (${m.indexParameters.numPartitions} partitions, ${m.indexParameters.numSubVectors} sub-vectors). `
    + `Latency: the median of 20 fixed queries (top 10), exact search (\`bypassVectorIndex\`), from the bench's process. Medians of ${m.runs} run(s) (min-max); ratios after / before run by run.`, '');
  out.push('| | before | after | after / before |');
  out.push('| --- | ---: | ---: | ---: |');
  const n = (v: number) => v.toLocaleString('en-US');
  out.push(`| fragments | ${range(m.before.fragments, n)} | ${range(m.after.fragments, n)} | ${range(m.ratios.fragments, (v) => x(v, 4))} |`);
  out.push(`| versions | ${range(m.before.versions, n)} | ${range(m.after.versions, n)} | ${range(m.ratios.versions, (v) => x(v, 4))} |`);
  out.push(`| bytes on the store, MB | ${range(m.before.bytes, mb)} | ${range(m.after.bytes, mb)} | ${rat(m.ratios.bytes)} |`);
  out.push(`| files | ${range(m.before.files, n)} | ${range(m.after.files, n)} | |`);
  out.push(`| after the next run: bytes, MB | | ${range(m.afterNext.bytes, mb)} | ${rat(m.ratios.bytesAfterNext)} |`);
  out.push(`| after the next run: files, versions | | ${range(m.afterNext.files, n)}, ${range(m.afterNext.versions, n)} | |`);
  out.push(`| exact query median, ms | ${range(m.before.exactMedianMs, msf)} | ${range(m.after.exactMedianMs, msf)} | ${range(m.ratios.exactLatency, (v) => x(v, 3))} |`);
  out.push(`| query through the index, median ms | | ${range(m.indexedMedianMs, msf)} | ${range(m.ratios.indexedOverExactBefore, (v) => x(v, 3))} (of the exact query before) |`);
  out.push('');
  out.push('Bytes rise in the run that compacts (the compacted copy and the index are written, and LanceDB deletes the replaced files only once the compaction\'s own version is older than the cutoff) and fall in the next run.', '');
  out.push(`Same nearest neighbours (ids and distances) before and after: ${m.sameNeighbours ? 'yes, every run' : 'NO'}. The index is in the query plan: ${m.indexUsed ? 'yes' : 'NO'}; recall@10 against exact search ${range(m.recallAt10, (v) => x(v, 3))} (LanceDB's default 20 probes, no refine). `
    + `The run: ${range(m.runMs, sec)} s (index build ${range(m.indexBuildMs, sec)} s, optimize ${range(m.optimizeMs, sec)} s), peak RSS of the function ${range(m.peakRssMb, (v) => v.toFixed(0))} MB. `
    + `A run with nothing to do: ${range(m.idleRunMs, msf)} ms, ${m.idleWroteNothing ? 'no new version and no new file' : 'it WROTE something'}. Appending the ${m.batches} batches took ${range(m.appendMs, sec)} s.`, '');
  return out;
}

/** results.md: a title, then the sections. */
export function renderResultsFile(r: Results): string {
  return `# Benchmarks\n\n${renderMarkdown(r, 2)}`;
}

export type { LayerRow };
