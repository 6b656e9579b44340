/**
 * Facts of every published version of each LanceDB JS SDK, read ahead of time
 * from the npm registry and from the native binaries themselves
 * (build-tools/sdk-facts.ts writes ./sdk-facts.generated.ts; `npx projen facts`).
 *
 * The constructs use them to refuse at synth what would fail on Lambda, also
 * for layers they did not build (`VectorDbLayer.fromLayerArn`).
 */
import * as semver from 'semver';
import { SDK_FACTS_TABLE, GeneratedNativeFact, GeneratedVersionFact } from './sdk-facts.generated';

export type FactArchitecture = 'x86_64' | 'arm64';

export interface NativeBuildFact {
  /** npm package of the binary (from the SDK version's optionalDependencies); undefined when the binary ships inside the SDK's own tarball */
  readonly package?: string;
  /** that package's version, as the SDK names it */
  readonly version?: string;
  /** whether that package version is on the registry (when false, nothing below is known) */
  readonly published: boolean;
  /** the binary's path inside its package (or the SDK's) */
  readonly binary?: string;
  /** highest GLIBC_x.y the binary needs, e.g. '2.28'; undefined when it needs no versioned glibc symbol */
  readonly glibc?: string;
  /** DT_NEEDED sonames */
  readonly needed?: readonly string[];
  readonly bytes?: number;
}

export interface SdkVersionFact {
  readonly version: string;
  /** the SDK's engines.node, when it declares one */
  readonly engines?: string;
  readonly native: { readonly x86_64?: NativeBuildFact; readonly arm64?: NativeBuildFact };
}

/** when and from which registry the table was made */
export const FACTS_SOURCE: { readonly generatedAt: string; readonly registry: string } = Object.freeze({
  generatedAt: SDK_FACTS_TABLE.generatedAt,
  registry: SDK_FACTS_TABLE.registry,
});

/** semver order (prereleases before their release); anything that is not a version after the versions, by string */
function compareSdkVersions(a: string, b: string): number {
  const va = semver.valid(a);
  const vb = semver.valid(b);
  if (va && vb) return semver.compare(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** '0.21.2', 'v0.21.2', '=0.21.2', ' 0.21.2 ' all name the same version. */
function cleanVersion(version: string): string {
  return version.trim().replace(/^[=v]+/, '');
}

function nativeFact(n: GeneratedNativeFact): NativeBuildFact {
  return Object.freeze({
    ...(n.package !== undefined ? { package: n.package } : {}),
    ...(n.version !== undefined ? { version: n.version } : {}),
    published: n.published,
    ...(n.binary !== undefined ? { binary: n.binary } : {}),
    ...(n.glibc !== undefined ? { glibc: n.glibc } : {}),
    ...(n.needed !== undefined ? { needed: Object.freeze([...n.needed]) } : {}),
    ...(n.bytes !== undefined ? { bytes: n.bytes } : {}),
  });
}

const cache = new Map<string, SdkVersionFact>();

/** the facts of one published SDK version, or undefined when the table does not know it (newer than the table, or not published) */
export function versionFacts(sdk: string, version: string): SdkVersionFact | undefined {
  const versions = Object.prototype.hasOwnProperty.call(SDK_FACTS_TABLE.sdks, sdk) ? SDK_FACTS_TABLE.sdks[sdk] : undefined;
  if (!versions || typeof version !== 'string') return undefined;
  const v = cleanVersion(version);
  if (!Object.prototype.hasOwnProperty.call(versions, v)) return undefined;
  const key = `${sdk}@${v}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const raw: GeneratedVersionFact = versions[v];
  const fact: SdkVersionFact = Object.freeze({
    version: v,
    ...(raw.engines !== undefined ? { engines: raw.engines } : {}),
    native: Object.freeze({
      ...(raw.x86_64 ? { x86_64: nativeFact(raw.x86_64) } : {}),
      ...(raw.arm64 ? { arm64: nativeFact(raw.arm64) } : {}),
    }),
  });
  cache.set(key, fact);
  return fact;
}

/** every version the table knows for an SDK, oldest first (semver order) */
export function knownVersions(sdk: string): string[] {
  const versions = Object.prototype.hasOwnProperty.call(SDK_FACTS_TABLE.sdks, sdk) ? SDK_FACTS_TABLE.sdks[sdk] : undefined;
  return versions ? Object.keys(versions).sort(compareSdkVersions) : [];
}
