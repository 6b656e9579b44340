import * as fs from 'fs';
import { Annotations, AssetHashType, AssetStaging, BundlingOptions, DockerImage, Resource, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { layerAssetHash, stagedAssetHash } from './private/layer/asset-hash';
import { compatibleRuntimes, LayerFacts, tableFacts } from './private/facts/compatibility';
import { bundlingOptions, defaultBuildImage, isImageReference } from './private/layer/docker';
import { constructError, pathOf, propError } from './private/common/errors';
import { chooseBuild } from './private/layer/host-build';
import { importedLayerFacts } from './private/layer/imported';
import { checkLayerDir, ExpectedLayer, readManifest } from './private/layer/dir';
import { bundlingFailure, PreparedAsset, prepareAssetFolder, StagingError } from './private/layer/staging';
import { hostCanBuildWithoutDocker, LocalLayerBuild } from './private/layer/local-build';
import { SHELL_META } from './private/common/messages';
import { ASSETS_DIR, LAMBDA_UNZIPPED_LIMIT_BYTES as LIMIT, LayerManifest, recipeSdks } from './private/layer/recipe';
import { versionFacts } from './private/facts/sdk-facts';
import { explainRecipeFailure, InputNames, knownVersionProblem } from './private/facts/version-problems';
import { isExactVersion } from './private/facts/versions';
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
   * Ship the native binary compressed (brotli, about 0.3 of its size) with a
   * small loader in its place: on the first `require` in an execution
   * environment it is decompressed into `/tmp`, checked against the sha256
   * recorded at build time, and loaded; later requires reuse it. The layer
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

/** The image named in the bundling options of a host build: never run (the host build does not fall back). */
const HOST_BUILD_IMAGE = DockerImage.fromRegistry('cdk-vectordb-layer/host-build');

/** The props of VectorDbLayer, as messages name them. */
const LAYER_NAMES: InputNames = { sdk: 'sdk', version: 'version', architecture: 'architecture' };

/**
 * Refuses a version the shipped facts rule out for the architecture (no
 * native build, or a binary no runtime can load), naming the prop to change.
 */
function refuseKnownProblem(where: string, names: InputNames, sdk: VectorDbSdk, version: string, architecture: lambda.Architecture): void {
  const known = knownVersionProblem({ sdk: sdk.packageName, version, architecture: architecture.name as 'x86_64' | 'arm64' }, names);
  if (known) throw propError(where, { ...known, value: known.prop === names.architecture ? architecture.name : version });
}

/** The prop names of the construct getOrCreate builds for (a VectorDbFunction's sdkVersion), read by the next constructor. */
let pendingNames: InputNames | undefined;

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
    const sdk = props.sdk ?? VectorDbSdk.VECTORDB;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const names = { ...LAYER_NAMES, version: options.versionPropName ?? LAYER_NAMES.version };
    // Checked before the version goes into a construct id.
    checkSdk(scope.node.path, sdk);
    checkArchitecture(scope.node.path, architecture);
    const version = props.version ?? sdk.defaultVersionFor(architecture);
    checkVersion(scope.node.path, names.version, sdk, version);
    const compressed = props.compressBinary === true ? '-compressed' : '';
    const id = `VectorDbLayer-${recipeSdks.SDKS[sdk.packageName].slug}-${version.replace(/[^0-9A-Za-z-]/g, '_')}-${architecture.name}${compressed}`;
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof VectorDbLayer) return existing;
    pendingNames = names;
    try {
      return new VectorDbLayer(stack, id, { ...props, sdk, architecture, version });
    } finally {
      pendingNames = undefined;
    }
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
    const sdk = attrs.sdk ?? VectorDbSdk.VECTORDB;
    const architecture = attrs.architecture ?? lambda.Architecture.X86_64;
    const where = pathOf(scope, id);
    checkSdk(where, sdk);
    checkVersion(where, 'version', sdk, attrs.version, 'the exact SDK version in the layer');
    checkArchitecture(where, architecture);
    // A version the facts table knows cannot be in a working layer for this
    // architecture (no native build, or no runtime can load it), unless the
    // caller read the binary's facts from a layer that exists.
    if (attrs.glibcVersion === undefined && attrs.neededLibraries === undefined) {
      refuseKnownProblem(where, LAYER_NAMES, sdk, attrs.version, architecture);
    }
    const imported = importedLayerFacts(scope, where, {
      sdk: sdk.packageName,
      version: attrs.version,
      architecture: architecture.name as 'x86_64' | 'arm64',
      glibc: attrs.glibcVersion,
      engines: attrs.nodeEngines,
      neededLibraries: attrs.neededLibraries,
    });
    return new ImportedVectorDbLayer(scope, id, {
      layerVersionArn,
      sdk,
      version: attrs.version,
      architecture,
      unzippedSizeBytes: attrs.unzippedSizeBytes,
      decompressedBinaryBytes: attrs.decompressedBinaryBytes,
      facts: imported,
    });
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
    const names = pendingNames ?? LAYER_NAMES;
    pendingNames = undefined;
    const sdk = props.sdk ?? VectorDbSdk.VECTORDB;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const where = pathOf(scope, id);
    checkSdk(where, sdk);
    checkArchitecture(where, architecture);
    const version = props.version ?? sdk.defaultVersionFor(architecture);
    const buildMethod = props.buildMethod ?? LayerBuildMethod.AUTO;
    const strip = props.strip ?? true;
    const compress = props.compressBinary === true;
    validateProps(where, { sdk, version, architecture, buildMethod }, props, names);
    refuseKnownProblem(where, names, sdk, version, architecture);
    const arch = architecture.name as 'x86_64' | 'arm64';

    // A binary the facts did not observe is read after the build; its declared engines.node counts already.
    const before: LayerFacts = tableFacts(sdk.packageName, version, arch)
      ?? { sdk: sdk.packageName, version, architecture: arch, engines: versionFacts(sdk.packageName, version)?.declared.engines, known: false };
    const runtimes = compatibleRuntimes(before);
    // AUTO is decided now: on the host when its npm can and it makes the
    // canonical layer (host-build.ts), else in Docker when an engine answers. A
    // host build's bundling options name no real image, so the asset's hash (which
    // CDK mixes with them) does not move when aws-cdk-lib's newest runtime image does.
    const choice = chooseBuild({
      method: buildMethod,
      architecture: arch,
      strip,
      npmCanBuild: buildMethod !== LayerBuildMethod.AUTO || hostCanBuildWithoutDocker(),
    });
    const inDocker = choice.inDocker;
    const image = inDocker ? props.dockerImage ?? defaultBuildImage() : HOST_BUILD_IMAGE;
    const build = { sdk: sdk.packageName, version, architecture: arch, strip, ...(compress ? { compress } : {}) };
    const local = inDocker ? undefined : new LocalLayerBuild({ ...build, dockerFallback: false });
    const unstripped = choice.unstripped ? { unstripped: true } : {};
    const assetHash = layerAssetHash({ ...build, dockerImage: inDocker ? image.image : undefined, ...unstripped });
    const bundling: BundlingOptions = { ...bundlingOptions({ image, ...build }), local };
    const code = lambda.Code.fromAsset(ASSETS_DIR, { assetHashType: AssetHashType.CUSTOM, assetHash, bundling });

    const expected: ExpectedLayer = { sdk: sdk.packageName, version, architecture: arch };
    const stagedHash = stagedAssetHash(assetHash, bundling);
    let prepared: PreparedAsset;
    try {
      prepared = prepareAssetFolder(scope, { where, stagedHash, contentHash: assetHash, expected });
    } catch (e) {
      throw e instanceof StagingError ? constructError(where, e.message) : e;
    }
    try {
      super(scope, id, {
        ...props,
        code,
        compatibleRuntimes: runtimes,
        compatibleArchitectures: [architecture],
        license: props.license ?? 'Apache-2.0',
        description: props.description ?? describe(sdk, version, architecture),
      });
    } catch (e) {
      prepared.release();
      throw buildError(e, where, { sdk: sdk.packageName, version, architecture: arch, triedDocker: inDocker, local, names });
    }
    try {
      const staging = this.node.tryFindChild('Code')?.node.tryFindChild('Stage');
      if (prepared.store && staging instanceof AssetStaging && fs.existsSync(staging.absoluteStagedPath)) {
        // Only a layer whose bytes are what its hash says reaches the machine-wide cache.
        checkStripAsHashed(where, staging.absoluteStagedPath, choice.unstripped);
        prepared.store(staging.absoluteStagedPath);
      }
    } finally {
      prepared.release();
    }
    for (const info of choice.infos) Annotations.of(this).addInfo(info);
    if (choice.warning) Annotations.of(this).addWarningV2('cdk-vectordb-layer:unstripped-layer', choice.warning);

    this.sdk = sdk;
    this.version = version;
    this.architecture = architecture;
    this.externalModules = sdk.externalModules;

    const manifest = this.readBuiltManifest(expected, prepared.checked);
    const facts: LayerFacts = manifest ? measuredFacts(before, manifest) : before;
    this.glibcVersion = facts.glibc;
    this.nodeEngines = facts.engines;
    this.neededLibraries = facts.neededLibraries ? [...facts.neededLibraries] : undefined;
    if (manifest) {
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
    // Checked just before, under the build lock: no need to read 200 MB twice.
    const problems = dir === checked ? [] : checkLayerDir(dir, expected);
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
      Annotations.of(this).addInfo(`the native binary ships compressed (${c.bytes} bytes for ${c.decompressedBytes}): each cold start decompresses it into /tmp, which must have room for ${c.decompressedBytes} bytes`);
    }
    if (!manifest.strip.applied && manifest.strip.requested) {
      Annotations.of(this).addInfo(`the native binary was not stripped: ${manifest.strip.reason}`);
    }
    if (manifest.unzippedBytes > LAYER_SIZE_WARNING_BYTES) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:large-layer', `the layer is ${manifest.unzippedBytes} bytes unzipped, leaving ${LIMIT - manifest.unzippedBytes} bytes of Lambda's ${LIMIT} for the function and its other layers${manifest.strip.applied ? '' : '; strip (binutils for the target) would make it smaller'}`);
    }
  }
}

/**
 * The build stripped the binary exactly when the hash says so (the host's
 * strip lookup and the recipe's agree); else the folder is removed and synth
 * stops, as a layer under another layer's hash would be cached and deployed.
 */
function checkStripAsHashed(where: string, dir: string, unstripped: boolean) {
  const manifest = readManifest(dir);
  // No manifest: the folder check that follows says so.
  if (!manifest || !manifest.strip.requested || manifest.strip.applied !== unstripped) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const said = manifest.strip.applied ? `stripped it with ${manifest.strip.tool}` : `did not strip it (${manifest.strip.reason})`;
  const made = unstripped ? 'an unstripped' : 'a stripped';
  throw constructError(where, `the asset hash was made for ${made} binary (strip lookup on PATH) but the build ${said}; make \`strip --version\` of the strip on PATH work, or set strip to false`);
}

/** The facts the built binary and its manifest tell, over the table's. */
function measuredFacts(before: LayerFacts, manifest: LayerManifest): LayerFacts {
  const engines = manifest.nodeEngines ?? undefined;
  return { ...before, known: true, glibc: manifest.glibc ?? undefined, neededLibraries: manifest.neededLibraries, engines };
}

function describe(sdk: VectorDbSdk, version: string, architecture: lambda.Architecture): string {
  const cpu = recipeSdks.CPU_BY_ARCHITECTURE[architecture.name as 'x86_64' | 'arm64'];
  return `${sdk.packageName} ${version} for Lambda ${architecture.name} (linux-${cpu}-gnu native binary) at /opt/nodejs/node_modules/${sdk.packageName}; built by cdk-vectordb-layer`;
}

/** C0 control characters and DEL: never in a one-line text. */
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkSdk(where: string, sdk: unknown) {
  if (!(sdk instanceof VectorDbSdk)) {
    throw propError(where, { prop: 'sdk', problem: 'must be VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB', value: sdk, fix: 'pass one of the two (a string such as \'vectordb\' is not an SDK)' });
  }
}

function checkVersion(where: string, prop: string, sdk: VectorDbSdk, version: string, what = 'an exact version') {
  if (Token.isUnresolved(version)) {
    throw propError(where, { prop, problem: `must be a literal ${what.replace(/^an? /, '')} such as '${sdk.defaultVersion}', not a token`, why: 'the layer is built at synth time, before any token resolves', fix: 'write the version itself' });
  }
  if (!isExactVersion(version)) {
    const meta = typeof version === 'string' && SHELL_META.test(version) ? ' (it holds characters no npm version has)' : '';
    throw propError(where, { prop, problem: `must be ${what} such as '${sdk.defaultVersion}' (x.y.z, optionally -prerelease; no ranges or tags)`, value: version, fix: `write the exact version${meta}` });
  }
}

function checkArchitecture(where: string, architecture: lambda.Architecture) {
  if (Token.isUnresolved(architecture.name) || !Object.prototype.hasOwnProperty.call(recipeSdks.CPU_BY_ARCHITECTURE, architecture.name)) {
    throw propError(where, { prop: 'architecture', problem: 'must be Architecture.X86_64 or Architecture.ARM_64', value: architecture.name, fix: 'use one of the two Lambda architectures' });
  }
}

interface ChosenProps {
  readonly sdk: VectorDbSdk;
  readonly version: string;
  readonly architecture: lambda.Architecture;
  readonly buildMethod: LayerBuildMethod;
}

function validateProps(where: string, chosen: ChosenProps, props: VectorDbLayerProps, names: InputNames) {
  checkSdk(where, chosen.sdk);
  checkVersion(where, names.version, chosen.sdk, chosen.version);
  checkArchitecture(where, chosen.architecture);
  if (!Object.values(LayerBuildMethod).includes(chosen.buildMethod)) {
    throw propError(where, { prop: 'buildMethod', problem: 'must be a LayerBuildMethod', value: chosen.buildMethod, fix: 'use LayerBuildMethod.AUTO, DOCKER or LOCAL' });
  }
  validateDockerImage(where, chosen.buildMethod, props.dockerImage);
  validateText(where, props);
}

function validateDockerImage(where: string, buildMethod: LayerBuildMethod, dockerImage?: DockerImage) {
  if (dockerImage === undefined) return;
  if (buildMethod === LayerBuildMethod.LOCAL) {
    throw propError(where, { prop: 'dockerImage', problem: 'is set but buildMethod is LayerBuildMethod.LOCAL, which never runs Docker', fix: 'remove dockerImage, or set buildMethod to DOCKER or AUTO' });
  }
  if (!isImageReference(dockerImage.image)) {
    throw propError(where, { prop: 'dockerImage', problem: 'must be an image reference such as public.ecr.aws/sam/build-nodejs22.x ([registry/]name[:tag][@digest], lower-case name)', value: dockerImage.image, fix: 'use DockerImage.fromRegistry with a valid reference' });
  }
}

/** Name, description and licence are text for the console and CloudFormation, never given to a process. */
function validateText(where: string, props: VectorDbLayerProps) {
  if (props.layerVersionName !== undefined && !Token.isUnresolved(props.layerVersionName) && !/^[a-zA-Z0-9_-]{1,140}$/.test(props.layerVersionName)) {
    throw propError(where, { prop: 'layerVersionName', problem: 'must be 1-140 letters, digits, - or _', value: props.layerVersionName, fix: 'rename the layer' });
  }
  for (const [prop, max] of [['description', 256], ['license', 512]] as const) {
    const text = props[prop];
    if (text === undefined || Token.isUnresolved(text)) continue;
    if (text.length === 0 && prop === 'license') {
      throw propError(where, { prop, problem: 'must not be empty', fix: 'omit it for \'Apache-2.0\' (the licence of both SDKs), or give an SPDX identifier or a licence URL' });
    }
    if (text.length > max) throw propError(where, { prop, problem: `must be at most ${max} characters (CloudFormation's limit)`, value: text.length, fix: 'shorten it' });
    if (CONTROL.test(text)) throw propError(where, { prop, problem: 'must be one line of text without control characters (newline, tab, NUL...)', value: text, fix: 'remove them' });
  }
}

interface FailedBuild {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: 'x86_64' | 'arm64';
  readonly triedDocker: boolean;
  readonly local?: LocalLayerBuild;
  readonly names: InputNames;
}

/**
 * Turns CDK's "Failed to bundle asset" error into the recipe's own message,
 * told with the user's prop names and the versions that would work.
 */
function buildError(e: unknown, where: string, build: FailedBuild): Error {
  const found = bundlingFailure(e, build.triedDocker, build.local);
  if (!found) return e instanceof Error ? e : new Error(String(e));
  if (found.failure) {
    const explained = explainRecipeFailure(found.failure, build, build.names);
    if (explained) {
      const value = explained.prop === build.names.architecture ? build.architecture : build.version;
      return propError(where, { ...explained, value });
    }
    return constructError(where, found.failure.message);
  }
  return found.message ? constructError(where, found.message) : (e instanceof Error ? e : new Error(String(e)));
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

/** A layer version known by its ARN and the facts its builder recorded. */
class ImportedVectorDbLayer extends Resource implements IVectorDbLayer {
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
