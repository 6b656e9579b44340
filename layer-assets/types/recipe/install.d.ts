export type Architecture = import("./sdks").Architecture;
export type Progress = import("./progress").Progress;
export type Target = {
    sdk: string;
    version: string;
    architecture: Architecture;
};
export type InstallPlan = {
    nativePackage: string;
    nativeVersion: string;
    /**
     * the pin's folder name, when pinned
     */
    pin: string | undefined;
};
/** @typedef {import('./sdks').Architecture} Architecture */
/** @typedef {import('./progress').Progress} Progress */
/**
 * @typedef {object} Target
 * @property {string} sdk
 * @property {string} version
 * @property {Architecture} architecture
 */
/**
 * @typedef {object} InstallPlan
 * @property {string} nativePackage
 * @property {string} nativeVersion
 * @property {string | undefined} pin the pin's folder name, when pinned
 */
/**
 * Writes `package.json` (and for a pinned version its lockfile) into `project`.
 * A pinned version's lockfile is checked before it is trusted; any other
 * version asks the registry what its native package is.
 * @param {string} project
 * @param {Target} target
 * @returns {InstallPlan}
 */
export function writeProject(project: string, target: Target): InstallPlan;
/**
 * npm's flags for a layer install. npm checks explicit dependencies against the
 * host's platform whatever --cpu says, so on another host `--force` skips that
 * one check; the build then checks the binary's ELF machine itself.
 * @param {Architecture} architecture
 */
export function installFlags(architecture: Architecture): string[];
/**
 * `npm install` of the project, with the bytes unpacked so far on the progress line.
 * Not `npm ci`: a lockfile lists every platform's optional package, and a
 * registry that lacks one of those makes ci refuse it; `install --no-save`
 * follows the lockfile (integrity included) and verifyLockfile proves it.
 * @param {string} project
 * @param {Target & { pinned: boolean, outDir: string, progress: Progress }} options
 * @returns {Promise<number>} the milliseconds npm took
 */
export function npmInstall(project: string, options: Target & {
    pinned: boolean;
    outDir: string;
    progress: Progress;
}): Promise<number>;
/**
 * The lockfile npm wrote for an unpinned version, as the pins hold theirs:
 * without `resolved` (the registry's address, or none with npm's
 * omit-lockfile-registry-resolved), so the layer's bytes do not depend on
 * the registry or mirror it came from; versions and integrity stay.
 * @param {string} project
 */
export function normalizeLockfile(project: string): void;
