import * as path from 'path';

/** The layer recipe folder: shipped with the package, beside `lib/` (and `src/`). */
export const ASSETS_DIR = path.resolve(__dirname, '..', '..', 'layer-assets');

/** What the recipe writes to `nodejs/vectordb-layer.json`. */
export interface LayerManifest {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
  readonly platform: string;
  readonly nativePackage: string;
  readonly nativeBinary: string;
  readonly nativeBinaryBytes: number;
  readonly nativeBinaryBytesBeforeStrip: number;
  /** sha256 of the native binary as shipped (absent in manifests of older recipes). */
  readonly nativeBinarySha256?: string;
  readonly glibc: string | null;
  readonly nodeEngines: string | null;
  readonly externalModules: string[];
  readonly pinned: boolean;
  readonly strip: { requested: boolean; applied: boolean; tool?: string; reason?: string };
  readonly loadChecked: boolean;
  readonly loadSkipped: string | null;
  readonly installedBytes: number;
  readonly prunedBytes: number;
  readonly unzippedBytes: number;
  readonly fileCount: number;
  readonly warnings: string[];
  readonly buildMs?: number;
  readonly installMs?: number;
}

export interface SdkPin {
  readonly glibc?: string;
  readonly node?: string;
}

export interface SdkInfo {
  readonly slug: string;
  readonly defaultVersion: string;
  readonly nativePackage: string;
  readonly nativeBinary: string;
  readonly externalModules: string[];
  readonly prunePackages: string[];
  readonly pins: Record<string, Record<string, SdkPin>>;
}

export interface BuildOptions {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
  readonly outDir: string;
  readonly strip?: boolean;
  readonly maxBytes?: number;
  readonly log?: (line: string) => void;
}

/** The recipe's module (layer-assets/recipe/build.js), typed. */
export interface Recipe {
  readonly SDKS: Record<string, SdkInfo>;
  readonly CPU_BY_ARCHITECTURE: Record<string, string>;
  readonly LAMBDA_UNZIPPED_LIMIT_BYTES: number;
  readonly ERROR_FILE: string;
  readonly MANIFEST_FILE: string;
  buildLayer(options: BuildOptions): LayerManifest;
  readManifest(layerDir: string): LayerManifest | undefined;
  /** Why a built layer folder no longer matches its manifest; empty when it does. */
  checkLayerDir(layerDir: string, expected: { sdk: string; version: string; architecture: string }): string[];
  nativeFor(sdk: string, architecture: string): { packageName: string; binary: string };
  /** The folder of a pinned (lockfile) build, or undefined. */
  pinDir(sdk: string, version: string, architecture: string): string | undefined;
}

export interface RecipeNpm {
  readonly MIN_CROSS_PLATFORM_NPM: number[];
  canInstallCrossPlatform(): boolean;
  npmVersion(): number[] | undefined;
  /** Published versions of a package, `[]` when the registry has none; throws when it cannot be asked. */
  publishedVersions(pkg: string): string[];
  /** The registry npm uses, for messages. */
  registryUrl(): string;
}

export interface RecipeVersions {
  isExactVersion(v: string): boolean;
  compareVersions(a: string, b: string): number;
  minimumNodeMajor(range: string | null | undefined): number | undefined;
  nearestVersions(wanted: string, published: string[], count?: number): string[];
}

export interface RecipePrune {
  /** Files and bytes below a path: what Lambda counts as unzipped size. */
  measure(p: string): { files: number; bytes: number };
}

/** A pinned build's files, for `lockfileProblems`. */
export interface PinFiles {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
  readonly nativePackage: string;
  readonly packageJson: unknown;
  readonly lock: unknown;
}

export interface RecipeLockfile {
  lockfileProblems(pin: PinFiles): string[];
  pinProblems(assetsDir?: string): string[];
}

export interface RecipeElf {
  compareDotted(a: string, b: string): number;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const recipe: Recipe = require(path.join(ASSETS_DIR, 'recipe', 'build.js'));
export const recipeNpm: RecipeNpm = require(path.join(ASSETS_DIR, 'recipe', 'npm.js'));
export const recipeVersions: RecipeVersions = require(path.join(ASSETS_DIR, 'recipe', 'versions.js'));
export const recipeElf: RecipeElf = require(path.join(ASSETS_DIR, 'recipe', 'elf.js'));
export const recipeLockfile: RecipeLockfile = require(path.join(ASSETS_DIR, 'recipe', 'lockfile.js'));
export const recipePrune: RecipePrune = require(path.join(ASSETS_DIR, 'recipe', 'prune.js'));
/* eslint-enable @typescript-eslint/no-require-imports */
