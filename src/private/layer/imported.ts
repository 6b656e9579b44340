/**
 * The facts of a layer imported by ARN: what the caller says (the `build
 * --json` output carries every field), else the facts table this library ships
 * for every published version. Offline, as every CDK `from*` import is: a
 * version newer than the table gets no engines.node (a warning says to give
 * `nodeEngines`) and an unread binary (only Amazon Linux 2023 runtimes).
 */
import { Annotations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LayerFacts, tableFacts } from '../facts/compatibility';
import { versionFacts } from '../facts/sdk-facts';

export interface ImportedLayerInput {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: 'x86_64' | 'arm64';
  readonly glibc?: string;
  readonly engines?: string;
  readonly neededLibraries?: readonly string[];
}

export function importedLayerFacts(scope: Construct, where: string, input: ImportedLayerInput): LayerFacts {
  const table = tableFacts(input.sdk, input.version, input.architecture);
  const given = input.glibc !== undefined || input.neededLibraries !== undefined;
  // engines.node is declared: the table knows it for every version it lists, observed binary or not
  const declared = versionFacts(input.sdk, input.version)?.declared;
  if (!declared && input.engines === undefined) {
    Annotations.of(scope).addWarningV2('cdk-vectordb-layer:unknown-engines', `${where}: ${input.sdk} ${input.version} is newer than this library's facts, so its engines.node is not known (an imported layer is never looked up on the registry at synth); give nodeEngines (from \`cdk-vectordb-layer build --json\`) so the function's runtime is checked against it`);
  }
  return {
    sdk: input.sdk,
    version: input.version,
    architecture: input.architecture,
    glibc: input.glibc ?? table?.glibc,
    neededLibraries: input.neededLibraries ?? table?.neededLibraries,
    engines: input.engines ?? declared?.engines ?? table?.engines,
    known: given || table !== undefined,
  };
}
