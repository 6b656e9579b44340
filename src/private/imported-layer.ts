/**
 * The facts of a layer imported by ARN: what the caller says (the `build
 * --json` output carries every field), else the facts table this library ships
 * for every published version, else the registry for a version newer than the
 * table (its engines.node; the binary is then unread).
 */
import { Annotations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LayerFacts, tableFacts } from './compatibility';
import { recipeRegistry } from './recipe';
import { versionFacts } from './sdk-facts';

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
  const engines = input.engines ?? (declared ? declared.engines : registryEngines(scope, where, input));
  return {
    sdk: input.sdk,
    version: input.version,
    architecture: input.architecture,
    glibc: input.glibc ?? table?.glibc,
    neededLibraries: input.neededLibraries ?? table?.neededLibraries,
    engines,
    known: given || table !== undefined,
  };
}

/** engines.node of a version the table does not know, from the registry; undefined (with a warning) when it cannot be asked. */
function registryEngines(scope: Construct, where: string, input: ImportedLayerInput): string | undefined {
  try {
    const release = recipeRegistry.view(`${input.sdk}@${input.version}`, ['engines']);
    const node = release && typeof release === 'object' ? (release as { node?: unknown }).node : undefined;
    return typeof node === 'string' ? node : undefined;
  } catch (e) {
    Annotations.of(scope).addWarningV2('cdk-vectordb-layer:unknown-engines', `${where}: ${input.sdk} ${input.version} is newer than this library's facts and the registry could not be asked for its engines.node (${(e as Error).message.split('\n')[0]}); give nodeEngines (from \`cdk-vectordb-layer build --json\`) so the function's runtime is checked against it`);
    return undefined;
  }
}
