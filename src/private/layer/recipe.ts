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

// The other build-side modules are loaded on first use: a synth that finds its
// layer built (in cdk.out or the machine cache) runs few of them, so importing
// this package does not load them (bench/cache.ts: the package's import cost).
let recipeBinaryModule: typeof BinaryModule | undefined;
/** The recipe's `binary.js`, loaded on first use. */
export function recipeBinary(): typeof BinaryModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeBinaryModule ??= require('../../../layer-assets/recipe/binary.js') as typeof BinaryModule;
  return recipeBinaryModule;
}

let recipeElfModule: typeof ElfModule | undefined;
/** The recipe's `elf.js`, loaded on first use. */
export function recipeElf(): typeof ElfModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeElfModule ??= require('../../../layer-assets/recipe/elf.js') as typeof ElfModule;
  return recipeElfModule;
}

let recipeLockfileModule: typeof LockfileModule | undefined;
/** The recipe's `lockfile.js`, loaded on first use. */
export function recipeLockfile(): typeof LockfileModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeLockfileModule ??= require('../../../layer-assets/recipe/lockfile.js') as typeof LockfileModule;
  return recipeLockfileModule;
}

let recipeManifestModule: typeof ManifestModule | undefined;
/** The recipe's `manifest.js`, loaded on first use. */
export function recipeManifest(): typeof ManifestModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeManifestModule ??= require('../../../layer-assets/recipe/manifest.js') as typeof ManifestModule;
  return recipeManifestModule;
}

let recipeNpmModule: typeof NpmModule | undefined;
/** The recipe's `npm.js`, loaded on first use. */
export function recipeNpm(): typeof NpmModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeNpmModule ??= require('../../../layer-assets/recipe/npm.js') as typeof NpmModule;
  return recipeNpmModule;
}

let recipePruneModule: typeof PruneModule | undefined;
/** The recipe's `prune.js`, loaded on first use. */
export function recipePrune(): typeof PruneModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipePruneModule ??= require('../../../layer-assets/recipe/prune.js') as typeof PruneModule;
  return recipePruneModule;
}

let recipeRegistryModule: typeof RegistryModule | undefined;
/** The recipe's `registry.js`, loaded on first use. */
export function recipeRegistry(): typeof RegistryModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeRegistryModule ??= require('../../../layer-assets/recipe/registry.js') as typeof RegistryModule;
  return recipeRegistryModule;
}

let recipeVersionsModule: typeof VersionsModule | undefined;
/** The recipe's `versions.js`, loaded on first use. */
export function recipeVersions(): typeof VersionsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recipeVersionsModule ??= require('../../../layer-assets/recipe/versions.js') as typeof VersionsModule;
  return recipeVersionsModule;
}

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

