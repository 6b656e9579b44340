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
export const recipeBinary: typeof BinaryModule = require('../../../layer-assets/recipe/binary.js');
export const recipeElf: typeof ElfModule = require('../../../layer-assets/recipe/elf.js');
export const recipeLockfile: typeof LockfileModule = require('../../../layer-assets/recipe/lockfile.js');
export const recipeManifest: typeof ManifestModule = require('../../../layer-assets/recipe/manifest.js');
export const recipeNpm: typeof NpmModule = require('../../../layer-assets/recipe/npm.js');
export const recipePrune: typeof PruneModule = require('../../../layer-assets/recipe/prune.js');
export const recipeRegistry: typeof RegistryModule = require('../../../layer-assets/recipe/registry.js');
export const recipeSdks: typeof SdksModule = require('../../../layer-assets/recipe/sdks.js');
export const recipeVersions: typeof VersionsModule = require('../../../layer-assets/recipe/versions.js');
/* eslint-enable @typescript-eslint/no-require-imports */

let recipeBuildModule: typeof BuildModule | undefined;
/**
 * The recipe's build module, loaded on first use: it brings the installer and
 * the compressor (worker threads, zlib), which a synth of a cached layer never
 * runs, so importing this package does not load them.
 */
export function recipeBuild(): typeof BuildModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeBuildModule ??= require('../../../layer-assets/recipe/build.js') as typeof BuildModule;
  return recipeBuildModule;
}

/** The layer recipe folder (the recipe's own `ASSETS_DIR`): shipped with the package, beside `lib/` (and `src/`). */
export const ASSETS_DIR: string = recipeSdks.ASSETS_DIR;

/** The recipe's command: the one way every layer is built (host or container). */
export const RECIPE_ENTRY = 'build-layer.js';

export type LayerManifest = ManifestModule.LayerManifest;
export type BuildResult = BuildModule.BuildResult;
export type SdkRecipe = SdksModule.SdkRecipe;
export type RecipeArchitecture = SdksModule.Architecture;
export type ElfFacts = ElfModule.ElfFacts;

