import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LayerFacts, runtimeFix, runtimeProblem, tableFacts } from './compatibility';
import { propError } from './errors';
import { nodeRuntimeFact } from './runtimes';
import { versionFacts } from './sdk-facts';
import { VectorDbSdk } from '../sdk';

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
export function layerFacts(layer: RuntimeLayer): LayerFacts {
  const sdk = layer.sdk.packageName;
  const architecture = layer.architecture.name as 'x86_64' | 'arm64';
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
  const facts = layerFacts(layer);
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
  if (layer.compatibleRuntimes && nodeRuntimeFact(runtime) && !layer.compatibleRuntimes.some((r) => r.runtimeEquals(runtime))) {
    throw propError(where, {
      prop: 'runtime',
      problem: `is not among the runtimes that can run ${label} (${layer.compatibleRuntimes.map((r) => r.name).join(', ') || 'none'})`,
      value: runtime.name,
      fix: runtimeFix(facts, runtime, versionProp),
    });
  }
}

/** The newest runtime of a list. */
export function newestRuntime(runtimes: lambda.Runtime[] | undefined): lambda.Runtime | undefined {
  const facts = (runtimes ?? [])
    .map((r) => nodeRuntimeFact(r))
    .filter((f): f is NonNullable<typeof f> => f !== undefined)
    .sort((a, b) => a.major - b.major);
  return facts.length > 0 ? facts[facts.length - 1].runtime : undefined;
}
