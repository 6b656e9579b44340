import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { layerArchitecture } from '../common/architecture';
import { propError } from '../common/errors';
import { VectorDbSdk } from '../common/sdk';
import { LayerFacts, runtimeFix, runtimeProblem, tableFacts } from '../facts/compatibility';
import { defaultRuntime, isProven, knownNodeRuntimes, nodeMajorOf, nodeRuntimeFact, PROVEN_NODE_MAJORS, retirementDates, retirementOf, runtimeConstant } from '../facts/runtimes';
import { versionFacts } from '../facts/sdk-facts';

/** The parts of a layer the function's runtime checks read. */
export interface RuntimeLayer {
  readonly sdk: VectorDbSdk;
  readonly version: string;
  readonly architecture: lambda.Architecture;
  readonly glibcVersion?: string;
  readonly compatibleRuntimes?: lambda.Runtime[];
}

/**
 * What decides where a layer runs: the glibc its binary was measured to need
 * (a built layer, or what an imported one was given), else the facts table.
 */
export function layerFacts(where: string, layer: RuntimeLayer): LayerFacts {
  const sdk = layer.sdk.packageName;
  const architecture = layerArchitecture(where, layer.architecture.name);
  const table = tableFacts(sdk, layer.version, architecture);
  const engines = versionFacts(sdk, layer.version)?.declared.engines;
  if (layer.glibcVersion !== undefined) {
    return { ...(table ?? { sdk, version: layer.version, architecture, engines }), glibc: layer.glibcVersion, known: true };
  }
  return table ?? { sdk, version: layer.version, architecture, engines, known: false };
}

/**
 * Refuses a runtime the layer cannot run on (glibc, shared libraries,
 * engines.node), before the layer is built when the facts table knows the
 * version, and again once the layer says what it holds. `versionProp` is how
 * the user changes the version, for the fix.
 */
export function checkRuntime(where: string, runtime: lambda.Runtime, layer: RuntimeLayer, versionProp: string) {
  if (Token.isUnresolved(runtime.name)) return;
  const facts = layerFacts(where, layer);
  const label = `${facts.sdk} ${facts.version}`;
  const problem = runtimeProblem(facts, runtime);
  if (problem) {
    throw propError(where, {
      prop: 'runtime',
      problem: `cannot run ${label} (${problem.problem})`,
      value: runtime.name,
      why: problem.why,
      fix: runtimeFix(facts, runtime, versionProp),
    });
  }
  const newest = knownNodeRuntimes()[knownNodeRuntimes().length - 1];
  const major = nodeMajorOf(runtime.name);
  if (layer.compatibleRuntimes && !nodeRuntimeFact(runtime) && major !== undefined && major > (newest?.major ?? 0)) {
    throw propError(where, {
      prop: 'runtime',
      problem: 'is not a Node.js runtime this aws-cdk-lib defines, so the layer cannot list it among its compatible runtimes',
      value: runtime.name,
      why: 'aws-cdk-lib refuses a runtime that is not in the layer\'s compatible runtimes',
      fix: `upgrade aws-cdk-lib to a version that defines ${runtimeConstant(runtime)}, or use ${newest ? runtimeConstant(newest.runtime) : 'a runtime it defines'}`,
    });
  }
  if (layer.compatibleRuntimes && nodeRuntimeFact(runtime) && !layer.compatibleRuntimes.some((r) => r.runtimeEquals(runtime))) {
    throw propError(where, {
      prop: 'runtime',
      problem: `is not among the runtimes that can run ${label} (${layer.compatibleRuntimes.map((r) => r.name).join(', ') || 'none'})`,
      value: runtime.name,
      fix: runtimeFix(facts, runtime, versionProp),
    });
  }
}

/**
 * The runtime of a function that names none: the newest one the layer can run
 * on that this library has proven the layer on and Lambda still supports
 * (./runtimes.ts), never a retired or unproven one.
 */
export function chooseDefaultRuntime(where: string, layer: RuntimeLayer, prop: string): lambda.Runtime {
  const runtime = defaultRuntime(layer.compatibleRuntimes);
  if (runtime) return runtime;
  const compatible = layer.compatibleRuntimes ?? [];
  if (compatible.length === 0) {
    throw propError(where, {
      prop,
      problem: `holds ${layer.sdk} ${layer.version}, which no Node.js runtime known to this aws-cdk-lib can run`,
      fix: 'choose another SDK version',
    });
  }
  const why = compatible.map((r) => `${r.name} ${retirementOf(r) ? `(${retirementDates(retirementOf(r)!)})` : '(unproven)'}`).join(', ');
  throw propError(where, {
    prop: 'runtime',
    problem: `is not set, and every runtime that can run ${layer.sdk} ${layer.version} is past Lambda's end of support or unproven: ${why}`,
    why: 'the default is never a retired or unproven runtime',
    fix: `set runtime to one of them yourself (synth then warns), or choose another ${prop === 'layer' ? 'layer' : 'SDK version'}`,
  });
}

/** What synth says of a function's runtime: a warning when Lambda retired it, a note when it is unproven. */
export interface RuntimeNotes {
  readonly warning?: string;
  readonly note?: string;
}

/**
 * A warning for a runtime past Lambda's end of support (its dates and the
 * replacement), a note for a Node.js runtime this library has not proven the
 * layer on (a major that aws-cdk-lib or the user added after this release).
 */
export function runtimeNotes(runtime: lambda.Runtime, layer: { readonly compatibleRuntimes?: lambda.Runtime[] }): RuntimeNotes {
  if (Token.isUnresolved(runtime.name)) return {};
  const replacement = defaultRuntime(layer.compatibleRuntimes);
  const instead = replacement ? `set runtime to ${runtimeConstant(replacement)} (or leave it out: the default is the newest runtime the layer was proven on that Lambda supports)` : 'move to a supported Node.js runtime';
  const retired = retirementOf(runtime);
  if (retired) {
    return { warning: `${runtime.name} is past Lambda's end of support (${retirementDates(retired)}): ${instead}` };
  }
  const major = nodeMajorOf(runtime.name);
  if (major !== undefined && !isProven(runtime)) {
    return {
      note: `${runtime.name} is unproven: this library has loaded and searched the layer on Node.js ${PROVEN_NODE_MAJORS.join(', ')}, not ${major}; it is allowed as asked, never a default${replacement ? ` (the default here is ${replacement.name})` : ''}`,
    };
  }
  return {};
}
