/**
 * Layer build time and size, x86_64: this library's recipe against the
 * hand-made layer (a plain `npm install <sdk>@<version>` into a `nodejs/`
 * folder), each with a cold npm cache (an empty cache folder) and a warm one
 * (the same folder, just filled by the cold install); and both against the
 * FLOOR: the stripped native binary plus the JavaScript files the SDK actually
 * loads when it is required and a search runs. Our builds run the recipe's
 * command (`node layer-assets/build-layer.js ...`) as VectorDbLayer's local
 * bundling does, a child process each, without the machine-wide layer cache.
 *
 * Part of `npx projen bench` (bench/run.ts); alone:
 *   ts-node --transpile-only --project tsconfig.dev.json bench/layer.ts [out.json]
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { largestPackages, log, measure, plainInstall, ratioStat, run, RUNS, stat, Stat, timed, writePart, zippedBytes } from './common';
import { runRecipe } from '../src/private/layer/local-build';
import { recipeSdks } from '../src/private/layer/recipe';
import { walkFiles } from '../test/support/files';

export const LAYER_SPECS = [
  { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64' },
  { sdk: 'vectordb', version: '0.21.2', architecture: 'x86_64' },
  { sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64' },
] as const;

type Spec = typeof LAYER_SPECS[number];

export interface FloorResult {
  /** The stripped native binary (from our layer). */
  readonly binaryBytes: number;
  /** JavaScript (and JSON) files in require.cache after require + connect + createTable + search. */
  readonly jsFiles: number;
  readonly jsBytes: number;
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
  /** The floor files plus the package.json of each package they belong to ran the same search. */
  readonly verified: boolean;
  /** Packages whose files were loaded. */
  readonly packages: string[];
}

export interface LayerSize {
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
  readonly files: number;
  /** The native binary, as it is in this layer. */
  readonly binaryBytes: number;
  /** Every build of the runs held the same files with the same sizes. */
  readonly identicalAcrossRuns: boolean;
}

export interface LayerRow {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
  readonly ours: LayerSize;
  readonly plain: LayerSize & {
    largestPackages: Array<{ name: string; bytes: number }>;
    /** The SDK's optional dependencies (other than the per-platform native packages) that npm did not leave installed. */
    optionalMissing: string[];
  };
  readonly floor: FloorResult;
  /** Sizes: ours / plain, ours / floor, plain / floor. */
  readonly ratios: {
    oursOverPlainUnzipped: number;
    oursOverPlainZipped: number;
    oursOverFloorUnzipped: number;
    oursOverFloorZipped: number;
    plainOverFloorUnzipped: number;
    plainOverFloorZipped: number;
  };
  /** Build wall time, ms; oursColdInstall/oursWarmInstall: the npm install inside our build (the rest is checks, pruning, strip). */
  readonly buildMs: { oursCold: Stat; oursWarm: Stat; oursColdInstall: Stat; oursWarmInstall: Stat; plainCold: Stat; plainWarm: Stat };
  /** ours / plain, pair by pair in the same run. */
  readonly buildRatio: { cold: Stat; warm: Stat };
  /** Unzipped bytes of every build, cold and warm, run by run (a layer's content does not depend on the cache). */
  readonly unzippedBytesPerBuild: { ours: number[]; plain: number[] };
}

export interface LayerPart {
  readonly date: string;
  readonly runs: number;
  readonly rows: LayerRow[];
}

/** What a layer holds, as relative path and size of every file: equal fingerprints, equal content sizes. */
function fingerprint(dir: string): string {
  return createHash('sha256').update(walkFiles(dir).map((e) => `${e.rel}\t${e.stat.size}`).join('\n')).digest('hex');
}

// Loads the SDK, creates a table of 256 rows of 768 dimensions, searches it, and prints the
// files Node.js loaded. Run with NODE_PATH at a layer's nodejs/node_modules and nothing else.
const FLOOR_SCRIPT = `'use strict';
const { performance } = require('perf_hooks');
const [sdkName, dbDir] = process.argv.slice(2);
const t0 = performance.now();
const sdk = require(sdkName);
const requireMs = performance.now() - t0;
(async () => {
  const db = await sdk.connect(dbDir);
  const rows = Array.from({ length: 256 }, (_, id) => ({ id, vector: Array.from({ length: 768 }, (_, j) => Math.sin(id * 31 + j)) }));
  const table = await db.createTable('floor', rows);
  const query = table.search(rows[3].vector).limit(5);
  const hits = await (typeof query.toArray === 'function' ? query.toArray() : query.execute());
  process.stdout.write(JSON.stringify({ requireMs, nearest: Number(hits[0].id), files: Object.keys(require.cache) }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

function runFloorScript(sdk: string, nodeModules: string, scratch: string): { nearest: number; files: string[] } {
  const cwd = fs.mkdtempSync(path.join(scratch, 'floor-run-'));
  const script = path.join(cwd, 'floor-search.js');
  fs.writeFileSync(script, FLOOR_SCRIPT);
  try {
    const r = run(process.execPath, [script, sdk, path.join(cwd, 'db')], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: nodeModules, HOME: cwd, TMPDIR: cwd },
    });
    const out = JSON.parse(r.stdout) as { nearest: number; files: string[] };
    if (out.nearest !== 3) throw new Error(`floor search: expected row 3 nearest, got ${out.nearest}`);
    return out;
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/** The package folder (…/node_modules/<name> or …/node_modules/@scope/<name>) of a file. */
function packageDirOf(nodeModules: string, file: string): string {
  const parts = path.relative(nodeModules, file).split(path.sep);
  // nested node_modules: take the innermost
  let i = parts.lastIndexOf('node_modules') + 1;
  const take = parts[i].startsWith('@') ? 2 : 1;
  i += take;
  return path.join(nodeModules, ...parts.slice(0, i));
}

/**
 * The floor: the stripped binary + the JS files the SDK loads for a search,
 * measured in our layer, copied to a folder of their own and zipped; then
 * proven sufficient by running the search again from that folder (plus each
 * loaded package's package.json, which Node.js reads to resolve it).
 */
export function floorOf(sdk: string, layerDir: string, scratch: string): FloorResult {
  const nodeModules = path.join(layerDir, 'nodejs', 'node_modules');
  const loaded = runFloorScript(sdk, nodeModules, scratch).files.filter((f) => f.startsWith(nodeModules + path.sep));
  const binaries = loaded.filter((f) => f.endsWith('.node'));
  const js = loaded.filter((f) => !f.endsWith('.node'));
  if (binaries.length !== 1) throw new Error(`floor: expected one native binary loaded, got ${binaries.length}`);
  const floorDir = fs.mkdtempSync(path.join(scratch, 'floor-'));
  try {
    for (const f of loaded) {
      const dest = path.join(floorDir, 'nodejs', 'node_modules', path.relative(nodeModules, f));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(f, dest);
    }
    const size = measure(floorDir);
    const zipped = zippedBytes(floorDir, scratch);
    const packages = [...new Set(loaded.map((f) => packageDirOf(nodeModules, f)))];
    for (const p of packages) {
      const dest = path.join(floorDir, 'nodejs', 'node_modules', path.relative(nodeModules, p), 'package.json');
      if (!fs.existsSync(dest)) fs.copyFileSync(path.join(p, 'package.json'), dest);
    }
    let verified = false;
    try {
      runFloorScript(sdk, path.join(floorDir, 'nodejs', 'node_modules'), scratch);
      verified = true;
    } catch (e) {
      log(`floor of ${sdk}: the floor files alone did not run the search: ${(e as Error).message.split('\n')[0]}`);
    }
    const binary = fs.statSync(binaries[0]).size;
    const jsBytes = js.reduce((t, f) => t + fs.statSync(f).size, 0);
    if (binary + jsBytes !== size.bytes) throw new Error('floor: copied bytes differ from the loaded files');
    return {
      binaryBytes: binary,
      jsFiles: js.length,
      jsBytes,
      unzippedBytes: size.bytes,
      zippedBytes: zipped,
      verified,
      packages: packages.map((p) => path.relative(nodeModules, p)).sort(),
    };
  } finally {
    fs.rmSync(floorDir, { recursive: true, force: true });
  }
}

/**
 * Builds our layer as VectorDbLayer's local bundling does (the recipe's command,
 * `node layer-assets/build-layer.js ...`, as a child process), with npm's cache at
 * `cache`; returns its wall time and the part of it that was npm install. No
 * machine-wide layer cache is involved: that sits in the construct, around this command.
 */
function oursBuild(spec: Spec, dir: string, cache: string): { ms: number; installMs: number } {
  const env = { ...process.env, npm_config_cache: cache };
  const { ms, value } = timed(() => runRecipe({ ...spec, strip: true }, dir, env));
  return { ms, installMs: value.installMs ?? NaN };
}

/** The SDK's non-native optional dependencies missing from an install (npm drops an optional subtree whose install fails). */
function optionalMissing(sdk: string, layerDir: string): string[] {
  const nodeModules = path.join(layerDir, 'nodejs', 'node_modules');
  const pkg = JSON.parse(fs.readFileSync(path.join(nodeModules, ...sdk.split('/'), 'package.json'), 'utf-8')) as { optionalDependencies?: Record<string, string> };
  return Object.keys(pkg.optionalDependencies ?? {})
    .filter((name) => !/-(linux|darwin|win32|freebsd|android)-/.test(name))
    .filter((name) => !fs.existsSync(path.join(nodeModules, ...name.split('/'), 'package.json')));
}

function binaryBytes(spec: Spec, layerDir: string): number {
  const native = recipeSdks.nativeFor(spec.sdk, spec.architecture);
  const file = path.join(layerDir, 'nodejs', 'node_modules', ...native.packageName.split('/'), native.binary);
  if (!fs.existsSync(file)) throw new Error(`${layerDir}: no native binary ${native.packageName}/${native.binary}`);
  return fs.statSync(file).size;
}

export function runLayerBench(): LayerPart {
  // The recipe is run directly, below the construct: the machine-wide layer cache is not
  // in its path. Off all the same, so that nothing here can read or fill one.
  process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-layer-'));
  const rows: LayerRow[] = [];
  try {
    for (const spec of LAYER_SPECS) {
      const name = `${spec.sdk} ${spec.version} ${spec.architecture}`;
      const ms = {
        oursCold: [] as number[],
        oursWarm: [] as number[],
        oursColdInstall: [] as number[],
        oursWarmInstall: [] as number[],
        plainCold: [] as number[],
        plainWarm: [] as number[],
      };
      const sizes = { ours: [] as number[], plain: [] as number[] };
      const prints = { ours: new Set<string>(), plain: new Set<string>() };
      let keep: { ours: string; plain: string } | undefined;
      for (let r = 0; r < RUNS; r++) {
        const runDir = fs.mkdtempSync(path.join(scratch, 'run-'));
        const oursCache = fs.mkdtempSync(path.join(runDir, 'cache-ours-'));
        const plainCache = fs.mkdtempSync(path.join(runDir, 'cache-plain-'));
        const dirs: string[] = [];
        const ours = () => {
          const cold = path.join(runDir, 'ours-cold');
          const warm = path.join(runDir, 'ours-warm');
          const c = oursBuild(spec, cold, oursCache);
          const w = oursBuild(spec, warm, oursCache);
          ms.oursCold.push(c.ms);
          ms.oursWarm.push(w.ms);
          ms.oursColdInstall.push(c.installMs);
          ms.oursWarmInstall.push(w.installMs);
          dirs.push(cold, warm);
        };
        const plain = () => {
          const cold = plainInstall(spec.sdk, spec.version, path.join(runDir, 'plain-cold'), plainCache);
          const warm = plainInstall(spec.sdk, spec.version, path.join(runDir, 'plain-warm'), plainCache);
          ms.plainCold.push(cold.ms);
          ms.plainWarm.push(warm.ms);
          dirs.push(cold.dir, warm.dir);
        };
        // Alternate which goes first, so neither always meets a cooler page cache or registry.
        if (r % 2 === 0) {
          ours();
          plain();
        } else {
          plain();
          ours();
        }
        for (const d of dirs) {
          const kind = path.basename(d).startsWith('ours') ? 'ours' : 'plain';
          sizes[kind].push(measure(d).bytes);
          prints[kind].add(fingerprint(d));
        }
        log(`${name} run ${r + 1}/${RUNS}: ours cold ${ms.oursCold[r].toFixed(0)} ms, warm ${ms.oursWarm[r].toFixed(0)} ms; plain cold ${ms.plainCold[r].toFixed(0)} ms, warm ${ms.plainWarm[r].toFixed(0)} ms`);
        fs.rmSync(oursCache, { recursive: true, force: true });
        fs.rmSync(plainCache, { recursive: true, force: true });
        if (r === 0) {
          keep = { ours: path.join(runDir, 'ours-warm'), plain: path.join(runDir, 'plain-warm') };
          for (const d of [path.join(runDir, 'ours-cold'), path.join(runDir, 'plain-cold')]) fs.rmSync(d, { recursive: true, force: true });
        } else {
          fs.rmSync(runDir, { recursive: true, force: true });
        }
      }
      if (!keep) throw new Error('no run');
      // Zip once: the content is the same in every run (checked by the fingerprints, reported).
      const ours = { ...measure(keep.ours), zipped: zippedBytes(keep.ours, scratch), binary: binaryBytes(spec, keep.ours) };
      const plain = { ...measure(keep.plain), zipped: zippedBytes(keep.plain, scratch), binary: binaryBytes(spec, keep.plain) };
      const floor = floorOf(spec.sdk, keep.ours, scratch);
      const r3 = (x: number) => +x.toFixed(3);
      const row: LayerRow = {
        sdk: spec.sdk,
        version: spec.version,
        architecture: spec.architecture,
        ours: {
          unzippedBytes: ours.bytes,
          zippedBytes: ours.zipped,
          files: ours.files,
          binaryBytes: ours.binary,
          identicalAcrossRuns: prints.ours.size === 1,
        },
        plain: {
          unzippedBytes: plain.bytes,
          zippedBytes: plain.zipped,
          files: plain.files,
          binaryBytes: plain.binary,
          identicalAcrossRuns: prints.plain.size === 1,
          largestPackages: largestPackages(path.join(keep.plain, 'nodejs', 'node_modules')),
          optionalMissing: optionalMissing(spec.sdk, keep.plain),
        },
        floor,
        ratios: {
          oursOverPlainUnzipped: r3(ours.bytes / plain.bytes),
          oursOverPlainZipped: r3(ours.zipped / plain.zipped),
          oursOverFloorUnzipped: r3(ours.bytes / floor.unzippedBytes),
          oursOverFloorZipped: r3(ours.zipped / floor.zippedBytes),
          plainOverFloorUnzipped: r3(plain.bytes / floor.unzippedBytes),
          plainOverFloorZipped: r3(plain.zipped / floor.zippedBytes),
        },
        buildMs: {
          oursCold: stat(ms.oursCold, 0),
          oursWarm: stat(ms.oursWarm, 0),
          oursColdInstall: stat(ms.oursColdInstall, 0),
          oursWarmInstall: stat(ms.oursWarmInstall, 0),
          plainCold: stat(ms.plainCold, 0),
          plainWarm: stat(ms.plainWarm, 0),
        },
        buildRatio: { cold: ratioStat(ms.oursCold, ms.plainCold), warm: ratioStat(ms.oursWarm, ms.plainWarm) },
        unzippedBytesPerBuild: sizes,
      };
      log(`${name}: ours ${ours.bytes} B (${ours.zipped} zipped), plain ${plain.bytes} B (${plain.zipped} zipped), floor ${floor.unzippedBytes} B (${floor.zippedBytes} zipped, verified ${floor.verified})`);
      rows.push(row);
      fs.rmSync(path.dirname(keep.ours), { recursive: true, force: true });
    }
    return { date: new Date().toISOString(), runs: RUNS, rows };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  writePart(runLayerBench());
}
