export type Architecture = import("./sdks").Architecture;
export type ElfFacts = import("./elf").ElfFacts;
export type StripResult = import("./manifest").StripResult;
/** @typedef {import('./sdks').Architecture} Architecture */
/** @typedef {import('./elf').ElfFacts} ElfFacts */
/** @typedef {import('./manifest').StripResult} StripResult */
/**
 * The binary must exist and be an ELF file for the architecture's machine.
 * @param {string} file
 * @param {Architecture} architecture
 * @param {string} what the package@version it comes from, for messages
 * @returns {ElfFacts}
 */
export function checkBinary(file: string, architecture: Architecture, what: string): ElfFacts;
/**
 * A `strip` that understands the target, or why there is none.
 * @param {Architecture} architecture
 * @returns {{ tool?: string, reason?: string }}
 */
export function findStrip(architecture: Architecture): {
    tool?: string;
    reason?: string;
};
/**
 * `strip --strip-unneeded` of the binary, when asked and a strip for the target exists.
 * @param {string} file
 * @param {Architecture} architecture
 * @param {boolean} requested
 * @returns {StripResult}
 */
export function stripBinary(file: string, architecture: Architecture, requested: boolean): StripResult;
/** The host's glibc version, when the host is linux-gnu. */
export function hostGlibc(): string | undefined;
/**
 * Whether this host is the Lambda platform itself (linux, glibc, same cpu).
 * @param {Architecture} architecture
 */
export function hostIsTarget(architecture: Architecture): boolean;
/**
 * Why the built layer cannot be loaded on this host, or undefined when it can.
 * @param {Architecture} architecture
 * @param {string | undefined} glibc the binary's need
 */
export function loadSkipReason(architecture: Architecture, glibc: string | undefined): string | undefined;
/**
 * Loads the SDK once from `nodeModules` in a new node, with nothing else on
 * NODE_PATH, and checks it exports connect(). A compressed binary is
 * decompressed into the scratch folder, never the host's /tmp.
 * @param {string} sdk
 * @param {string} nodeModules
 * @param {string} scratch an empty folder to run in
 */
export function loadCheck(sdk: string, nodeModules: string, scratch: string): void;
/**
 * sha256 of a file, read in 1 MB pieces.
 * @param {string} file
 */
export function sha256File(file: string): string;
