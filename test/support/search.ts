/**
 * A real LanceDB search from a built layer: test/fixtures/search.js (create a
 * 200-row table, search it) run in an empty folder with NODE_PATH at the
 * layer's node_modules and no other environment, so the SDK can only come
 * from the layer; on this process's node, or on the official Node.js build of
 * a major for an architecture (arm64 under qemu, test/support/platforms.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Arch, hostArch, nodeBinary, runNode, tail } from './platforms';

/** The nearest ids the search fixture finds: the query sits at 42.1. */
export const NEAREST = [42, 43, 41];

export interface SearchOptions {
  /** A built layer: the folder holding `nodejs/node_modules`. */
  readonly layerDir: string;
  /** 'vectordb' or '@lancedb/lancedb'. */
  readonly sdk: string;
  /** A node binary, e.g. nodeBinary(22, 'arm64'); default: this process's node. */
  readonly node?: string;
  /** The node binary's architecture; default: this host's. */
  readonly arch?: Arch;
  /** Default 120 s (this host's architecture), 300 s (arm64, emulated). */
  readonly timeoutMs?: number;
}

export interface SearchResult {
  /** The three nearest ids: NEAREST, [42, 43, 41] (the query is at 42.1). */
  readonly ids: number[];
  readonly sdk: string;
  readonly version: string;
  /** Where the SDK was loaded from: inside the layer. */
  readonly resolvedFrom: string;
  /** `process.version` and `process.arch` of the node that ran it. */
  readonly node: string;
  readonly arch: string;
  /** Wall time of the whole node process, in milliseconds. */
  readonly ms: number;
}

/** Runs test/fixtures/search.js against the layer's SDK on `node` (default: this process's). */
export function searchWith(options: SearchOptions): SearchResult {
  const node = options.node ?? process.execPath;
  const arch = options.arch ?? hostArch();
  if (!arch) throw new Error(`searchWith: this host (${process.arch}) is not a Lambda architecture: give arch`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-search-'));
  try {
    fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'search.js'), path.join(work, 'search.js'));
    const r = runNode({
      node,
      arch,
      args: ['search.js', options.sdk, path.join(work, 'db')],
      env: { NODE_PATH: path.join(path.resolve(options.layerDir), 'nodejs', 'node_modules') },
      cwd: work,
      timeoutMs: options.timeoutMs ?? (arch === hostArch() ? 120_000 : 300_000),
    });
    if (r.error || r.status !== 0) {
      throw new Error(`search with ${options.sdk} on ${node} (${arch}) failed (${r.error?.message ?? `exit ${r.status}${r.signal ? `, ${r.signal}` : ''}`}): ${tail(r.stderr, 8)}`);
    }
    const parsed = JSON.parse(r.stdout) as Omit<SearchResult, 'ms'>;
    return { ...parsed, ms: r.ms };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The search on the official Node.js build of `major` for `arch` (arm64 through qemu, with a longer timeout). */
export function searchOn(layerDir: string, sdk: string, major: number, arch: Arch): SearchResult {
  return searchWith({ layerDir, sdk, node: nodeBinary(major, arch), arch, timeoutMs: arch === 'arm64' ? 600_000 : 180_000 });
}
