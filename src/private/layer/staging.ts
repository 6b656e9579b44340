/**
 * Where a built layer lives in the cloud assembly, and the guards around it:
 * one build at a time per asset (a lock), a cached folder proven sound before
 * CDK reuses it, and a failed build turned into the recipe's own message with
 * nothing half-built left behind.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AssetStaging, Stack, Stage } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acquireBuildLock } from './build-lock';
import { LayerCache, linkOrCopyTree } from './cache';
import { ExpectedLayer } from './dir';
import { LocalLayerBuild, RecipeFailure, readRecipeFailure } from './local-build';
import { relinkRemembered, rememberLinkedEntry, stampFolderAt } from './relink';
import { checkStagedLayer, sealStagedLayer } from './staged-seal';

/** Codes of file system errors that mean the cloud assembly folder cannot take the layer. */
const UNWRITABLE = ['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'ENOTDIR', 'ENOENT'];

/**
 * A prepared asset folder: the locks to release; the folder when it was found
 * sound or linked from the machine-wide cache (CDK will reuse it); and, on a
 * cache miss, how to store the build CDK is about to make.
 */
export interface PreparedAsset {
  readonly release: () => void;
  readonly checked?: string;
  /** Where the layer came from when CDK will not build it. */
  readonly source?: 'cdk.out' | 'cache';
  /** Stores the folder CDK built into the machine-wide cache (a miss with the cache on). */
  readonly store?: (built: string) => void;
}

/** Messages the staging step gives, with the construct's path in front. */
export class StagingError extends Error {}

/** What the staging step needs to know of the layer. */
export interface StagingRequest {
  readonly where: string;
  /** The folder name CDK will give the asset (`asset.<stagedHash>`). */
  readonly stagedHash: string;
  /** The layer's content hash: the key of the machine-wide cache. */
  readonly contentHash: string;
  readonly expected: ExpectedLayer;
}

/**
 * Makes the layer's asset folder in the cloud assembly ready before CDK stages
 * it: under the folder's build lock, a sound folder is kept, a damaged one is
 * removed, and a missing one is linked from the machine-wide layer cache when
 * the cache has it. On a miss the cache's lock of the hash stays held until the
 * build is stored, so concurrent synths on one machine build once.
 *
 * Why a lock on the folder: CDK builds into `asset.<hash>-building`, which it
 * empties first, then renames. Two synths into one cdk.out (two `cdk synth` at
 * once, a watch and a deploy) would empty each other's half-built folder; the
 * second now waits, then finds the finished folder and reuses it.
 */
export function prepareAssetFolder(scope: Construct, request: StagingRequest): PreparedAsset {
  const outdir = Stage.of(scope)?.assetOutdir;
  if (!outdir || !Stack.of(scope).bundlingRequired) return { release: () => undefined };
  const release = lockAssetFolder(outdir, request.where, request.stagedHash);
  try {
    const dir = path.join(outdir, `asset.${request.stagedHash}`);
    if (fs.existsSync(dir)) {
      // Its seal when unchanged since the last check, else the full check (./staged-seal.ts).
      const { problems } = checkStagedLayer(dir, request.expected);
      if (problems.length === 0) return { release, checked: dir, source: 'cdk.out' };
      process.stderr.write(`[vectordb-layer] ${request.where}: ${dir} does not match its manifest (${problems.join('; ')}); removed it, building the layer again\n`);
      fs.rmSync(dir, { recursive: true, force: true });
      // CDK also remembers staged folders in memory, per process.
      AssetStaging.clearAssetHashCache();
    }
    return fromCache(request, dir, release);
  } catch (e) {
    release();
    throw e;
  }
}

/** The layer from the machine-wide cache into `dir`, or the lock held until CDK's build is stored there. */
function fromCache(request: StagingRequest, dir: string, release: () => void): PreparedAsset {
  const cache = LayerCache.fromEnvironment();
  if (!cache) return { release };
  let releaseCache: () => void;
  try {
    releaseCache = cache.lock(request.contentHash, request.where);
  } catch (e) {
    LayerCache.note(cache.dir, e);
    return { release };
  }
  try {
    // Built elsewhere and reaching here atomically: linked into a side folder, then renamed.
    const side = `${dir}.linking-${process.pid}`;
    fs.rmSync(side, { recursive: true, force: true });
    // A later App of this process: the entry's files as this process linked them, each compared as linked.
    const key = `${cache.dir}\0${request.contentHash}`;
    const relinked = relinkRemembered(key, side);
    let hit = relinked ? side : undefined;
    if (!hit) {
      hit = cache.find(request.contentHash, request.expected, request.where);
      if (hit && linkOrCopyTree(hit, side) === 0) rememberLinkedEntry(key, hit, side);
    }
    if (hit) {
      fs.renameSync(side, dir);
      // The cache's entry was found sound: its files, linked here, are sealed as they are
      // (relinked: with the stats taken as they were linked).
      sealStagedLayer(dir, request.expected, relinked && stampFolderAt(relinked, dir));
      releaseCache();
      return { release, checked: dir, source: 'cache' };
    }
  } catch (e) {
    releaseCache();
    if (isFileSystemError(e)) {
      LayerCache.note(cache.dir, e);
      return { release };
    }
    throw e;
  }
  return {
    release: () => {
      releaseCache();
      release();
    },
    store: (built: string) => {
      try {
        cache.store(request.contentHash, request.expected, built);
        cache.evict(request.contentHash);
      } catch (e) {
        LayerCache.note(cache.dir, e);
      }
    },
  };
}

function isFileSystemError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

function lockAssetFolder(outdir: string, where: string, stagedHash: string): () => void {
  const lockFile = path.join(outdir, `.vectordb-layer-${stagedHash}.lock`);
  try {
    fs.mkdirSync(outdir, { recursive: true });
    return acquireBuildLock(lockFile, {
      timeoutMs: 30 * 60 * 1000,
      onWait: (owner) => process.stderr.write(`[vectordb-layer] ${where}: waiting for another synth (${owner}) that is building this layer into ${outdir}\n`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && UNWRITABLE.includes(code)) {
      throw new StagingError(`cannot write to the cloud assembly folder ${outdir} (${code}): the layer is built there. Synthesize into a writable folder with free space (cdk synth --output <dir>, or new App({ outdir }))`);
    }
    throw new StagingError((e as Error).message);
  }
}

/** What went wrong in a failed bundling, as the recipe or the engine said it. */
export interface BundlingFailure {
  /** The recipe's report, when it made one. */
  readonly failure?: RecipeFailure;
  /** A message of our own (no Docker engine, an unwritable cloud assembly), when the recipe said nothing. */
  readonly message?: string;
}

/**
 * Reads what a failed bundling left: the recipe's error file or the local
 * build's report, or why Docker could not run; removes the empty
 * `asset.<hash>-building` folder CDK leaves behind. undefined when the error
 * is not a bundling failure.
 */
export function bundlingFailure(e: unknown, triedDocker: boolean, local?: LocalLayerBuild): BundlingFailure | undefined {
  const original = e instanceof Error ? e : new Error(String(e));
  const located = /bundle output is located at (.+?-building): /.exec(original.message);
  if (!located) {
    const code = (original as NodeJS.ErrnoException).code;
    const p = (original as NodeJS.ErrnoException).path;
    if (code && p && UNWRITABLE.includes(code)) {
      return { message: `cannot write the layer into the cloud assembly at ${path.dirname(p)} (${code}: ${original.message}). Synthesize into a writable folder with free space (cdk synth --output <dir>, or new App({ outdir }))` };
    }
    return undefined;
  }
  const dir = located[1];
  const failure = readRecipeFailure(dir) ?? local?.lastFailure;
  // Nothing half-built stays in the cloud assembly.
  fs.rmSync(dir, { recursive: true, force: true });
  if (failure) return { failure };
  return triedDocker ? { message: dockerProblem() } : undefined;
}

/** Why Docker could not build, when no engine answers. */
function dockerProblem(): string | undefined {
  const docker = process.env.CDK_DOCKER ?? 'docker';
  const probe = spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf-8', shell: false, timeout: 30000 });
  if (!probe.error && probe.status === 0) return undefined;
  const said = (probe.error?.message ?? `${probe.stdout}${probe.stderr}`).trim().split('\n').slice(-3).join(' ');
  return `the layer must be built in Docker, but no Docker engine answers (\`${docker} version\`: ${said}). Start Docker, or set buildMethod to LayerBuildMethod.LOCAL (needs npm >= 10.4 on this host)`;
}
