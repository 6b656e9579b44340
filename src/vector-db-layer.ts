import * as fs from 'fs';
import { Annotations, AssetStaging, DockerImage, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { constructError, pathOf } from './private/common/errors';
import { compatibleRuntimes, factsBeforeBuild, LayerFacts, measuredFacts } from './private/facts/compatibility';
import { buildError, checkStripAsHashed } from './private/layer/build-outcome';
import { layerAsset } from './private/layer/bundling';
import { ExpectedLayer, readManifest } from './private/layer/dir';
import { importLayer } from './private/layer/imported';
import { rememberPlainLayer } from './private/layer/plain-layer';
import { checkLayerProps, checkRequest, withCheckedRequest } from './private/layer/props';
import { LayerManifest } from './private/layer/recipe';
import { LAYER_NAMES, layerDescription, manifestEcho, sharedLayerId } from './private/layer/request';
import { checkStagedLayer } from './private/layer/staged-seal';
import { PreparedAsset, prepareAssetFolder, StagingError } from './private/layer/staging';
import { VectorDbSdk } from './sdk';

/**
 * How a `VectorDbLayer` is built. Both ways run the same recipe command
 * (`node layer-assets/build-layer.js ...`).
 */
export enum LayerBuildMethod {
  /**
   * On the host when its npm can install another platform's packages
   * (npm >= 10.4) and it makes the canonical layer (a `strip` for the target
   * on PATH, and Linux, where the built layer is load-checked); else in Docker
   * when an engine answers (a note says why); else on the host, with a warning
   * and, for an unstripped binary, an asset hash of its own.
   */
  AUTO = 'auto',

  /**
   * In a build container (the Lambda build image unless `dockerImage` says
   * otherwise), with Docker, on the architecture's Docker platform.
   */
  DOCKER = 'docker',

  /**
   * On the host, with npm's cross-platform install (`--os`, `--cpu`, `--libc`);
   * fails when the host's npm is older than 10.4.
   */
  LOCAL = 'local',
}

/**
 * A Lambda layer holding a LanceDB SDK, with the facts a function needs to use it.
 */
export interface IVectorDbLayer extends lambda.ILayerVersion {
  /** The SDK in the layer. */
  readonly sdk: VectorDbSdk;

  /** The exact SDK version in the layer. */
  readonly version: string;

  /** The one architecture the layer's native binary runs on. */
  readonly architecture: lambda.Architecture;

  /**
   * Module names a bundler must keep external: the layer provides them under
   * `/opt/nodejs/node_modules`.
   */
  readonly externalModules: string[];

  /**
   * Unzipped size of the layer in bytes.
   *
   * @default - unknown (an imported layer, or bundling was skipped)
   */
  readonly unzippedSizeBytes?: number;

  /**
   * The highest glibc version the native binary needs, e.g. `2.28`.
   *
   * @default - unknown
   */
  readonly glibcVersion?: string;

  /**
   * The SDK's `engines.node` range, e.g. `>= 22`.
   *
   * @default - the SDK declares none, or it is unknown
   */
  readonly nodeEngines?: string;

  /**
   * The shared libraries the native binary needs (its DT_NEEDED entries).
   *
   * @default - unknown
   */
  readonly neededLibraries?: string[];

  /**
   * Bytes the native binary takes in `/tmp` once decompressed, when the layer
   * ships it compressed (`compressBinary`).
   *
   * @default - the binary is not compressed (or it is unknown)
   */
  readonly decompressedBinaryBytes?: number;
}

/**
 * What a layer built elsewhere holds, for `VectorDbLayer.fromLayerArn`. The
 * `build --json` command prints every field.
 */
export interface VectorDbLayerAttributes {
  /**
   * The SDK in the layer.
   *
   * @default VectorDbSdk.VECTORDB
   */
  readonly sdk?: VectorDbSdk;

  /**
   * The exact SDK version in the layer.
   */
  readonly version: string;

  /**
   * The architecture of the layer's native binary.
   *
   * @default lambda.Architecture.X86_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * Unzipped size of the layer in bytes (`unzippedBytes` of `build --json`, or
   * `unzippedSizeBytes` of the stack that built it).
   *
   * @default - unknown: the function's size check counts only what it knows
   */
  readonly unzippedSizeBytes?: number;

  /**
   * The highest glibc version the native binary needs (`glibc` of `build --json`).
   *
   * @default - from the facts this library ships for every published version
   */
  readonly glibcVersion?: string;

  /**
   * The SDK's `engines.node` range (`nodeEngines` of `build --json`).
   *
   * @default - from the facts this library ships for every published version, else not checked (synth warns)
   */
  readonly nodeEngines?: string;

  /**
   * The shared libraries the native binary needs (`neededLibraries` of `build --json`).
   *
   * @default - from the facts this library ships for every published version
   */
  readonly neededLibraries?: string[];

  /**
   * For a layer built with `--compress`: the bytes its native binary takes in
   * `/tmp` once decompressed (`decompressedBinaryBytes` of `build --json`), so
   * functions are checked for the ephemeral storage it needs.
   *
   * @default - the binary is not compressed
   */
  readonly decompressedBinaryBytes?: number;
}

/**
 * Properties of a `VectorDbLayer`.
 */
export interface VectorDbLayerProps extends lambda.LayerVersionOptions {
  /**
   * The LanceDB SDK the layer holds.
   *
   * @default VectorDbSdk.VECTORDB
   */
  readonly sdk?: VectorDbSdk;

  /**
   * The exact SDK version (x.y.z, optionally -prerelease). Versions with a
   * lockfile in `layer-assets/pins` install exactly what was tested; any other
   * published version is built fresh from the npm registry (npm checks every
   * tarball's integrity against it).
   *
   * @default - the SDK's pinned default for the architecture (`VectorDbSdk.defaultVersionFor`): vectordb 0.21.2 (x86_64) or 0.4.2 (arm64), @lancedb/lancedb 0.39.0 (x86_64) or 0.31.0 (arm64)
   */
  readonly version?: string;

  /**
   * The architecture of the functions that use the layer.
   *
   * @default lambda.Architecture.X86_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * How the layer is built.
   *
   * @default LayerBuildMethod.AUTO
   */
  readonly buildMethod?: LayerBuildMethod;

  /**
   * The image Docker builds in. It needs `node` and `npm` (>= 10.4), and `strip`
   * for stripping.
   *
   * @default - the Lambda build image of the newest Node.js runtime aws-cdk-lib knows (`Runtime.bundlingImage`)
   */
  readonly dockerImage?: DockerImage;

  /**
   * Strip the native binary's symbols (`strip --strip-unneeded`), which takes
   * 10-20% off the layer. Where the host has no `strip` for the target
   * architecture, `LayerBuildMethod.AUTO` builds in Docker when an engine
   * answers; else the binary stays as published, with a warning and an asset
   * hash of its own (never the stripped layer's).
   *
   * @default true
   */
  readonly strip?: boolean;

  /**
   * Ship the native binary compressed (about 0.3 of its size: zstd when every
   * runtime the layer can run on has Node.js >= 22.15 and the synth's Node.js
   * writes it, else brotli) with a small loader in its place: on the first
   * `require` in an execution environment it is decoded into `/tmp` (on as
   * many threads as the function may use), each chunk checked, and loaded;
   * later requires reuse it. The layer
   * takes about a third of the room, leaving most of Lambda's 250 MB to the
   * function; each cold start pays the decompression (measured in the README)
   * and `/tmp` holds the binary (the function's `ephemeralStorageSize` must
   * have room for it). See the README's "Compressed binary".
   *
   * @default false
   */
  readonly compressBinary?: boolean;
}

/**
 * Unzipped layer size above which synth warns: 80% of Lambda's limit, leaving
 * less than 52 MB for the function's own code and other layers.
 */
export const LAYER_SIZE_WARNING_BYTES = 209715200;

/** Lambda's limit on the unzipped size of a function and all its layers. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 262144000;

/**
 * Options of `VectorDbLayer.getOrCreate` beyond the layer's props.
 */
export interface GetOrCreateOptions {
  /**
   * How the caller's props are named, for messages (a VectorDbFunction's
   * `sdkVersion` is the layer's `version`).
   *
   * @default - the layer's own prop names
   */
  readonly versionPropName?: string;
}

/**
 * A Lambda layer with a LanceDB SDK and its linux-gnu native binary at
 * `/opt/nodejs/node_modules`, built from the recipe in `layer-assets/` on the
 * host or in Docker.
 *
 * @example
 * import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from 'cdk-vectordb-layer';
 *
 * const layer = new VectorDbLayer(this, 'VectorDb', {
 *   sdk: VectorDbSdk.VECTORDB,
 *   version: '0.21.2',
 * });
 * new VectorDbFunction(this, 'Search', { entry: 'src/search.ts', layer });
 */
export class VectorDbLayer extends lambda.LayerVersion implements IVectorDbLayer {
  /**
   * The stack's layer for this SDK, version and architecture (and
   * `compressBinary`): created on first use, then returned to every caller
   * asking for the same, so any number of functions share one layer (and one
   * build). Other props are taken from the first call.
   */
  public static getOrCreate(scope: Construct, props: VectorDbLayerProps = {}, options: GetOrCreateOptions = {}): VectorDbLayer {
    const stack = Stack.of(scope);
    // Checked (at the caller's path) before the version goes into a construct id, and not again.
    const names = { ...LAYER_NAMES, version: options.versionPropName ?? LAYER_NAMES.version };
    const checked = checkRequest(scope.node.path, props, names);
    const id = sharedLayerId(checked.request);
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof VectorDbLayer) return existing;
    const { sdk, architecture, request: { version } } = checked;
    return new VectorDbLayer(stack, id, withCheckedRequest({ ...props, sdk, architecture, version }, checked));
  }

  /**
   * A layer published elsewhere (a shared layer stack, or the `build` command),
   * with the facts a `VectorDbFunction` checks against: pin one layer version
   * per app by passing its ARN. Facts not given come from the facts this
   * library ships for every published SDK version; a version those facts
   * rule out (no native build for the architecture, a binary no runtime can
   * load) is refused as `new VectorDbLayer` refuses it, unless `glibcVersion`
   * or `neededLibraries` vouch for the layer's binary.
   */
  public static fromLayerArn(scope: Construct, id: string, layerVersionArn: string, attrs: VectorDbLayerAttributes): IVectorDbLayer {
    return importLayer(scope, id, layerVersionArn, attrs);
  }

  /** The SDK in the layer. */
  public readonly sdk: VectorDbSdk;

  /** The exact SDK version in the layer. */
  public readonly version: string;

  /** The architecture the layer's native binary runs on. */
  public readonly architecture: lambda.Architecture;

  /** Module names a bundler must keep external. */
  public readonly externalModules: string[];

  /**
   * Unzipped size in bytes of the built layer.
   *
   * @default - unknown when bundling was skipped for this stack
   */
  public readonly unzippedSizeBytes?: number;

  /**
   * The highest glibc version the native binary needs, read from its ELF
   * version needs (or the shipped facts when bundling was skipped).
   *
   * @default - unknown
   */
  public readonly glibcVersion?: string;

  /**
   * The SDK's `engines.node` range.
   *
   * @default - the SDK declares none, or it is unknown
   */
  public readonly nodeEngines?: string;

  /**
   * The shared libraries the native binary needs.
   *
   * @default - unknown
   */
  public readonly neededLibraries?: string[];

  /**
   * Bytes the native binary takes in `/tmp` once decompressed (`compressBinary`).
   *
   * @default - the binary is not compressed, or bundling was skipped
   */
  public readonly decompressedBinaryBytes?: number;

  constructor(scope: Construct, id: string, props: VectorDbLayerProps = {}) {
    const where = pathOf(scope, id);
    const checked = checkLayerProps(where, props);
    const { request, sdk, architecture, names } = checked;
    const before = factsBeforeBuild(request);
    const runtimes = compatibleRuntimes(before);
    const asset = layerAsset(checked, where);
    const expected: ExpectedLayer = manifestEcho(request);
    let prepared: PreparedAsset;
    try {
      prepared = prepareAssetFolder(scope, { where, stagedHash: asset.stagedHash, contentHash: asset.assetHash, expected });
    } catch (e) {
      throw e instanceof StagingError ? constructError(where, e.message) : e;
    }
    try {
      super(scope, id, {
        ...props,
        code: asset.code,
        compatibleRuntimes: runtimes,
        compatibleArchitectures: [architecture],
        license: props.license ?? 'Apache-2.0',
        description: props.description ?? layerDescription(request),
      });
    } catch (e) {
      prepared.release();
      throw buildError(e, where, { layer: request, triedDocker: asset.choice.inDocker, local: asset.local, names });
    }
    try {
      const staging = this.node.tryFindChild('Code')?.node.tryFindChild('Stage');
      if (prepared.store && staging instanceof AssetStaging && fs.existsSync(staging.absoluteStagedPath)) {
        // Only a layer whose bytes are what its hash says reaches the machine-wide cache.
        checkStripAsHashed(where, staging.absoluteStagedPath, asset.choice.unstripped);
        prepared.store(staging.absoluteStagedPath);
      }
    } finally {
      prepared.release();
    }
    for (const info of asset.choice.infos) Annotations.of(this).addInfo(info);
    if (asset.choice.warning) Annotations.of(this).addWarningV2('cdk-vectordb-layer:unstripped-layer', asset.choice.warning);
    if (asset.codecWarning) Annotations.of(this).addWarningV2('cdk-vectordb-layer:brotli-binary', asset.codecWarning);

    this.sdk = sdk;
    this.version = request.version;
    this.architecture = architecture;
    this.externalModules = sdk.externalModules;

    const manifest = this.readBuiltManifest(expected, prepared.checked);
    const facts: LayerFacts = manifest ? measuredFacts(before, manifest) : before;
    this.glibcVersion = facts.glibc;
    this.nodeEngines = facts.engines;
    this.neededLibraries = facts.neededLibraries ? [...facts.neededLibraries] : undefined;
    if (manifest) {
      // A compressed layer of the same request later in this synth is made from this one.
      if (!manifest.compressedBinary) rememberPlainLayer(asset.assetHash, (this.node.findChild('Code').node.findChild('Stage') as AssetStaging).absoluteStagedPath);
      this.unzippedSizeBytes = manifest.unzippedBytes;
      this.decompressedBinaryBytes = manifest.compressedBinary?.decompressedBytes;
      this.applyMeasuredRuntimes(runtimes, facts);
      this.annotate(manifest, prepared.source === undefined);
    }
  }

  /** The runtimes read from the built binary replace the guess in the construct and the template. */
  private applyMeasuredRuntimes(runtimes: lambda.Runtime[], facts: LayerFacts) {
    const measured = compatibleRuntimes(facts);
    if (measured.length === 0) {
      throw constructError(this, `no Node.js Lambda runtime known to this aws-cdk-lib can load ${this.sdk} ${this.version} (its binary needs glibc ${facts.glibc ?? '(none)'}${facts.neededLibraries?.length ? ` and ${facts.neededLibraries.join(', ')}` : ''}, its engines.node is ${facts.engines ?? '(none)'}); choose another version`);
    }
    runtimes.splice(0, runtimes.length, ...measured);
    (this.node.defaultChild as lambda.CfnLayerVersion).compatibleRuntimes = measured.map((r) => r.name);
  }

  /**
   * The manifest of the staged layer, after proving the folder still matches
   * it (a cache hit is only as good as the folder CDK found): undefined when
   * bundling was skipped.
   */
  private readBuiltManifest(expected: ExpectedLayer, checked?: string): LayerManifest | undefined {
    const staging = this.node.tryFindChild('Code')?.node.tryFindChild('Stage');
    if (!(staging instanceof AssetStaging) || !Stack.of(this).bundlingRequired) return undefined;
    const dir = staging.absoluteStagedPath;
    // Checked just before, under the build lock: no need to read 200 MB twice. Built now: checked, then sealed for the next synth.
    const problems = dir === checked ? [] : checkStagedLayer(dir, expected).problems;
    if (problems.length > 0) {
      throw constructError(this, `the built layer in ${dir} does not match its manifest (${problems.join('; ')}), so it cannot be shipped. Delete that folder and synthesize again`);
    }
    return readManifest(dir);
  }

  /** Notes on the staged layer; `built`: bundled in this synth (not from the machine cache or an earlier cdk.out). */
  private annotate(manifest: LayerManifest, built: boolean) {
    if (!manifest.pinned && built) {
      Annotations.of(this).addInfo(`${this.sdk} ${this.version} has no lockfile in this library: built fresh from the npm registry (npm checked every package's integrity against it)`);
    }
    if (manifest.compressedBinary) {
      const c = manifest.compressedBinary;
      Annotations.of(this).addInfo(`the native binary ships compressed (${c.codec === 'zstd' ? 'zstd' : 'brotli'}, ${c.bytes} bytes for ${c.decompressedBytes}): each cold start decompresses it into /tmp, which must have room for ${c.decompressedBytes} bytes`);
    }
    if (!manifest.strip.applied && manifest.strip.requested) {
      Annotations.of(this).addInfo(`the native binary was not stripped: ${manifest.strip.reason}`);
    }
    if (manifest.unzippedBytes > LAYER_SIZE_WARNING_BYTES) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:large-layer', `the layer is ${manifest.unzippedBytes} bytes unzipped, leaving ${LAMBDA_UNZIPPED_LIMIT_BYTES - manifest.unzippedBytes} bytes of Lambda's ${LAMBDA_UNZIPPED_LIMIT_BYTES} for the function and its other layers${manifest.strip.applied ? '' : '; strip (binutils for the target) would make it smaller'}`);
    }
  }
}
