/**
 * `cdk-vectordb-layer cache [list|prune|clear] [--max-bytes <size>] [--json]`:
 * the machine-wide layer cache (../private/layer/cache.ts) seen and trimmed:
 * where it is, what it holds (newest use first), its total and its bound;
 * `prune` trims it to its bound (or the one given), `clear` empties it. An
 * entry a running synth holds the lock of (building or linking it) stays.
 */
import * as fs from 'fs';
import * as path from 'path';
import { badInput, parseCommandArgs, parseOrExit, UsageError } from './args';
import type { Command } from './main';
import { answersDir } from '../private/common/answers';
import { CacheEntry, cacheConfig, LayerCache, parseSize, TrimResult } from '../private/layer/cache';
import { readManifest } from '../private/layer/dir';
import { recipePrune } from '../private/layer/recipe';

const SUBCOMMANDS = ['list', 'prune', 'clear'] as const;
type Subcommand = typeof SUBCOMMANDS[number];

const USAGE = `usage: cdk-vectordb-layer cache [list|prune|clear] [--max-bytes <size>] [--json]

The machine-wide layer cache: each layer is built once per machine and linked
into every cdk.out. Its folder: CDK_VECTORDB_LAYER_CACHE (off turns the cache
off), else the user's cache folder (~/.cache/cdk-vectordb-layer on Linux). Its
bound: CDK_VECTORDB_LAYER_CACHE_MAX_BYTES (default 2GB), kept on every build
and every reuse, the least recently used layers going first.

subcommands:
  list               the layers, most recently used first, with the total and the bound (the default)
  prune              removes the least recently used layers until the cache is within its bound
  clear              removes every layer, and the answers kept for warm synths (npm's version, SDK detections)

options:
  --max-bytes <size> prune: the bound to trim to, in bytes or as 500MB / 5GB (default the cache's bound)
  --json             print one JSON object on stdout
  -h, --help         this help

A layer that a running synth is building or linking stays, and is named.
Exit codes: 0 success, 1 the cache could not be read or changed, 2 bad usage or input.`;

/** An entry with what its manifest says: what `list` shows. */
export interface ListedEntry {
  readonly hash: string;
  readonly sdk?: string;
  readonly version?: string;
  readonly architecture?: string;
  /** Whether the native binary ships compressed (compressBinary). */
  readonly compressed?: boolean;
  /** Whether the native binary was stripped of symbols. */
  readonly stripped?: boolean;
  readonly bytes: number;
  readonly lastUsed: string;
  readonly sealed: boolean;
}

function listed(e: CacheEntry): ListedEntry {
  const m = readManifest(e.dir);
  return {
    hash: e.hash,
    sdk: m?.sdk,
    version: m?.version,
    architecture: m?.architecture,
    compressed: m ? Boolean(m.compressedBinary) : undefined,
    stripped: m ? m.strip?.applied === true : undefined,
    bytes: e.bytes,
    lastUsed: e.lastUsed.toISOString(),
    sealed: e.sealed,
  };
}

/** Decimal units, as CDK_VECTORDB_LAYER_CACHE_MAX_BYTES reads them: 64.3 MB, 2.0 GB. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** How long ago, in the largest unit that fits: `just now`, `5 min ago`, `3 h ago`, `12 days ago`. */
export function formatAge(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

function layers(n: number): string {
  return `${n} layer${n === 1 ? '' : 's'}`;
}

function describeEntry(e: ListedEntry): string {
  const what = e.sdk ? `${e.sdk} ${e.version} ${e.architecture} ${binaryText(e)}` : 'a layer without a readable manifest';
  return `${what}, ${formatBytes(e.bytes)}, last used ${formatAge(e.lastUsed)} (${e.hash.slice(0, 12)})`;
}

/** How the native binary ships: compressed (and stripped), stripped, or as published. */
function binaryText(e: ListedEntry): string {
  if (e.compressed === undefined) return '?';
  return e.compressed ? 'compressed' : e.stripped ? 'stripped' : 'not stripped';
}

function table(entries: ListedEntry[]): string[] {
  const head = ['SDK', 'VERSION', 'ARCH', 'BINARY', 'SIZE', 'LAST USED', 'HASH'];
  const rows = entries.map((e) => [
    e.sdk ?? '?', e.version ?? '?', e.architecture ?? '?',
    binaryText(e),
    formatBytes(e.bytes), formatAge(e.lastUsed), `${e.hash.slice(0, 12)}${e.sealed ? '' : ' (checked in full on its next use)'}`,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 4 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [head, ...rows].map(line);
}

/** `of its 2.0 GB bound (...)`: where the bound comes from, and a CDK_VECTORDB_LAYER_CACHE_MAX_BYTES that is not a size. */
function boundText(maxBytes: number, env: NodeJS.ProcessEnv): string {
  const given = env.CDK_VECTORDB_LAYER_CACHE_MAX_BYTES;
  const why = given === undefined || given === '' ? 'the default; CDK_VECTORDB_LAYER_CACHE_MAX_BYTES sets it'
    : parseSize(given) === undefined ? `the default: CDK_VECTORDB_LAYER_CACHE_MAX_BYTES ${JSON.stringify(given.slice(0, 40))} is not a size such as 500MB or 5GB`
      : 'CDK_VECTORDB_LAYER_CACHE_MAX_BYTES';
  return `of its ${formatBytes(maxBytes)} bound (${why})`;
}

interface CacheArgs {
  readonly sub: Subcommand;
  readonly maxBytes?: number;
  readonly json: boolean;
  readonly help: boolean;
}

/** The command line, or a UsageError naming the option, the value and the fix. */
export function parseCacheArgs(argv: string[]): CacheArgs {
  const { values, positionals } = parseCommandArgs('cache', argv, {
    'max-bytes': { type: 'string' },
    'json': { type: 'boolean' },
    'help': { type: 'boolean', short: 'h' },
  }, true);
  if (positionals.length > 1) {
    throw new UsageError(`cdk-vectordb-layer cache: unexpected argument ${JSON.stringify(positionals[1].slice(0, 120))}; give one subcommand: ${SUBCOMMANDS.join(', ')}`);
  }
  const sub = positionals[0] ?? 'list';
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(badInput('cache', 'the subcommand', `must be one of ${SUBCOMMANDS.join(', ')}`, sub, 'for example cdk-vectordb-layer cache prune'));
  }
  const given = values['max-bytes'] as string | undefined;
  let maxBytes: number | undefined;
  if (given !== undefined) {
    if (sub !== 'prune') throw new UsageError(badInput('cache', '--max-bytes', `is for prune, not ${sub}`, given, `write cdk-vectordb-layer cache prune --max-bytes ${given.slice(0, 40)}`));
    maxBytes = parseSize(given);
    if (maxBytes === undefined) throw new UsageError(badInput('cache', '--max-bytes', 'must be a size in bytes or with a unit', given, 'for example --max-bytes 500MB or --max-bytes 5GB'));
  }
  return { sub: sub as Subcommand, maxBytes, json: values.json === true, help: values.help === true };
}

/** A Node.js build the invoker fetched to run a function under emulation (`<cache>/node/v<major>-<arch>`). */
interface NodeBuild {
  readonly name: string;
  readonly bytes: number;
}

/** The Node.js builds of emulated invokes in the cache folder, outside the layers' bound. */
function nodeBuilds(cache: LayerCache): NodeBuild[] {
  const dir = path.join(cache.dir, 'node');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ name: e.name, bytes: recipePrune().measure(path.join(dir, e.name)).bytes }));
}

function nodeBuildsLine(cache: LayerCache, builds: NodeBuild[]): string[] {
  if (builds.length === 0) return [];
  return [`Node.js builds for invokes under emulation (${path.join(cache.dir, 'node')}, not in the bound; clear removes them): ${builds.map((b) => `${b.name} ${formatBytes(b.bytes)}`).join(', ')}`];
}

function list(cache: LayerCache, args: CacheArgs, env: NodeJS.ProcessEnv): string {
  const entries = cache.entries().map(listed);
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  const exists = fs.existsSync(cache.dir);
  const builds = exists ? nodeBuilds(cache) : [];
  if (args.json) return JSON.stringify({ dir: cache.dir, exists, maxBytes: cache.maxBytes, totalBytes: total, entries, nodeBuilds: builds }, null, 2);
  if (!exists) return `layer cache ${cache.dir}: empty, the folder does not exist yet (the first layer a synth builds makes it)`;
  if (entries.length === 0) return [`layer cache ${cache.dir}: empty, 0 B ${boundText(cache.maxBytes, env)}`, ...nodeBuildsLine(cache, builds)].join('\n');
  return [
    `layer cache ${cache.dir}: ${layers(entries.length)}, ${formatBytes(total)} ${boundText(cache.maxBytes, env)}`,
    ...table(entries),
    ...nodeBuildsLine(cache, builds),
  ].join('\n');
}

/** Prune or clear; each entry's manifest is read before it may go. */
function removal(cache: LayerCache, args: CacheArgs): string {
  const before = new Map(cache.entries().map((e) => [e.hash, listed(e)]));
  const r: TrimResult = args.sub === 'clear' ? cache.clear() : cache.trim({ maxBytes: args.maxBytes });
  // clear also removes the Node.js builds of emulated invokes (fetched again when needed).
  const builds = args.sub === 'clear' ? nodeBuilds(cache) : [];
  if (builds.length > 0) fs.rmSync(path.join(cache.dir, 'node'), { recursive: true, force: true });
  // and the answers kept for warm synths (npm's version, SDK detections: worked out again when needed)
  if (args.sub === 'clear') fs.rmSync(answersDir(cache.dir), { recursive: true, force: true });
  const buildsLine = builds.length > 0 ? [`  removed the Node.js builds for invokes under emulation: ${builds.map((b) => `${b.name} ${formatBytes(b.bytes)}`).join(', ')}`] : [];
  const removed = r.removed.map((e) => before.get(e.hash) ?? listed(e));
  const locked = r.locked.map((e) => before.get(e.hash) ?? listed(e));
  if (args.json) {
    const { maxBytes, bytesBefore, bytesAfter, freedBytes } = r;
    return JSON.stringify({ dir: cache.dir, maxBytes, bytesBefore, bytesAfter, freedBytes, removed, locked, removedNodeBuilds: builds }, null, 2);
  }
  const left = `${formatBytes(r.bytesAfter)} left`;
  const head = removed.length === 0
    ? `layer cache ${cache.dir}: nothing removed; ${formatBytes(r.bytesBefore)}${args.sub === 'prune' && locked.length === 0 ? `, within the bound ${formatBytes(r.maxBytes)}` : ''}`
    : `layer cache ${cache.dir}: removed ${layers(removed.length)} (${formatBytes(r.bytesBefore - r.bytesAfter)}), freed ${formatBytes(r.freedBytes)} of disk; ${left}${args.sub === 'prune' ? ` of the bound ${formatBytes(r.maxBytes)}` : ''}`;
  const lines = [head, ...removed.map((e) => `  removed ${describeEntry(e)}`), ...buildsLine];
  const stillLinked = r.bytesBefore - r.bytesAfter - r.freedBytes;
  if (removed.length > 0 && stillLinked > 0) lines.push(`  ${formatBytes(stillLinked)} of their files are still linked from cdk.out folders: that disk is freed with the last cdk.out holding them`);
  for (const e of locked) lines.push(`  kept ${describeEntry(e)}: a running synth holds it (building or linking it); run ${args.sub} again when it is done`);
  return lines.join('\n');
}

async function run(argv: string[]): Promise<number> {
  const args = parseOrExit(() => parseCacheArgs(argv), USAGE);
  if (typeof args === 'number') return args;
  const env = process.env;
  const config = cacheConfig(env);
  if (!config.dir) {
    const said = `the layer cache is off (CDK_VECTORDB_LAYER_CACHE=${env.CDK_VECTORDB_LAYER_CACHE}): each synth builds its layers into its own cdk.out`;
    if (args.sub !== 'list') {
      process.stderr.write(`cdk-vectordb-layer cache ${args.sub}: ${said}; to ${args.sub} the cache folder, unset CDK_VECTORDB_LAYER_CACHE or set it to that folder\n`);
      return 2;
    }
    process.stdout.write(args.json ? `${JSON.stringify({ off: true, entries: [] }, null, 2)}\n` : `${said}\n`);
    return 0;
  }
  const cache = new LayerCache(config.dir, config.maxBytes);
  try {
    let out: string;
    if (args.sub === 'list') out = list(cache, args, env);
    else if (!fs.existsSync(cache.dir)) out = args.json ? JSON.stringify({ dir: cache.dir, exists: false, removed: [], locked: [], freedBytes: 0 }, null, 2) : `layer cache ${cache.dir}: nothing to remove, the folder does not exist`;
    else out = removal(cache, args);
    process.stdout.write(`${out}\n`);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const verb = args.sub === 'list' ? 'read' : 'changed';
    process.stderr.write(`cdk-vectordb-layer cache ${args.sub}: the layer cache ${cache.dir} could not be ${verb} (${why}); check its permissions, or point CDK_VECTORDB_LAYER_CACHE at another folder\n`);
    return 1;
  }
  return 0;
}

export const command: Command = {
  summary: 'show the machine-wide layer cache (folder, layers, size, bound); prune or clear it',
  run,
};
