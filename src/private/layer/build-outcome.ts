/**
 * What the construct makes of a finished or failed layer build: a failure
 * told in the user's props with the versions that would work, and a build
 * whose strip disagrees with the asset hash stopped before it is cached.
 */
import * as fs from 'fs';
import { readManifest } from './dir';
import { LocalLayerBuild } from './local-build';
import { InputNames, LayerIdentity } from './request';
import { bundlingFailure } from './staging';
import { constructError, propError } from '../common/errors';
import { explainRecipeFailure } from '../facts/version-problems';

/** A build that failed: the layer, where it was built, and how the user named the props. */
export interface FailedBuild {
  readonly layer: LayerIdentity;
  readonly triedDocker: boolean;
  readonly local?: LocalLayerBuild;
  readonly names: InputNames;
}

/**
 * Turns CDK's "Failed to bundle asset" error into the recipe's own message,
 * told with the user's prop names and the versions that would work.
 */
export function buildError(e: unknown, where: string, build: FailedBuild): Error {
  const found = bundlingFailure(e, build.triedDocker, build.local);
  if (!found) return e instanceof Error ? e : new Error(String(e));
  if (found.failure) {
    const explained = explainRecipeFailure(found.failure, build.layer, build.names);
    if (explained) {
      const value = explained.prop === build.names.architecture ? build.layer.architecture : build.layer.version;
      return propError(where, { ...explained, value });
    }
    return constructError(where, found.failure.message);
  }
  return found.message ? constructError(where, found.message) : (e instanceof Error ? e : new Error(String(e)));
}

/**
 * The build stripped the binary exactly when the hash says so (the host's
 * strip lookup and the recipe's agree); else the folder is removed and synth
 * stops, as a layer under another layer's hash would be cached and deployed.
 */
export function checkStripAsHashed(where: string, dir: string, unstripped: boolean) {
  const manifest = readManifest(dir);
  // No manifest: the folder check that follows says so.
  if (!manifest || !manifest.strip.requested || manifest.strip.applied !== unstripped) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const said = manifest.strip.applied ? `stripped it with ${manifest.strip.tool}` : `did not strip it (${manifest.strip.reason})`;
  const made = unstripped ? 'an unstripped' : 'a stripped';
  throw constructError(where, `the asset hash was made for ${made} binary (strip lookup on PATH) but the build ${said}; make \`strip --version\` of the strip on PATH work, or set strip to false`);
}
