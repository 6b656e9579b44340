declare namespace _exports {
    export { Meta };
}
declare const _exports: any;
export = _exports;
type Meta = {
    /**
     * the binary's file name
     */
    binary: string;
    /**
     * the compressed file's name, beside this loader
     */
    compressed: string;
    /**
     * compressed size of each chunk, in order
     */
    chunks: number[];
    decompressedBytes: number;
    decompressedSha256: string;
};
