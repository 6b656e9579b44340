/**
 * `npx ts-node --transpile-only build-tools/time-both-layers.ts [--before <checkout>] [--rounds N] [--sdk <sdk>] [--version <v>]`
 *
 * Times one synth of a stack that asks for both layers of one SDK version (the
 * plain one and `compressBinary: true`), with a cold machine-wide layer cache
 * (a new, empty CDK_VECTORDB_LAYER_CACHE each time; npm's own cache as it is),
 * in a process of its own: this checkout ("after") and, with `--before`,
 * another checkout of the package ("before", e.g. the main checkout at the
 * commit before the change), alternating, round by round. Prints each synth's
 * seconds, the recipe runs it made, and the seconds the recipe's progress
 * lines give to compressing (the same work before and after, and the noisiest
 * on a shared machine) and to its other steps (what making the compressed
 * layer from the plain one saves), then the medians with min-max.
 *
 * Default: @lancedb/lancedb 0.39.0 x86_64, 3 rounds.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';

interface Synth {
  readonly ms: number;
  readonly builds: number;
  readonly installs?: number;
  /** Seconds the recipe's progress lines gave to compressing, and to its other steps (the parent reads them). */
  compressS?: number;
  otherS?: number;
}

/** The recipe's step times in its progress lines (`[vectordb-layer] ...: <step> ... in 1.2 s`): compressing, and the rest. */
function stepSeconds(stderr: string): { compressS: number; otherS: number } {
  let compressS = 0;
  let otherS = 0;
  for (const line of stderr.split('\n')) {
    const m = /^\[vectordb-layer\] [^:]+: (.*) in (\d+(?:\.\d+)?) s$/.exec(line);
    if (!m) continue;
    if (m[1].startsWith('compressed the native binary')) compressS += Number(m[2]);
    else otherS += Number(m[2]);
  }
  return { compressS, otherS };
}

/** The child: both layers in one synth, with the checkout's own package; prints a Synth as JSON. */
function child(checkout: string, outdir: string, sdkName: string, version: string) {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const cdk = require(path.join(checkout, 'node_modules', 'aws-cdk-lib'));
  const pkg = require(path.join(checkout, 'src'));
  const local = require(path.join(checkout, 'src', 'private', 'layer', 'local-build'));
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = sdkName === 'vectordb' ? pkg.VectorDbSdk.VECTORDB : pkg.VectorDbSdk.LANCEDB;
  const started = Date.now();
  const app = new cdk.App({ outdir });
  const stack = new cdk.Stack(app, 'Stack');
  new pkg.VectorDbLayer(stack, 'Plain', { sdk, version });
  new pkg.VectorDbLayer(stack, 'Compressed', { sdk, version, compressBinary: true });
  app.synth();
  const result: Synth = { ms: Date.now() - started, builds: local.localBuildCount(), installs: local.localInstallCount?.() };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** One synth of `checkout` in a new process, with an empty layer cache. */
function timeOnce(checkout: string, sdk: string, version: string): Synth {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'time-both-layers-'));
  try {
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--child', checkout, '--out', path.join(tmp, 'cdk.out'), '--sdk', sdk, '--version', version], {
      cwd: checkout,
      env: { ...process.env, CDK_VECTORDB_LAYER_CACHE: path.join(tmp, 'cache'), TS_NODE_PROJECT: path.join(checkout, 'tsconfig.dev.json') },
      encoding: 'utf-8',
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stderr.write(r.stderr);
    if (r.status !== 0) throw new Error(`the synth of ${checkout} exited ${r.status ?? r.signal}`);
    return { ...JSON.parse(r.stdout.trim().split('\n').pop() ?? ''), ...stepSeconds(r.stderr) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main() {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      out: { type: 'string' },
      before: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      sdk: { type: 'string', default: '@lancedb/lancedb' },
      version: { type: 'string', default: '0.39.0' },
    },
  });
  const sdk = values.sdk!;
  const version = values.version!;
  if (values.child) {
    child(values.child, values.out!, sdk, version);
    return;
  }
  const after = path.resolve(__dirname, '..');
  const checkouts: Array<[string, string]> = [...(values.before ? [['before', path.resolve(values.before)] as [string, string]] : []), ['after', after]];
  const seconds: Record<string, number[]> = {};
  const other: Record<string, number[]> = {};
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [name, checkout] of checkouts) {
      const s = timeOnce(checkout, sdk, version);
      (seconds[name] ??= []).push(s.ms / 1000);
      (other[name] ??= []).push(s.otherS ?? 0);
      const steps = `recipe steps: compressing ${s.compressS?.toFixed(1)} s, the others ${s.otherS?.toFixed(1)} s`;
      process.stdout.write(`round ${round} ${name}: ${(s.ms / 1000).toFixed(1)} s, ${s.builds} recipe runs${s.installs === undefined ? '' : `, ${s.installs} npm installs`}; ${steps} (${checkout})\n`);
    }
  }
  for (const [name, xs] of Object.entries(seconds)) {
    const o = other[name];
    const range = (v: number[]) => `median ${median(v).toFixed(1)} s (${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)})`;
    process.stdout.write(`${name}: both layers of ${sdk} ${version} in one synth, cold layer cache: ${range(xs)}; recipe steps but compressing: ${range(o)}; ${xs.length} synths\n`);
  }
}

main();
