import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
// semver's functions one by one: its index loads all of semver (47 modules) on import.
import semverSatisfies from 'semver/functions/satisfies';
import semverValidRange from 'semver/ranges/valid';
import { AppDependency, appDependency } from './app-dependencies';
import { SdkDetection } from './sdk-detection';
import { layerArchitecture } from '../common/architecture';
import { propError } from '../common/errors';
import { VectorDbSdk } from '../common/sdk';
import { workingVersions } from '../facts/compatibility';
import { FactArchitecture, nativeBuild } from '../facts/sdk-facts';

/**
 * Which SDK and version a function's layer holds, decided before the layer
 * is built: explicit props first, then what the handler imports (the SDK) and
 * what the app resolves (the version), then the defaults.
 */
export interface LayerChoice {
  readonly sdk: VectorDbSdk;
  /** The version to build; undefined when a `layer` is given. */
  readonly version?: string;
  /** The one warning about the version the handler gets, to add once the function exists. */
  readonly warning?: string;
  /** Why the layer holds this SDK when the handler imports neither (the runtime helper), to add once as a note. */
  readonly note?: string;
  /** What the app says about the SDK (empty when the function has no entry). */
  readonly app: AppDependency;
}

/** What the decision reads. */
export interface LayerChoiceInput {
  readonly where: string;
  readonly sdk?: VectorDbSdk;
  readonly sdkVersion?: string;
  /** The SDK and version of a given `layer`. */
  readonly layer?: { readonly sdk: VectorDbSdk; readonly version: string };
  readonly architecture: lambda.Architecture;
  /** The entry and lock file NodejsFunction will use; absent with `code`. */
  readonly entry?: string;
  readonly lockFile?: string;
  /** Which SDKs the handler imports; absent with `code`. */
  readonly detection?: SdkDetection;
  /** Modules the user keeps external themselves (`bundling.externalModules`). */
  readonly userExternals: string[];
}

/**
 * Whether a version has a Linux native build for the architecture: one it
 * declares (whether or not the registry the facts were read from serves it)
 * or ships. A version the facts table does not know (newer than the table)
 * counts as buildable: the layer build, against the user's registry, says otherwise.
 */
export function hasNativeBuild(sdk: VectorDbSdk, version: string, architecture: lambda.Architecture): boolean {
  const build = nativeBuild(sdk.packageName, version, architecture.name as FactArchitecture);
  return build === undefined || build.state !== 'none';
}

export function chooseLayer(input: LayerChoiceInput): LayerChoice {
  const { sdk, note, app: known } = chooseSdk(input);
  const app = known ?? (input.entry ? appDependency(sdk.packageName, input.entry, input.lockFile) : {});
  return { ...chooseVersion(input, sdk, app), ...(note ? { note } : {}) };
}

/** The version of the chosen SDK: the props', else the app's, else the default. */
function chooseVersion(input: LayerChoiceInput, sdk: VectorDbSdk, app: AppDependency): LayerChoice {
  const resolved = app.resolved;
  const from = resolved ? path.basename(resolved.file) : undefined;
  const arch = input.architecture.name;

  if (input.layer) {
    const warning = resolved && resolved.version !== input.layer.version
      ? `${from} resolves ${sdk} ${resolved.version}, but the layer given in layer holds ${input.layer.version}: at run time the handler gets ${input.layer.version} (the SDK is kept out of the bundle), while local tests run ${resolved.version}. Give a layer holding ${resolved.version}, or move the app to ${sdk} ${input.layer.version}`
      : undefined;
    return { sdk, warning, app };
  }
  if (input.sdkVersion !== undefined) {
    const warning = resolved && resolved.version !== input.sdkVersion
      ? `${from} resolves ${sdk} ${resolved.version}, but sdkVersion is '${input.sdkVersion}': at run time the handler gets ${input.sdkVersion} (the SDK is kept out of the bundle), while local tests run ${resolved.version}. Remove sdkVersion (the layer then holds the app's ${resolved.version}), or move the app to ${sdk} ${input.sdkVersion}`
      : undefined;
    return { sdk, version: input.sdkVersion, warning, app };
  }
  const fallback = sdk.defaultVersionFor(input.architecture);
  if (resolved) {
    if (hasNativeBuild(sdk, resolved.version, input.architecture)) {
      return { sdk, version: resolved.version, app };
    }
    const newest = workingVersions(sdk.packageName, layerArchitecture(input.where, arch))[0] ?? fallback;
    return {
      sdk,
      version: fallback,
      app,
      warning: `${from} resolves ${sdk} ${resolved.version}, which has no Linux ${arch} native build, so the layer holds ${sdk} ${fallback}: at run time the handler gets ${fallback}, while local tests run ${resolved.version}. Move the app to a version with a Linux ${arch} build (the newest is ${newest})${arch === 'arm64' ? ', or set architecture to Architecture.X86_64' : ''}`,
    };
  }
  if (app.range && semverValidRange(app.range.spec) && !semverSatisfies(fallback, app.range.spec, { includePrerelease: true })) {
    return {
      sdk,
      version: fallback,
      app,
      warning: `${path.basename(app.range.file)} asks for ${sdk} ${app.range.spec} and no lock file resolves it, so the layer holds ${sdk} ${fallback}, outside that range: at run time the handler gets ${fallback}. Install the app's dependencies so its lock file resolves a version (the layer then holds that one), or set sdkVersion to the exact version the handler is tested with`,
    };
  }
  return { sdk, version: fallback, app };
}

/** The SDK, why when the handler did not say, and what the app says of it when that was read to decide. */
interface SdkChoice {
  readonly sdk: VectorDbSdk;
  readonly note?: string;
  readonly app?: AppDependency;
}

/**
 * The given SDK, else the one the handler imports, else the one the app
 * depends on (a handler that imports neither, through the runtime helper),
 * else vectordb; refuses a handler that imports another SDK than the layer's.
 */
function chooseSdk(input: LayerChoiceInput): SdkChoice {
  const imported = input.detection?.imports ?? [];
  const given = input.layer?.sdk ?? input.sdk;
  const prop = input.layer ? 'layer' : 'sdk';
  const seen = (i: { sdk: string; files: string[] }) => `${i.files.slice(0, 3).join(', ')}${i.files.length > 3 ? ` and ${i.files.length - 3} more` : ''} import${i.files.length === 1 ? 's' : ''} ${i.sdk}`;
  if (given) {
    const other = imported.filter((i) => i.sdk !== given.packageName && !input.userExternals.includes(i.sdk));
    if (other.length > 0 && !imported.some((i) => i.sdk === given.packageName)) {
      const wanted = VectorDbSdk.of(other[0].sdk);
      throw propError(input.where, {
        prop,
        problem: input.layer ? `holds ${given}, but the handler imports ${wanted}` : `is ${constantOf(given)}, but the handler imports ${wanted}`,
        why: `${seen(other[0])}, which the layer does not hold: the import would fail at run time (Cannot find module '${wanted}')`,
        fix: input.layer
          ? `give a layer holding ${wanted} (VectorDbLayer with sdk: ${constantOf(wanted)}), or leave layer out: the function's layer then holds the SDK the handler imports`
          : `set sdk to ${constantOf(wanted)}, or leave sdk out: the layer then holds the SDK the handler imports`,
      });
    }
    return { sdk: given };
  }
  if (imported.length > 1) {
    throw propError(input.where, {
      prop: 'sdk',
      problem: 'is not set, and the handler imports both LanceDB SDKs',
      why: `${imported.map(seen).join('; ')}; a function's layer holds one SDK`,
      fix: 'set sdk to VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB (or give layer) for the one the handler uses at run time; the other import must then be optional (in a try/catch)',
    });
  }
  if (imported.length === 1) return { sdk: VectorDbSdk.of(imported[0].sdk) };
  return input.entry ? sdkOfApp(input.entry, input.lockFile) : { sdk: VectorDbSdk.VECTORDB };
}

/**
 * A handler that imports neither SDK (the runtime helper loads the layer's by
 * name at run time) gets the SDK the app itself depends on (its lock file,
 * then its package.json), so local tests and Lambda run the same one; the
 * note says which and why.
 */
function sdkOfApp(entry: string, lockFile: string | undefined): SdkChoice {
  const neither = `${path.basename(entry)} imports neither LanceDB SDK (the runtime helper loads the layer's by name at run time)`;
  const listed = [VectorDbSdk.LANCEDB, VectorDbSdk.VECTORDB]
    .map((sdk) => ({ sdk, dep: appDependency(sdk.packageName, entry, lockFile) }))
    .filter(({ dep }) => dep.resolved || dep.range);
  const where = (dep: AppDependency) => path.basename(dep.resolved?.file ?? dep.range!.file);
  const settle = 'Set sdk to choose another';
  if (listed.length === 1) {
    const [{ sdk, dep }] = listed;
    return { sdk, app: dep, note: `${neither}, so the layer holds ${sdk}, the SDK the app depends on (${where(dep)}). ${settle}` };
  }
  if (listed.length === 2) {
    return {
      sdk: VectorDbSdk.LANCEDB,
      app: listed[0].dep,
      note: `${neither}, and the app depends on both (${listed.map(({ sdk, dep }) => `${sdk} in ${where(dep)}`).join(', ')}), so the layer holds ${VectorDbSdk.LANCEDB}, the current SDK (vectordb is its deprecated predecessor). ${settle}`,
    };
  }
  return {
    sdk: VectorDbSdk.VECTORDB,
    app: {},
    note: `${neither}, and the app depends on neither, so the layer holds ${VectorDbSdk.VECTORDB}, the default. Set sdk to VectorDbSdk.LANCEDB for the current SDK, or add it to the app's dependencies`,
  };
}

/** `VectorDbSdk.LANCEDB`, as the user writes it. */
export function constantOf(sdk: VectorDbSdk): string {
  return sdk.packageName === VectorDbSdk.LANCEDB.packageName ? 'VectorDbSdk.LANCEDB' : 'VectorDbSdk.VECTORDB';
}
