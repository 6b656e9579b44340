export type ErrorDetails = Record<string, unknown>;
/** @typedef {Record<string, unknown>} ErrorDetails */
export class LayerBuildError extends Error {
    /**
     * @param {string} message what went wrong and what to do, as the user reads it
     * @param {string} code BAD_INPUT, NOT_PUBLISHED, NO_NATIVE_BUILD, REGISTRY_UNREACHABLE, NPM_FAILED, ...
     * @param {ErrorDetails} [details] facts behind the message, for the host
     */
    constructor(message: string, code: string, details?: ErrorDetails);
    code: string;
    details: ErrorDetails | undefined;
}
/** File system errors that mean "no room" or "not writable", not a bug. */
export const DISK_ERRORS: Set<string>;
/**
 * The message for a disk error while building under `dir`.
 * @param {string} code
 * @param {string} dir
 */
export function diskMessage(code: string, dir: string): string;
/**
 * The error as thrown by Node for a file system call: its code and path.
 * @param {unknown} e
 * @returns {{ code?: string, path?: string, message: string }}
 */
export function systemError(e: unknown): {
    code?: string;
    path?: string;
    message: string;
};
