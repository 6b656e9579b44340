/**
 * What the child process gets from Lambda's Node.js runtime: the environment
 * variables (NODE_PATH in Lambda's order, the function's own variables, the
 * Runtime API's address) and the Node.js flags Lambda sets.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (experimental features Lambda disables)
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';
import { isRecord } from './cloud-assembly';
import { FunctionInfo, LocalInvokeError } from './types';

/** The account id CloudFormation pseudo parameters resolve to here. */
export const ACCOUNT = '123456789012';

/** Name of the variable that carries the read-only preload's folders (removed from the handler's env by it). */
export const WRITABLE_ENV = '__CDK_VECTORDB_LAYER_WRITABLE';

/** Name of the variable that carries the NODE_PATH hook's links (removed from the handler's env by it). */
export const NODE_PATH_LINKS_ENV = '__CDK_VECTORDB_LAYER_NODE_PATH_LINKS';

/** Variables Lambda sets itself: a template cannot set them (CloudFormation refuses). */
const RESERVED_ENV = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

/** The folders of an execution environment, as the child sees them. */
export interface EnvironmentPaths {
  /** The function's code (Lambda's /var/task). */
  readonly task: string;
  /** The merged layers (Lambda's /opt). */
  readonly opt: string;
  /** The runtime's folder (Lambda's /var/runtime). */
  readonly runtime: string;
  /** The handler's TMPDIR: `/tmp` when isolated, else the environment's own folder. */
  readonly tmpdir: string;
}

/** Inputs of `lambdaEnv`. */
export interface LambdaEnvOptions {
  readonly fn: FunctionInfo;
  /** The Node.js executable that runs the function. */
  readonly node: string;
  readonly paths: EnvironmentPaths;
  /** host:port of the Runtime API. */
  readonly runtimeApi: string;
  readonly region: string;
  /** Variables over the template's. */
  readonly extra: Readonly<Record<string, string>>;
  /** The read-only preload's configuration (JSON). */
  readonly writableConfig: string;
  /** The NODE_PATH hook's links (JSON). */
  readonly nodePathLinks: string;
  /** Receives what differs from Lambda. */
  readonly warn: (message: string) => void;
}

/** The Node.js major version of a runtime name (`nodejs22.x` -> 22). */
export function nodeMajorOf(runtime: string | undefined): number | undefined {
  const m = /^nodejs(\d+)/.exec(runtime ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The host's Node.js major version. */
export function hostNodeMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}

/** The Node.js that runs the function: its path, version, and which of Lambda's flags it knows. */
export interface NodeInfo {
  readonly path: string;
  readonly version: string;
  readonly major: number;
  readonly knows: (flag: string) => boolean;
}

/** Flags whose support is asked of another Node.js executable. */
export const ASKED_FLAGS = ['--no-experimental-require-module', '--no-experimental-detect-module', '--import'];
const nodeInfos = new Map<string, NodeInfo>();

/** The Node.js at `file` (default: this process's), asked once per path. */
export function nodeInfo(file?: string): NodeInfo {
  if (file === undefined || path.resolve(file) === process.execPath) {
    const knows = (f: string) => process.allowedNodeEnvironmentFlags.has(f);
    return { path: process.execPath, version: process.versions.node, major: hostNodeMajor(), knows };
  }
  const abs = path.resolve(file);
  const known = nodeInfos.get(abs);
  if (known) return known;
  const script = `process.stdout.write(JSON.stringify({ version: process.versions.node, flags: ${JSON.stringify(ASKED_FLAGS)}.filter((f) => process.allowedNodeEnvironmentFlags.has(f)) }))`;
  const r = spawnSync(abs, ['-e', script], { encoding: 'utf-8', shell: false, windowsHide: true, timeout: 30_000 });
  let answer: { version?: unknown; flags?: unknown } = {};
  try {
    answer = JSON.parse(r.stdout);
  } catch {
    // not a Node.js that answers: refused below
  }
  if (r.error || r.status !== 0 || typeof answer.version !== 'string' || !Array.isArray(answer.flags)) {
    throw new LocalInvokeError(`node ${abs} is not a Node.js executable that runs here (${r.error?.message ?? `exit ${r.status}`}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''})`, 'BAD_INPUT');
  }
  const flags = new Set(answer.flags.map(String));
  const info = { path: abs, version: answer.version, major: Number(answer.version.split('.')[0]), knows: (f: string) => flags.has(f) };
  nodeInfos.set(abs, info);
  return info;
}

/** The Node.js major version the function's runtime names, else the host's. */
export function runtimeMajor(fn: FunctionInfo): number {
  return nodeMajorOf(fn.runtime) ?? hostNodeMajor();
}

/** The function's name on Lambda: its FunctionName, else what CloudFormation would generate (close enough). */
export function functionName(fn: FunctionInfo): string {
  return fn.functionName ?? `${fn.stackName}-${fn.logicalId}`.slice(0, 64);
}

/**
 * NODE_PATH entries in Lambda's order:
 * `/opt/nodejs/node<major>/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`.
 */
export function nodePathEntries(paths: Pick<EnvironmentPaths, 'opt' | 'runtime' | 'task'>, major: number): string[] {
  return [
    path.join(paths.opt, 'nodejs', `node${major}`, 'node_modules'),
    path.join(paths.opt, 'nodejs', 'node_modules'),
    path.join(paths.runtime, 'node_modules'),
    paths.runtime,
    paths.task,
  ];
}

/**
 * The Node.js flags Lambda's runtime sets for a Node.js major version:
 * `--no-experimental-require-module` on 20 and 22, `--no-experimental-detect-module`
 * on 22; a flag is left out when the function's NODE_OPTIONS turns the feature
 * back on (as Lambda does), and when the Node.js that runs here does not know it.
 */
export function lambdaNodeFlags(major: number, nodeOptions: string | undefined, known: (flag: string) => boolean): string[] {
  const disabled: Array<[feature: string, majors: number[]]> = [
    ['experimental-require-module', [20, 22]],
    ['experimental-detect-module', [22]],
  ];
  const given = (nodeOptions ?? '').split(/\s+/);
  return disabled
    .filter(([feature, majors]) => majors.includes(major) && !given.includes(`--${feature}`))
    .map(([feature]) => `--no-${feature}`)
    .filter(known);
}

/** A template value as the function would see it: strings, numbers and the pseudo parameters; undefined for what resolves only on deploy. */
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

/** The variables Lambda's runtime sets, with the layout's folders for /var/task, /opt and /var/runtime. */
function runtimeVariables(o: LambdaEnvOptions): Record<string, string> {
  const { fn, paths, region } = o;
  const runtime = fn.runtime ?? `nodejs${hostNodeMajor()}.x`;
  const name = functionName(fn);
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    PATH: [path.dirname(o.node), '/usr/local/bin', '/usr/bin', '/bin', path.join(paths.opt, 'bin')].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LD_LIBRARY_PATH: [paths.task, path.join(paths.task, 'lib'), path.join(paths.opt, 'lib')].join(':'),
    NODE_PATH: nodePathEntries(paths, runtimeMajor(fn)).join(':'),
    LAMBDA_TASK_ROOT: paths.task,
    LAMBDA_RUNTIME_DIR: paths.runtime,
    _HANDLER: fn.handler ?? 'index.handler',
    AWS_LAMBDA_RUNTIME_API: o.runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    TMPDIR: paths.tmpdir,
    HOME: paths.tmpdir,
  };
}

/**
 * The child's environment: Lambda's runtime variables, then the template's
 * `Environment.Variables` (reserved names and values that resolve only on
 * deploy left out, with a warning), then `extra`.
 */
export function lambdaEnv(o: LambdaEnvOptions): Record<string, string> {
  const env = runtimeVariables(o);
  const unresolved: string[] = [];
  for (const [k, v] of Object.entries(o.fn.environment)) {
    if (RESERVED_ENV.has(k)) {
      o.warn(`the template sets the reserved variable ${k}, which Lambda does not allow; ignored`);
      continue;
    }
    const value = resolveEnvValue(v, o.region);
    if (value !== undefined) env[k] = value;
    else if (!(k in o.extra)) unresolved.push(k);
  }
  if (unresolved.length > 0) {
    o.warn(`environment variables ${unresolved.join(', ')} are CloudFormation expressions that resolve only on deploy; left unset (pass them with env / --env K=V)`);
  }
  for (const [k, v] of Object.entries(o.extra)) {
    if (k === 'AWS_LAMBDA_RUNTIME_API' || k === WRITABLE_ENV || k === NODE_PATH_LINKS_ENV) continue;
    env[k] = String(v);
  }
  env[WRITABLE_ENV] = o.writableConfig;
  env[NODE_PATH_LINKS_ENV] = o.nodePathLinks;
  return env;
}
