/**
 * `cdk-vectordb-layer versions [--sdk <name>] [--json]`: the SDK versions on the
 * npm registry and, for each, whether a Lambda linux-gnu native package exists
 * for x86_64 and arm64 (a layer can only be built where it does).
 *
 * One `npm view <package> versions --json` per package (the SDK and its two
 * native packages), through the recipe's npm runner: never a shell.
 */
import type { Command } from './main';
import { recipe, recipeNpm, recipeVersions, SdkInfo } from '../private/recipe';

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = typeof ARCHITECTURES[number];

/** The SDKs the recipe knows (layer-assets/sdks.json), in file order. */
export function sdkNames(): string[] {
  return Object.keys(recipe.SDKS);
}

export function isSdk(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(recipe.SDKS, name);
}

export function sdkInfo(name: string): SdkInfo {
  return recipe.SDKS[name];
}

/** `--flag problem, got "value"; fix` on one line, whatever the value holds. */
export function badInput(command: string, flag: string, problem: string, value: string, fix: string): string {
  const shown = value.length > 120 ? `${value.slice(0, 120)}...` : value;
  return `cdk-vectordb-layer ${command}: ${flag} ${problem}, got ${JSON.stringify(shown)}; ${fix}`;
}

export interface VersionRow {
  readonly version: string;
  /** A linux-x64-gnu native package of this version is published. */
  readonly x86_64: boolean;
  /** A linux-arm64-gnu native package of this version is published. */
  readonly arm64: boolean;
  /** The sdk's default version in this library. */
  readonly default: boolean;
  /** Architectures pinned (lockfile and measured glibc need) in layer-assets/sdks.json. */
  readonly pinned: string[];
  /** glibc need per pinned architecture. */
  readonly glibc: Record<string, string>;
}

export interface SdkVersions {
  readonly sdk: string;
  readonly defaultVersion: string;
  readonly nativePackages: Record<Architecture, string>;
  /** Newest first. */
  readonly versions: VersionRow[];
}

/** Asks the registry: three `npm view` calls per SDK. */
export function sdkVersions(sdk: string): SdkVersions {
  const info = sdkInfo(sdk);
  const published = recipeNpm.publishedVersions(sdk);
  const nativePackages = {} as Record<Architecture, string>;
  const nativeVersions = {} as Record<Architecture, Set<string>>;
  for (const arch of ARCHITECTURES) {
    nativePackages[arch] = recipe.nativeFor(sdk, arch).packageName;
    nativeVersions[arch] = new Set(recipeNpm.publishedVersions(nativePackages[arch]));
  }
  const versions = [...published].sort((a, b) => recipeVersions.compareVersions(b, a)).map((version): VersionRow => {
    const pins = Object.prototype.hasOwnProperty.call(info.pins, version) ? info.pins[version] : {};
    const glibc: Record<string, string> = {};
    for (const [arch, pin] of Object.entries(pins)) if (pin.glibc) glibc[arch] = pin.glibc;
    return {
      version,
      x86_64: nativeVersions.x86_64.has(version),
      arm64: nativeVersions.arm64.has(version),
      default: version === info.defaultVersion,
      pinned: Object.keys(pins),
      glibc,
    };
  });
  return { sdk, defaultVersion: info.defaultVersion, nativePackages, versions };
}

const USAGE = `usage: cdk-vectordb-layer versions [--sdk <name>] [--json]

Lists the versions of an SDK on the npm registry (npm's \`registry\` setting)
and whether each has a Lambda native build (linux-x64-gnu for x86_64,
linux-arm64-gnu for arm64): a layer can only be built where it has one.
Marks this library's default version and the versions pinned by a lockfile.

options:
  --sdk <name>   ${sdkNames().join(' or ')} (default: all of them)
  --json         print one JSON object on stdout
  -h, --help     this help

Exit codes: 0 success, 1 the registry could not be asked, 2 bad usage or input.`;

function table(s: SdkVersions): string {
  const yes = (b: boolean) => (b ? 'yes' : '-');
  const rows = s.versions.map((v) => {
    const notes: string[] = [];
    if (v.default) notes.push('default');
    if (v.pinned.length > 0) {
      notes.push(`pinned ${v.pinned.map((a) => (v.glibc[a] ? `${a} (glibc ${v.glibc[a]})` : a)).join(', ')}`);
    }
    if (!v.x86_64 && !v.arm64) notes.push('no Lambda native build');
    return [v.version, yes(v.x86_64), yes(v.arm64), notes.join('; ')];
  });
  const head = ['VERSION', 'x86_64', 'arm64', 'NOTES'];
  const width = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(width[i]) : c)).join('  ').trimEnd();
  const withArm = s.versions.filter((v) => v.arm64).length;
  const withX64 = s.versions.filter((v) => v.x86_64).length;
  return [
    `${s.sdk}: ${s.versions.length} versions; native builds: x86_64 ${withX64} (${s.nativePackages.x86_64}), arm64 ${withArm} (${s.nativePackages.arm64})`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}

async function run(argv: string[]): Promise<number> {
  let sdk: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    switch (flag) {
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case '--json':
        if (inline !== undefined) {
          process.stderr.write(badInput('versions', '--json', 'takes no value', inline, 'write --json alone'));
          process.stderr.write('\n');
          return 2;
        }
        json = true;
        break;
      case '--sdk': {
        const v = inline ?? argv[++i];
        if (v === undefined) {
          process.stderr.write(`cdk-vectordb-layer versions: --sdk needs a value; for example --sdk ${sdkNames()[0]}\n`);
          return 2;
        }
        if (!isSdk(v)) {
          process.stderr.write(`${badInput('versions', '--sdk', `must be one of ${sdkNames().join(', ')}`, v, `for example --sdk ${sdkNames()[0]}`)}\n`);
          return 2;
        }
        sdk = v;
        break;
      }
      default:
        process.stderr.write(`cdk-vectordb-layer versions: unknown ${flag.startsWith('-') ? 'option' : 'argument'} ${JSON.stringify(flag)}; run cdk-vectordb-layer versions --help for the options\n`);
        return 2;
    }
  }

  const sdks = sdk ? [sdk] : sdkNames();
  let results: SdkVersions[];
  try {
    results = sdks.map(sdkVersions);
  } catch (e) {
    process.stderr.write(`cdk-vectordb-layer versions: ${(e as Error).message}\n`);
    return 1;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ registry: recipeNpm.registryUrl(), sdks: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`${results.map(table).join('\n\n')}\n`);
  }
  return 0;
}

export const command: Command = {
  summary: 'list an SDK\'s versions on the npm registry and which have an x86_64 / arm64 native build',
  run,
};
