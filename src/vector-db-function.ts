import * as fs from 'fs';
import * as path from 'path';
import { Annotations, AssetStaging, FeatureFlags, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { VectorDatabase } from './database';
import { recipeElf, recipePrune } from './private/recipe';
import { nodeRuntimeFact } from './private/runtimes';
import { ENV } from './runtime';
import { VectorDbSdk } from './sdk';
import { IVectorDbLayer, LAMBDA_UNZIPPED_LIMIT_BYTES, VectorDbLayer } from './vector-db-layer';

/** Lambda's limit on layers per function. */
const MAX_LAYERS = 5;

/**
 * Properties of a `VectorDbFunction`.
 */
export interface VectorDbFunctionProps extends nodejs.NodejsFunctionProps {
  /**
   * The layer with the LanceDB SDK: a `VectorDbLayer`, or one imported with
   * `VectorDbLayer.fromLayerArn`.
   *
   * @default - the stack's shared `VectorDbLayer` for `sdk`, `sdkVersion` and the function's architecture (`VectorDbLayer.getOrCreate`)
   */
  readonly layer?: IVectorDbLayer;

  /**
   * The SDK of the default layer. Ignored when `layer` is given.
   *
   * @default VectorDbSdk.VECTORDB
   */
  readonly sdk?: VectorDbSdk;

  /**
   * The exact SDK version of the default layer. Ignored when `layer` is given.
   *
   * @default - the SDK's pinned default version
   */
  readonly sdkVersion?: string;

  /**
   * Where the LanceDB database lives: a folder under /tmp, an S3 prefix, an
   * EFS access point or LanceDB Cloud. The function gets the location's
   * environment variables (`VECTORDB_URI`, ...), exactly the permissions
   * LanceDB needs there, and for EFS the mount (give `vpc` too). Handlers open
   * it with `connect()` from `cdk-vectordb-layer/lib/runtime`.
   *
   * @default - `VectorDatabase.tmp()` (`/tmp/vectordb`); a `VECTORDB_URI` given in `environment` is kept
   */
  readonly database?: VectorDatabase;
}

/**
 * A Node.js Lambda function, bundled by esbuild, that uses LanceDB from a
 * `VectorDbLayer`: the layer is attached, the SDK is kept out of the bundle,
 * and what would fail at run time is refused at synth time.
 *
 * @example
 * import { VectorDbFunction } from 'cdk-vectordb-layer';
 *
 * new VectorDbFunction(this, 'Search', { entry: 'src/search.ts' });
 */
export class VectorDbFunction extends nodejs.NodejsFunction {
  /** The layer that provides the SDK. */
  public readonly vectorDbLayer: IVectorDbLayer;

  /** Where the function's LanceDB database lives. */
  public readonly database: VectorDatabase;

  constructor(scope: Construct, id: string, props: VectorDbFunctionProps = {}) {
    const where = `${scope.node.path}/${id}`;
    const fail = (message: string): never => {
      throw new Error(`${where}: ${message}`);
    };

    if (props.runtime && props.runtime.family !== lambda.RuntimeFamily.NODEJS) {
      fail(`runtime must be a Node.js runtime such as Runtime.NODEJS_22_X, got ${props.runtime.name}: the layer holds a Node.js package`);
    }
    if (props.layer && (props.sdk || props.sdkVersion)) {
      fail('sdk and sdkVersion choose the default layer; remove them when layer is given (the layer says what it holds)');
    }

    const layer = props.layer ?? VectorDbLayer.getOrCreate(scope, {
      sdk: props.sdk,
      version: props.sdkVersion,
      architecture: props.architecture,
    });
    const architecture = props.architecture ?? layer.architecture;
    if (architecture.name !== layer.architecture.name) {
      fail(`architecture is ${architecture.name} but the layer's native binary is built for ${layer.architecture.name}; set architecture to Architecture.${layer.architecture.name === 'arm64' ? 'ARM_64' : 'X86_64'}, or use a layer built for ${architecture.name}`);
    }

    const runtime = props.runtime ?? newestCompatibleRuntime(layer) ?? fail(`no Node.js runtime known to this aws-cdk-lib can load ${layer.sdk} ${layer.version}; choose another sdkVersion`);
    checkRuntime(fail, runtime, layer);

    const nodeModules = props.bundling?.nodeModules ?? [];
    const bundledTwice = nodeModules.filter((m) => layer.externalModules.includes(m) || m.startsWith('@lancedb/'));
    if (bundledTwice.length > 0) {
      fail(`bundling.nodeModules lists ${bundledTwice.join(', ')}, which the layer provides: npm would install a second, host-platform copy into the function (the wrong binary, and twice the size). Remove ${bundledTwice.length > 1 ? 'them' : 'it'} from nodeModules`);
    }

    const layers = [layer, ...(props.layers ?? [])];
    if (layers.length > MAX_LAYERS) {
      fail(`the function would have ${layers.length} layers (the vector database layer plus ${layers.length - 1} in layers); Lambda allows at most ${MAX_LAYERS}. Merge or remove layers`);
    }

    // A file system can only be given to the Lambda constructor: the database's goes in here.
    const fileSystem = props.database?.fileSystem;
    if (fileSystem) {
      if (props.filesystem) {
        fail('filesystem is set and database is VectorDatabase.efs(...), which mounts its own access point; a function mounts one file system: remove filesystem, or use VectorDatabase.efs with that access point');
      }
      if (!props.vpc) {
        fail(`database is VectorDatabase.efs(...), which mounts an EFS access point at ${fileSystem.config.localMountPath}, but vpc is not set: Lambda reaches EFS only from inside a VPC. Set vpc (and vpcSubnets) to the VPC of the file system's mount targets`);
      }
    }

    super(scope, id, {
      ...props,
      runtime,
      architecture,
      layers,
      filesystem: props.filesystem ?? fileSystem,
      bundling: {
        ...props.bundling,
        externalModules: mergeExternals(scope, runtime, props.bundling, layer.externalModules),
      },
    });
    this.vectorDbLayer = layer;
    this.database = props.database ?? VectorDatabase.tmp();
    this.applyDatabase(fail, props, layer);

    this.warnOnLockfileVersion(props, layer);
    this.node.addValidation({ validate: () => this.validateSize() });
  }

  /**
   * The database's environment and grants; the SDK's name for the runtime
   * helper. A variable the user set in `environment` wins over the default
   * location and conflicts with an explicit `database`.
   */
  private applyDatabase(fail: (m: string) => never, props: VectorDbFunctionProps, layer: IVectorDbLayer) {
    const config = this.database.bind(this);
    const given = props.environment ?? {};
    const environment: Record<string, string> = { ...config.environment, [ENV.SDK]: layer.sdk.packageName };
    for (const [key, value] of Object.entries(environment)) {
      if (key in given) {
        if (key === ENV.SDK && given[key] !== value) {
          fail(`environment.${key} is ${JSON.stringify(given[key])} but the layer holds ${value}; remove ${key} from environment (the function sets it from its layer)`);
        }
        if (props.database && given[key] !== value) {
          fail(`environment.${key} is ${JSON.stringify(given[key])} but database sets it to ${JSON.stringify(value)}; remove ${key} from environment (database owns it)`);
        }
        continue;
      }
      this.addEnvironment(key, value);
    }
  }

  /** Function code plus every layer of known size must fit Lambda's unzipped limit. */
  private validateSize(): string[] {
    if (!Stack.of(this).bundlingRequired) return [];
    const staging = this.node.tryFindChild('Code')?.node.tryFindChild('Stage');
    if (!(staging instanceof AssetStaging)) return [];
    const codeBytes = recipePrune.measure(staging.absoluteStagedPath).bytes;
    const layers = layersOf(this);
    const known = layers.filter((l) => typeof (l as Partial<IVectorDbLayer>).unzippedSizeBytes === 'number') as IVectorDbLayer[];
    const layerBytes = known.reduce((sum, l) => sum + (l.unzippedSizeBytes ?? 0), 0);
    const total = codeBytes + layerBytes;
    if (total <= LAMBDA_UNZIPPED_LIMIT_BYTES) return [];
    const unknown = layers.length - known.length;
    return [`the function's code (${codeBytes} bytes) plus its layers (${known.map((l) => `${l.sdk} ${l.version}: ${l.unzippedSizeBytes}`).join(', ')}${unknown ? `, and ${unknown} layer(s) of unknown size` : ''}) is ${total} bytes unzipped, over Lambda's limit of ${LAMBDA_UNZIPPED_LIMIT_BYTES} bytes for a function and all its layers. Keep the SDK external (it is in the layer), remove bundled assets, or use a smaller sdkVersion`];
  }

  /** Warns when the project's lockfile pins another SDK version than the layer holds. */
  private warnOnLockfileVersion(props: VectorDbFunctionProps, layer: IVectorDbLayer) {
    const lockFile = props.depsLockFilePath ?? findUp('package-lock.json', props.entry ? path.dirname(path.resolve(props.entry)) : process.cwd());
    if (!lockFile || !lockFile.endsWith('package-lock.json') || !fs.existsSync(lockFile)) return;
    let locked: string | undefined;
    try {
      const lock = JSON.parse(fs.readFileSync(lockFile, 'utf-8'));
      locked = lock.packages?.[`node_modules/${layer.sdk.packageName}`]?.version ?? lock.dependencies?.[layer.sdk.packageName]?.version;
    } catch {
      return;
    }
    if (locked && locked !== layer.version) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:sdk-version-mismatch',
        `${path.basename(lockFile)} pins ${layer.sdk} ${locked} but the layer holds ${layer.version}: at run time the handler gets ${layer.version}. Set sdkVersion to '${locked}' or update the project's ${layer.sdk} to ${layer.version}`);
    }
  }

  /**
   * Adds layers, keeping Lambda's limit of 5 in view.
   */
  public addLayers(...layers: lambda.ILayerVersion[]): void {
    const current = layersOf(this);
    if (current.length + layers.length > MAX_LAYERS) {
      throw new Error(`${this.node.path}: the function would have ${current.length + layers.length} layers; Lambda allows at most ${MAX_LAYERS}. Merge or remove layers`);
    }
    super.addLayers(...layers);
    layersOf(this).push(...layers);
  }
}

/** Layers added to each function (kept outside the instance: addLayers runs inside super()). */
const LAYERS = new WeakMap<object, lambda.ILayerVersion[]>();
function layersOf(fn: object): lambda.ILayerVersion[] {
  let list = LAYERS.get(fn);
  if (!list) {
    list = [];
    LAYERS.set(fn, list);
  }
  return list;
}

/** The newest runtime the layer supports. */
function newestCompatibleRuntime(layer: IVectorDbLayer): lambda.Runtime | undefined {
  const facts = (layer.compatibleRuntimes ?? [])
    .map((r) => nodeRuntimeFact(r))
    .filter((f): f is NonNullable<typeof f> => f !== undefined)
    .sort((a, b) => a.major - b.major);
  return facts.length > 0 ? facts[facts.length - 1].runtime : undefined;
}

function checkRuntime(fail: (m: string) => never, runtime: lambda.Runtime, layer: IVectorDbLayer) {
  if (Token.isUnresolved(runtime.name)) return;
  const fact = nodeRuntimeFact(runtime);
  const newer = newestCompatibleRuntime(layer);
  const suggestion = newer ? `use runtime Runtime.${runtimeConstant(newer)}` : 'choose another runtime';
  if (fact && layer.glibcVersion && recipeElf.compareDotted(fact.glibc, layer.glibcVersion) < 0) {
    fail(`runtime ${runtime.name} runs on ${fact.os} with glibc ${fact.glibc}, but the native binary of ${layer.sdk} ${layer.version} needs glibc ${layer.glibcVersion}: it would fail at run time with "version \`GLIBC_${layer.glibcVersion}' not found". ${suggestion[0].toUpperCase()}${suggestion.slice(1)}, or an sdkVersion whose binary needs an older glibc (vectordb 0.4.2 needs 2.15)`);
  }
  if (layer.compatibleRuntimes && !layer.compatibleRuntimes.some((r) => r.runtimeEquals(runtime))) {
    fail(`runtime ${runtime.name} is not among the layer's compatible runtimes (${layer.compatibleRuntimes.map((r) => r.name).join(', ')}) for ${layer.sdk} ${layer.version}; ${suggestion}`);
  }
}

function runtimeConstant(runtime: lambda.Runtime): string {
  return runtime.name.replace(/^nodejs(\d+)\.x$/, 'NODEJS_$1_X');
}

/**
 * The user's externals (or, when none are given, the defaults NodejsFunction
 * would use for the runtime) plus the modules the layer provides.
 */
function mergeExternals(scope: Construct, runtime: lambda.Runtime, bundling: nodejs.BundlingOptions | undefined, layerModules: string[]): string[] {
  const defaults = bundling?.bundleAwsSDK || runtime.isVariable
    ? []
    : FeatureFlags.of(scope).isEnabled(cxapi.LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES) ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
  const merged = [...(bundling?.externalModules ?? defaults), ...layerModules];
  return merged.filter((m, i) => merged.indexOf(m) === i);
}

function findUp(name: string, from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
