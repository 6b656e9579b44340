export type PinFiles = {
    sdk: string;
    version: string;
    architecture: import("./sdks").Architecture;
    /**
     * the linux-gnu native package for the architecture
     */
    nativePackage: string;
    /**
     * the pin's package.json
     */
    packageJson: any;
    /**
     * the pin's package-lock.json
     */
    lock: any;
};
/**
 * Problems of one pin's package.json and lockfile, as sentences; empty when it is sound.
 *
 * - package.json depends on exactly the SDK at `version` and its linux-gnu
 *   native package (at whatever version the SDK's optionalDependencies name)
 * - the lockfile (v2 or v3) agrees with it at its root, and locks both, the
 *   native package marked for linux and the architecture's cpu
 * - every package has a version and a sha512 integrity; none comes from a link,
 *   a git repository, a file, a non-https URL, or under an alias
 * @param {PinFiles} pin
 * @returns {string[]}
 */
export function lockfileProblems(pin: PinFiles): string[];
/**
 * After `npm install`: every installed package must be the lockfile's version
 * with the lockfile's integrity (npm's hidden lockfile, node_modules/.package-lock.json,
 * records what was installed).
 * @param {string} project
 */
export function verifyLockfile(project: string): void;
/** Only npm's strongest hash: sha512 over the tarball, as npm writes it. */
export const INTEGRITY: RegExp;
