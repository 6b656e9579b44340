/**
 * `cdk-vectordb-layer versions [--sdk <name>] [--json]`: the SDK versions on the
 * npm registry and, for each, the Lambda native package it names for x86_64
 * and arm64 (from that version's own optionalDependencies) and whether that
 * registry serves that package version: a synth builds the declared one from
 * the registry npm uses, and stops with its answer when that registry lacks it.
 *
 * Per SDK: one `npm view <sdk>@>=0.0.0-0 version optionalDependencies engines`
 * and one `npm view <native> versions` per architecture, through the recipe's
 * npm runner: never a shell.
 */
import { parseCommandArgs, parseOrExit, UsageError } from './args';
import type { Command } from './main';
import { compatibleRuntimes, tableFacts } from '../private/facts/compatibility';
import { knownNodeRuntimes, PROVEN_NODE_MAJORS, retirementDates, retirementOf } from '../private/facts/runtimes';
import { versionFacts } from '../private/facts/sdk-facts';
import { compareVersions } from '../private/facts/versions';
import { pinnedVersions } from '../private/layer/pins';
import { recipeNpm, recipeRegistry, recipeSdks } from '../private/layer/recipe';
import { VectorDbSdk } from '../sdk';

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = typeof ARCHITECTURES[number];

/** A native build of one SDK version for one architecture. */
export interface NativeCell {
  /** The native package's version the SDK version declares (optionalDependencies), when it names one. */
  readonly version?: string;
  /** Whether the registry asked serves that package version. */
  readonly published: boolean;
}

export interface VersionRow {
  readonly version: string;
  readonly x86_64: NativeCell;
  readonly arm64: NativeCell;
  /** The SDK's engines.node, when it declares one. */
  readonly engines?: string;
  /** The sdk's default version in this library. */
  readonly default: boolean;
  /** Architectures pinned by a lockfile in layer-assets/pins. */
  readonly pinned: string[];
  /** Runtimes per architecture, where this library's facts know the binary. */
  readonly runtimes: Partial<Record<Architecture, string[]>>;
}

export interface SdkVersions {
  readonly sdk: string;
  readonly defaultVersion: string;
  readonly nativePackages: Record<Architecture, string>;
  /** Newest first. */
  readonly versions: VersionRow[];
}

/** What the registry says each version names as its native packages (releases in one call; others from the facts table). */
function namedNatives(sdk: string): Map<string, { natives: Record<string, string>; engines?: string }> {
  const rows = recipeRegistry().view(`${sdk}@>=0.0.0-0`, ['version', 'optionalDependencies', 'engines']);
  type Row = { version?: string; optionalDependencies?: Record<string, string>; engines?: { node?: string } };
  const list: Row[] = Array.isArray(rows) ? rows : rows ? [rows] : [];
  const out = new Map<string, { natives: Record<string, string>; engines?: string }>();
  for (const r of list) {
    if (typeof r.version === 'string') out.set(r.version, { natives: r.optionalDependencies ?? {}, engines: r.engines?.node });
  }
  return out;
}

/** Asks the registry: three `npm view` calls per SDK. */
export function sdkVersions(sdk: string): SdkVersions {
  const published = recipeRegistry().publishedVersions(sdk);
  const named = namedNatives(sdk);
  const nativePackages = {} as Record<Architecture, string>;
  const nativeVersions = {} as Record<Architecture, Set<string>>;
  for (const arch of ARCHITECTURES) {
    nativePackages[arch] = recipeSdks.nativeFor(sdk, arch).packageName;
    nativeVersions[arch] = new Set(recipeRegistry().publishedVersions(nativePackages[arch]));
  }
  const defaultVersion = VectorDbSdk.of(sdk).defaultVersion;
  const versions = [...published].sort((a, b) => compareVersions(b, a)).map((version): VersionRow => {
    const release = named.get(version);
    const cell = (arch: Architecture): NativeCell => {
      const v = release ? release.natives[nativePackages[arch]] : versionFacts(sdk, version)?.declared.native[arch]?.version;
      return { version: v, published: v !== undefined && nativeVersions[arch].has(v) };
    };
    const runtimes: Partial<Record<Architecture, string[]>> = {};
    for (const arch of ARCHITECTURES) {
      const facts = tableFacts(sdk, version, arch);
      if (facts) runtimes[arch] = compatibleRuntimes(facts).map((r) => r.name);
    }
    return {
      version,
      x86_64: cell('x86_64'),
      arm64: cell('arm64'),
      engines: release?.engines ?? versionFacts(sdk, version)?.declared.engines,
      default: version === defaultVersion,
      pinned: ARCHITECTURES.filter((a) => pinnedVersions(sdk, a).includes(version)),
      runtimes,
    };
  });
  return { sdk, defaultVersion, nativePackages, versions };
}

const USAGE = `usage: cdk-vectordb-layer versions [--sdk <name>] [--json]

Lists the versions of an SDK on the npm registry (npm's \`registry\` setting)
and, for each, the Lambda native package it names for x86_64 (linux-x64-gnu)
and arm64 (linux-arm64-gnu) in its own optionalDependencies and whether that
registry serves it: yes, missing (declared, not on this registry: a synth
stops with the registry's answer) or - (none declared). Marks this
library's default version, the versions pinned by a lockfile, and the Lambda
runtimes each binary can load where this library's facts know it.

options:
  --sdk <name>   ${Object.keys(recipeSdks.SDKS).join(' or ')} (default: all of them)
  --json         print one JSON object on stdout
  -h, --help     this help

Exit codes: 0 success, 1 the registry could not be asked, 2 bad usage or input.`;

function cellText(c: NativeCell, sdkVersion: string): string {
  if (!c.published) return c.version === undefined ? '-' : 'missing';
  return c.version === sdkVersion ? 'yes' : `yes (${c.version})`;
}

function table(s: SdkVersions): string {
  const rows = s.versions.map((v) => {
    const notes: string[] = [];
    if (v.default) notes.push('default');
    if (v.pinned.length > 0) notes.push(`pinned ${v.pinned.join(', ')}`);
    if (v.engines) notes.push(`engines.node ${v.engines}`);
    for (const arch of ARCHITECTURES) {
      const r = v.runtimes[arch];
      if (r && v[arch].published) notes.push(`${arch}: ${r.length > 0 ? r.join(' ') : 'no Lambda runtime can load it'}`);
    }
    if (v.x86_64.version === undefined && v.arm64.version === undefined) notes.push('no Lambda native build declared');
    return [v.version, cellText(v.x86_64, v.version), cellText(v.arm64, v.version), notes.join('; ')];
  });
  const head = ['VERSION', 'x86_64', 'arm64', 'NOTES'];
  const width = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(width[i]) : c)).join('  ').trimEnd();
  const count = (a: Architecture) => s.versions.filter((v) => v[a].published).length;
  const missing = s.versions.some((v) => ARCHITECTURES.some((a) => v[a].version !== undefined && !v[a].published));
  return [
    `${s.sdk}: ${s.versions.length} versions; native builds on this registry: x86_64 ${count('x86_64')} (${s.nativePackages.x86_64}), arm64 ${count('arm64')} (${s.nativePackages.arm64})`,
    line(head),
    ...rows.map(line),
    ...(missing ? [`missing: the version declares that build and this registry (${recipeNpm().registryUrl()}) does not serve it; a synth fetches it from the registry npm uses and stops with that registry's answer when it lacks it too`] : []),
  ].join('\n');
}

/**
 * What the runtimes in NOTES mean: the Node.js majors the layer was proven on,
 * the runtimes past Lambda's end of support (never a default; synth warns), and
 * how VectorDbFunction picks its default.
 */
function runtimeLine(): string {
  const retired = knownNodeRuntimes().map((f) => f.runtime).filter((r) => retirementOf(r) !== undefined)
    .map((r) => `${r.name} (${retirementDates(retirementOf(r)!)})`);
  return [
    `runtimes: proven on Node.js ${PROVEN_NODE_MAJORS.join(', ')}; a function's default is the newest proven one aws-cdk-lib defines and Lambda supports`,
    ...(retired.length > 0 ? [`past Lambda's end of support (never a default; synth warns): ${retired.join(', ')}`] : []),
  ].join('\n');
}

async function run(argv: string[]): Promise<number> {
  const values = parseOrExit(() => {
    const v = parseCommandArgs('versions', argv, { sdk: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }).values;
    const sdk = v.sdk as string | undefined;
    if (sdk !== undefined && !Object.prototype.hasOwnProperty.call(recipeSdks.SDKS, sdk)) {
      throw new UsageError(`cdk-vectordb-layer versions: --sdk must be one of ${Object.keys(recipeSdks.SDKS).join(', ')}, got ${JSON.stringify(sdk.slice(0, 120))}; for example --sdk vectordb`);
    }
    return { sdk, json: v.json === true, help: v.help === true };
  }, USAGE);
  if (typeof values === 'number') return values;
  const sdks = values.sdk ? [values.sdk as string] : Object.keys(recipeSdks.SDKS);
  let results: SdkVersions[];
  try {
    results = sdks.map(sdkVersions);
  } catch (e) {
    process.stderr.write(`cdk-vectordb-layer versions: ${(e as Error).message}\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ registry: recipeNpm().registryUrl(), sdks: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`${results.map(table).join('\n\n')}\n\n${runtimeLine()}\n`);
  }
  return 0;
}

export const command: Command = {
  summary: 'list an SDK\'s versions on the npm registry and the x86_64 / arm64 native build each names',
  run,
};
