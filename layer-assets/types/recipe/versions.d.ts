/** x.y.z with an optional prerelease; no ranges, tags, build metadata or `v` prefix. */
export const EXACT_VERSION: RegExp;
/**
 * @param {unknown} v
 * @returns {v is string}
 */
export function isExactVersion(v: unknown): v is string;
