/**
 * Why an SDK version cannot make a layer for an architecture, with the way
 * out: from the facts table before any build (a fast refusal), or from the
 * recipe's report after the registry said so. Messages name the props of the
 * construct (or the flags of the command) the user called.
 */
import { compatibleRuntimes, tableFacts, workingVersions } from './compatibility';
import { knownLambdaOses, missingSonames } from './lambda-os';
import { registryAnswer } from './registry-answer';
import { knownVersions, nativeBuild, versionFacts } from './sdk-facts';
import { compareVersions, nearestVersions } from './versions';
import { otherArchitecture } from '../common/architecture';
import { RecipeFailure } from '../layer/local-build';
import { InputNames, LayerIdentity } from '../layer/request';

/** A problem with the prop at fault, for propError. */
export interface VersionProblem {
  readonly prop: string;
  readonly problem: string;
  readonly why?: string;
  readonly fix: string;
}

function someVersions(versions: string[], wanted: string): string {
  const near = nearestVersions(wanted, versions, 3);
  return near.length > 0 ? near.join(', ') : 'none';
}

/** A version that declares no native build for the architecture (and ships none). */
function noNativeBuild(req: LayerIdentity, names: InputNames): VersionProblem {
  const working = workingVersions(req.sdk, req.architecture, undefined, req.version);
  return {
    prop: names.architecture,
    problem: `has no native build for ${req.sdk} ${req.version}`,
    why: `it names no linux-gnu native package for ${req.architecture}`,
    fix: working.length > 0
      ? `set ${names.version} to one that has (nearest: ${someVersions(working, req.version)}; newest: ${working[0]}), or ${names.architecture} to ${otherArchitecture(req.architecture)}`
      : `no version of ${req.sdk} has one for ${req.architecture}: set ${names.architecture} to ${otherArchitecture(req.architecture)}`,
  };
}

/**
 * Versions whose declared native build the user's registry serves (its list
 * of `nativePackage` versions, from the recipe), newest first; those this
 * library observed must also load on some Lambda runtime.
 */
function servedVersions(req: LayerIdentity, served: readonly string[]): string[] {
  const has = new Set(served);
  const prerelease = req.version.includes('-');
  return knownVersions(req.sdk)
    .filter((v) => prerelease || !v.includes('-'))
    .filter((v) => {
      const build = nativeBuild(req.sdk, v, req.architecture);
      if (!build || build.state === 'none' || !build.declared || !has.has(build.declared.version)) return false;
      const facts = tableFacts(req.sdk, v, req.architecture);
      return !facts || compatibleRuntimes(facts).length > 0;
    })
    .sort((a, b) => compareVersions(b, a));
}

/**
 * A declared native build the user's registry does not serve: the synth
 * stops with the registry's answer and the ways out (a version whose build it
 * serves, the other architecture, or serving the build).
 */
function declaredButMissing(req: LayerIdentity, names: InputNames, details: Record<string, unknown>, recipeMessage: string): VersionProblem {
  const pkg = String(details.nativePackage);
  const version = String(details.nativeVersion);
  const served = Array.isArray(details.nativeVersions) ? details.nativeVersions.map(String) : [];
  const asked = registryAnswer(pkg, version);
  const registry = asked.registry;
  const answer = asked.answer ?? recipeMessage;
  const others = servedVersions(req, served);
  const ways = [
    ...(others.length > 0 ? [`set ${names.version} to one whose build it serves (nearest: ${someVersions(others, req.version)}; newest: ${others[0]})`] : []),
    `set ${names.architecture} to ${otherArchitecture(req.architecture)}`,
    `make ${pkg}@${version} available on the registry npm uses (npm's \`registry\` setting, or npm_config_registry)`,
  ];
  return {
    prop: names.architecture,
    problem: `has no native build for ${req.sdk} ${req.version} on the npm registry ${registry}`,
    why: `${req.sdk} ${req.version} declares ${pkg}@${version} (optionalDependencies), and the registry answered: ${answer}`,
    fix: ways.join(', or '),
  };
}

/**
 * What the facts table says is wrong with a version before any build:
 * no native build for the architecture, or a binary no Lambda runtime can
 * load. undefined when the version looks buildable (or the table does not know it).
 */
export function knownVersionProblem(req: LayerIdentity, names: InputNames): VersionProblem | undefined {
  const build = nativeBuild(req.sdk, req.version, req.architecture);
  if (!build) return undefined;
  if (build.state === 'none') return noNativeBuild(req, names);
  // Declared but not observed (the facts' registry did not serve it): built from the user's registry, checked after install.
  if (build.state === 'declared') return undefined;
  if (build.observed.source === 'sdk-tarball') return bundledBinaryProblem(req, names);
  const layer = tableFacts(req.sdk, req.version, req.architecture);
  if (layer && compatibleRuntimes(layer).length === 0) {
    const working = workingVersions(req.sdk, req.architecture, undefined, req.version);
    return {
      prop: names.version,
      problem: `${req.version} cannot run on any Node.js Lambda runtime`,
      why: `its ${req.architecture} binary needs glibc ${layer.glibc ?? '(none)'}${layer.neededLibraries?.length ? ` and ${layer.neededLibraries.join(', ')}` : ''}${layer.engines ? `, its engines.node is ${layer.engines}` : ''}`,
      fix: working.length > 0 ? `set ${names.version} to one that runs (nearest: ${someVersions(working, req.version)}; newest: ${working[0]})` : `use another ${names.sdk}`,
    };
  }
  return undefined;
}

/** vectordb 0.1.x shipped its binary inside the SDK's own tarball: it names no native package. */
function bundledBinaryProblem(req: LayerIdentity, names: InputNames): VersionProblem {
  const native = versionFacts(req.sdk, req.version)?.observed[req.architecture];
  const working = workingVersions(req.sdk, req.architecture, undefined, req.version);
  // The libraries that even the newest Lambda OS lacks.
  const missing = knownLambdaOses().reduce(
    (left, os) => left.filter((l) => missingSonames(os, [l], req.architecture).length > 0),
    [...native?.needed ?? []],
  );
  return {
    prop: names.version,
    problem: `${req.version} ships its native binary inside the SDK package (no linux-gnu native package), built for another system`,
    why: `it needs glibc ${native?.glibc ?? '(unknown)'}${missing.length ? ` and ${missing.join(', ')}` : ''}, which no Lambda runtime's OS provides`,
    fix: working.length > 0 ? `set ${names.version} to one that runs (nearest: ${someVersions(working, req.version)}; newest: ${working[0]})` : `use another ${names.sdk}`,
  };
}

/** The recipe's report, told with the user's prop names and the versions that would work. */
export function explainRecipeFailure(failure: RecipeFailure, req: LayerIdentity, names: InputNames): VersionProblem | undefined {
  const details = failure.details ?? {};
  switch (failure.code) {
    case 'NOT_PUBLISHED': {
      const published = Array.isArray(details.published) ? details.published.map(String) : knownVersions(req.sdk);
      return {
        prop: names.version,
        problem: `${req.version} is not a published version of ${req.sdk}`,
        why: failure.message,
        fix: `set ${names.version} to a published one (nearest: ${someVersions(published, req.version)})`,
      };
    }
    case 'NO_NATIVE_PACKAGE':
      return knownVersionProblem(req, names) ?? noNativeBuild(req, names);
    case 'NO_NATIVE_BUILD':
      return declaredButMissing(req, names, details, failure.message);
    default:
      return undefined;
  }
}
