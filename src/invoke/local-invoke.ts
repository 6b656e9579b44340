/**
 * The local invoker: runs a synthesized Lambda function from a cdk.out folder
 * as Lambda would, with no Docker and no AWS.
 *
 * The function's code asset becomes `task/`, its layers are merged in order
 * into `opt/`, and `tmp/` is the one writable folder. A child Node.js process
 * runs the real AWS Lambda runtime interface client (`aws-lambda-ric`) or, when
 * that cannot be found, a small bootstrap of the same Runtime API loop, against
 * an implementation of the Lambda Runtime API served here on 127.0.0.1.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { BOOTSTRAP, READ_ONLY_PRELOAD, WRITABLE_ENV } from './child-scripts';

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
  /** Extra environment variables, merged over the template's `Environment.Variables`. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Folders to use for layers that cannot be read from cdk.out (imported by ARN)
   * or to replace one: keyed by the layer's ARN, logical id, or 0-based position.
   * Each folder is a layer's content (the folder that holds `nodejs/`), or a .zip of it.
   */
  readonly layerDirs?: Readonly<Record<string, string>>;
  /** AWS_REGION of the function. @default 'us-east-1' */
  readonly region?: string;
  /** Which runtime client to run. @default 'auto': aws-lambda-ric when it can be found and loads, else the bootstrap */
  readonly runtimeClient?: RuntimeClient | 'auto';
  /** Keep the temp layout (task/, opt/, tmp/) for debugging; its folder is in the result. @default false */
  readonly keepLayout?: boolean;
  /** Receives the function's output (stdout and stderr) as it is written. */
  readonly onLog?: (text: string) => void;
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
  /** Where the runtime client was loaded from (aws-lambda-ric's index.mjs or the bootstrap written to the layout). */
  readonly runtimeClientPath: string;
  /** The function's output: child stdout and stderr. */
  readonly logs: string;
  /** Time to lay out task/ and opt/ (copying the assets). */
  readonly layoutMs: number;
  /** The layout folder, when kept (`keepLayout`). */
  readonly layoutDir?: string;
  /** Things that differ from Lambda in this run. */
  readonly warnings: string[];
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

/** Lambda's limit on a synchronous response payload. */
const MAX_RESPONSE_BYTES = 6291556;
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_INIT_TIMEOUT_SECONDS = 10;
const DEFAULT_MEMORY_MB = 128;
const DEFAULT_REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const MAX_LOG_CHARS = 10 * 1024 * 1024;

/** Variables Lambda sets itself: a template cannot set them (CloudFormation refuses). */
const RESERVED_ENV = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

// ---------------------------------------------------------------------------
// Reading the cloud assembly

interface StackArtifact {
  readonly id: string;
  readonly stackName: string;
  readonly displayName: string;
  readonly assemblyDir: string;
  readonly templateFile: string;
  readonly assetsFile?: string;
  /** Construct paths by logical id, from the artifact's `aws:cdk:logicalId` metadata (present even when templates carry no path metadata). */
  readonly paths: ReadonlyMap<string, string>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The value as an object, or an empty one. */
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf-8');
  } catch (e) {
    throw new LocalInvokeError(`cannot read ${what} ${file}: ${(e as Error).message}`, 'NO_CLOUD_ASSEMBLY');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LocalInvokeError(`${what} ${file} is not valid JSON: ${(e as Error).message}`, 'NO_CLOUD_ASSEMBLY');
  }
}

/** Stack artifacts of a cloud assembly, including those of nested assemblies (stages). */
function stackArtifacts(assemblyDir: string, depth = 0): StackArtifact[] {
  const manifestFile = path.join(assemblyDir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    const why = fs.existsSync(assemblyDir) ? 'has no manifest.json' : 'does not exist';
    throw new LocalInvokeError(`${assemblyDir} ${why}: it is not a cloud assembly. Run \`cdk synth\` (or app.synth()) first and pass its output folder (cdk.out)`, 'NO_CLOUD_ASSEMBLY');
  }
  const manifest = readJson(manifestFile, 'cloud assembly manifest');
  const artifacts = isRecord(manifest) && isRecord(manifest.artifacts) ? manifest.artifacts : {};
  const out: StackArtifact[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (!isRecord(artifact)) continue;
    const props = isRecord(artifact.properties) ? artifact.properties : {};
    if (artifact.type === 'aws:cloudformation:stack' && typeof props.templateFile === 'string') {
      const deps = Array.isArray(artifact.dependencies) ? artifact.dependencies : [];
      const assetsId = deps.find((d) => typeof d === 'string' && isRecord(artifacts[d]) && (artifacts[d] as Record<string, unknown>).type === 'cdk:asset-manifest');
      const assetsProps = typeof assetsId === 'string' ? (artifacts[assetsId] as Record<string, unknown>).properties : undefined;
      const paths = new Map<string, string>();
      for (const [constructPath, entries] of Object.entries(rec(artifact.metadata))) {
        for (const entry of Array.isArray(entries) ? entries : []) {
          const { type, data } = rec(entry);
          if (type === 'aws:cdk:logicalId' && typeof data === 'string') paths.set(data, constructPath.replace(/^\//, ''));
        }
      }
      out.push({
        id,
        stackName: typeof props.stackName === 'string' ? props.stackName : id,
        displayName: typeof artifact.displayName === 'string' ? artifact.displayName : id,
        assemblyDir,
        templateFile: path.join(assemblyDir, props.templateFile),
        assetsFile: isRecord(assetsProps) && typeof assetsProps.file === 'string' ? path.join(assemblyDir, assetsProps.file) : undefined,
        paths,
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string' && depth < 10) {
      out.push(...stackArtifacts(path.join(assemblyDir, props.directoryName), depth + 1));
    }
  }
  return out;
}

/** The asset a resource property points to, from the `aws:asset:*` metadata or the asset manifest. */
function assetOf(stack: StackArtifact, meta: Record<string, unknown>, s3Key: unknown, assetsManifest: () => unknown): string | undefined {
  if (typeof meta['aws:asset:path'] === 'string') {
    return path.resolve(stack.assemblyDir, meta['aws:asset:path']);
  }
  if (typeof s3Key !== 'string') return undefined;
  const assets = assetsManifest();
  const files = isRecord(assets) && isRecord(assets.files) ? assets.files : {};
  for (const entry of Object.values(files)) {
    if (!isRecord(entry) || !isRecord(entry.source) || typeof entry.source.path !== 'string') continue;
    const destinations = isRecord(entry.destinations) ? Object.values(entry.destinations) : [];
    if (destinations.some((d) => isRecord(d) && d.objectKey === s3Key)) {
      return path.resolve(stack.assemblyDir, entry.source.path);
    }
  }
  return undefined;
}

function describeExpr(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function functionsOfStack(stack: StackArtifact): FunctionInfo[] {
  const resources = rec(rec(readJson(stack.templateFile, 'template')).Resources);
  let assets: unknown;
  const assetsManifest = () => {
    if (assets === undefined) assets = stack.assetsFile && fs.existsSync(stack.assetsFile) ? readJson(stack.assetsFile, 'asset manifest') : {};
    return assets;
  };
  const out: FunctionInfo[] = [];
  for (const [logicalId, value] of Object.entries(resources)) {
    const resource = rec(value);
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = rec(resource.Properties);
    const meta = rec(resource.Metadata);
    const code = rec(props.Code);
    const resourcePath = typeof meta['aws:cdk:path'] === 'string' ? meta['aws:cdk:path'] : stack.paths.get(logicalId);
    const layers: LayerInfo[] = (Array.isArray(props.Layers) ? props.Layers : []).map((layer: unknown, index: number) => {
      if (typeof layer === 'string') return { index, arn: layer, description: layer };
      const ref = rec(layer).Ref;
      if (typeof ref === 'string') {
        const target = rec(resources[ref]);
        if (target.Type === 'AWS::Lambda::LayerVersion') {
          const layerMeta = rec(target.Metadata);
          const layerPath = typeof layerMeta['aws:cdk:path'] === 'string' ? layerMeta['aws:cdk:path'] : stack.paths.get(ref) ?? ref;
          return { index, logicalId: ref, assetPath: assetOf(stack, layerMeta, rec(rec(target.Properties).Content).S3Key, assetsManifest), description: `${layerPath} (${ref})` };
        }
        return { index, logicalId: ref, description: `{"Ref":"${ref}"}` };
      }
      return { index, description: describeExpr(layer) };
    });
    const timeout = Number(props.Timeout);
    const memory = Number(props.MemorySize);
    const architectures = Array.isArray(props.Architectures) ? props.Architectures : [];
    out.push({
      stackId: stack.id,
      stackName: stack.stackName,
      logicalId,
      path: resourcePath?.replace(/\/Resource$/, ''),
      resourcePath,
      templateFile: stack.templateFile,
      functionName: typeof props.FunctionName === 'string' ? props.FunctionName : undefined,
      handler: typeof props.Handler === 'string' ? props.Handler : undefined,
      runtime: typeof props.Runtime === 'string' ? props.Runtime : undefined,
      architecture: typeof architectures[0] === 'string' ? architectures[0] : 'x86_64',
      environment: rec(rec(props.Environment).Variables),
      timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
      memorySize: Number.isFinite(memory) && memory > 0 ? memory : DEFAULT_MEMORY_MB,
      codeAssetPath: assetOf(stack, meta, code.S3Key, assetsManifest),
      inlineCode: typeof code.ZipFile === 'string' ? code.ZipFile : undefined,
      layers,
    });
  }
  return out;
}

/** Every `AWS::Lambda::Function` in a cloud assembly, with what the invoker needs to run it. */
export function listFunctions(cdkOut: string): FunctionInfo[] {
  const dir = path.resolve(cdkOut);
  return stackArtifacts(dir).flatMap(functionsOfStack);
}

function label(f: FunctionInfo): string {
  const where = f.path ?? `${f.stackId}/${f.logicalId}`;
  return `${where} (logical id ${f.logicalId}${f.runtime ? `, ${f.runtime}` : ''}${f.handler ? `, ${f.handler}` : ''})`;
}

/** The function named by a construct path, a logical id, or `Stack/LogicalId`. */
export function findFunction(cdkOut: string, functionId: string): FunctionInfo {
  const all = listFunctions(cdkOut);
  const id = functionId.replace(/^\/+|\/+$/g, '');
  const matches = all.filter((f) => f.resourcePath === id || f.path === id || f.logicalId === id
    || [f.stackId, f.stackName].some((s) => `${s}/${f.logicalId}` === id));
  if (matches.length === 1) return matches[0];
  const list = all.length > 0 ? all.map((f) => `  ${label(f)}`).join('\n') : '  (none)';
  if (matches.length === 0) {
    throw new LocalInvokeError(`no Lambda function ${JSON.stringify(functionId)} in ${path.resolve(cdkOut)}; the functions there are:\n${list}`, 'UNKNOWN_FUNCTION');
  }
  throw new LocalInvokeError(`${JSON.stringify(functionId)} names ${matches.length} functions in ${path.resolve(cdkOut)}; use the construct path or Stack/LogicalId:\n${matches.map((f) => `  ${label(f)}`).join('\n')}`, 'AMBIGUOUS_FUNCTION');
}

// ---------------------------------------------------------------------------
// The layout: task/, opt/, tmp/ and the runtime folder

interface Layout {
  readonly root: string;
  readonly task: string;
  readonly opt: string;
  readonly tmp: string;
  readonly runtime: string;
}

/** Copies (or unzips) an asset into a folder, merging over what is there. */
function placeAsset(source: string, dest: string, what: string): void {
  if (!fs.existsSync(source)) {
    throw new LocalInvokeError(`${what}: its asset ${source} is missing from the cloud assembly; synthesize again (an asset folder removed after synth, or a cdk.out copied without its asset.* folders)`, 'MISSING_ASSET');
  }
  fs.mkdirSync(dest, { recursive: true });
  if (fs.statSync(source).isDirectory()) {
    fs.cpSync(source, dest, { recursive: true, force: true, verbatimSymlinks: true });
    return;
  }
  if (!/\.(zip|jar)$/i.test(source)) {
    throw new LocalInvokeError(`${what}: its asset ${source} is a file but not a .zip archive`, 'UNSUPPORTED');
  }
  const r = spawnSync('unzip', ['-q', '-o', source, '-d', dest], { encoding: 'utf-8', shell: false, windowsHide: true });
  if (r.error || r.status !== 0) {
    throw new LocalInvokeError(`${what}: cannot unpack ${source} (\`unzip\`: ${r.error ? r.error.message : `${r.stderr}`.trim() || `exit ${r.status}`}); install unzip or unpack it and pass the folder`, 'UNSUPPORTED');
  }
}

function makeLayout(f: FunctionInfo, layerDirs: Readonly<Record<string, string>>): Layout {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-vectordb-invoke-'));
  const layout: Layout = {
    root,
    task: path.join(root, 'task'),
    opt: path.join(root, 'opt'),
    tmp: path.join(root, 'tmp'),
    runtime: path.join(root, 'runtime'),
  };
  try {
    for (const d of [layout.task, layout.opt, layout.tmp, layout.runtime]) fs.mkdirSync(d);
    const name = label(f);
    if (f.codeAssetPath) {
      placeAsset(f.codeAssetPath, layout.task, `function ${name}`);
    } else if (f.inlineCode !== undefined) {
      // Lambda writes inline Node.js code to index.js.
      fs.writeFileSync(path.join(layout.task, 'index.js'), f.inlineCode);
    } else {
      throw new LocalInvokeError(`function ${name} has no code asset in the cloud assembly (no aws:asset:path metadata and no matching asset in the asset manifest); container image functions cannot run here`, 'MISSING_ASSET');
    }
    for (const layer of f.layers) {
      const override = [layer.arn, layer.logicalId, String(layer.index)]
        .map((k) => (k !== undefined && Object.prototype.hasOwnProperty.call(layerDirs, k) ? layerDirs[k] : undefined))
        .find((d) => d !== undefined);
      const source = override !== undefined ? path.resolve(override) : layer.assetPath;
      if (source === undefined) {
        const key = layer.arn ?? layer.logicalId ?? String(layer.index);
        const why = layer.arn
          ? `layer ${layer.arn} is imported by its ARN and cannot be fetched without AWS`
          : `layer ${layer.description} is not a layer asset of this app`;
        throw new LocalInvokeError(`function ${name}: ${why}; pass its content folder (the folder holding nodejs/) as layerDirs[${JSON.stringify(key)}] (CLI: --layer-dir ${key}=<folder>)`, 'LAYER_UNAVAILABLE');
      }
      placeAsset(source, layout.opt, `layer ${layer.description} of function ${name}`);
    }
    fs.writeFileSync(path.join(layout.runtime, 'read-only-fs.cjs'), READ_ONLY_PRELOAD);
    fs.writeFileSync(path.join(layout.runtime, 'bootstrap.cjs'), BOOTSTRAP);
    fs.mkdirSync(path.join(layout.runtime, 'node_modules'));
    return layout;
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// The runtime client

interface ClientChoice {
  readonly client: RuntimeClient;
  readonly entry: string;
}

/** aws-lambda-ric's index.mjs, from the project running the invoker, then from this package; with its native client present. */
function findRic(): { entry?: string; why: string } {
  const tried: string[] = [];
  for (const base of [process.cwd(), __dirname]) {
    let pkg: string;
    try {
      pkg = require.resolve('aws-lambda-ric/package.json', { paths: [base] });
    } catch {
      tried.push(base);
      continue;
    }
    const dir = path.dirname(pkg);
    const entry = path.join(dir, 'index.mjs');
    if (!fs.existsSync(entry)) return { why: `${dir} has no index.mjs (aws-lambda-ric 3.x or older? 4.x is expected)` };
    if (!fs.existsSync(path.join(dir, 'rapid-client.node'))) return { why: `${dir} has no rapid-client.node (its native client was not built for this host)` };
    return { entry, why: '' };
  }
  return { why: `aws-lambda-ric is not installed (looked from ${tried.join(' and ')}); \`npm install --save-dev aws-lambda-ric\` to run the real runtime client` };
}

// ---------------------------------------------------------------------------
// The Lambda Runtime API on 127.0.0.1

type Happening =
  | { readonly kind: 'next' }
  | { readonly kind: 'done'; readonly id: string; readonly result?: JsonValue; readonly error?: LambdaError }
  | { readonly kind: 'init-error'; readonly error: LambdaError }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly kind: 'timeout' };

/** Happenings from the server and the child, taken one at a time. */
class Mailbox {
  private readonly queue: Happening[] = [];
  private waiter?: (h: Happening) => void;

  public post(h: Happening): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(h);
    } else {
      this.queue.push(h);
    }
  }

  public async take(timeoutMs: number): Promise<Happening> {
    const queued = this.queue.shift();
    if (queued) return queued;
    return new Promise<Happening>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ kind: 'timeout' });
      }, Math.max(0, timeoutMs));
      this.waiter = (h) => {
        clearTimeout(timer);
        resolve(h);
      };
    });
  }
}

function parseError(body: string, fallbackType: string | undefined): LambdaError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) {
      return {
        errorType: typeof parsed.errorType === 'string' ? parsed.errorType : fallbackType ?? 'Error',
        errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : body,
        trace: Array.isArray(parsed.trace) ? parsed.trace.map(String) : [],
      };
    }
  } catch {
    // not JSON: the body is the message
  }
  return { errorType: fallbackType ?? 'Error', errorMessage: body, trace: [] };
}

function parseResponse(body: string): JsonValue {
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    return body;
  }
}

class RuntimeApi {
  public requests = 0;
  private readonly server: http.Server;
  private parkedNext?: http.ServerResponse;
  private readonly known = new Set<string>();

  constructor(private readonly mailbox: Mailbox) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
  }

  public async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the Runtime API server has no port');
    return `127.0.0.1:${address.port}`;
  }

  /** Answers the parked GET /next with an event. */
  public deliver(id: string, event: string, headers: Record<string, string>): void {
    const res = this.parkedNext;
    if (!res) throw new Error('no runtime is waiting for an event');
    this.parkedNext = undefined;
    this.known.add(id);
    res.writeHead(200, { ...headers, 'Lambda-Runtime-Aws-Request-Id': id, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(event) });
    res.end(event);
  }

  public close(): void {
    this.parkedNext?.destroy();
    this.parkedNext = undefined;
    this.server.closeAllConnections();
    this.server.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf-8');
      const url = (req.url ?? '').split('?')[0];
      const accepted = () => {
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end('{"status":"OK"}');
      };
      const refuse = (status: number, errorType: string, errorMessage: string) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errorType, errorMessage }));
      };
      if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
        this.parkedNext = res;
        this.mailbox.post({ kind: 'next' });
        return;
      }
      if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
        accepted();
        this.mailbox.post({ kind: 'init-error', error: parseError(body, header(req, 'lambda-runtime-function-error-type')) });
        return;
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      if (req.method === 'POST' && m) {
        const id = decodeURIComponent(m[1]);
        if (!this.known.has(id)) {
          refuse(400, 'InvalidRequestID', `unknown request id ${id}`);
          return;
        }
        this.known.delete(id);
        accepted();
        // A streamed response reports its error in trailers.
        const trailerType = req.trailers['lambda-runtime-function-error-type'];
        const trailerBody = req.trailers['lambda-runtime-function-error-body'];
        if (m[2] === 'error') {
          this.mailbox.post({ kind: 'done', id, error: parseError(body, header(req, 'lambda-runtime-function-error-type')) });
        } else if (trailerType) {
          this.mailbox.post({ kind: 'done', id, error: parseError(trailerBody ? Buffer.from(trailerBody, 'base64').toString('utf-8') : '', trailerType) });
        } else if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
          this.mailbox.post({ kind: 'done', id, error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`, trace: [] } });
        } else {
          this.mailbox.post({ kind: 'done', id, result: parseResponse(body) });
        }
        return;
      }
      refuse(404, 'NotFound', `no such Runtime API route: ${req.method} ${url}`);
    });
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// ---------------------------------------------------------------------------
// Environment

function resolveEnvValue(v: unknown, region: string): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isRecord(v) && typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Region': region,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[v.Ref];
  }
  return undefined;
}

function nodeMajorOf(runtime: string): string | undefined {
  return /^nodejs(\d+)/.exec(runtime)?.[1];
}

function functionName(f: FunctionInfo): string {
  return f.functionName ?? `${f.stackName}-${f.logicalId}`.slice(0, 64);
}

function lambdaEnv(
  f: FunctionInfo,
  layout: Layout,
  api: string,
  region: string,
  extra: Readonly<Record<string, string>>,
  warnings: string[],
): Record<string, string> {
  const runtime = f.runtime ?? `nodejs${process.versions.node.split('.')[0]}.x`;
  const major = nodeMajorOf(runtime) ?? process.versions.node.split('.')[0];
  const name = functionName(f);
  const now = new Date();
  const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
  const env: Record<string, string> = {
    PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin', path.join(layout.opt, 'bin')].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LD_LIBRARY_PATH: [layout.task, path.join(layout.task, 'lib'), path.join(layout.opt, 'lib')].join(':'),
    // Lambda's order: /opt/nodejs/node<major>/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task
    NODE_PATH: [
      path.join(layout.opt, 'nodejs', `node${major}`, 'node_modules'),
      path.join(layout.opt, 'nodejs', 'node_modules'),
      path.join(layout.runtime, 'node_modules'),
      layout.runtime,
      layout.task,
    ].join(':'),
    LAMBDA_TASK_ROOT: layout.task,
    LAMBDA_RUNTIME_DIR: layout.runtime,
    _HANDLER: f.handler ?? 'index.handler',
    AWS_LAMBDA_RUNTIME_API: api,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    TMPDIR: layout.tmp,
    HOME: layout.tmp,
  };
  const unresolved: string[] = [];
  for (const [k, v] of Object.entries(f.environment)) {
    if (RESERVED_ENV.has(k)) {
      warnings.push(`the template sets the reserved variable ${k}, which Lambda does not allow; ignored`);
      continue;
    }
    const value = resolveEnvValue(v, region);
    if (value !== undefined) env[k] = value;
    else if (!(k in extra)) unresolved.push(k);
  }
  if (unresolved.length > 0) {
    warnings.push(`environment variables ${unresolved.join(', ')} are CloudFormation expressions that resolve only on deploy; left unset (pass them with env / --env K=V)`);
  }
  for (const [k, v] of Object.entries(extra)) {
    if (k === 'AWS_LAMBDA_RUNTIME_API' || k === WRITABLE_ENV) continue;
    env[k] = String(v);
  }
  env[WRITABLE_ENV] = JSON.stringify({ writable: layout.tmp, layout: layout.root, hostTmp: fs.existsSync('/tmp') ? '/tmp' : undefined });
  return env;
}

// ---------------------------------------------------------------------------
// Running

function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

interface RunOutcome {
  readonly initMs: number;
  readonly invocations: InvocationResult[];
  readonly initError?: LambdaError;
  readonly initTimedOut: boolean;
  /** The child never reached the Runtime API and its output says the ric's native client failed. */
  readonly ricUnusable?: string;
  /** The child's stdout and stderr. */
  readonly output: string;
}

async function runOnce(
  choice: ClientChoice,
  f: FunctionInfo,
  layout: Layout,
  events: readonly string[],
  timeoutMs: number,
  initTimeoutMs: number,
  region: string,
  extraEnv: Readonly<Record<string, string>>,
  warnings: string[],
  log: (text: string) => void,
): Promise<RunOutcome> {
  const mailbox = new Mailbox();
  const api = new RuntimeApi(mailbox);
  const address = await api.listen();
  const env = lambdaEnv(f, layout, address, region, extraEnv, warnings);
  const args = ['--expose-gc', '--max-http-header-size=81920', '--require', path.join(layout.runtime, 'read-only-fs.cjs'), choice.entry];
  let output = '';
  const capture = (chunk: Buffer) => {
    const text = chunk.toString('utf-8');
    output = (output + text).slice(-MAX_LOG_CHARS);
    log(text);
  };

  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: layout.task,
    env,
    shell: false,
    windowsHide: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      mailbox.post({ kind: 'exit', code, signal });
      resolve();
    });
    child.once('error', (e) => {
      exited = true;
      capture(Buffer.from(`cannot start ${process.execPath}: ${e.message}\n`));
      mailbox.post({ kind: 'exit', code: null, signal: null });
      resolve();
    });
  });

  const invocations: InvocationResult[] = [];
  let initMs = 0;
  let initError: LambdaError | undefined;
  let initTimedOut = false;
  let ricUnusable: string | undefined;
  const exitError = (h: { code: number | null; signal: NodeJS.Signals | null }, requestId?: string): LambdaError => ({
    errorType: 'Runtime.ExitError',
    errorMessage: `${requestId ? `RequestId: ${requestId} ` : ''}Error: Runtime exited ${h.signal ? `with signal: ${h.signal}` : `with error: exit status ${h.code}`}`,
    trace: [],
  });

  try {
    // Init: until the runtime asks for its first event.
    const initDeadline = started + initTimeoutMs;
    initLoop: for (;;) {
      const h = await mailbox.take(initDeadline - performance.now());
      switch (h.kind) {
        case 'next':
          initMs = performance.now() - started;
          break initLoop;
        case 'init-error':
          initMs = performance.now() - started;
          initError = h.error;
          break initLoop;
        case 'exit':
          initMs = performance.now() - started;
          if (choice.client === 'aws-lambda-ric' && api.requests === 0 && /NativeClientLoading|Failed to load native client|rapid-client\.node/.test(output)) {
            ricUnusable = output.trim().split('\n').slice(-3).join(' ');
          }
          initError = exitError(h);
          break initLoop;
        case 'timeout':
          initMs = performance.now() - started;
          initTimedOut = true;
          initError = { errorType: 'Sandbox.Timedout', errorMessage: `Error: Init timed out after ${(initTimeoutMs / 1000).toFixed(2)} seconds`, trace: [] };
          break initLoop;
        default:
          break;
      }
    }

    if (!initError) {
      const arn = `arn:aws:lambda:${region}:${ACCOUNT}:function:${env.AWS_LAMBDA_FUNCTION_NAME}`;
      let waitingForNext = false;
      for (const event of events) {
        const id = randomUUID();
        if (waitingForNext) {
          // The runtime asks for the next event after it posted the last response.
          let h = await mailbox.take(timeoutMs);
          while (h.kind !== 'next' && h.kind !== 'exit' && h.kind !== 'timeout') h = await mailbox.take(timeoutMs);
          if (h.kind !== 'next') {
            invocations.push({
              requestId: id,
              error: h.kind === 'exit' ? exitError(h, id) : { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, trace: [] },
              timedOut: h.kind === 'timeout',
              invokeMs: 0,
            });
            break;
          }
        }
        const invokeStarted = performance.now();
        const deadline = Date.now() + timeoutMs;
        api.deliver(id, event, {
          'Lambda-Runtime-Deadline-Ms': String(deadline),
          'Lambda-Runtime-Invoked-Function-Arn': arn,
          'Lambda-Runtime-Trace-Id': traceId(),
        });
        waitingForNext = true;
        let outcome: InvocationResult | undefined;
        while (!outcome) {
          const h = await mailbox.take(invokeStarted + timeoutMs - performance.now());
          const invokeMs = round(performance.now() - invokeStarted);
          if (h.kind === 'done' && h.id === id) {
            outcome = { requestId: id, result: h.error ? undefined : h.result, error: h.error, timedOut: false, invokeMs };
          } else if (h.kind === 'exit') {
            outcome = { requestId: id, error: exitError(h, id), timedOut: false, invokeMs };
          } else if (h.kind === 'timeout') {
            child.kill('SIGKILL');
            outcome = {
              requestId: id,
              error: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, trace: [] },
              timedOut: true,
              invokeMs,
            };
          } else if (h.kind === 'next') {
            // A runtime that asks again without answering: keep waiting for the answer.
          }
        }
        invocations.push(outcome);
        // After a timeout or a crash Lambda throws the environment away: stop here.
        if (outcome.timedOut || outcome.error?.errorType === 'Runtime.ExitError') break;
      }
    }
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exitedPromise;
      clearTimeout(killer);
    }
    api.close();
  }
  // Let the last output drain.
  await new Promise((resolve) => setImmediate(resolve));
  return { initMs: round(initMs), invocations, initError, initTimedOut, ricUnusable, output };
}

/**
 * Runs a function of a synthesized app locally, as Lambda would: its code in
 * task/, its layers in opt/, only tmp/ writable, Lambda's environment, the
 * Runtime API loop. Returns the response (or Lambda's error), init and invoke
 * times, and the function's output.
 */
export async function localInvoke(options: LocalInvokeOptions): Promise<InvokeResult> {
  if (typeof options.cdkOut !== 'string' || options.cdkOut === '') throw new LocalInvokeError('cdkOut must be the cloud assembly folder (cdk.out)', 'BAD_INPUT');
  if (typeof options.functionId !== 'string' || options.functionId === '') throw new LocalInvokeError('functionId must name a function (construct path or logical id)', 'BAD_INPUT');
  if (options.invocations !== undefined && (!Number.isInteger(options.invocations) || options.invocations < 1)) {
    throw new LocalInvokeError(`invocations must be a whole number >= 1, got ${options.invocations}`, 'BAD_INPUT');
  }
  if (options.events !== undefined && options.events.length === 0) throw new LocalInvokeError('events must hold at least one event', 'BAD_INPUT');
  for (const [k, v] of [['timeoutSeconds', options.timeoutSeconds], ['initTimeoutSeconds', options.initTimeoutSeconds]] as const) {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new LocalInvokeError(`${k} must be a number of seconds > 0, got ${v}`, 'BAD_INPUT');
  }

  const f = findFunction(options.cdkOut, options.functionId);
  const warnings: string[] = [];
  if (f.runtime !== undefined && !f.runtime.startsWith('nodejs')) {
    throw new LocalInvokeError(`function ${label(f)} runs ${f.runtime}; the local invoker runs Node.js functions only`, 'UNSUPPORTED');
  }
  const hostMajor = process.versions.node.split('.')[0];
  const major = f.runtime ? nodeMajorOf(f.runtime) : undefined;
  if (major && major !== hostMajor) {
    warnings.push(`the function's runtime is ${f.runtime}; it runs here on this host's Node.js ${process.versions.node}`);
  }
  const hostArch = process.arch === 'arm64' ? 'arm64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  if (f.architecture !== hostArch) {
    warnings.push(`the function is ${f.architecture} and this host is ${hostArch}: native binaries in its code or layers (such as LanceDB's) will not load here`);
  }

  const events = (options.events ?? Array.from({ length: options.invocations ?? 1 }, () => options.event ?? {}))
    .map((e) => JSON.stringify(e === undefined ? null : e));
  const timeoutMs = (options.timeoutSeconds ?? f.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const initTimeoutMs = (options.initTimeoutSeconds ?? DEFAULT_INIT_TIMEOUT_SECONDS) * 1000;
  const region = options.region ?? DEFAULT_REGION;

  const layoutStarted = performance.now();
  const layout = makeLayout(f, options.layerDirs ?? {});
  const layoutMs = round(performance.now() - layoutStarted);
  const bootstrap: ClientChoice = { client: 'bootstrap', entry: path.join(layout.runtime, 'bootstrap.cjs') };
  let choice: ClientChoice = bootstrap;
  const wanted = options.runtimeClient ?? 'auto';
  if (wanted !== 'bootstrap') {
    const ric = findRic();
    if (ric.entry) {
      choice = { client: 'aws-lambda-ric', entry: ric.entry };
    } else if (wanted === 'aws-lambda-ric') {
      fs.rmSync(layout.root, { recursive: true, force: true });
      throw new LocalInvokeError(`runtimeClient is aws-lambda-ric but ${ric.why}`, 'NO_RUNTIME_CLIENT');
    } else {
      warnings.push(`ran the bootstrap runtime client: ${ric.why}`);
    }
  }

  const log = options.onLog ?? (() => undefined);
  try {
    let run = await runOnce(choice, f, layout, events, timeoutMs, initTimeoutMs, region, options.env ?? {}, warnings, log);
    let rerun: string | undefined;
    if (wanted === 'auto' && choice.client === 'aws-lambda-ric') {
      if (run.ricUnusable) {
        rerun = `aws-lambda-ric could not start (${run.ricUnusable}); ran the bootstrap runtime client instead`;
      } else if (run.initError?.errorType === 'Runtime.CallbackHandlerDeprecated' && Number(major ?? hostMajor) < 24) {
        // aws-lambda-ric 4.x applies the Node.js 24 rule; older runtimes still run callback handlers.
        rerun = `aws-lambda-ric refuses callback-style handlers (the nodejs24.x rule) but ${f.runtime ?? 'this runtime'} runs them; ran the bootstrap runtime client instead`;
      }
    }
    if (rerun) {
      warnings.push(rerun);
      fs.rmSync(layout.tmp, { recursive: true, force: true });
      fs.mkdirSync(layout.tmp);
      choice = bootstrap;
      run = await runOnce(choice, f, layout, events, timeoutMs, initTimeoutMs, region, options.env ?? {}, [], log);
    }
    const firstFailed = run.invocations.find((i) => i.error);
    const last = run.invocations[run.invocations.length - 1];
    return {
      function: f,
      result: last && !last.error ? last.result : undefined,
      error: run.initError ?? firstFailed?.error,
      errorPhase: run.initError ? 'init' : firstFailed ? 'invoke' : undefined,
      timedOut: run.initTimedOut || run.invocations.some((i) => i.timedOut),
      initMs: run.initMs,
      invokeMs: run.invocations.map((i) => i.invokeMs),
      invocations: run.invocations,
      runtimeClient: choice.client,
      runtimeClientPath: choice.entry,
      logs: run.output,
      layoutMs,
      layoutDir: options.keepLayout ? layout.root : undefined,
      warnings,
    };
  } finally {
    if (!options.keepLayout) fs.rmSync(layout.root, { recursive: true, force: true });
  }
}
