import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, AssetHashType, AssetStaging, BundlingOptions, DockerImage, Resource, Stack, Stage, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { layerAssetHash, stagedAssetHash } from './private/asset-hash';
import { acquireBuildLock } from './private/build-lock';
import { LocalLayerBuild } from './private/local-build';
import { shown, SHELL_META } from './private/messages';
import { ASSETS_DIR, LayerManifest, recipe, recipeVersions } from './private/recipe';
import { compatibleNodeRuntimes, knownNodeRuntimes } from './private/runtimes';
import { VectorDbSdk } from './sdk';

/**
 * How a `VectorDbLayer` is built. Both ways run the same recipe
 * (`layer-assets/build-layer.js`).
 */
export enum LayerBuildMethod {
  /**
   * On the host when its npm can install another platform's packages
   * (npm >= 10.4), else in Docker.
   */
  AUTO = 'auto',

  /**
   * In the Lambda build image, with Docker, on the architecture's Docker platform.
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
}

/**
 * What a layer built elsewhere holds, for `VectorDbLayer.fromLayerArn`.
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
   * Unzipped size of the layer in bytes (the `unzippedSizeBytes` of the stack that built it).
   *
   * @default - unknown: the function's size check counts only what it knows
   */
  readonly unzippedSizeBytes?: number;

  /**
   * The highest glibc version the native binary needs.
   *
   * @default - from the pin table for pinned versions, else unknown (only Amazon Linux 2023 runtimes are offered)
   */
  readonly glibcVersion?: string;
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
   * published version is resolved fresh, with a warning.
   *
   * @default - the SDK's pinned default: `0.21.2` for vectordb, `0.39.0` for @lancedb/lancedb
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
   * 10-20% off the layer. Skipped, with a note in the synth output, when no
   * `strip` that understands the target architecture is present.
   *
   * @default true
   */
  readonly strip?: boolean;
}

/**
 * Unzipped layer size above which synth warns: 80% of Lambda's limit, leaving
 * less than 52 MB for the function's own code and other layers.
 */
export const LAYER_SIZE_WARNING_BYTES = 209715200;

/** Lambda's limit on the unzipped size of a function and all its layers. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 262144000;

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
   * The stack's layer for this SDK, version and architecture: created on first
   * use, then returned to every caller asking for the same three, so any
   * number of functions share one layer (and one build). Other props are taken
   * from the first call.
   */
  public static getOrCreate(scope: Construct, props: VectorDbLayerProps = {}): VectorDbLayer {
    const stack = Stack.of(scope);
    const sdk = props.sdk ?? VectorDbSdk.VECTORDB;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const version = props.version ?? sdk.defaultVersion;
    // Checked before the version goes into a construct id.
    if (Token.isUnresolved(version) || !recipeVersions.isExactVersion(version)) {
      throw new Error(`${scope.node.path}: ${versionProblem('version', sdk, version)} (a VectorDbFunction's sdkVersion)`);
    }
    if (Token.isUnresolved(architecture.name) || !(architecture.name in recipe.CPU_BY_ARCHITECTURE)) {
      throw new Error(`${scope.node.path}: architecture must be Architecture.X86_64 or Architecture.ARM_64, got ${shown(architecture.name)}`);
    }
    const id = `VectorDbLayer-${recipe.SDKS[sdk.packageName]?.slug ?? 'sdk'}-${version.replace(/[^0-9A-Za-z-]/g, '_')}-${architecture.name}`;
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof VectorDbLayer) return existing;
    return new VectorDbLayer(stack, id, { ...props, sdk, architecture, version });
  }

  /**
   * A layer published elsewhere (a shared layer stack, or the `build` command),
   * with the facts a `VectorDbFunction` checks against: pin one layer version
   * per app by passing its ARN.
   */
  public static fromLayerArn(scope: Construct, id: string, layerVersionArn: string, attrs: VectorDbLayerAttributes): IVectorDbLayer {
    const sdk = attrs.sdk ?? VectorDbSdk.VECTORDB;
    const architecture = attrs.architecture ?? lambda.Architecture.X86_64;
    const where = `${scope.node.path}/${id}`;
    if (Token.isUnresolved(attrs.version) || !recipeVersions.isExactVersion(attrs.version)) {
      throw new Error(`${where}: version must be the exact SDK version in the layer, such as '${sdk.defaultVersion}', got ${shown(attrs.version)}`);
    }
    if (!(architecture.name in recipe.CPU_BY_ARCHITECTURE)) {
      throw new Error(`${where}: architecture must be Architecture.X86_64 or Architecture.ARM_64, got ${shown(architecture.name)}`);
    }
    const glibcVersion = attrs.glibcVersion ?? recipe.SDKS[sdk.packageName].pins[attrs.version]?.[architecture.name]?.glibc;
    const engines = recipe.SDKS[sdk.packageName].pins[attrs.version]?.[architecture.name]?.node;
    return new ImportedVectorDbLayer(scope, id, {
      layerVersionArn,
      sdk,
      version: attrs.version,
      architecture,
      unzippedSizeBytes: attrs.unzippedSizeBytes,
      glibcVersion,
      compatibleRuntimes: compatibleNodeRuntimes(glibcVersion ?? '2.34', engines),
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
   * version needs (or the pin table when bundling was skipped).
   *
   * @default - unknown
   */
  public readonly glibcVersion?: string;

  constructor(scope: Construct, id: string, props: VectorDbLayerProps = {}) {
    const sdk = props.sdk ?? VectorDbSdk.VECTORDB;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const version = props.version ?? sdk.defaultVersion;
    const buildMethod = props.buildMethod ?? LayerBuildMethod.AUTO;
    const strip = props.strip ?? true;
    const where = `${scope.node.path}/${id}`;
    validateProps(where, sdk, version, architecture, buildMethod, props);

    const pin = recipe.SDKS[sdk.packageName].pins[version]?.[architecture.name];
    // Until the binary is read: the pin table, or Amazon Linux 2023 only. Corrected after the build.
    const runtimes = compatibleNodeRuntimes(pin?.glibc ?? '2.34', pin?.node);
    const image = props.dockerImage ?? newestNodeRuntime().bundlingImage;
    const local = buildMethod === LayerBuildMethod.DOCKER ? undefined : new LocalLayerBuild({
      sdk: sdk.packageName,
      version,
      architecture: architecture.name,
      strip,
      dockerFallback: buildMethod === LayerBuildMethod.AUTO,
    });
    const assetHash = layerAssetHash({
      sdk: sdk.packageName,
      version,
      architecture: architecture.name,
      strip,
      buildMethod,
      image: buildMethod === LayerBuildMethod.LOCAL ? '' : image.image,
    });
    const bundling: BundlingOptions = {
      image,
      platform: architecture.dockerPlatform,
      command: [
        'node', `${AssetStaging.BUNDLING_INPUT_DIR}/build-layer.js`,
        '--sdk', sdk.packageName,
        '--version', version,
        '--architecture', architecture.name,
        '--out', AssetStaging.BUNDLING_OUTPUT_DIR,
        ...(strip ? [] : ['--no-strip']),
      ],
      environment: {
        HOME: '/tmp',
        npm_config_cache: '/tmp/.npm',
        npm_config_update_notifier: 'false',
      },
      local,
    };
    const code = lambda.Code.fromAsset(ASSETS_DIR, { assetHashType: AssetHashType.CUSTOM, assetHash, bundling });

    const expected = { sdk: sdk.packageName, version, architecture: architecture.name };
    const prepared = prepareAssetFolder(scope, where, stagedAssetHash(assetHash, bundling), expected);
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
      throw buildError(e, where, buildMethod, local);
    } finally {
      prepared.release();
    }

    this.sdk = sdk;
    this.version = version;
    this.architecture = architecture;
    this.externalModules = sdk.externalModules;

    const manifest = this.readBuiltManifest(expected, prepared.checked);
    if (manifest) {
      this.unzippedSizeBytes = manifest.unzippedBytes;
      this.glibcVersion = manifest.glibc ?? undefined;
      const measured = compatibleNodeRuntimes(manifest.glibc, manifest.nodeEngines);
      if (measured.length === 0) {
        throw new Error(`${this.node.path}: no Node.js Lambda runtime known to this aws-cdk-lib can load ${sdk} ${version} (its binary needs glibc ${manifest.glibc}, its engines field says node ${manifest.nodeEngines}); choose another version`);
      }
      // Both the construct's list and the template show what the binary really needs.
      runtimes.splice(0, runtimes.length, ...measured);
      (this.node.defaultChild as lambda.CfnLayerVersion).compatibleRuntimes = measured.map((r) => r.name);
      this.annotate(manifest);
    } else {
      this.glibcVersion = pin?.glibc;
    }
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
    const problems = dir === checked ? [] : recipe.checkLayerDir(dir, expected);
    if (problems.length > 0) {
      throw new Error(`${this.node.path}: the built layer in ${dir} does not match its manifest (${problems.join('; ')}), so it cannot be shipped. Delete that folder and synthesize again`);
    }
    return recipe.readManifest(dir);
  }

  private annotate(manifest: LayerManifest) {
    for (const warning of manifest.warnings) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:unpinned', `${warning}. Pin it (add it to layer-assets/sdks.json and run \`npx projen pins\`) or use a pinned version: ${this.sdk.pinnedVersions(this.architecture).join(', ')}`);
    }
    if (!manifest.strip.applied && manifest.strip.requested) {
      Annotations.of(this).addInfo(`the native binary was not stripped: ${manifest.strip.reason}`);
    }
    if (manifest.unzippedBytes > LAYER_SIZE_WARNING_BYTES) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:large-layer', `the layer is ${manifest.unzippedBytes} bytes unzipped, leaving ${LAMBDA_UNZIPPED_LIMIT_BYTES - manifest.unzippedBytes} bytes of Lambda's ${LAMBDA_UNZIPPED_LIMIT_BYTES} for the function and its other layers${manifest.strip.applied ? '' : '; strip (binutils for the target) would make it smaller'}`);
    }
  }
}

/** The newest Node.js runtime the installed aws-cdk-lib knows. */
function newestNodeRuntime(): lambda.Runtime {
  const all = knownNodeRuntimes();
  return all[all.length - 1].runtime;
}

function describe(sdk: VectorDbSdk, version: string, architecture: lambda.Architecture): string {
  const cpu = recipe.CPU_BY_ARCHITECTURE[architecture.name];
  return `${sdk.packageName} ${version} for Lambda ${architecture.name} (linux-${cpu}-gnu native binary) at /opt/nodejs/node_modules/${sdk.packageName}; built by cdk-vectordb-layer`;
}

/** What a staged layer folder must hold. */
interface ExpectedLayer {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
}

/** C0 control characters and DEL: never in a one-line text. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A Docker image reference as Docker parses it: [domain[:port]/]path[:tag][@digest],
 * lower-case path components (distribution/reference's grammar).
 */
const IMAGE_REFERENCE = (() => {
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
  const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const tag = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
  const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
  return new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`);
})();

function versionProblem(prop: string, sdk: VectorDbSdk, version: string): string {
  if (Token.isUnresolved(version)) {
    return `${prop} must be a literal exact version such as '${sdk.defaultVersion}', not a token: the layer is built at synth time, before any token resolves`;
  }
  const meta = typeof version === 'string' && SHELL_META.test(version) ? ' (it holds characters no npm version has)' : '';
  return `${prop} must be an exact version such as '${sdk.defaultVersion}' (x.y.z, optionally -prerelease; no ranges or tags), got ${shown(version)}${meta}`;
}

/**
 * Takes the build lock of the layer's asset folder in the cloud assembly, and
 * removes that folder when it no longer matches its manifest so that CDK
 * builds it again. Returns the function that releases the lock, and the
 * folder when it was found sound (CDK will reuse it).
 *
 * Why a lock: CDK builds into `asset.<hash>-building`, which it empties first,
 * then renames. Two synths into one cdk.out (two `cdk synth` at once, a watch
 * and a deploy) would empty each other's half-built folder; the second now
 * waits, then finds the finished folder and reuses it.
 */
function prepareAssetFolder(scope: Construct, where: string, hash: string, expected: ExpectedLayer): { release: () => void; checked?: string } {
  const outdir = Stage.of(scope)?.assetOutdir;
  if (!outdir || !Stack.of(scope).bundlingRequired) return { release: () => undefined };
  const lockFile = path.join(outdir, `.vectordb-layer-${hash}.lock`);
  let release: () => void;
  try {
    fs.mkdirSync(outdir, { recursive: true });
    release = acquireBuildLock(lockFile, {
      timeoutMs: 30 * 60 * 1000,
      onWait: (owner) => process.stderr.write(`[vectordb-layer] ${where}: waiting for another synth (${owner}) that is building this layer into ${outdir}\n`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && ['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'ENOTDIR', 'ENOENT'].includes(code)) {
      throw new Error(`${where}: cannot write to the cloud assembly folder ${outdir} (${code}): the layer is built there. Synthesize into a writable folder with free space (cdk synth --output <dir>, or new App({ outdir }))`);
    }
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  try {
    const dir = path.join(outdir, `asset.${hash}`);
    if (!fs.existsSync(dir)) return { release };
    const problems = recipe.checkLayerDir(dir, expected);
    if (problems.length === 0) return { release, checked: dir };
    process.stderr.write(`[vectordb-layer] ${where}: ${dir} does not match its manifest (${problems.join('; ')}); removed it, building the layer again\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    // CDK also remembers staged folders in memory, per process.
    AssetStaging.clearAssetHashCache();
    return { release };
  } catch (e) {
    release();
    throw e;
  }
}

function validateProps(
  where: string,
  sdk: VectorDbSdk,
  version: string,
  architecture: lambda.Architecture,
  buildMethod: LayerBuildMethod,
  props: VectorDbLayerProps,
) {
  const fail = (message: string): never => {
    throw new Error(`${where}: ${message}`);
  };
  if (!(sdk instanceof VectorDbSdk)) {
    fail(`sdk must be VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB, got ${shown(sdk)}`);
  }
  if (Token.isUnresolved(version)) {
    fail(versionProblem('version', sdk, version));
  }
  if (!recipeVersions.isExactVersion(version)) {
    fail(versionProblem('version', sdk, version));
  }
  if (Token.isUnresolved(architecture.name) || !(architecture.name in recipe.CPU_BY_ARCHITECTURE)) {
    fail(`architecture must be Architecture.X86_64 or Architecture.ARM_64, got ${shown(architecture.name)}`);
  }
  if (!Object.values(LayerBuildMethod).includes(buildMethod)) {
    fail(`buildMethod must be a LayerBuildMethod (AUTO, DOCKER or LOCAL), got ${shown(buildMethod)}`);
  }
  if (props.dockerImage !== undefined) {
    const image = props.dockerImage.image;
    if (buildMethod === LayerBuildMethod.LOCAL) {
      fail('dockerImage is set but buildMethod is LayerBuildMethod.LOCAL, which never runs Docker; remove dockerImage or set buildMethod to DOCKER or AUTO');
    }
    if (typeof image !== 'string' || image.length > 512 || !IMAGE_REFERENCE.test(image)) {
      fail(`dockerImage must be an image reference such as public.ecr.aws/sam/build-nodejs22.x ([registry/]name[:tag][@digest], lower-case name), got ${shown(image)}`);
    }
  }
  if (props.layerVersionName !== undefined && !Token.isUnresolved(props.layerVersionName)
    && !/^[a-zA-Z0-9_-]{1,140}$/.test(props.layerVersionName)) {
    fail(`layerVersionName must be 1-140 letters, digits, - or _, got ${shown(props.layerVersionName)}`);
  }
  // Description and licence are text for the console and CloudFormation, never
  // given to a process; CloudFormation bounds their length.
  if (props.description !== undefined && !Token.isUnresolved(props.description)) {
    if (props.description.length > 256) {
      fail(`description must be at most 256 characters (CloudFormation's limit), got ${props.description.length}`);
    }
    if (CONTROL.test(props.description)) {
      fail(`description must be one line of text without control characters (newline, tab, NUL...), got ${shown(props.description)}`);
    }
  }
  if (props.license !== undefined && !Token.isUnresolved(props.license)) {
    if (props.license.length === 0) {
      fail('license must not be empty; omit it for \'Apache-2.0\' (the licence of both SDKs), or give an SPDX identifier or a licence URL');
    }
    if (props.license.length > 512) {
      fail(`license must be at most 512 characters (CloudFormation's limit), got ${props.license.length}`);
    }
    if (CONTROL.test(props.license)) {
      fail(`license must be one line of text without control characters (newline, tab, NUL...), got ${shown(props.license)}`);
    }
  }
}

/**
 * Turns CDK's "Failed to bundle asset" error into the recipe's own message,
 * and removes the empty `asset.<hash>-building` folder CDK leaves behind.
 */
function buildError(e: unknown, where: string, buildMethod: LayerBuildMethod, local?: LocalLayerBuild): Error {
  const original = e instanceof Error ? e : new Error(String(e));
  const located = /bundle output is located at (.+?-building): /.exec(original.message);
  if (!located) {
    // CDK creates asset.<hash>-building before its own error handling.
    const code = (original as NodeJS.ErrnoException).code;
    const p = (original as NodeJS.ErrnoException).path;
    if (code && p && ['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'ENOTDIR'].includes(code)) {
      return new Error(`${where}: cannot write the layer into the cloud assembly at ${path.dirname(p)} (${code}: ${original.message}). Synthesize into a writable folder with free space (cdk synth --output <dir>, or new App({ outdir }))`);
    }
    return original;
  }
  const dir = located[1];
  let message: string | undefined;
  const errorFile = path.join(dir, recipe.ERROR_FILE);
  if (fs.existsSync(errorFile)) {
    try {
      message = JSON.parse(fs.readFileSync(errorFile, 'utf-8')).message;
    } catch {
      // fall through to the other sources
    }
  }
  if (!message && local?.lastError) {
    message = local.lastError.message;
  }
  // Only when Docker was asked to build: a local build that failed has said why above.
  const triedDocker = buildMethod === LayerBuildMethod.DOCKER || local?.deferredToDocker === true;
  if (!message && triedDocker) {
    const docker = process.env.CDK_DOCKER ?? 'docker';
    const probe = childProcess.spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf-8', shell: false, timeout: 30000 });
    if (probe.error || probe.status !== 0) {
      const said = (probe.error?.message ?? `${probe.stdout}${probe.stderr}`).trim().split('\n').slice(-3).join(' ');
      message = `buildMethod is LayerBuildMethod.${buildMethod.toUpperCase()} and the layer must be built in Docker, but no Docker engine answers (\`${docker} version\`: ${said}). Start Docker, or set buildMethod to LayerBuildMethod.LOCAL (needs npm >= 10.4 on this host)`;
    }
  }
  // Nothing half-built stays in the cloud assembly.
  fs.rmSync(dir, { recursive: true, force: true });
  if (!message) return original;
  const err = new Error(`${where}: ${message}`);
  return err;
}

interface ImportedVectorDbLayerProps {
  readonly layerVersionArn: string;
  readonly sdk: VectorDbSdk;
  readonly version: string;
  readonly architecture: lambda.Architecture;
  readonly unzippedSizeBytes?: number;
  readonly glibcVersion?: string;
  readonly compatibleRuntimes: lambda.Runtime[];
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

  constructor(scope: Construct, id: string, props: ImportedVectorDbLayerProps) {
    super(scope, id);
    this.layerVersionArn = props.layerVersionArn;
    this.compatibleRuntimes = props.compatibleRuntimes;
    this.sdk = props.sdk;
    this.version = props.version;
    this.architecture = props.architecture;
    this.externalModules = props.sdk.externalModules;
    this.unzippedSizeBytes = props.unzippedSizeBytes;
    this.glibcVersion = props.glibcVersion;
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
