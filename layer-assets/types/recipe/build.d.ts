export type Architecture = import("./sdks").Architecture;
export type LayerManifest = import("./manifest").LayerManifest;
export type Progress = import("./progress").Progress;
export type InstallPlan = import("./install").InstallPlan;
export type BuildOptions = {
    /**
     * `vectordb` or `@lancedb/lancedb`
     */
    sdk: string;
    /**
     * exact version
     */
    version: string;
    /**
     * Lambda architecture
     */
    architecture: Architecture;
    /**
     * where `nodejs/` is written (empty or absent)
     */
    outDir: string;
    /**
     * strip the native binary when a strip for the target is present (default true)
     */
    strip?: boolean | undefined;
    /**
     * fail above this unzipped size (default Lambda's limit)
     */
    maxBytes?: number | undefined;
    /**
     * the build runs in a container (for messages)
     */
    inContainer?: boolean | undefined;
    /**
     * ship the binary compressed, with a loader (./compress.js)
     */
    compress?: boolean | undefined;
    /**
     * where progress goes (default: stderr)
     */
    progress?: import("./progress").Progress | undefined;
};
export type BuildResult = {
    manifest: LayerManifest;
    installMs: number;
    buildMs: number;
};
/**
 * the state of one build
 */
export type Build = {
    sdk: string;
    version: string;
    architecture: Architecture;
    outDir: string;
    /**
     * a folder inside outDir: the final move is a rename
     */
    work: string;
    /**
     * `<work>/nodejs`
     */
    project: string;
    /**
     * a temp folder outside outDir
     */
    scratch: string;
    progress: Progress;
};
/**
 * Builds the layer into `outDir` (which must be empty or absent). On failure,
 * `outDir` is left empty and the error says why.
 * @param {BuildOptions} options
 * @returns {Promise<BuildResult>}
 */
export function buildLayer(options: BuildOptions): Promise<BuildResult>;
/** Lambda's limit on the unzipped size of a function and all its layers. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES: 262144000;
import { MANIFEST_FILE } from "./manifest";
import { ERROR_FILE } from "./manifest";
export { MANIFEST_FILE, ERROR_FILE };
