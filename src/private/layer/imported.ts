/**
 * A layer imported by ARN (`VectorDbLayer.fromLayerArn`): its props checked
 * as `new VectorDbLayer` checks them, and its facts: what the caller says (the
 * `build --json` output carries every field), else the facts table this
 * library ships for every published version. Offline, as every CDK `from*`
 * import is: a version newer than the table gets no engines.node (a warning
 * says to give `nodeEngines`) and an unread binary (only Amazon Linux 2023
 * runtimes).
 */
import { Annotations, Resource } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { checkRequest, refuseKnownProblem } from './props';
import { LAYER_NAMES, LayerIdentity } from './request';
import { pathOf } from '../common/errors';
import { VectorDbSdk } from '../common/sdk';
import { compatibleRuntimes, LayerFacts, tableFacts } from '../facts/compatibility';
import { versionFacts } from '../facts/sdk-facts';

/** `VectorDbLayerAttributes`, as private code sees it. */
export interface ImportedLayerAttributes {
  readonly sdk?: VectorDbSdk;
  readonly version: string;
  readonly architecture?: lambda.Architecture;
  readonly unzippedSizeBytes?: number;
  readonly glibcVersion?: string;
  readonly nodeEngines?: string;
  readonly neededLibraries?: string[];
  readonly decompressedBinaryBytes?: number;
}

/**
 * The layer behind `VectorDbLayer.fromLayerArn`: checked as `new
 * VectorDbLayer` checks its props, and refused as it refuses a version the
 * facts rule out, unless `glibcVersion` or `neededLibraries` vouch for the
 * layer's binary.
 */
export function importLayer(scope: Construct, id: string, layerVersionArn: string, attrs: ImportedLayerAttributes): ImportedVectorDbLayer {
  const where = pathOf(scope, id);
  const { request, sdk, architecture } = checkRequest(where, attrs, LAYER_NAMES, 'the exact SDK version in the layer');
  if (attrs.glibcVersion === undefined && attrs.neededLibraries === undefined) refuseKnownProblem(where, request, LAYER_NAMES);
  const facts = importedLayerFacts(scope, where, request, attrs);
  return new ImportedVectorDbLayer(scope, id, { ...attrs, layerVersionArn, sdk, architecture, facts });
}

/** The facts of an imported layer: the caller's, else the table's. */
export function importedLayerFacts(scope: Construct, where: string, layer: LayerIdentity, given: ImportedLayerAttributes): LayerFacts {
  const { sdk, version, architecture } = layer;
  const table = tableFacts(sdk, version, architecture);
  const vouched = given.glibcVersion !== undefined || given.neededLibraries !== undefined;
  // engines.node is declared: the table knows it for every version it lists, observed binary or not
  const declared = versionFacts(sdk, version)?.declared;
  if (!declared && given.nodeEngines === undefined) {
    Annotations.of(scope).addWarningV2('cdk-vectordb-layer:unknown-engines', `${where}: ${sdk} ${version} is newer than this library's facts, so its engines.node is not known (an imported layer is never looked up on the registry at synth); give nodeEngines (from \`cdk-vectordb-layer build --json\`) so the function's runtime is checked against it`);
  }
  return {
    sdk,
    version,
    architecture,
    glibc: given.glibcVersion ?? table?.glibc,
    neededLibraries: given.neededLibraries ?? table?.neededLibraries,
    engines: given.nodeEngines ?? declared?.engines ?? table?.engines,
    known: vouched || table !== undefined,
  };
}

interface ImportedVectorDbLayerProps {
  readonly layerVersionArn: string;
  readonly sdk: VectorDbSdk;
  readonly version: string;
  readonly architecture: lambda.Architecture;
  readonly unzippedSizeBytes?: number;
  readonly decompressedBinaryBytes?: number;
  readonly facts: LayerFacts;
}

/** A layer version known by its ARN and the facts its builder recorded (an `IVectorDbLayer`). */
export class ImportedVectorDbLayer extends Resource implements lambda.ILayerVersion {
  public readonly layerVersionArn: string;
  public readonly compatibleRuntimes: lambda.Runtime[];
  public readonly sdk: VectorDbSdk;
  public readonly version: string;
  public readonly architecture: lambda.Architecture;
  public readonly externalModules: string[];
  public readonly unzippedSizeBytes?: number;
  public readonly glibcVersion?: string;
  public readonly nodeEngines?: string;
  public readonly neededLibraries?: string[];
  public readonly decompressedBinaryBytes?: number;

  constructor(scope: Construct, id: string, props: ImportedVectorDbLayerProps) {
    super(scope, id);
    this.layerVersionArn = props.layerVersionArn;
    this.compatibleRuntimes = compatibleRuntimes(props.facts);
    this.sdk = props.sdk;
    this.version = props.version;
    this.architecture = props.architecture;
    this.externalModules = props.sdk.externalModules;
    this.unzippedSizeBytes = props.unzippedSizeBytes;
    this.glibcVersion = props.facts.glibc;
    this.nodeEngines = props.facts.engines;
    this.neededLibraries = props.facts.neededLibraries ? [...props.facts.neededLibraries] : undefined;
    this.decompressedBinaryBytes = props.decompressedBinaryBytes;
  }

  public get layerVersionRef(): lambda.LayerVersionReference {
    return { layerVersionArn: this.layerVersionArn };
  }

  public addPermission(id: string, permission: lambda.LayerVersionPermission): void {
    new lambda.CfnLayerVersionPermission(this, id, {
      action: 'lambda:GetLayerVersion',
      layerVersionArn: this.layerVersionArn,
      principal: permission.accountId,
      organizationId: permission.organizationId,
    });
  }
}
