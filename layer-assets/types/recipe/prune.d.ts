export type PruneOptions = {
    /**
     * absolute path of the one native binary to keep; every other `.node` file goes
     */
    keepBinary: string;
    /**
     * packages the runtime never loads
     */
    prunePackages: string[];
    /**
     * packages the runtime loads; packages they cannot reach are removed
     */
    roots?: string[] | undefined;
    /**
     * dependency edges only a package's command-line tool uses
     */
    cliOnlyDependencies?: Record<string, string[]> | undefined;
    /**
     * folders inside packages the runtime never reads (a package's bin/)
     */
    prunePaths?: string[] | undefined;
};
export type Removed = {
    files: number;
    bytes: number;
    packages: string[];
};
/**
 * @typedef {object} PruneOptions
 * @property {string} keepBinary absolute path of the one native binary to keep; every other `.node` file goes
 * @property {string[]} prunePackages packages the runtime never loads
 * @property {string[]} [roots] packages the runtime loads; packages they cannot reach are removed
 * @property {Record<string, string[]>} [cliOnlyDependencies] dependency edges only a package's command-line tool uses
 * @property {string[]} [prunePaths] folders inside packages the runtime never reads (a package's bin/)
 */
/** @typedef {{ files: number, bytes: number, packages: string[] }} Removed */
/**
 * @param {string} nodeModules the node_modules folder
 * @param {PruneOptions} options
 * @returns {Removed} what was removed
 */
export function prune(nodeModules: string, options: PruneOptions): Removed;
/**
 * Removes every package that the runtime cannot reach: a walk of `dependencies`
 * (and installed `peerDependencies` and `optionalDependencies`) from the roots,
 * resolved the way Node does (nearest node_modules up the tree), skipping the
 * edges in `skip` (package -> dependencies only its command-line tool uses,
 * e.g. apache-arrow's arrow2csv) and packages matching `exclude` (type-only
 * packages such as @apache-arrow/ts).
 * @param {string} nodeModules
 * @param {string[]} roots
 * @param {Record<string, string[]>} [skip]
 * @param {string[]} [exclude]
 * @returns {string[]} the package folders removed, relative to nodeModules
 */
export function pruneUnreachable(nodeModules: string, roots: string[], skip?: Record<string, string[]>, exclude?: string[]): string[];
/**
 * Files and bytes under a path (lstat sizes; links count as themselves): what
 * Lambda counts as unzipped size.
 * @param {string} p
 * @returns {{ files: number, bytes: number }}
 */
export function measure(p: string): {
    files: number;
    bytes: number;
};
/**
 * Package names directly under a node_modules folder.
 * @param {string} nodeModules
 * @returns {string[]}
 */
export function listPackages(nodeModules: string): string[];
/** @param {string} name a file's base name */
export function isLicenceFile(name: string): boolean;
/** Folder names removed inside a package (never a package's own folder); licence files in them stay. */
export const PRUNED_DIRS: Set<string>;
/** File names removed anywhere, unless they are licence files. */
export const PRUNED_FILES: RegExp[];
/**
 * A licence or notice file: LICENSE, LICENCE.md, license-MIT, COPYING.LESSER,
 * NOTICE.txt, THIRD-PARTY-LICENSES... (any case, any extension). Never pruned.
 */
export const LICENCE_FILE: RegExp;
