/**
 * The host's view of the layer recipe in `layer-assets/`: the build-side
 * modules, required by their paths from the shipped folder, typed by the
 * declarations `tsc` derives from their JSDoc (`layer-assets/types/`, made by
 * `npx projen recipe:types`), so this view cannot drift from the recipe.
 *
 * Direction of use: host code (src/) may call build-side code (layer-assets/);
 * build-side code never calls host code, and only build-side code is in a
 * layer's asset hash (layer-assets/README.md).
 */
import type * as BinaryModule from '../../../layer-assets/types/recipe/binary';
import type * as BuildModule from '../../../layer-assets/types/recipe/build';
import type * as ElfModule from '../../../layer-assets/types/recipe/elf';
import type * as LockfileModule from '../../../layer-assets/types/recipe/lockfile';
import type * as ManifestModule from '../../../layer-assets/types/recipe/manifest';
import type * as NpmModule from '../../../layer-assets/types/recipe/npm';
import type * as PruneModule from '../../../layer-assets/types/recipe/prune';
import type * as RegistryModule from '../../../layer-assets/types/recipe/registry';
import type * as SdksModule from '../../../layer-assets/types/recipe/sdks';
import type * as VersionsModule from '../../../layer-assets/types/recipe/versions';

/* eslint-disable @typescript-eslint/no-require-imports */
// Static paths, the same from src/private/layer/ (ts-jest, ts-node) and from
// lib/private/layer/ (the package): layer-assets/ ships beside both.
export const recipeSdks: typeof SdksModule = require('../../../layer-assets/recipe/sdks.js');
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * A build-side module, loaded on first use: a synth that finds its layer built
 * (in cdk.out or the machine cache) runs few of them, so importing this
 * package does not load them (bench/cache.ts: the package's import cost).
 */
function onFirstUse<T>(file: string): () => T {
  let loaded: T | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return () => (loaded ??= require(`../../../layer-assets/recipe/${file}`) as T);
}

export const recipeBinary = onFirstUse<typeof BinaryModule>('binary.js');
export const recipeElf = onFirstUse<typeof ElfModule>('elf.js');
export const recipeLockfile = onFirstUse<typeof LockfileModule>('lockfile.js');
export const recipeManifest = onFirstUse<typeof ManifestModule>('manifest.js');
export const recipeNpm = onFirstUse<typeof NpmModule>('npm.js');
export const recipePrune = onFirstUse<typeof PruneModule>('prune.js');
export const recipeRegistry = onFirstUse<typeof RegistryModule>('registry.js');
export const recipeVersions = onFirstUse<typeof VersionsModule>('versions.js');
/** The recipe's build module: the installer and the compressor (worker threads, zlib), which a synth of a built layer never runs. */
export const recipeBuild = onFirstUse<typeof BuildModule>('build.js');

/** The layer recipe folder (the recipe's own `ASSETS_DIR`): shipped with the package, beside `lib/` (and `src/`). */
export const ASSETS_DIR: string = recipeSdks.ASSETS_DIR;

/** The recipe's command: the one way every layer is built (host or container). */
export const RECIPE_ENTRY = 'build-layer.js';

export type LayerManifest = ManifestModule.LayerManifest;
export type BuildResult = BuildModule.BuildResult;
export type SdkRecipe = SdksModule.SdkRecipe;
export type RecipeArchitecture = SdksModule.Architecture;
export type ElfFacts = ElfModule.ElfFacts;

