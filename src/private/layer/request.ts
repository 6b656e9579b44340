/**
 * The layer request: what a layer holds and how the recipe makes it, built
 * and checked once (from `VectorDbLayer`'s props in `./props`, or from the
 * `build` command's flags). Everything downstream is derived from it here:
 * the recipe's argument vector (host and container alike), the options the
 * asset hash and CDK's staged-asset JSON record, the facts the built layer's
 * manifest must echo, the shared layer's construct id and its description.
 *
 * A new build option: a field here, its flag in `recipeArgs` (and in
 * `layer-assets/build-layer.js`), its hash entry in `hashedFlags` when it
 * changes the bytes, and a test (`test/layer-request.test.ts`).
 */
import { Token } from 'aws-cdk-lib';
import { RECIPE_ENTRY, recipeSdks } from './recipe';
import { LayerArchitecture } from '../common/architecture';
import { propError } from '../common/errors';
import { SHELL_META } from '../common/messages';
import { isExactVersion } from '../facts/versions';

/** One layer: the SDK, its exact version, the architecture and how the binary ships. */
export interface LayerRequest {
  /** The SDK's npm package name (`vectordb` or `@lancedb/lancedb`). */
  readonly sdk: string;
  /** The SDK's exact version (x.y.z, optionally -prerelease). */
  readonly version: string;
  readonly architecture: LayerArchitecture;
  /** Strip the native binary's symbols. */
  readonly strip: boolean;
  /**
   * Ship the native binary compressed, with a loader in its place.
   *
   * @default false
   */
  readonly compressBinary?: boolean;
  /**
   * The compressed binary's codec when it is zstd (`./codec.ts` decides);
   * absent for brotli, so a brotli layer keeps its hash.
   *
   * @default - brotli
   */
  readonly codec?: 'zstd';
}

/** What a built layer says it holds (its manifest's `sdk`, `version`, `architecture`). */
export type LayerIdentity = Pick<LayerRequest, 'sdk' | 'version' | 'architecture'>;

/** How the user named the inputs: `version` on VectorDbLayer, `sdkVersion` on VectorDbFunction, `--version` for the CLI. */
export interface InputNames {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
}

/** The props of VectorDbLayer, as messages name them. */
export const LAYER_NAMES: InputNames = { sdk: 'sdk', version: 'version', architecture: 'architecture' };

/**
 * The recipe's command line, every value its own argument (never a shell):
 * `node <inputDir>/build-layer.js --sdk .. --version .. --architecture .. --out <outputDir> [--no-strip] [--compress [--codec zstd]]`.
 */
export function recipeArgs(request: LayerRequest, inputDir: string, outputDir: string): string[] {
  return [
    'node', `${inputDir}/${RECIPE_ENTRY}`,
    '--sdk', request.sdk,
    '--version', request.version,
    '--architecture', request.architecture,
    '--out', outputDir,
    ...(request.strip ? [] : ['--no-strip']),
    ...(request.compressBinary === true ? ['--compress'] : []),
    ...(request.compressBinary === true && request.codec === 'zstd' ? ['--codec', 'zstd'] : []),
  ];
}

/**
 * The options that joined after the first layers shipped, as the asset hash
 * and CDK's staged-asset JSON record them: each present only when true, so a
 * layer that leaves it off keeps the hash it had before the option existed.
 * `unstripped`: strip is on but this host has no strip for the target;
 * `codec`: only for zstd (a brotli layer keeps the hash it had before zstd).
 */
export function hashedFlags(request: LayerRequest, unstripped = false): { readonly compress?: true; readonly codec?: 'zstd'; readonly unstripped?: true } {
  return {
    ...(request.compressBinary === true ? { compress: true as const } : {}),
    ...(request.compressBinary === true && request.codec === 'zstd' ? { codec: 'zstd' as const } : {}),
    ...(unstripped ? { unstripped: true as const } : {}),
  };
}

/** Just the request's fields, from anything that holds them (the CLI's flags). */
export function requestOf(value: LayerRequest): LayerRequest {
  const { sdk, version, architecture, strip } = value;
  return {
    sdk,
    version,
    architecture,
    strip,
    ...(value.compressBinary === true ? { compressBinary: true } : {}),
    ...(value.compressBinary === true && value.codec === 'zstd' ? { codec: 'zstd' as const } : {}),
  };
}

/** What the built layer's manifest must echo: the layer asked for. */
export function manifestEcho(request: LayerIdentity): LayerIdentity {
  return { sdk: request.sdk, version: request.version, architecture: request.architecture };
}

/** The construct id of the stack's shared layer for a request (`VectorDbLayer.getOrCreate`). */
export function sharedLayerId(request: LayerRequest): string {
  const version = request.version.replace(/[^0-9A-Za-z-]/g, '_');
  return `VectorDbLayer-${recipeSdks.SDKS[request.sdk].slug}-${version}-${request.architecture}${request.compressBinary === true ? '-compressed' : ''}`;
}

/** The layer's default description: what is inside and where. */
export function layerDescription(request: LayerIdentity): string {
  const cpu = recipeSdks.CPU_BY_ARCHITECTURE[request.architecture];
  return `${request.sdk} ${request.version} for Lambda ${request.architecture} (linux-${cpu}-gnu native binary) at /opt/nodejs/node_modules/${request.sdk}; built by cdk-vectordb-layer`;
}

/** How a construct's version prop is told about in its messages. */
export interface VersionPropText {
  /** The prop as the user wrote it. */
  readonly prop: string;
  /** An example, as the message shows it (quoted): `'0.21.2'`. */
  readonly example: string;
  /** What the version is: `an exact version` (the default). */
  readonly what?: string;
  /** The fix for a token. */
  readonly tokenFix: string;
  /** The fix for a malformed version. */
  readonly fix: string;
  /** Say when the value holds characters a shell would act on. */
  readonly sayShellCharacters?: boolean;
}

/**
 * The one version check of the constructs: a literal (the layer is built at
 * synth time), exact version (no range or tag), told in the caller's words.
 */
export function checkExactVersion(where: string, version: unknown, text: VersionPropText): asserts version is string {
  const what = text.what ?? 'an exact version';
  if (Token.isUnresolved(version)) {
    throw propError(where, { prop: text.prop, problem: `must be a literal ${what.replace(/^an? /, '')} such as ${text.example}, not a token`, why: 'the layer is built at synth time, before any token resolves', fix: text.tokenFix });
  }
  if (!isExactVersion(version)) {
    const meta = text.sayShellCharacters && typeof version === 'string' && SHELL_META.test(version) ? ' (it holds characters no npm version has)' : '';
    throw propError(where, { prop: text.prop, problem: `must be ${what} such as ${text.example} (x.y.z, optionally -prerelease; no ranges or tags)`, value: version, fix: `${text.fix}${meta}` });
  }
}
