/**
 * `npx ts-node --transpile-only build-tools/time-both-layers.ts [--before <checkout>] [--rounds N] [--sdk <sdk>] [--version <v>]`
 *
 * Times one synth of a stack that asks for both layers of one SDK version (the
 * plain one and `compressBinary: true`), with a cold machine-wide layer cache
 * (a new, empty CDK_VECTORDB_LAYER_CACHE each time; npm's own cache as it is),
 * in a process of its own: this checkout ("after") and, with `--before`,
 * another checkout of the package ("before", e.g. the main checkout at the
 * commit before the change), alternating, round by round. Prints each synth's
 * seconds and the recipe runs it made, then the medians with min-max.
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
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`the synth of ${checkout} exited ${r.status ?? r.signal}`);
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
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
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [name, checkout] of checkouts) {
      const s = timeOnce(checkout, sdk, version);
      (seconds[name] ??= []).push(s.ms / 1000);
      process.stdout.write(`round ${round} ${name}: ${(s.ms / 1000).toFixed(1)} s, ${s.builds} recipe runs${s.installs === undefined ? '' : `, ${s.installs} npm installs`} (${checkout})\n`);
    }
  }
  for (const [name, xs] of Object.entries(seconds)) {
    process.stdout.write(`${name}: both layers of ${sdk} ${version} in one synth, cold layer cache: median ${median(xs).toFixed(1)} s (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}), ${xs.length} synths\n`);
  }
}

main();
