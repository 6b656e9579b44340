/**
 * Where a compressed layer's plain layer can be found, so that the compressed
 * layer is made from it without a second install (the recipe's
 * `--from-plain`): staged earlier in this process (built, linked from the
 * machine cache or found in cdk.out), else in the machine-wide layer cache.
 * Both are keyed by the plain layer's content hash (./asset-hash.ts), so a
 * plain layer is used only where it is the one this host would build.
 */
import * as fs from 'fs';
import * as path from 'path';
import { layerAssetHash } from './asset-hash';
import { LayerCache } from './cache';
import { ExpectedLayer } from './dir';
import { LayerRequest, manifestEcho } from './request';

/** A plain layer to read, and what to do once it is read. */
export interface PlainLayer {
  /** The folder holding its nodejs/. */
  readonly dir: string;
  /** Where it was found, for the progress line. */
  readonly source: 'this synth' | 'the layer cache';
  /** The construct or command that asked, for a note. */
  readonly where: string;
  /** Releases what holds it (the cache entry's lock). */
  readonly release: () => void;
}

/** Plain layers staged in this process: content hash -> staged folder. */
const staged = new Map<string, string>();

/** Records a plain layer staged in this process (a sound folder holding nodejs/) under its content hash. */
export function rememberPlainLayer(contentHash: string, dir: string): void {
  staged.set(contentHash, dir);
}

/**
 * The plain layer of content hash `plainHash`: staged in this process (if the
 * folder is still there), else the machine cache's entry (its lock held until
 * released); undefined when neither has it.
 */
export function findPlainLayer(
  plainHash: string, expected: ExpectedLayer, where: string, env: NodeJS.ProcessEnv = process.env,
): PlainLayer | undefined {
  const dir = staged.get(plainHash);
  if (dir !== undefined) {
    if (fs.existsSync(dir)) return { dir, source: 'this synth', where, release: () => undefined };
    staged.delete(plainHash);
  }
  const cache = LayerCache.fromEnvironment(env);
  const borrowed = cache?.borrow(plainHash, expected, where);
  return borrowed ? { dir: borrowed.dir, source: 'the layer cache', where, release: borrowed.release } : undefined;
}

/** Where a compressed build keeps its plain layer, and what the host does with it. */
export interface PlainKeeper {
  /** An empty folder for the recipe's `--keep-plain` (in the cache's tmp/: the store is by hard links). */
  readonly dir: string;
  /** Stores what the recipe kept there (if it did) under the plain layer's hash, then removes the folder. */
  readonly keep: (kept: string | undefined) => void;
}

/**
 * For a compressed layer built in full with the machine cache on: a folder
 * for its plain layer, stored afterwards in the cache under `plainHash`, so a
 * plain layer asked for later (this synth or another) is linked from there,
 * without an install. undefined when the cache is off, or holds it already.
 */
export function plainKeeper(plainHash: string, expected: ExpectedLayer, env: NodeJS.ProcessEnv = process.env): PlainKeeper | undefined {
  const cache = LayerCache.fromEnvironment(env);
  if (!cache || fs.existsSync(path.join(cache.dir, 'layers', plainHash))) return undefined;
  let dir: string;
  try {
    fs.mkdirSync(path.join(cache.dir, 'tmp'), { recursive: true });
    dir = fs.mkdtempSync(path.join(cache.dir, 'tmp', `plain-${plainHash.slice(0, 12)}-`));
  } catch {
    return undefined;
  }
  return {
    dir,
    keep: (kept) => {
      try {
        if (kept !== undefined) cache.storeIfAbsent(plainHash, expected, kept);
      } catch (e) {
        LayerCache.note(cache.dir, e);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The plain-layer hooks of a host build (`LocalLayerBuildOptions`): none unless the layer is compressed. */
export interface PlainHooks {
  readonly plainLayer?: () => PlainLayer | undefined;
  readonly plainKeeper?: () => PlainKeeper | undefined;
}

/**
 * For a compressed layer: where its plain layer (the same request
 * uncompressed, with the same `unstripped`, and for a Docker build the same
 * `dockerImage`) is found, and where a full host build keeps it. `where` names
 * the construct or command in notes.
 */
export function plainHooks(request: LayerRequest, unstripped: boolean, where: string, dockerImage?: string): PlainHooks {
  if (request.compressBinary !== true) return {};
  const plainHash = layerAssetHash({ ...request, compressBinary: false, codec: undefined, unstripped, dockerImage });
  const expected = manifestEcho(request);
  return {
    plainLayer: () => findPlainLayer(plainHash, expected, where),
    plainKeeper: () => plainKeeper(plainHash, expected),
  };
}
