export type Architecture = import("./sdks").Architecture;
/**
 * Fails within seconds when the registry (or npm's proxy) cannot be reached
 * from where the build runs.
 * @param {{ inContainer: boolean }} options
 * @returns {Promise<string>} the registry URL
 */
export function probeRegistry(options: {
    inContainer: boolean;
}): Promise<string>;
/** @typedef {import('./sdks').Architecture} Architecture */
/**
 * Where a TCP connection must reach for npm to work: the proxy npm (or the
 * environment) names, else the registry itself.
 * @param {string} registry
 * @returns {{ host: string, port: number, via: string }}
 */
export function probeTarget(registry: string): {
    host: string;
    port: number;
    via: string;
};
/**
 * What an SDK version names as its linux-gnu native package for an
 * architecture, checked to be on the registry. Throws NOT_PUBLISHED,
 * NO_NATIVE_PACKAGE or NO_NATIVE_BUILD with the facts the host needs to
 * suggest another version (`details`).
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 * @returns {{ nativePackage: string, nativeVersion: string, engines?: string }}
 */
export function resolveRelease(sdk: string, version: string, architecture: Architecture): {
    nativePackage: string;
    nativeVersion: string;
    engines?: string;
};
/**
 * Published versions of a package (`[]` when the registry has none).
 * @param {string} pkg
 * @returns {string[]}
 */
export function publishedVersions(pkg: string): string[];
/**
 * `npm view <spec> <fields> --json`, parsed; undefined for a 404.
 * @param {string} spec
 * @param {string[]} fields
 * @returns {any}
 */
export function view(spec: string, fields: string[]): any;
/** How long one TCP connection attempt to the registry (or proxy) may take. */
export const PROBE_TIMEOUT_MS: 8000;
