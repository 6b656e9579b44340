import * as path from 'path';
import { Annotations, AssetStaging, FeatureFlags, Size, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { DatabaseAccess, VectorDatabase } from './database';
import { layerArchitecture } from './private/common/architecture';
import { atFunction, pathOf, propError } from './private/common/errors';
import { tableFacts } from './private/facts/compatibility';
import { callerFile, checkLocalBundler, checkPackageManager, esbuildInstallation } from './private/function/entry';
import { chooseLayer, LayerChoice } from './private/function/layer-choice';
import { checkAgainstSdk, checkProps, findProject, MAX_LAYERS } from './private/function/props';
import { checkRuntime, chooseDefaultRuntime, runtimeNotes } from './private/function/runtime';
import { detectSdkImports, SDK_MODULES } from './private/function/sdk-detection';
import { refuseKnownProblem } from './private/layer/props';
import { recipePrune } from './private/layer/recipe';
import { InputNames } from './private/layer/request';
import { ENV } from './runtime/settings';
import { VectorDbSdk } from './sdk';
import { IVectorDbLayer, LAMBDA_UNZIPPED_LIMIT_BYTES, VectorDbLayer, VectorDbLayerProps } from './vector-db-layer';

/** The runtime helper's folder: its imports of the SDKs are by variable, never the handler's choice. */
const RUNTIME_HELPER_DIR = path.resolve(__dirname, 'runtime');

/**
 * Properties of a `VectorDbFunction`.
 */
export interface VectorDbFunctionProps extends nodejs.NodejsFunctionProps {
  /**
   * The layer with the LanceDB SDK: a `VectorDbLayer`, or one imported with
   * `VectorDbLayer.fromLayerArn`.
   *
   * @default - the stack's shared `VectorDbLayer` for the SDK and version (see `sdk` and `sdkVersion`) and the function's architecture (`VectorDbLayer.getOrCreate`)
   */
  readonly layer?: IVectorDbLayer;

  /**
   * The SDK of the function's layer. Refused together with `layer` (the layer
   * says what it holds).
   *
   * @default - the SDK the handler imports (read from the entry and the files it imports, as esbuild bundles them); `VectorDbSdk.VECTORDB` when it imports neither
   */
  readonly sdk?: VectorDbSdk;

  /**
   * The exact SDK version of the function's layer. Refused together with
   * `layer`. When it differs from the version the app's lock file resolves,
   * synth warns: at run time the handler gets this version, not the app's.
   *
   * @default - the version the app's lock file (the one NodejsFunction uses: `depsLockFilePath`, else found from the current folder up) resolves for the SDK, else the exact version its package.json pins, when that version has a Linux native build for the function's architecture; otherwise the SDK's pinned default, with a warning naming both versions
   */
  readonly sdkVersion?: string;

  /**
   * Where the LanceDB database lives: a folder under /tmp, an S3 prefix, an
   * EFS access point or LanceDB Cloud. The function gets the location's
   * environment variables (`VECTORDB_URI`, ...), exactly the permissions
   * LanceDB needs there, and for EFS the mount (give `vpc` too). Handlers open
   * it with `connect()` from `cdk-vectordb-layer/runtime`.
   *
   * @default - `VectorDatabase.tmp()` (`/tmp/vectordb`); a `VECTORDB_URI` given in `environment` is kept
   */
  readonly database?: VectorDatabase;

  /**
   * What the function may do to its database: `READ` (search), `APPEND`
   * (also add rows and create tables, never delete) or `MAINTAIN` (also
   * compact, prune versions, build indexes, drop tables: the only level that
   * deletes). It chooses the IAM actions (S3, DynamoDB, EFS) and goes to the
   * handler as `VECTORDB_ACCESS`.
   *
   * @default - `DatabaseAccess.APPEND`; `DatabaseAccess.READ` when the database was made with `readOnly: true` (which refuses anything else)
   */
  readonly databaseAccess?: DatabaseAccess;

  /**
   * Give the function's layer a compressed native binary (`VectorDbLayer`'s
   * `compressBinary`): about a third of the room in Lambda's 250 MB, paid for
   * with a decompression into `/tmp` at each cold start. Refused together
   * with `layer` (set it on that layer).
   *
   * @default false
   */
  readonly compressBinary?: boolean;
}

/**
 * A Node.js Lambda function, bundled by esbuild, that uses LanceDB from a
 * `VectorDbLayer`: the layer is attached, the SDK is kept out of the bundle,
 * and what would fail at run time is refused at synth time.
 *
 * A drop-in for `NodejsFunction`: the same props, the same entry lookup
 * (`<file>.<id>.ts` and the like beside the file that creates the function;
 * from Python, Java, .NET or Go, which have no such file, `entry` is required),
 * the same template, except for the layer in `Layers`, the SDK and
 * apache-arrow kept external, the `VECTORDB_URI`, `VECTORDB_ACCESS` and
 * `VECTORDB_SDK` environment variables, and the default runtime (the newest one the layer
 * can run on that this library has proven it on and Lambda still supports). The layer holds the SDK the handler imports, at the version
 * the app's lock file resolves.
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
    const where = pathOf(scope, id);

    // Everything that can be refused without the layer is refused before it is built (5-20 s).
    const sdk = checkProps(where, props);
    const bundlingRequired = Stack.of(scope).bundlingRequired;
    const project = props.code ? undefined : findProject(where, id, props, callerFile('VectorDbFunction'));
    const esbuild = project ? esbuildInstallation() : undefined;
    if (project && bundlingRequired && !props.bundling?.forceDockerBundling) {
      checkLocalBundler(where, esbuild);
      if (esbuild?.kind === 'local') checkPackageManager(where, project.lockFile);
    }
    const detection = project ? detectSdkImports({
      entry: project.entry,
      projectRoot: project.projectRoot,
      externals: [...userExternals(scope, props.bundling), ...(props.bundling?.nodeModules ?? [])],
      loader: props.bundling?.loader,
      define: props.bundling?.define,
      mainFields: props.bundling?.mainFields,
      inject: props.bundling?.inject,
      tsconfig: props.bundling?.tsconfig,
      esbuildDir: esbuild?.packageDir,
      ignoreUnder: [RUNTIME_HELPER_DIR],
      format: props.bundling?.format === nodejs.OutputFormat.ESM ? 'esm' : 'cjs',
    }) : undefined;
    const moduleBundling = bundlingForTopLevelAwait(where, props.bundling, detection?.topLevelAwait);
    const architecture = props.architecture ?? props.layer?.architecture ?? lambda.Architecture.X86_64;
    const choice = chooseLayer({
      where,
      sdk,
      sdkVersion: props.sdkVersion,
      layer: props.layer,
      architecture,
      entry: project?.entry,
      lockFile: project?.lockFile,
      detection,
      userExternals: props.bundling?.externalModules ?? [],
    });
    checkAgainstSdk(where, props, choice.sdk);
    const layer = layerFor(where, scope, props, choice, architecture);
    const runtime = props.runtime ?? chooseDefaultRuntime(where, layer, props.layer ? 'layer' : 'sdkVersion');
    checkRuntime(where, runtime, layer, versionPropOf(props));

    super(scope, id, {
      ...props,
      ...(project ? { entry: project.entry } : {}),
      runtime,
      // As given; else the layer's when it is not NodejsFunction's default (x86_64, left out of the template).
      architecture: props.architecture ?? (layer.architecture.name === lambda.Architecture.X86_64.name ? undefined : layer.architecture),
      layers: [layer, ...(props.layers ?? [])],
      filesystem: props.filesystem ?? props.database?.fileSystem,
      bundling: {
        ...props.bundling,
        ...moduleBundling,
        externalModules: mergeExternals(scope, runtime, props.bundling, [...layer.externalModules, ...SDK_MODULES]),
      },
    });
    this.vectorDbLayer = layer;
    this.database = props.database ?? VectorDatabase.tmp();
    this.applyDatabase(where, props, layer);

    if (choice.warning) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:sdk-version-mismatch', choice.warning);
    }
    if (choice.note) Annotations.of(this).addInfo(choice.note);
    const notes = runtimeNotes(runtime, layer);
    if (notes.warning) Annotations.of(this).addWarningV2('cdk-vectordb-layer:runtime-retired', notes.warning);
    if (notes.note) Annotations.of(this).addInfo(notes.note);
    if (moduleBundling) {
      Annotations.of(this).addInfo(`bundled as an ES module (index.mjs): ${detection!.topLevelAwait} awaits at the top level, which a CommonJS bundle (NodejsFunction's default) cannot hold. Set bundling.format to OutputFormat.ESM to choose it yourself.`);
    }
    this.node.addValidation({ validate: () => this.validateSize() });
  }

  /**
   * The database's environment and grants; the SDK's name for the runtime
   * helper. A variable the user set in `environment` wins over the default
   * location and conflicts with an explicit `database`.
   */
  private applyDatabase(where: string, props: VectorDbFunctionProps, layer: IVectorDbLayer) {
    const config = this.database.bind(this, { access: props.databaseAccess });
    const given = props.environment ?? {};
    const environment: Record<string, string> = { ...config.environment, [ENV.SDK]: layer.sdk.packageName };
    for (const [key, value] of Object.entries(environment)) {
      if (key in given) {
        if (props.database && given[key] !== value) {
          throw propError(where, {
            prop: `environment.${key}`,
            problem: `conflicts with database, which sets it to ${JSON.stringify(value)}`,
            value: given[key],
            fix: `remove ${key} from environment (database owns it)`,
          });
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
    const codeBytes = recipePrune().measure(staging.absoluteStagedPath).bytes;
    const layers = layersOf(this);
    const known = layers.filter((l) => typeof (l as Partial<IVectorDbLayer>).unzippedSizeBytes === 'number') as IVectorDbLayer[];
    const layerBytes = known.reduce((sum, l) => sum + (l.unzippedSizeBytes ?? 0), 0);
    const total = codeBytes + layerBytes;
    if (total <= LAMBDA_UNZIPPED_LIMIT_BYTES) return [];
    const unknown = layers.length - known.length;
    return [`the function's code (${codeBytes} bytes) plus its layers (${known.map((l) => `${l.sdk} ${l.version}: ${l.unzippedSizeBytes}`).join(', ')}${unknown ? `, and ${unknown} layer(s) of unknown size` : ''}) is ${total} bytes unzipped, over Lambda's limit of ${LAMBDA_UNZIPPED_LIMIT_BYTES} bytes for a function and all its layers. Keep the SDK external (it is in the layer), remove bundled assets, or use a smaller sdkVersion`];
  }

  /**
   * Adds layers, keeping Lambda's limit of 5 in view.
   */
  public addLayers(...layers: lambda.ILayerVersion[]): void {
    const current = layersOf(this);
    if (current.length + layers.length > MAX_LAYERS) {
      throw propError(this, {
        prop: 'addLayers()',
        problem: `would give the function ${current.length + layers.length} layers`,
        why: `Lambda allows at most ${MAX_LAYERS}`,
        fix: 'merge or remove layers',
      });
    }
    super.addLayers(...layers);
    layersOf(this).push(...layers);
  }
}

/** How the user changes the version, for the fix of a runtime refusal. */
function versionPropOf(props: VectorDbFunctionProps): string {
  return props.layer ? 'the layer\'s version' : 'sdkVersion';
}

/**
 * The function's layer: the one given, else its own shared layer for the
 * chosen SDK and version, whose version is refused first, at the function's
 * path and in its props, when the facts rule it out for the runtime or the
 * architecture; then checked against the function's ephemeral storage and
 * architecture.
 */
function layerFor(
  where: string, scope: Construct, props: VectorDbFunctionProps, choice: LayerChoice, architecture: lambda.Architecture,
): IVectorDbLayer {
  if (!props.layer && props.runtime && tableFacts(choice.sdk.packageName, choice.version!, layerArchitecture(where, architecture.name))) {
    checkRuntime(where, props.runtime, { sdk: choice.sdk, version: choice.version!, architecture }, versionPropOf(props));
  }
  if (!props.layer) refuseKnownVersionProblem(where, choice.sdk, choice.version!, architecture);
  const layer = props.layer ?? ownLayer(where, scope, {
    sdk: choice.sdk,
    version: choice.version,
    architecture,
    compressBinary: props.compressBinary,
  });
  checkEphemeralStorage(where, props.ephemeralStorageSize, layer);
  if (architecture.name !== layer.architecture.name) {
    throw propError(where, {
      prop: 'architecture',
      problem: `does not match the layer's native binary, built for ${layer.architecture.name}`,
      value: architecture.name,
      why: 'the binary would not load',
      fix: `set architecture to Architecture.${layer.architecture.name === 'arm64' ? 'ARM_64' : 'X86_64'}, or use a layer built for ${architecture.name}`,
    });
  }
  return layer;
}

/** The function's props, as a refusal of its layer's version names them. */
const FUNCTION_NAMES: InputNames = { sdk: 'sdk', version: 'sdkVersion', architecture: 'architecture' };

/**
 * Refuses, at the function's own path and in its own props (`sdkVersion`,
 * `architecture`), a version the shipped facts rule out for the architecture,
 * before the hidden layer is made (which would name its own path and `version`).
 */
function refuseKnownVersionProblem(where: string, sdk: VectorDbSdk, version: string, architecture: lambda.Architecture) {
  refuseKnownProblem(where, { sdk: sdk.packageName, version, architecture: layerArchitecture(where, architecture.name) }, FUNCTION_NAMES);
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

/** The externals NodejsFunction uses for these bundling options: the user's, or its defaults. */
function userExternals(scope: Construct, bundling: nodejs.BundlingOptions | undefined, runtime?: lambda.Runtime): string[] {
  if (bundling?.externalModules) return bundling.externalModules;
  if (bundling?.bundleAwsSDK || runtime?.isVariable) return [];
  return FeatureFlags.of(scope).isEnabled(cxapi.LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES) ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
}

/**
 * The user's externals (or, when none are given, the defaults NodejsFunction
 * would use for the runtime) plus the modules the layer provides and the other
 * SDK (a handler importing both loads the other one optionally).
 */
function mergeExternals(scope: Construct, runtime: lambda.Runtime, bundling: nodejs.BundlingOptions | undefined, layerModules: string[]): string[] {
  const merged = [...userExternals(scope, bundling, runtime), ...layerModules];
  return merged.filter((m, i) => merged.indexOf(m) === i);
}

/**
 * Lets a bundle run `require` (CommonJS packages bundled into an ES module
 * call it for Node.js built-ins), as CommonJS bundles can.
 */
const ESM_REQUIRE_BANNER = 'import { createRequire as __cdkVectorDbCreateRequire } from \'node:module\'; const require = __cdkVectorDbCreateRequire(import.meta.url);';

/**
 * A handler that awaits at the top level cannot be bundled as CommonJS
 * (NodejsFunction's default; esbuild stops the synth after the layer build).
 * With no format given, it is bundled as an ES module, as its author meant,
 * with `require` defined for the CommonJS packages it bundles; with CommonJS
 * asked for, the synth stops here, before the layer build.
 */
function bundlingForTopLevelAwait(
  where: string,
  bundling: nodejs.BundlingOptions | undefined,
  topLevelAwait: string | undefined,
): Partial<nodejs.BundlingOptions> | undefined {
  if (!topLevelAwait) return undefined;
  if (bundling?.format !== undefined) {
    throw propError(where, {
      prop: 'bundling.format',
      problem: `cannot hold the top-level await at ${topLevelAwait}`,
      value: bundling.format,
      why: 'a CommonJS module cannot await at its top level (esbuild refuses to bundle it)',
      fix: 'set bundling.format to OutputFormat.ESM (or leave it out), or move the await into the handler',
    });
  }
  return {
    format: nodejs.OutputFormat.ESM,
    // One line: NodejsFunction passes the banner to esbuild as one command-line argument.
    banner: bundling?.banner ? `${ESM_REQUIRE_BANNER} ${bundling.banner}` : ESM_REQUIRE_BANNER,
  };
}

/** What the loader of a compressed binary needs in /tmp beyond the binary: room for its temporary file's last chunk and the handler's own files. */
const EPHEMERAL_MARGIN_BYTES = 64 * 1024 * 1024;

/** A compressed binary is decompressed into /tmp: the function's ephemeral storage must hold it, plus a margin. */
function checkEphemeralStorage(where: string, size: Size | undefined, layer: IVectorDbLayer) {
  const binary = layer.decompressedBinaryBytes;
  if (binary === undefined || (size !== undefined && Token.isUnresolved(size.toString()))) return;
  const have = size?.toBytes() ?? 512 * 1024 * 1024;
  const needed = binary + EPHEMERAL_MARGIN_BYTES;
  if (have >= needed) return;
  const mib = Math.ceil(needed / (1024 * 1024));
  throw propError(where, {
    prop: 'ephemeralStorageSize',
    problem: `must hold the layer's decompressed native binary (${binary} bytes) plus ${EPHEMERAL_MARGIN_BYTES / (1024 * 1024)} MiB`,
    value: `${have} bytes`,
    why: 'the binary is decompressed into /tmp at each cold start',
    fix: `set ephemeralStorageSize to at least Size.mebibytes(${mib}), or use a layer without compressBinary`,
  });
}

/** The function's own (hidden, shared) layer; its errors told at the function's path. */
function ownLayer(where: string, scope: Construct, props: VectorDbLayerProps): IVectorDbLayer {
  try {
    return VectorDbLayer.getOrCreate(scope, props, { versionPropName: 'sdkVersion' });
  } catch (e) {
    throw atFunction(where, e);
  }
}
