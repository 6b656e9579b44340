/**
 * VectorDbFunction's three fixed costs on a warm synth, each timed as the
 * first call in a new process (as every `cdk synth` process meets them):
 * npm's version (`hostCanBuildWithoutDocker`), the handler's SDK detection
 * (`detectSdkImports` with esbuild) and the check of a layer staged in cdk.out
 * (`checkStagedLayer`, or `checkLayerDir` where that does not exist).
 *
 *   CDK_VECTORDB_LAYER_CACHE=<a cache holding a layer> \
 *     npx ts-node --transpile-only -P tsconfig.dev.json bench/warm-parts.ts [runs] [cache folder | off]
 *
 * The layer is the newest entry of $CDK_VECTORDB_LAYER_CACHE (or the layer
 * folder $WARM_PARTS_LAYER), hard-linked into a temp cdk.out as a cache hit
 * links it. The processes timed run with
 * the cache given (default: a new empty folder; `off`: no cache). One process
 * first warms what can be remembered, then `runs` new processes are timed;
 * prints median (min-max) ms of each part.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const HANDLER = path.join(ROOT, 'test', 'fixtures', 'fn', 'diff', 'helper-handler.ts');

interface Parts { npmMs: number; detectionMs: number; checkMs: number; check: { how: string; problems: string[] } }

/** The child: test/fixtures/warm-parts.js (each part once, as the constructs call them). */
const CHILD = path.join(ROOT, 'test', 'fixtures', 'warm-parts.js');

function stat(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor((s.length - 1) / 2)].toFixed(1)} (${s[0].toFixed(1)}-${s[s.length - 1].toFixed(1)})`;
}

function main() {
  const runs = Number(process.argv[2] ?? 5);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-parts-'));
  const cacheArg = process.argv[3] ?? path.join(outdir, 'cache');
  const layerCache = process.env.CDK_VECTORDB_LAYER_CACHE;
  if (!layerCache || layerCache === 'off') throw new Error('set CDK_VECTORDB_LAYER_CACHE to a cache folder holding a layer');
  const layers = path.join(layerCache, 'layers');
  const entry = process.env.WARM_PARTS_LAYER ?? fs.readdirSync(layers).filter((n) => !n.endsWith('.json') && fs.existsSync(path.join(layers, n, 'nodejs', 'vectordb-layer.json')))
    .map((n) => path.join(layers, n)).sort((a, b) => fs.statSync(`${b}.json`).mtimeMs - fs.statSync(`${a}.json`).mtimeMs)[0];
  const stagedHash = 'f'.repeat(64);
  const layerDir = path.join(outdir, `asset.${stagedHash}`);
  spawnSync('cp', ['-al', entry, layerDir]);
  const env = { ...process.env, CDK_VECTORDB_LAYER_CACHE: cacheArg };
  const one = (): Parts => {
    // Through ts-node, as a TypeScript app's synth runs: nothing has started esbuild before the detection.
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD, HANDLER, ROOT, layerDir], {
      env: { ...env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json') },
      encoding: 'utf-8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const parts = JSON.parse(r.stdout.trim().split('\n').pop()!) as Parts;
    if (parts.check.problems.length > 0) throw new Error(`the layer in ${layerDir} does not check: ${parts.check.problems.join('; ')}`);
    return parts;
  };
  try {
    one();
    const all = Array.from({ length: runs }, one);
    const m = JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', 'vectordb-layer.json'), 'utf-8'));
    process.stdout.write(`layer ${m.sdk} ${m.version} (${m.unzippedBytes} bytes), cache ${cacheArg}, ${runs} new processes, ms median (min-max):\n`);
    process.stdout.write(`  npm version: ${stat(all.map((p) => p.npmMs))}\n`);
    process.stdout.write(`  SDK detection: ${stat(all.map((p) => p.detectionMs))}\n`);
    process.stdout.write(`  layer check in cdk.out: ${stat(all.map((p) => p.checkMs))} (${[...new Set(all.map((p) => p.check.how))].join(', ')})\n`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main();
