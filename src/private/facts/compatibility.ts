/**
 * Whether a LanceDB layer can run on a Lambda runtime, and if not, the true
 * reason and a way out. One place for the construct (its compatible runtimes),
 * the function (its runtime), imported layers and the CLI.
 *
 * A layer can run on a runtime when, for its architecture, the native binary's
 * highest GLIBC_x.y need is met by the runtime's OS, every shared library the
 * binary NEEDs is one that OS provides, and the SDK's `engines.node` allows
 * the runtime's Node.js major.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { glibcSatisfied, missingSonames } from './lambda-os';
import { defaultRuntime, knownNodeRuntimes, NodeRuntimeFact, nodeRuntimeFact, runtimeConstant } from './runtimes';
import { knownVersions, nativeBuild, versionFacts } from './sdk-facts';
import { enginesAllow, compareVersions } from './versions';
import { LayerArchitecture } from '../common/architecture';
import type { LayerManifest } from '../layer/recipe';
import type { LayerIdentity } from '../layer/request';

/** What decides where a layer runs. */
export interface LayerFacts {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: LayerArchitecture;
  /** The highest GLIBC_x.y the binary needs; undefined when it needs none or when unknown (see `known`). */
  readonly glibc?: string;
  /** The binary's DT_NEEDED sonames, when known. */
  readonly neededLibraries?: readonly string[];
  /** The SDK's engines.node, when it declares one. */
  readonly engines?: string;
  /**
   * Whether the binary's facts (glibc, libraries) are known. When not, only
   * Amazon Linux 2023 runtimes are offered (the newest OS: the safe guess).
   */
  readonly known: boolean;
}

/** Why a layer cannot run on a runtime. */
export interface RuntimeProblem {
  readonly reason: 'glibc' | 'libraries' | 'engines' | 'unknown-binary';
  /** What does not fit, as a sentence fragment. */
  readonly problem: string;
  /** What would happen on Lambda. */
  readonly why: string;
}

/** The problem of `layer` on `runtime`, or undefined when it can run there. */
export function runtimeProblem(layer: LayerFacts, runtime: lambda.Runtime): RuntimeProblem | undefined {
  const fact = nodeRuntimeFact(runtime);
  if (!fact) return undefined; // not a runtime this library knows (a future or custom one): the user's call
  const what = `${layer.sdk} ${layer.version} (${layer.architecture})`;
  if (!layer.known && fact.os.id !== 'al2023') {
    return {
      reason: 'unknown-binary',
      problem: `${runtime.name} runs on ${fact.os.name} (glibc ${fact.os.glibc}), and the glibc need of ${what} is not known before its binary is read`,
      why: 'only Amazon Linux 2023 runtimes are offered for an unread binary',
    };
  }
  if (layer.known && !glibcSatisfied(fact.os, layer.glibc)) {
    return {
      reason: 'glibc',
      problem: `${runtime.name} runs on ${fact.os.name} with glibc ${fact.os.glibc}, but the native binary of ${what} needs glibc ${layer.glibc}`,
      why: `it would fail at run time with "version \`GLIBC_${layer.glibc}' not found"`,
    };
  }
  const missing = layer.known ? missingSonames(fact.os, layer.neededLibraries ?? [], layer.architecture) : [];
  if (missing.length > 0) {
    return {
      reason: 'libraries',
      problem: `the native binary of ${what} needs ${missing.join(', ')}, which ${fact.os.name} (${runtime.name}) does not provide`,
      why: `it would fail at run time with "${missing[0]}: cannot open shared object file"`,
    };
  }
  if (!enginesAllow(layer.engines, fact.major)) {
    return {
      reason: 'engines',
      problem: `${layer.sdk} ${layer.version} declares engines.node ${layer.engines}, and ${runtime.name} runs Node.js ${fact.major}`,
      why: 'the SDK does not support that Node.js version',
    };
  }
  return undefined;
}

/** The known Node.js runtimes a layer can run on, oldest first. */
export function compatibleRuntimes(layer: LayerFacts): lambda.Runtime[] {
  return knownNodeRuntimes().filter((f) => runtimeProblem(layer, f.runtime) === undefined).map((f) => f.runtime);
}

/** The newest known runtime a layer can run on. */
export function newestCompatibleRuntime(layer: LayerFacts): lambda.Runtime | undefined {
  const all = compatibleRuntimes(layer);
  return all[all.length - 1];
}

/**
 * What the facts table says of a version's binary before any build, when that
 * binary was observed (read with readelf); undefined when the table does not
 * know the version or only knows what it declares (the build reads it then).
 */
export function tableFacts(sdk: string, version: string, architecture: LayerArchitecture): LayerFacts | undefined {
  const build = nativeBuild(sdk, version, architecture);
  if (build?.state !== 'observed') return undefined;
  const engines = versionFacts(sdk, version)?.declared.engines;
  return { sdk, version, architecture, glibc: build.observed.glibc, neededLibraries: build.observed.needed, engines, known: true };
}

/**
 * What a layer's facts are before its build: the table's, else (a binary the
 * facts did not observe, read after the build) its declared engines.node only.
 */
export function factsBeforeBuild(layer: LayerIdentity): LayerFacts {
  const { sdk, version, architecture } = layer;
  const engines = versionFacts(sdk, version)?.declared.engines;
  return tableFacts(sdk, version, architecture) ?? { sdk, version, architecture, engines, known: false };
}

/** The facts the built binary and its manifest tell, over those before the build. */
export function measuredFacts(before: LayerFacts, manifest: LayerManifest): LayerFacts {
  const engines = manifest.nodeEngines ?? undefined;
  return { ...before, known: true, glibc: manifest.glibc ?? undefined, neededLibraries: manifest.neededLibraries, engines };
}

/**
 * Versions whose binary the facts table observed and that run on `architecture`, and on
 * `runtime` when given, newest first; releases only unless `near` is a prerelease.
 */
export function workingVersions(sdk: string, architecture: LayerArchitecture, runtime?: lambda.Runtime, near?: string): string[] {
  const prerelease = near !== undefined && near.includes('-');
  return knownVersions(sdk)
    .filter((v) => prerelease || !v.includes('-'))
    .filter((v) => {
      const layer = tableFacts(sdk, v, architecture);
      if (!layer) return false;
      if (runtime) return runtimeProblem(layer, runtime) === undefined;
      return compatibleRuntimes(layer).length > 0;
    })
    .sort((a, b) => compareVersions(b, a));
}

/**
 * The way out, as a fix fragment: a runtime that works for this layer, and the
 * versions nearest to the asked one that work on the asked runtime.
 */
export function runtimeFix(layer: LayerFacts, runtime: lambda.Runtime, versionProp: string): string {
  const ways: string[] = [];
  const asked = nodeRuntimeFact(runtime);
  const better = compatibleRuntimes(layer).map((r) => nodeRuntimeFact(r)).filter((f): f is NodeRuntimeFact => f !== undefined);
  // The default first (newest proven and supported), then the others.
  const first = defaultRuntime(better.map((f) => f.runtime)) ?? better[better.length - 1]?.runtime;
  const others = better.filter((f) => f.runtime.name !== first?.name).map((f) => f.runtime.name);
  if (first) ways.push(`use runtime ${runtimeConstant(first)}${others.length > 0 ? ` (or ${others.join(', ')})` : ''}`);
  const versions = asked ? workingVersions(layer.sdk, layer.architecture, runtime, layer.version) : [];
  if (versions.length > 0) ways.push(`set ${versionProp} to ${nearestOf(versions, layer.version)} (the ${layer.sdk} ${nearestOf(versions, layer.version) === versions[0] ? 'newest' : 'nearest'} version that runs on ${runtime.name} ${layer.architecture})`);
  if (ways.length === 0) ways.push(`no published ${layer.sdk} version runs on ${runtime.name} ${layer.architecture}: use another runtime or architecture`);
  return ways.join(', or ');
}

/** Of `versions` (newest first), the newest one not above `wanted`, else the oldest above it. */
function nearestOf(versions: string[], wanted: string): string {
  return versions.find((v) => compareVersions(v, wanted) <= 0) ?? versions[versions.length - 1];
}
