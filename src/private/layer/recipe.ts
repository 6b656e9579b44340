/**
 * The host's view of the layer recipe in `layer-assets/`: the build-side
 * modules, loaded at run time from the shipped folder, typed by the
 * declarations `tsc` derives from their JSDoc (`layer-assets/types/`, made by
 * `npx projen recipe:types`), so this view cannot drift from the recipe.
 *
 * Direction of use: host code (src/) may call build-side code (layer-assets/);
 * build-side code never calls host code, and only build-side code is in a
 * layer's asset hash (layer-assets/README.md).
 */
import * as path from 'path';
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

/** The layer recipe folder: shipped with the package, beside `lib/` (and `src/`). */
export const ASSETS_DIR = path.resolve(__dirname, '..', '..', '..', 'layer-assets');

/** The recipe's command: the one way every layer is built (host or container). */
export const RECIPE_ENTRY = 'build-layer.js';

export type LayerManifest = ManifestModule.LayerManifest;
export type BuildResult = BuildModule.BuildResult;
export type SdkRecipe = SdksModule.SdkRecipe;
export type RecipeArchitecture = SdksModule.Architecture;
export type ElfFacts = ElfModule.ElfFacts;

function load<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(ASSETS_DIR, 'recipe', file));
}

export const recipeBinary = load<typeof BinaryModule>('binary.js');
export const recipeElf = load<typeof ElfModule>('elf.js');
export const recipeLockfile = load<typeof LockfileModule>('lockfile.js');
export const recipeManifest = load<typeof ManifestModule>('manifest.js');
export const recipeNpm = load<typeof NpmModule>('npm.js');
export const recipePrune = load<typeof PruneModule>('prune.js');
export const recipeRegistry = load<typeof RegistryModule>('registry.js');
export const recipeSdks = load<typeof SdksModule>('sdks.js');
export const recipeVersions = load<typeof VersionsModule>('versions.js');
/** Lambda's limit on the unzipped size of a function and all its layers. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES: number = load<typeof BuildModule>('build.js').LAMBDA_UNZIPPED_LIMIT_BYTES;
