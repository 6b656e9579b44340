export type SdkRecipe = {
    /**
     * short name, in pin folder and project names
     */
    slug: string;
    /**
     * the linux-gnu native package, `{cpu}` for x64 or arm64
     */
    nativePackage: string;
    /**
     * the binary's file name in that package, `{cpu}` as above
     */
    nativeBinary: string;
    /**
     * packages the runtime never loads (`@types/*` or exact names)
     */
    prunePackages: string[];
    /**
     * dependency edges only a package's command-line tool uses
     */
    cliOnlyDependencies: Record<string, string[]>;
    /**
     * folders inside packages the runtime never reads
     */
    prunePaths: string[];
};
export type Architecture = "x86_64" | "arm64";
/** @type {Record<string, SdkRecipe>} */
export const SDKS: Record<string, SdkRecipe>;
/**
 * @typedef {object} SdkRecipe
 * @property {string} slug short name, in pin folder and project names
 * @property {string} nativePackage the linux-gnu native package, `{cpu}` for x64 or arm64
 * @property {string} nativeBinary the binary's file name in that package, `{cpu}` as above
 * @property {string[]} prunePackages packages the runtime never loads (`@types/*` or exact names)
 * @property {Record<string, string[]>} cliOnlyDependencies dependency edges only a package's command-line tool uses
 * @property {string[]} prunePaths folders inside packages the runtime never reads
 */
/** @typedef {'x86_64' | 'arm64'} Architecture */
export const ASSETS_DIR: string;
export const PINS_DIR: string;
/** @type {Record<Architecture, string>} */
export const CPU_BY_ARCHITECTURE: Record<Architecture, string>;
/**
 * @param {unknown} architecture
 * @returns {architecture is Architecture}
 */
export function isArchitecture(architecture: unknown): architecture is Architecture;
/**
 * @param {string} sdk
 * @returns {SdkRecipe}
 */
export function sdkInfo(sdk: string): SdkRecipe;
/**
 * The native package and binary of an SDK for a Lambda architecture.
 * @param {string} sdk
 * @param {Architecture} architecture
 * @returns {{ packageName: string, binary: string }}
 */
export function nativeFor(sdk: string, architecture: Architecture): {
    packageName: string;
    binary: string;
};
/**
 * The name of a pinned project's folder.
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 */
export function pinName(sdk: string, version: string, architecture: Architecture): string;
/**
 * The folder of a pinned (lockfile) build, or undefined.
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 * @returns {string | undefined}
 */
export function pinDir(sdk: string, version: string, architecture: Architecture): string | undefined;
/**
 * The package.json of the tiny npm project that is the layer: the SDK and its
 * native package (at the version the SDK's optionalDependencies name) as exact
 * dependencies.
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 * @param {string} nativeVersion
 */
export function layerPackageJson(sdk: string, version: string, architecture: Architecture, nativeVersion: string): {
    name: string;
    version: string;
    private: boolean;
    description: string;
    license: string;
    dependencies: {
        [x: string]: string;
    };
};
