/**
 * Version arithmetic for SDK versions and engines ranges: semver, the one
 * comparator of the library (the recipe only checks that a version is exact).
 */
// semver's functions one by one: its index loads all of semver (47 modules) on import.
import semverCompare from 'semver/functions/compare';
import semverPrerelease from 'semver/functions/prerelease';
import semverValid from 'semver/functions/valid';
import semverIntersects from 'semver/ranges/intersects';
import semverMinVersion from 'semver/ranges/min-version';
import semverValidRange from 'semver/ranges/valid';
import { recipeVersions } from '../layer/recipe';

/** x.y.z with an optional prerelease: the only versions a layer takes. */
export function isExactVersion(v: unknown): v is string {
  return recipeVersions().isExactVersion(v);
}

/** semver precedence; what is not a version sorts first. */
export function compareVersions(a: string, b: string): number {
  const va = semverValid(a);
  const vb = semverValid(b);
  if (va && vb) return semverCompare(va, vb);
  return (va ? 1 : 0) - (vb ? 1 : 0);
}

/** Oldest first. */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort(compareVersions);
}

/** Up to `count` versions on each side of `wanted`, releases first (prereleases only when there is no release). */
export function nearestVersions(wanted: string, published: readonly string[], count = 3): string[] {
  const exact = published.filter((v) => isExactVersion(v));
  const releases = exact.filter((v) => semverPrerelease(v) === null);
  const pool = sortVersions(releases.length > 0 ? releases : exact);
  const at = pool.findIndex((v) => compareVersions(v, wanted) > 0);
  const split = at === -1 ? pool.length : at;
  return [...pool.slice(Math.max(0, split - count), split), ...pool.slice(split, split + count)];
}

/**
 * Whether a Node.js major version satisfies an `engines.node` range. A Lambda
 * runtime runs the newest release of its major, so the question is whether
 * any release of that major is in the range. An unreadable range allows all.
 */
export function enginesAllow(range: string | null | undefined, major: number): boolean {
  if (!range) return true;
  const valid = semverValidRange(range);
  if (valid === null) return true;
  return semverIntersects(valid, `${major}.x`);
}

/** The lowest Node.js major an `engines.node` range allows, when it can tell. */
export function minimumNodeMajor(range: string | null | undefined): number | undefined {
  if (!range || semverValidRange(range) === null) return undefined;
  return semverMinVersion(range)?.major;
}
