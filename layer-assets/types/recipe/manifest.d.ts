export type StripResult = {
    requested: boolean;
    applied: boolean;
    /**
     * the strip that ran
     */
    tool?: string | undefined;
    /**
     * why it did not
     */
    reason?: string | undefined;
};
export type LayerManifest = {
    recipeVersion: number;
    /**
     * `vectordb` or `@lancedb/lancedb`
     */
    sdk: string;
    /**
     * the SDK's exact version
     */
    version: string;
    architecture: "x86_64" | "arm64";
    /**
     * `linux-x64-gnu` or `linux-arm64-gnu`
     */
    platform: string;
    /**
     * the package holding the binary
     */
    nativePackage: string;
    /**
     * its version (the one the SDK's optionalDependencies name)
     */
    nativePackageVersion: string;
    /**
     * the binary's path in the layer (`nodejs/node_modules/...`); with compressedBinary, where the package expects it (the loader decompresses it elsewhere) and no file
     */
    nativeBinary: string;
    /**
     * the compressed binary and its loader's facts, when compressBinary
     */
    compressedBinary: import("./compress").CompressedBinary | null;
    /**
     * its size as shipped
     */
    nativeBinaryBytes: number;
    /**
     * its size as published
     */
    nativeBinaryBytesBeforeStrip: number;
    /**
     * sha256 of the binary as shipped
     */
    nativeBinarySha256: string;
    /**
     * the highest GLIBC_x.y the binary needs
     */
    glibc: string | null;
    /**
     * the binary's DT_NEEDED sonames
     */
    neededLibraries: string[];
    /**
     * the SDK's engines.node
     */
    nodeEngines: string | null;
    /**
     * installed from a lockfile in layer-assets/pins
     */
    pinned: boolean;
    strip: StripResult;
    /**
     * the SDK was required from the built folder
     */
    loadChecked: boolean;
    /**
     * why it was not
     */
    loadSkipped: string | null;
    /**
     * node_modules as npm left it
     */
    installedBytes: number;
    /**
     * removed by pruning
     */
    prunedBytes: number;
    /**
     * the layer's size, this file included: what Lambda counts
     */
    unzippedBytes: number;
    /**
     * files in the layer, this file included
     */
    fileCount: number;
};
/**
 * @typedef {object} StripResult
 * @property {boolean} requested
 * @property {boolean} applied
 * @property {string} [tool] the strip that ran
 * @property {string} [reason] why it did not
 */
/**
 * @typedef {object} LayerManifest
 * @property {number} recipeVersion
 * @property {string} sdk `vectordb` or `@lancedb/lancedb`
 * @property {string} version the SDK's exact version
 * @property {'x86_64' | 'arm64'} architecture
 * @property {string} platform `linux-x64-gnu` or `linux-arm64-gnu`
 * @property {string} nativePackage the package holding the binary
 * @property {string} nativePackageVersion its version (the one the SDK's optionalDependencies name)
 * @property {string} nativeBinary the binary's path in the layer (`nodejs/node_modules/...`); with compressedBinary, where the package expects it (the loader decompresses it elsewhere) and no file
 * @property {import('./compress').CompressedBinary | null} compressedBinary the compressed binary and its loader's facts, when compressBinary
 * @property {number} nativeBinaryBytes its size as shipped
 * @property {number} nativeBinaryBytesBeforeStrip its size as published
 * @property {string} nativeBinarySha256 sha256 of the binary as shipped
 * @property {string | null} glibc the highest GLIBC_x.y the binary needs
 * @property {string[]} neededLibraries the binary's DT_NEEDED sonames
 * @property {string | null} nodeEngines the SDK's engines.node
 * @property {boolean} pinned installed from a lockfile in layer-assets/pins
 * @property {StripResult} strip
 * @property {boolean} loadChecked the SDK was required from the built folder
 * @property {string | null} loadSkipped why it was not
 * @property {number} installedBytes node_modules as npm left it
 * @property {number} prunedBytes removed by pruning
 * @property {number} unzippedBytes the layer's size, this file included: what Lambda counts
 * @property {number} fileCount files in the layer, this file included
 */
/**
 * Writes the manifest into `project` until the size it records includes itself.
 * @param {string} project the `nodejs/` folder
 * @param {Omit<LayerManifest, 'unzippedBytes' | 'fileCount'>} facts
 * @returns {LayerManifest}
 */
export function writeManifest(project: string, facts: Omit<LayerManifest, "unzippedBytes" | "fileCount">): LayerManifest;
export const MANIFEST_FILE: "vectordb-layer.json";
/** Written into the output folder, alone, when a build fails: { message, code, details }. */
export const ERROR_FILE: ".vectordb-layer-error.json";
/** Bumped when the manifest's shape changes. */
export const RECIPE_VERSION: 2;
