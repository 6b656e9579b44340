/**
 * The layer's asset: where it is built (AUTO decided now), its content hash
 * and CDK's bundling options, all from the checked props' request. A host
 * build's bundling options name no real image, so the asset's hash (which CDK
 * mixes with them) does not move when aws-cdk-lib's newest runtime image does.
 */
import { AssetHashType, BundlingOptions, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { layerAssetHash, stagedAssetHash } from './asset-hash';
import { chooseCodec } from './codec';
import { bundlingOptions, defaultBuildImage } from './docker';
import { DockerFromPlain } from './docker-from-plain';
import { BuildChoice, chooseBuild } from './host-build';
import { hostCanBuildWithoutDocker, LocalLayerBuild } from './local-build';
import { plainHooks } from './plain-layer';
import { CheckedLayerProps } from './props';
import { ASSETS_DIR } from './recipe';

/** The image named in the bundling options of a host build: never run (the host build does not fall back). */
const HOST_BUILD_IMAGE = DockerImage.fromRegistry('cdk-vectordb-layer/host-build');

/** The layer's asset, and how it will be built. */
export interface LayerAsset {
  readonly code: lambda.Code;
  /** The content hash (`layerAssetHash`). */
  readonly assetHash: string;
  /** The folder name CDK will give the staged asset (`asset.<stagedHash>`). */
  readonly stagedHash: string;
  /** Where AUTO (or the props) chose to build, and what synth says about it. */
  readonly choice: BuildChoice;
  /** The host build, when not in Docker (it keeps the recipe's report of a failure). */
  readonly local?: LocalLayerBuild;
  /** The request as built: with its codec (`./codec.ts`). */
  readonly request: CheckedLayerProps['request'];
  /** Why a compressed binary is brotli although the layer's runtimes decode zstd (this host's Node.js). */
  readonly codecWarning?: string;
}

/**
 * AUTO is decided here: on the host when its npm can and it makes the
 * canonical layer (./host-build.ts), else in Docker when an engine answers.
 */
export function layerAsset(props: CheckedLayerProps, where: string): LayerAsset {
  const { buildMethod } = props;
  const choice = chooseBuild({
    method: buildMethod,
    architecture: props.request.architecture,
    strip: props.request.strip,
    npmCanBuild: buildMethod !== 'auto' || hostCanBuildWithoutDocker(),
  });
  const { request, warning: codecWarning } = chooseCodec(props.request, { inDocker: choice.inDocker });
  const image = choice.inDocker ? props.dockerImage ?? defaultBuildImage() : HOST_BUILD_IMAGE;
  // A compressed layer is made from its plain layer when one is built (./plain-layer.ts): here, or in
  // the same image (./docker-from-plain.ts, before CDK's own docker run).
  const local = choice.inDocker
    ? undefined
    : new LocalLayerBuild({ ...request, dockerFallback: false, ...plainHooks(request, choice.unstripped, where) });
  const fromPlainInDocker = choice.inDocker && request.compressBinary === true
    ? new DockerFromPlain({ ...request, image }, plainHooks(request, choice.unstripped, where, image.image).plainLayer!)
    : undefined;
  const assetHash = layerAssetHash({ ...request, dockerImage: choice.inDocker ? image.image : undefined, unstripped: choice.unstripped });
  const bundling: BundlingOptions = { ...bundlingOptions({ ...request, image }), local: local ?? fromPlainInDocker };
  const code = lambda.Code.fromAsset(ASSETS_DIR, { assetHashType: AssetHashType.CUSTOM, assetHash, bundling });
  return { code, assetHash, stagedHash: stagedAssetHash(assetHash, bundling), choice, local, request, codecWarning };
}
