export type ProgressStream = {
    write: (text: string) => unknown;
    isTTY?: boolean | undefined;
};
export type Progress = {
    /**
     * begins a phase ("downloading")
     */
    start: (phase: string) => void;
    /**
     * what the phase has done so far ("12.3 MB")
     */
    update: (detail: string) => void;
    /**
     * ends the phase with its summary line ("downloaded 45.1 MB")
     */
    end: (summary: string) => void;
    /**
     * a line of its own (a skipped step, a warning)
     */
    note: (line: string) => void;
};
/**
 * @param {{ prefix: string, stream?: ProgressStream, now?: () => number }} options
 * @returns {Progress}
 */
export function createProgress(options: {
    prefix: string;
    stream?: ProgressStream;
    now?: () => number;
}): Progress;
export namespace SILENT {
    function start(): void;
    function update(): void;
    function end(): void;
    function note(): void;
}
/**
 * @typedef {object} ProgressStream
 * @property {(text: string) => unknown} write
 * @property {boolean} [isTTY]
 */
/**
 * @typedef {object} Progress
 * @property {(phase: string) => void} start begins a phase ("downloading")
 * @property {(detail: string) => void} update what the phase has done so far ("12.3 MB")
 * @property {(summary: string) => void} end ends the phase with its summary line ("downloaded 45.1 MB")
 * @property {(line: string) => void} note a line of its own (a skipped step, a warning)
 */
/** @param {number} ms */
export function seconds(ms: number): string;
/** @param {number} bytes */
export function megabytes(bytes: number): string;
