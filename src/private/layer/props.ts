/**
 * `VectorDbLayer`'s props, checked once, as `../function/props.ts` checks the
 * function's: first the SDK, architecture and version, into the layer request
 * (`getOrCreate` does this before the version goes into a construct id, and
 * hands the result to the constructor, which does not check them again);
 * then the build method, image and text props; then what the shipped facts
 * say of the version. Each error names the prop as the caller wrote it.
 */
import { DockerImage, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { isImageReference } from './docker';
import { BUILD_METHODS, BuildMethod } from './host-build';
import { checkExactVersion, InputNames, LAYER_NAMES, LayerIdentity, LayerRequest } from './request';
import { layerArchitecture } from '../common/architecture';
import { propError } from '../common/errors';
import { VectorDbSdk } from '../common/sdk';
import { knownVersionProblem } from '../facts/version-problems';

/** The props these checks read: `VectorDbLayerProps`, as private code sees it. */
export interface LayerPropsInput {
  readonly sdk?: VectorDbSdk;
  readonly version?: string;
  readonly architecture?: lambda.Architecture;
  readonly buildMethod?: string;
  readonly dockerImage?: DockerImage;
  readonly strip?: boolean;
  readonly compressBinary?: boolean;
  readonly layerVersionName?: string;
  readonly description?: string;
  readonly license?: string;
}

/** The SDK, architecture and version, checked, as the request and as the construct exposes them. */
export interface CheckedRequest {
  readonly request: LayerRequest;
  readonly sdk: VectorDbSdk;
  readonly architecture: lambda.Architecture;
  /** How the caller named the props (a VectorDbFunction's `sdkVersion` is the layer's `version`). */
  readonly names: InputNames;
}

/** Every prop, checked. */
export interface CheckedLayerProps extends CheckedRequest {
  readonly buildMethod: BuildMethod;
  readonly dockerImage?: DockerImage;
}

/**
 * The layer request from the props: `sdk` a VectorDbSdk, `architecture` one of
 * the two, `version` exact (the SDK's default for the architecture when not
 * given, unless `versionRequired` says what it must be: an imported layer's).
 */
export function checkRequest(where: string, props: LayerPropsInput, names: InputNames = LAYER_NAMES, versionRequired?: string): CheckedRequest {
  const sdk: unknown = props.sdk ?? VectorDbSdk.VECTORDB;
  if (!(sdk instanceof VectorDbSdk)) {
    throw propError(where, { prop: names.sdk, problem: 'must be VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB', value: sdk, fix: 'pass one of the two (a string such as \'vectordb\' is not an SDK)' });
  }
  const architecture = props.architecture ?? lambda.Architecture.X86_64;
  // The name, never the object: a string from JavaScript is not an Architecture.
  const arch = layerArchitecture(where, architecture.name, names.architecture);
  const version = versionRequired ? props.version : props.version ?? sdk.defaultVersionFor(architecture);
  checkExactVersion(where, version, {
    prop: names.version,
    example: `'${sdk.defaultVersion}'`,
    what: versionRequired,
    tokenFix: 'write the version itself',
    fix: 'write the exact version',
    sayShellCharacters: true,
  });
  const request: LayerRequest = {
    sdk: sdk.packageName,
    version,
    architecture: arch,
    strip: props.strip ?? true,
    ...(props.compressBinary === true ? { compressBinary: true } : {}),
  };
  return { request, sdk, architecture, names };
}

/** Requests `getOrCreate` checked, by the props object it gives the constructor. */
const CHECKED = new WeakMap<object, CheckedRequest>();

/** The props for the constructor, with the request `getOrCreate` checked (and its prop names). */
export function withCheckedRequest<T extends LayerPropsInput>(props: T, checked: CheckedRequest): T {
  CHECKED.set(props, checked);
  return props;
}

/** Every prop, checked once (the request only when `getOrCreate` did not). */
export function checkLayerProps(where: string, props: LayerPropsInput): CheckedLayerProps {
  const checked = CHECKED.get(props) ?? checkRequest(where, props);
  const buildMethod = props.buildMethod ?? 'auto';
  if (!(BUILD_METHODS as readonly string[]).includes(buildMethod)) {
    throw propError(where, { prop: 'buildMethod', problem: 'must be a LayerBuildMethod', value: buildMethod, fix: 'use LayerBuildMethod.AUTO, DOCKER or LOCAL' });
  }
  checkDockerImage(where, buildMethod as BuildMethod, props.dockerImage);
  checkText(where, props);
  refuseKnownProblem(where, checked.request, checked.names);
  return { ...checked, buildMethod: buildMethod as BuildMethod, dockerImage: props.dockerImage };
}

/**
 * Refuses a version the shipped facts rule out for the architecture (no
 * native build, or a binary no runtime can load), naming the prop to change.
 */
export function refuseKnownProblem(where: string, layer: LayerIdentity, names: InputNames): void {
  const known = knownVersionProblem(layer, names);
  if (known) throw propError(where, { ...known, value: known.prop === names.architecture ? layer.architecture : layer.version });
}

function checkDockerImage(where: string, buildMethod: BuildMethod, dockerImage?: DockerImage) {
  if (dockerImage === undefined) return;
  if (buildMethod === 'local') {
    throw propError(where, { prop: 'dockerImage', problem: 'is set but buildMethod is LayerBuildMethod.LOCAL, which never runs Docker', fix: 'remove dockerImage, or set buildMethod to DOCKER or AUTO' });
  }
  if (!isImageReference(dockerImage.image)) {
    throw propError(where, { prop: 'dockerImage', problem: 'must be an image reference such as public.ecr.aws/sam/build-nodejs22.x ([registry/]name[:tag][@digest], lower-case name)', value: dockerImage.image, fix: 'use DockerImage.fromRegistry with a valid reference' });
  }
}

/** C0 control characters and DEL: never in a one-line text. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Name, description and licence are text for the console and CloudFormation, never given to a process. */
function checkText(where: string, props: LayerPropsInput) {
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
