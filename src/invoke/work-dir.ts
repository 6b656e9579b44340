/**
 * Where the invoker lays out execution environments: `workDir` when given,
 * else the package's cache folder (the one the layer cache uses, see
 * ../private/layer/cache.ts) followed by `invoke`, and never a folder under
 * /tmp by default, where the handler's own /tmp (mounted over the host's)
 * would hide it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cacheConfig, platformCacheDir } from '../private/layer/cache';

/** The work folder and, when the default had to move out of /tmp, the one line that says so. */
export interface WorkDir {
  readonly dir: string;
  /** Set when `CDK_VECTORDB_LAYER_CACHE` named a folder under /tmp and the platform cache folder was used instead. */
  readonly note?: string;
}

/** Whether a folder is /tmp or below it, symlinks resolved as far as the folder exists. */
export function isUnderTmp(dir: string): boolean {
  const real = realPathSoFar(path.resolve(dir));
  return real === '/tmp' || real.startsWith('/tmp/');
}

/** The real path of the deepest existing ancestor, with the rest appended. */
function realPathSoFar(p: string): string {
  const rest: string[] = [];
  let dir = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(dir), ...rest);
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return p;
      rest.unshift(path.basename(dir));
      dir = parent;
    }
  }
}

/**
 * The work folder: `given` (resolved) when set, even under /tmp (isolation
 * then says why it cannot mount a private /tmp, or refuses in `namespace`
 * mode); else `<CDK_VECTORDB_LAYER_CACHE>/invoke` when that variable names a
 * folder, else `<platform cache folder>/cdk-vectordb-layer/invoke`. A default
 * under /tmp moves to the platform cache folder (with a note) when that one is
 * outside /tmp.
 */
export function resolveWorkDir(given: string | undefined, env: NodeJS.ProcessEnv = process.env): WorkDir {
  if (given !== undefined) return { dir: path.resolve(given) };
  const platform = path.join(platformCacheDir(env), 'invoke');
  const cache = cacheConfig(env).dir;
  const dir = cache === undefined ? platform : path.join(cache, 'invoke');
  if (dir === platform || !isUnderTmp(dir) || isUnderTmp(platform)) return { dir };
  return {
    dir: platform,
    note: `the work folder ${dir} (CDK_VECTORDB_LAYER_CACHE/invoke) is under /tmp, which the handler's own /tmp would hide; used ${platform} instead (choose one with --work-dir DIR, outside /tmp)`,
  };
}

/** The default work folder (`resolveWorkDir` without `workDir`). */
export function defaultWorkDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolveWorkDir(undefined, env).dir;
}
