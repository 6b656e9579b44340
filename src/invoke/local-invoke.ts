/**
 * The local invoker: runs a synthesized Lambda function from a cdk.out folder
 * as Lambda would, with no Docker and no AWS.
 *
 * The rooms, one subsystem each:
 * - cloud-assembly.ts: reading cdk.out (stacks, functions, their assets);
 * - layout.ts: an execution environment's task/ (code), opt/ (layers merged
 *   in order), tmp/ and runtime/ folders, under a work folder outside /tmp
 *   (work-dir.ts: which folder);
 * - database.ts: a database with no local counterpart (S3, EFS, LanceDB
 *   Cloud) stops the invoke unless VECTORDB_URI is given;
 * - isolation.ts: a private mount namespace where /tmp is the environment's
 *   own and the rest of the host read-only (or why not);
 * - environment.ts: Lambda's variables, NODE_PATH and Node.js flags;
 * - runtime-client.ts: aws-lambda-ric (3.x or 4.x) or the built-in bootstrap;
 * - emulation.ts: a function of another architecture under qemu-user (or why not);
 * - container.ts: the same layout in a Linux container (Docker or podman), for
 *   a host that cannot load Linux binaries, or when asked;
 * - runtime-api.ts: the Lambda Runtime API on 127.0.0.1 and its mailbox;
 * - run.ts: one execution environment: the child, init, the events;
 * - scripts/: the JavaScript the child runs (read-only fs preload, ES module
 *   NODE_PATH hook, bootstrap, aws-lambda-ric 3.x starter);
 * - this file: `localInvoke`, the run loop over all of them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { findFunction, label } from './cloud-assembly';
import { CONTAINER_LAYOUT, ContainerPlan, containerFor, osMismatchWarning } from './container';
import { checkDatabase } from './database';
import { Emulation, emulationFor } from './emulation';
import { NodeInfo, nodeInfo, nodeMajorOf, runtimeMajor } from './environment';
import { isolate, Isolation, notIsolatedWarning } from './isolation';
import { createLayout, fillLayout, Layout, removeLayout, resetTmp, SCRIPTS } from './layout';
import { RunOutcome, runEnvironment } from './run';
import { bootstrapChoice, ClientChoice, findRic, ricChoice, RicLookup } from './runtime-client';
import { FunctionInfo, InvokeResult, LocalInvokeError, LocalInvokeOptions } from './types';
import { resolveWorkDir, WorkDir } from './work-dir';

export * from './types';
export type { ContainerInfo } from './container';
export { findFunction, listFunctions } from './cloud-assembly';
export { defaultWorkDir } from './work-dir';
export { ricAdvice } from './runtime-client';

const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_INIT_TIMEOUT_SECONDS = 10;
const DEFAULT_REGION = 'us-east-1';

/**
 * Runs a function of a synthesized app locally, as Lambda would: its code in
 * task/, its layers in opt/, its own empty /tmp and nothing else writable,
 * Lambda's environment and Node.js flags, ES imports resolved through
 * NODE_PATH, the Runtime API loop. Returns the response (or Lambda's error),
 * init and invoke times, and the function's output.
 */
export async function localInvoke(options: LocalInvokeOptions): Promise<InvokeResult> {
  validate(options);
  const fn = findFunction(options.cdkOut, options.functionId);
  if (fn.runtime !== undefined && !fn.runtime.startsWith('nodejs')) {
    throw new LocalInvokeError(`function ${label(fn)} runs ${fn.runtime}; the local invoker runs Node.js functions only`, 'UNSUPPORTED');
  }
  const sharedDirs = (options.sharedDirs ?? []).map((d) => path.resolve(d));
  // Before anything is made, fetched or said: a database that is not here stops the invoke.
  checkDatabase(fn, options.env ?? {}, sharedDirs);
  // A host that cannot load Linux binaries (or the caller) runs it in a container; else another
  // architecture runs under qemu, or is refused here, before anything runs.
  const container = containerFor({ fn, container: options.container, image: options.image });
  if (container && (options.node !== undefined || options.sysroot !== undefined)) {
    throw new LocalInvokeError(`${options.node !== undefined ? 'node (CLI --node)' : 'sysroot (CLI --sysroot)'} is for a run on this host, but the function runs in a container (${container.info.why}), on the image's Node.js; remove it, or choose the image (CLI --image)`, 'BAD_INPUT');
  }
  const emulation = container ? undefined : emulationFor({ fn, node: options.node, sysroot: options.sysroot });
  const node = container?.node ?? emulation?.node ?? nodeInfo(options.node);
  const wanted = options.runtimeClient ?? 'auto';
  const ric: RicLookup = wanted === 'bootstrap' ? { why: 'runtimeClient is bootstrap' }
    : container ? { why: 'the function runs in a Linux container, where the host\'s aws-lambda-ric (its native client built for this host) does not' }
      : emulation ? { why: emulation.ricWhy } : findRic(node.major);
  if (wanted === 'aws-lambda-ric' && !ric.found) throw new LocalInvokeError(`runtimeClient is aws-lambda-ric but ${ric.why}`, 'NO_RUNTIME_CLIENT');
  for (const d of sharedDirs) fs.mkdirSync(d, { recursive: true });

  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const layoutStarted = performance.now();
  const workDir = resolveWorkDir(options.workDir);
  const layout = createLayout(workDir.dir);
  let isolation: Isolation | undefined;
  try {
    isolation = container ? containerIsolation(container) : await isolate({
      mode: options.isolation ?? 'auto',
      tmp: layout.tmp,
      shared: sharedDirs,
      layoutRoot: layout.root,
      needed: [node.path, ...(ric.found ? [path.dirname(ric.found.entry)] : []), ...(emulation ? [emulation.info.qemu, emulation.info.sysroot] : [])],
    });
    // The container or emulation line first, then the isolation warning, before anything else and before any output of the function.
    if (container) warn(container.note);
    if (emulation) warn(emulation.note);
    const notIsolated = notIsolatedWarning(isolation.info);
    if (notIsolated) warn(notIsolated);
    for (const w of hostWarnings(fn, node, container !== undefined)) warn(w);
    if (ric.found === undefined && wanted === 'auto') warn(`ran the bootstrap runtime client: ${ric.why}`);
    // Hard links are safe where the child sees the layout read-only (a namespace, a container).
    fillLayout(fn, layout, { layerDirs: options.layerDirs ?? {}, link: isolation.info.mode !== 'none' && !options.keepLayout });
    const layoutMs = round(performance.now() - layoutStarted - isolation.info.setupMs);
    return await runWithFallback({ options, fn, node, emulation, container, layout, workDir, isolation, ric, sharedDirs, warnings, warn, layoutMs });
  } finally {
    isolation?.close();
    if (!options.keepLayout) removeLayout(layout);
  }
}

function validate(options: LocalInvokeOptions): void {
  if (typeof options.cdkOut !== 'string' || options.cdkOut === '') throw new LocalInvokeError('cdkOut must be the cloud assembly folder (cdk.out)', 'BAD_INPUT');
  if (typeof options.functionId !== 'string' || options.functionId === '') throw new LocalInvokeError('functionId must name a function (construct path or logical id)', 'BAD_INPUT');
  if (options.invocations !== undefined && (!Number.isInteger(options.invocations) || options.invocations < 1)) {
    throw new LocalInvokeError(`invocations must be a whole number >= 1, got ${options.invocations}`, 'BAD_INPUT');
  }
  if (options.events !== undefined && options.events.length === 0) throw new LocalInvokeError('events must hold at least one event', 'BAD_INPUT');
  for (const [k, v] of [['timeoutSeconds', options.timeoutSeconds], ['initTimeoutSeconds', options.initTimeoutSeconds]] as const) {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new LocalInvokeError(`${k} must be a number of seconds > 0, got ${v}`, 'BAD_INPUT');
  }
  if (options.isolation !== undefined && !['auto', 'namespace', 'none'].includes(options.isolation)) {
    throw new LocalInvokeError(`isolation must be auto, namespace or none, got ${JSON.stringify(options.isolation)}`, 'BAD_INPUT');
  }
  if (options.workDir !== undefined && (typeof options.workDir !== 'string' || options.workDir === '')) throw new LocalInvokeError('workDir must be a folder', 'BAD_INPUT');
}

/** A container run's isolation: its own /tmp and a read-only root; closing removes the container if a timeout left it. */
function containerIsolation(container: ContainerPlan): Isolation {
  return {
    info: { mode: 'container', tmpdir: '/tmp', setupMs: 0 },
    command: (file, args) => ({ file, args: [...args] }),
    close: () => container.remove(),
  };
}

/** What differs between the function's runtime and this host (or the container's Node.js). */
function hostWarnings(fn: FunctionInfo, node: NodeInfo, inContainer: boolean): string[] {
  const out: string[] = [];
  const os = inContainer ? undefined : osMismatchWarning(fn, process.platform);
  if (os) out.push(os);
  const major = nodeMajorOf(fn.runtime);
  if (major !== undefined && major !== node.major) {
    out.push(`the function's runtime is ${fn.runtime}; it runs here on Node.js ${node.version}${node.path === process.execPath ? ' (this host\'s; give node to run another)' : ''}`);
  }
  return out;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

interface Prepared {
  readonly options: LocalInvokeOptions;
  readonly fn: FunctionInfo;
  readonly node: NodeInfo;
  readonly emulation?: Emulation;
  readonly container?: ContainerPlan;
  readonly layout: Layout;
  readonly workDir: WorkDir;
  readonly isolation: Isolation;
  readonly ric: RicLookup;
  readonly sharedDirs: readonly string[];
  readonly warnings: string[];
  readonly warn: (message: string) => void;
  readonly layoutMs: number;
}

/**
 * Runs the environment with aws-lambda-ric when found; again with the
 * bootstrap (tmp/ emptied, a new environment) when the ric cannot start here
 * or refuses what the function's runtime accepts.
 */
async function runWithFallback(p: Prepared): Promise<InvokeResult> {
  const { options, fn, layout } = p;
  const events = (options.events ?? Array.from({ length: options.invocations ?? 1 }, () => options.event ?? {}))
    .map((e) => JSON.stringify(e === undefined ? null : e));
  // Under emulation the defaults (the function's Timeout, Lambda's 10 s init) stretch; given values do not.
  const factor = p.emulation?.info.timeFactor ?? p.container?.info.timeFactor ?? 1;
  const run = (client: ClientChoice, warn: (m: string) => void) => runEnvironment({
    client,
    fn,
    node: p.node,
    emulation: p.emulation,
    container: p.container,
    layout,
    isolation: p.isolation,
    events,
    timeoutMs: (options.timeoutSeconds ?? (fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * factor) * 1000,
    initTimeoutMs: (options.initTimeoutSeconds ?? DEFAULT_INIT_TIMEOUT_SECONDS * factor) * 1000,
    region: options.region ?? DEFAULT_REGION,
    extraEnv: options.env ?? {},
    sharedDirs: p.sharedDirs,
    warn,
    log: options.onLog ?? (() => undefined),
  });

  let client = p.container ? containerBootstrap() : p.ric.found ? ricChoice(p.ric.found, layout) : bootstrapChoice(layout);
  let outcome = await run(client, p.warn);
  const rerun = client.client === 'aws-lambda-ric' && (options.runtimeClient ?? 'auto') === 'auto' ? rerunReason(outcome, fn) : undefined;
  if (rerun) {
    p.warn(rerun);
    resetTmp(layout);
    client = bootstrapChoice(layout);
    outcome = await run(client, () => undefined);
  }
  return result(p, client, outcome);
}

/** The built-in bootstrap where the container sees the layout's runtime folder. */
function containerBootstrap(): ClientChoice {
  const entry = path.posix.join(CONTAINER_LAYOUT.runtime, SCRIPTS.bootstrap);
  return { client: 'bootstrap', entry, argv: [entry] };
}

/** Why the bootstrap must run instead of the ric that just ran, or undefined. */
function rerunReason(outcome: RunOutcome, fn: FunctionInfo): string | undefined {
  if (outcome.ricUnusable) return `aws-lambda-ric could not start (${outcome.ricUnusable}); ran the bootstrap runtime client instead`;
  // aws-lambda-ric 4.x applies the Node.js 24 rule; older runtimes still run callback handlers.
  if (outcome.initError?.errorType === 'Runtime.CallbackHandlerDeprecated' && runtimeMajor(fn) < 24) {
    return `aws-lambda-ric refuses callback-style handlers (the nodejs24.x rule) but ${fn.runtime ?? 'this runtime'} runs them; ran the bootstrap runtime client instead`;
  }
  return undefined;
}

function result(p: Prepared, client: ClientChoice, run: RunOutcome): InvokeResult {
  const firstFailed = run.invocations.find((i) => i.error);
  const last = run.invocations[run.invocations.length - 1];
  return {
    function: p.fn,
    result: last && !last.error ? last.result : undefined,
    error: run.initError ?? firstFailed?.error,
    errorPhase: run.initError ? 'init' : firstFailed ? 'invoke' : undefined,
    timedOut: run.initTimedOut || run.invocations.some((i) => i.timedOut),
    initMs: run.initMs,
    invokeMs: run.invocations.map((i) => i.invokeMs),
    invocations: run.invocations,
    runtimeClient: client.client,
    runtimeClientPath: client.entry,
    runtimeClientVersion: client.version,
    isolation: p.isolation.info,
    nodeVersion: p.node.version,
    emulation: p.emulation?.info,
    container: p.container?.info,
    logs: run.output,
    layoutMs: p.layoutMs,
    layoutDir: p.options.keepLayout ? p.layout.root : undefined,
    warnings: p.warnings,
    workDir: p.workDir.dir,
    notes: p.workDir.note ? [p.workDir.note] : [],
  };
}
