export type CompressedBinary = {
    codec: "br";
    /**
     * the compressed file, relative to the layer root (`nodejs/node_modules/...`)
     */
    file: string;
    /**
     * its size
     */
    bytes: number;
    /**
     * its sha256
     */
    sha256: string;
    /**
     * decompressed bytes per chunk (the last may be shorter)
     */
    chunkBytes: number;
    /**
     * the compressed size of each chunk, in order
     */
    chunks: number[];
    /**
     * the binary's size
     */
    decompressedBytes: number;
    /**
     * the binary's sha256, which the loader checks
     */
    decompressedSha256: string;
};
/**
 * Replaces the native binary of `nativeDir` by its compressed chunks and the
 * loader; the package's `main` becomes the loader.
 * @param {object} options
 * @param {string} options.binary the stripped binary (absolute)
 * @param {string} options.layerRoot the folder that holds nodejs/ (for relative paths)
 * @param {string} options.sha256 the binary's sha256
 * @returns {Promise<CompressedBinary>}
 */
export function compressBinary(options: {
    binary: string;
    layerRoot: string;
    sha256: string;
}): Promise<CompressedBinary>;
/** Written beside the compressed binary; the loader reads it. */
export const META_FILE: "cdk-vectordb-layer-binary.json";
export const LOADER_FILE: "cdk-vectordb-layer-loader.js";
