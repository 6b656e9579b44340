/**
 * One execution environment: the child process with the runtime client, the
 * Runtime API it talks to, the init phase, then the events one after another.
 */
import { ChildProcess, spawn } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { CONTAINER_LAYOUT, CONTAINER_RUNTIME_DIR, ContainerPlan } from './container';
import { Emulation } from './emulation';
import { ACCOUNT, lambdaEnv, lambdaNodeFlags, NodeInfo, nodePathEntries, runtimeMajor } from './environment';
import { Isolation } from './isolation';
import { Layout, linkNodePath, SCRIPTS } from './layout';
import { Happening, Mailbox, RuntimeApi } from './runtime-api';
import { ClientChoice } from './runtime-client';
import { FunctionInfo, InvocationResult, LambdaError } from './types';

const MAX_LOG_CHARS = 10 * 1024 * 1024;

/** Inputs of one execution environment. */
export interface RunOptions {
  readonly client: ClientChoice;
  /** The Node.js that runs the function. */
  readonly node: NodeInfo;
  /** Set when the function's architecture is not the host's: node runs under qemu. */
  readonly emulation?: Pick<Emulation, 'command'>;
  /** Set when the function runs in a Linux container: the layout is mounted there, the engine runs node. */
  readonly container?: Pick<ContainerPlan, 'command' | 'runtimeApi'>;
  readonly fn: FunctionInfo;
  readonly layout: Layout;
  readonly isolation: Isolation;
  /** The events, as JSON. */
  readonly events: readonly string[];
  readonly timeoutMs: number;
  readonly initTimeoutMs: number;
  readonly region: string;
  readonly extraEnv: Readonly<Record<string, string>>;
  /** Host folders the handler may write, shared by every environment. */
  readonly sharedDirs: readonly string[];
  readonly warn: (message: string) => void;
  readonly log: (text: string) => void;
}

export interface RunOutcome {
  readonly initMs: number;
  readonly invocations: InvocationResult[];
  readonly initError?: LambdaError;
  readonly initTimedOut: boolean;
  /** The child never reached the Runtime API and its output says the ric's native client failed. */
  readonly ricUnusable?: string;
  /** The child's stdout and stderr. */
  readonly output: string;
}

/** The child and what the run loop reads from it. */
interface Session {
  readonly child: ChildProcess;
  readonly api: RuntimeApi;
  readonly mailbox: Mailbox;
  readonly started: number;
  readonly functionName: string;
  readonly output: () => string;
  readonly exited: () => boolean;
  readonly whenExited: Promise<void>;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Runs one execution environment: init, then each event, as Lambda would. */
export async function runEnvironment(o: RunOptions): Promise<RunOutcome> {
  const s = await startSession(o);
  let init: InitOutcome;
  let invocations: InvocationResult[];
  try {
    init = await waitForInit(s, o);
    invocations = init.initError ? [] : await invokeEach(s, o);
  } finally {
    await stopSession(s);
  }
  return { ...init, invocations, output: s.output() };
}

/** The child's node arguments: Lambda's flags, the task root as working folder, the read-only preload, the ES module NODE_PATH hook, the client. */
function nodeArgs(o: RunOptions, env: Record<string, string>): string[] {
  const flags = lambdaNodeFlags(runtimeMajor(o.fn), env.NODE_OPTIONS, o.node.knows);
  const scripts = o.container ? CONTAINER_LAYOUT.runtime : o.layout.runtime;
  return [
    ...flags,
    '--expose-gc',
    '--max-http-header-size=81920',
    '--require', path.posix.join(scripts, SCRIPTS.taskRoot),
    '--require', path.posix.join(scripts, SCRIPTS.readOnlyFs),
    // Node.js < 18.18 / 20.0 has no --import (startSession warns).
    ...(o.node.knows('--import') ? ['--import', path.posix.join(scripts, SCRIPTS.registerNodePath)] : []),
    ...o.client.argv,
  ];
}

/** The folders the read-only preload lets the handler write: its /tmp and the shared folders; the layout is read-only. */
function writableConfig(o: RunOptions): string {
  const tmp = o.isolation.info.tmpdir;
  if (o.container) {
    return JSON.stringify({ writable: [tmp, ...o.sharedDirs], readOnly: [CONTAINER_LAYOUT.root, CONTAINER_LAYOUT.task, CONTAINER_LAYOUT.opt] });
  }
  // Without isolation a literal /tmp is the host's, writable as on Lambda (and shared: the warning says so).
  const writable = o.isolation.info.mode === 'namespace' ? [tmp, ...o.sharedDirs] : [tmp, '/tmp', ...o.sharedDirs];
  return JSON.stringify({ writable, readOnly: [o.layout.root] });
}

/** A folder of the layout, as the container sees it (the layout's root is mounted at CONTAINER_LAYOUT.root). */
function inContainer(layout: Layout, dir: string): string {
  return path.posix.join(CONTAINER_LAYOUT.root, ...path.relative(layout.root, dir).split(path.sep));
}

async function startSession(o: RunOptions): Promise<Session> {
  const mailbox = new Mailbox();
  const api = new RuntimeApi(mailbox);
  const listening = await api.listen();
  const runtimeApi = o.container ? o.container.runtimeApi(listening) : listening;
  const paths = o.container
    ? { task: CONTAINER_LAYOUT.task, opt: CONTAINER_LAYOUT.opt, runtime: CONTAINER_RUNTIME_DIR, tmpdir: o.isolation.info.tmpdir }
    : { task: o.layout.task, opt: o.layout.opt, runtime: o.layout.runtime, tmpdir: o.isolation.info.tmpdir };
  const hostLinks = linkNodePath(o.layout, nodePathEntries(paths, runtimeMajor(o.fn)));
  // In a container the links' folder is the layout's, mounted at CONTAINER_LAYOUT.root.
  const links = o.container
    ? Object.fromEntries(Object.entries(hostLinks).map(([entry, dir]) => [entry, inContainer(o.layout, dir)]))
    : hostLinks;
  const env = lambdaEnv({
    fn: o.fn,
    node: o.node.path,
    paths,
    runtimeApi,
    region: o.region,
    extra: o.extraEnv,
    warn: o.warn,
    writableConfig: writableConfig(o),
    nodePathLinks: JSON.stringify(links),
  });
  if (!o.node.knows('--import')) o.warn(`Node.js ${o.node.version} has no --import: ES module imports do not search NODE_PATH here as they do on Lambda's Node.js 18+ runtimes`);
  const launch = o.container
    ? o.container.command(o.layout, nodeArgs(o, env), env, o.sharedDirs)
    : o.emulation ? o.emulation.command(nodeArgs(o, env)) : { file: o.node.path, args: nodeArgs(o, env) };
  const command = o.isolation.command(launch.file, launch.args);
  // The engine's client runs with this process's environment; the function's is in its -e arguments.
  const spawnEnv = o.container ? process.env : env;
  let output = '';
  let exited = false;
  const started = performance.now();
  const child = spawn(command.file, command.args, { cwd: o.layout.task, env: spawnEnv, shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const capture = (chunk: Buffer) => {
    const text = chunk.toString('utf-8');
    output = (output + text).slice(-MAX_LOG_CHARS);
    o.log(text);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  const whenExited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      mailbox.post({ kind: 'exit', code, signal });
      resolve();
    });
    child.once('error', (e) => {
      exited = true;
      capture(Buffer.from(`cannot start ${command.file}: ${e.message}\n`));
      mailbox.post({ kind: 'exit', code: null, signal: null });
      resolve();
    });
  });
  return { child, api, mailbox, started, functionName: env.AWS_LAMBDA_FUNCTION_NAME, output: () => output, exited: () => exited, whenExited };
}

async function stopSession(s: Session): Promise<void> {
  if (!s.exited()) {
    s.child.kill('SIGTERM');
    const killer = setTimeout(() => s.child.kill('SIGKILL'), 2000);
    await s.whenExited;
    clearTimeout(killer);
  }
  s.api.close();
  // Let the last output drain.
  await new Promise((resolve) => setImmediate(resolve));
}

function exitError(h: { code: number | null; signal: NodeJS.Signals | null }, requestId?: string): LambdaError {
  const how = h.signal ? `with signal: ${h.signal}` : `with error: exit status ${h.code}`;
  return { errorType: 'Runtime.ExitError', errorMessage: `${requestId ? `RequestId: ${requestId} ` : ''}Error: Runtime exited ${how}`, trace: [] };
}

function timeoutError(id: string, timeoutMs: number): LambdaError {
  return { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, trace: [] };
}

type InitOutcome = Omit<RunOutcome, 'invocations' | 'output'>;

/** The init phase: until the runtime asks for its first event, reports an init error, exits or runs out of time. */
async function waitForInit(s: Session, o: RunOptions): Promise<InitOutcome> {
  const deadline = s.started + o.initTimeoutMs;
  for (;;) {
    const h = await s.mailbox.take(deadline - performance.now());
    const initMs = round(performance.now() - s.started);
    switch (h.kind) {
      case 'next':
        return { initMs, initTimedOut: false };
      case 'init-error':
        return { initMs, initTimedOut: false, initError: h.error };
      case 'exit':
        return { initMs, initTimedOut: false, initError: exitError(h), ricUnusable: ricFailure(s, o) };
      case 'timeout':
        return { initMs, initTimedOut: true, initError: { errorType: 'Sandbox.Timedout', errorMessage: `Error: Init timed out after ${(o.initTimeoutMs / 1000).toFixed(2)} seconds`, trace: [] } };
      default:
        break;
    }
  }
}

/** The ric's native client failing to load, from the output of a child that never reached the Runtime API. */
function ricFailure(s: Session, o: RunOptions): string | undefined {
  const output = s.output();
  if (o.client.client !== 'aws-lambda-ric' || s.api.requests > 0) return undefined;
  if (!/NativeClientLoading|Failed to load native client|rapid-client\.node/.test(output)) return undefined;
  return output.trim().split('\n').slice(-3).join(' ');
}

function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

/** The events one after another; stops after a timeout or a crash, as Lambda throws that environment away. */
async function invokeEach(s: Session, o: RunOptions): Promise<InvocationResult[]> {
  const invocations: InvocationResult[] = [];
  for (const [i, event] of o.events.entries()) {
    const id = randomUUID();
    if (i > 0) {
      // The runtime asks for the next event after it posted the last response.
      const h = await nextRequest(s, o.timeoutMs);
      if (h.kind !== 'next') {
        invocations.push({ requestId: id, error: h.kind === 'exit' ? exitError(h, id) : timeoutError(id, o.timeoutMs), timedOut: h.kind === 'timeout', invokeMs: 0 });
        break;
      }
    }
    const outcome = await invokeOne(s, o, id, event);
    invocations.push(outcome);
    if (outcome.timedOut || outcome.error?.errorType === 'Runtime.ExitError') break;
  }
  return invocations;
}

async function nextRequest(s: Session, timeoutMs: number): Promise<Happening> {
  let h = await s.mailbox.take(timeoutMs);
  while (h.kind !== 'next' && h.kind !== 'exit' && h.kind !== 'timeout') h = await s.mailbox.take(timeoutMs);
  return h;
}

/** Hands one event to the waiting runtime and waits for its response, its error, its exit or the deadline. */
async function invokeOne(s: Session, o: RunOptions, id: string, event: string): Promise<InvocationResult> {
  const invokeStarted = performance.now();
  s.api.deliver(id, event, {
    'Lambda-Runtime-Deadline-Ms': String(Date.now() + o.timeoutMs),
    'Lambda-Runtime-Invoked-Function-Arn': `arn:aws:lambda:${o.region}:${ACCOUNT}:function:${s.functionName}`,
    'Lambda-Runtime-Trace-Id': traceId(),
  });
  for (;;) {
    const h = await s.mailbox.take(invokeStarted + o.timeoutMs - performance.now());
    const invokeMs = round(performance.now() - invokeStarted);
    if (h.kind === 'done' && h.id === id) return { requestId: id, result: h.error ? undefined : h.result, error: h.error, timedOut: false, invokeMs };
    if (h.kind === 'exit') return { requestId: id, error: exitError(h, id), timedOut: false, invokeMs };
    if (h.kind === 'timeout') {
      s.child.kill('SIGKILL');
      return { requestId: id, error: timeoutError(id, o.timeoutMs), timedOut: true, invokeMs };
    }
    // A runtime that asks again without answering: keep waiting for the answer.
  }
}
