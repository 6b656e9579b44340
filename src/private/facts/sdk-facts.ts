/**
 * Facts of every version of each LanceDB JS SDK, read ahead of time
 * (build-tools/sdk-facts.ts writes ./sdk-facts.generated.ts; `npx projen facts`).
 *
 * Two kinds, kept apart because they travel differently:
 * - **declared**: what the SDK version itself says (its registry metadata:
 *   `optionalDependencies`, `engines`). True wherever the version is installed from.
 * - **observed**: what was read from a native binary fetched from the registry
 *   named in the table (machine, glibc, NEEDED, size). That registry may be a
 *   partial copy: a declared build it did not serve is simply not observed,
 *   which says nothing about the user's registry.
 *
 * The constructs refuse at synth only what the facts prove would fail on
 * Lambda; a declared build that was not observed is built from the user's
 * registry and checked after install, like a version newer than the table.
 */
// semver's functions one by one: its index loads all of semver (47 modules) on import.
import semverCompare from 'semver/functions/compare';
import semverValid from 'semver/functions/valid';
import { SDK_FACTS_TABLE } from './sdk-facts.generated';
import { LayerArchitecture } from '../common/architecture';

export type FactArchitecture = LayerArchitecture;

/** The linux-gnu native package an SDK version names in its optionalDependencies. */
export interface DeclaredNative {
  /** npm package name, e.g. `@lancedb/lancedb-linux-arm64-gnu` */
  readonly package: string;
  /** the exact version the SDK names (not always the SDK's own) */
  readonly version: string;
}

/** What an SDK version's own metadata says. */
export interface DeclaredFacts {
  /** the SDK's engines.node, when it declares one */
  readonly engines?: string;
  /** the SDK tarball's unpacked size */
  readonly unpackedSize?: number;
  /** the linux-gnu native package per architecture, when it names one */
  readonly native: { readonly x86_64?: DeclaredNative; readonly arm64?: DeclaredNative };
}

/** What was read from a native binary fetched from the table's registry. */
export interface ObservedBinary {
  /** where the binary came from: the declared native package, or the SDK's own tarball (vectordb 0.1.x) */
  readonly source: 'native-package' | 'sdk-tarball';
  /** its path inside that package */
  readonly binary: string;
  readonly machine: FactArchitecture;
  /** highest GLIBC_x.y the binary needs; absent when it needs no versioned glibc symbol */
  readonly glibc?: string;
  /** DT_NEEDED sonames */
  readonly needed: readonly string[];
  /** the binary's size as published */
  readonly bytes: number;
}

/** One SDK version: what it declares, and what was observed of its binaries. */
export interface SdkVersionFact {
  readonly declared: DeclaredFacts;
  readonly observed: { readonly x86_64?: ObservedBinary; readonly arm64?: ObservedBinary };
}

/** The whole table, as build-tools/sdk-facts.ts writes it. */
export interface SdkFactsTable {
  /** the day the facts last changed (YYYY-MM-DD) */
  readonly generatedAt: string;
  /** the npm registry the facts were read from (observed facts are of its copies) */
  readonly registry: string;
  /** the readelf that read the binaries */
  readonly readelf: string;
  readonly sdks: { readonly [sdk: string]: { readonly [version: string]: SdkVersionFact } };
}

/**
 * A version's native build for one architecture, as the facts know it:
 * - `observed`: read from the binary (glibc, libraries known);
 * - `declared`: the SDK names a package the table's registry did not serve:
 *   unknown here, to be fetched from the user's registry and checked after install;
 * - `none`: the SDK names no linux-gnu package and ships no linux binary for it.
 */
export type NativeBuildState =
  | { readonly state: 'observed'; readonly declared?: DeclaredNative; readonly observed: ObservedBinary }
  | { readonly state: 'declared'; readonly declared: DeclaredNative }
  | { readonly state: 'none' };

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const TABLE: SdkFactsTable = deepFreeze(SDK_FACTS_TABLE);

/** when and from which registry the table was made */
export const FACTS_SOURCE: { readonly generatedAt: string; readonly registry: string } = Object.freeze({
  generatedAt: TABLE.generatedAt,
  registry: TABLE.registry,
});

/** semver order (prereleases before their release); anything that is not a version after the versions, by string */
function compareSdkVersions(a: string, b: string): number {
  const va = semverValid(a);
  const vb = semverValid(b);
  if (va && vb) return semverCompare(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** '0.21.2', 'v0.21.2', '=0.21.2', ' 0.21.2 ' all name the same version. */
function cleanVersion(version: string): string {
  return version.trim().replace(/^[=v]+/, '');
}

function versionsOf(sdk: string): SdkFactsTable['sdks'][string] | undefined {
  return Object.prototype.hasOwnProperty.call(TABLE.sdks, sdk) ? TABLE.sdks[sdk] : undefined;
}

/** the facts of one SDK version, or undefined when the table does not know it (newer than the table, or not published) */
export function versionFacts(sdk: string, version: string): SdkVersionFact | undefined {
  const versions = versionsOf(sdk);
  if (!versions || typeof version !== 'string') return undefined;
  const v = cleanVersion(version);
  return Object.prototype.hasOwnProperty.call(versions, v) ? versions[v] : undefined;
}

/** The native build of a version for an architecture; undefined when the table does not know the version. */
export function nativeBuild(sdk: string, version: string, architecture: FactArchitecture): NativeBuildState | undefined {
  const facts = versionFacts(sdk, version);
  if (!facts) return undefined;
  const declared = facts.declared.native[architecture];
  const observed = facts.observed[architecture];
  if (observed) return { state: 'observed', ...(declared ? { declared } : {}), observed };
  if (declared) return { state: 'declared', declared };
  return { state: 'none' };
}

/** every version the table knows for an SDK, oldest first (semver order) */
export function knownVersions(sdk: string): string[] {
  const versions = versionsOf(sdk);
  return versions ? Object.keys(versions).sort(compareSdkVersions) : [];
}
