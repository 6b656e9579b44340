/**
 * `cdk-vectordb-layer invoke <cdk.out> [<function>]`: runs a synthesized Lambda
 * function locally as Lambda would (no Docker, no AWS), or lists the functions.
 * See src/invoke/local-invoke.ts.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { parseOrExit, UsageError } from './args';
import type { Command } from './main';
import { InvokeResult, IsolationMode, listFunctions, localInvoke, LocalInvokeError, LocalInvokeOptions, RuntimeClient } from '../invoke/local-invoke';

const USAGE = `usage: cdk-vectordb-layer invoke <cdk.out> [<function>] [options]

Runs a function of a synthesized app locally as Lambda would, with no AWS (and
no Docker on Linux; in a Linux container on macOS and Windows): its code asset in task/, its layers merged in opt/, its own empty
/tmp and nothing else writable, Lambda's environment and Node.js flags, ES
imports resolved through NODE_PATH, and the Lambda runtime interface client
(aws-lambda-ric when installed, else a built-in bootstrap) against a local
Runtime API. <function> is the construct path (Stack/Search), the logical id,
or Stack/LogicalId. With only <cdk.out>, lists the functions.

options:
  --event <file>           the event, a JSON file ('-' reads stdin)    (default {})
  --event-json <json>      the event, inline
  --times <n>              invoke the same initialised function n times: init once, then warm
  --env <K=V>              an environment variable over the template's (repeatable)
  --timeout <seconds>      per invocation (default: the function's Timeout, else 3)
  --layer-dir <key=dir>    content folder for a layer imported by ARN (key: its ARN,
                           logical id or 0-based position; repeatable)
  --shared-dir <dir>       a host folder the function may write, shared by every
                           invoke as an EFS mount is (repeatable; not under /tmp)
  --region <region>        AWS_REGION (default us-east-1)
  --runtime-client <name>  aws-lambda-ric or bootstrap (default: aws-lambda-ric when installed)
  --isolation <mode>       auto, namespace or none: the function's own /tmp in a mount
                           namespace, the rest read-only (default auto: namespace where
                           the host can, else says so on the first line)
  --work-dir <dir>         where each execution environment is laid out, outside /tmp
                           (default $CDK_VECTORDB_LAYER_CACHE/invoke when that is a
                           folder outside /tmp, else ~/.cache/cdk-vectordb-layer/invoke)
  --node <path>            the Node.js executable that runs the function, e.g. the
                           runtime's own major (default: the one running this command)
  --sysroot <dir>          for a function of another architecture, run under qemu: its
                           libc (default QEMU_LD_PREFIX, else /usr/aarch64-linux-gnu from
                           libc6-arm64-cross, or /usr/x86_64-linux-gnu); --node is then
                           a build for its architecture (default: npm pack
                           node-linux-<cpu>@<major>, fetched once into the layer cache)
  --container              run it in a Linux container (docker or podman: CDK_DOCKER, else
                           docker, else podman): task and layers read-only at /var/task
                           and /opt, its own /tmp, the function's architecture as the
                           platform (default: where this host cannot load Linux
                           binaries, i.e. macOS and Windows)
  --image <image>          the container's image, with node on its PATH (implies
                           --container; default public.ecr.aws/lambda/nodejs:<major>)
  --json                   print one JSON object on stdout (result, error, times, logs)
  --keep                   keep the layout (task/, opt/, tmp/) and print its folder
  --quiet                  do not echo the function's output on stderr
  -h, --help               this help

Prints the response (or Lambda's error) as JSON on stdout; warnings (first),
the function's output and "init N ms, invoke N ms" on stderr.
A function whose database is in S3, on EFS or in LanceDB Cloud stops with exit 2
unless --env VECTORDB_URI=... points it at a folder (with --shared-dir) or at a
local S3 server.
Exit codes: 0 the handler succeeded (or the functions were listed), 1 it failed
or timed out, 2 bad usage or input.`;


const OPTIONS = {
  'event': { type: 'string' },
  'event-json': { type: 'string' },
  'times': { type: 'string' },
  'env': { type: 'string', multiple: true },
  'timeout': { type: 'string' },
  'layer-dir': { type: 'string', multiple: true },
  'shared-dir': { type: 'string', multiple: true },
  'region': { type: 'string' },
  'runtime-client': { type: 'string' },
  'isolation': { type: 'string' },
  'work-dir': { type: 'string' },
  'node': { type: 'string' },
  'sysroot': { type: 'string' },
  'container': { type: 'boolean' },
  'image': { type: 'string' },
  'json': { type: 'boolean' },
  'keep': { type: 'boolean' },
  'quiet': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const;

interface Parsed {
  readonly help: boolean;
  readonly cdkOut?: string;
  readonly functionId?: string;
  readonly options: Omit<LocalInvokeOptions, 'cdkOut' | 'functionId'>;
  readonly json: boolean;
  readonly quiet: boolean;
}

/** parseArgs' own errors, as one line naming the flag. */
function usageError(e: Error & { code?: string }): UsageError {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${flag}`);
  if (/does not take an argument/.test(e.message)) return new UsageError(`${flag} takes no value`);
  if (/ambiguous/.test(e.message)) return new UsageError(`${flag} needs a value (a value that starts with "-" goes as ${flag}=<value>)`);
  if (/argument missing/.test(e.message)) return new UsageError(`${flag} needs a value`);
  return new UsageError(e.message.split('\n')[0]);
}

function keyValues(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes KEY=VALUE, got ${JSON.stringify(value)}`);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // JSON.parse quotes the raw text in its message: keep the error on one line.
    throw new UsageError(`${where} is not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
}

function readEvent(file: string | undefined, json: string | undefined): unknown {
  if (json !== undefined) return parseJson(json, '--event-json');
  if (file === undefined) return {};
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf-8');
  } catch (e) {
    throw new UsageError(`cannot read the event file ${file}: ${(e as Error).message}`);
  }
  return parseJson(text, `the event file ${file}`);
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const names = `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} takes ${names}, got ${JSON.stringify(value)}`);
  return value as T;
}

function numbers(v: { times?: string; timeout?: string }): { times?: number; timeout?: number } {
  if (v.times !== undefined && (!/^\d+$/.test(v.times) || Number(v.times) < 1)) throw new UsageError(`--times takes a whole number >= 1, got ${JSON.stringify(v.times)}`);
  const timeout = v.timeout === undefined ? undefined : Number(v.timeout);
  if (v.timeout !== undefined && (v.timeout.trim() === '' || !Number.isFinite(timeout) || timeout! <= 0)) {
    throw new UsageError(`--timeout takes a number of seconds > 0, got ${JSON.stringify(v.timeout)}`);
  }
  return { times: v.times === undefined ? undefined : Number(v.times), timeout };
}

function parse(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw usageError(e as Error);
  }
  const v = parsed.values;
  const eventFlags = parsed.tokens.filter((t) => t.kind === 'option' && (t.name === 'event' || t.name === 'event-json'));
  if (eventFlags.length > 1) throw new UsageError('give the event once: --event or --event-json');
  if (v.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(v.region)) throw new UsageError(`--region takes a region such as us-east-1, got ${JSON.stringify(v.region)}`);
  const { times, timeout } = numbers(v);
  const [cdkOut, functionId, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const event = v.help ? undefined : readEvent(v.event, v['event-json']);
  return {
    help: v.help === true,
    cdkOut,
    functionId,
    json: v.json === true,
    quiet: v.quiet === true,
    options: {
      event,
      invocations: times,
      env: keyValues('--env', v.env),
      layerDirs: keyValues('--layer-dir', v['layer-dir']),
      sharedDirs: v['shared-dir'],
      timeoutSeconds: timeout,
      region: v.region,
      runtimeClient: oneOf<RuntimeClient>('--runtime-client', v['runtime-client'], ['aws-lambda-ric', 'bootstrap']) ?? 'auto',
      isolation: oneOf<IsolationMode>('--isolation', v.isolation, ['auto', 'namespace', 'none']),
      workDir: v['work-dir'],
      node: v.node,
      sysroot: v.sysroot,
      container: v.container === true ? true : undefined,
      image: v.image,
      keepLayout: v.keep === true,
    },
  };
}

function listing(cdkOut: string): string {
  const all = listFunctions(cdkOut);
  if (all.length === 0) return `no Lambda functions in ${cdkOut}`;
  return [`functions in ${cdkOut}:`, ...all.map((f) => `  ${f.path ?? `${f.stackId}/${f.logicalId}`}  (${f.logicalId}${f.runtime ? `, ${f.runtime}` : ''}${f.handler ? `, ${f.handler}` : ''})`)].join('\n');
}

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function report(r: InvokeResult): string[] {
  const lines: string[] = [];
  const n = r.invocations.length;
  if (n === 0) lines.push(`init ${ms(r.initMs)} ms (failed)`);
  r.invocations.forEach((inv, i) => {
    const status = inv.timedOut ? ' (timed out)' : inv.error ? ' (error)' : '';
    if (i === 0) lines.push(`init ${ms(r.initMs)} ms, invoke ${ms(inv.invokeMs)} ms${status}${n > 1 ? ` (1/${n})` : ''}`);
    else lines.push(`invoke ${ms(inv.invokeMs)} ms${status} (warm, ${i + 1}/${n})`);
  });
  const client = r.runtimeClientVersion ? `${r.runtimeClient} ${r.runtimeClientVersion}` : r.runtimeClient;
  const tmp = r.isolation.mode === 'namespace' ? `own /tmp (namespace ${ms(r.isolation.setupMs)} ms)`
    : r.isolation.mode === 'container' ? 'own /tmp (container)' : 'host /tmp (not isolated)';
  const emulated = r.emulation ? ` ${r.emulation.arch} under qemu` : r.container ? ` in ${r.container.image} (${r.container.platform})` : '';
  lines.push(`runtime client: ${client} on Node.js ${r.nodeVersion}${emulated}; ${tmp}; layout ${ms(r.layoutMs)} ms`);
  if (r.error) lines.push(`${r.errorPhase === 'init' ? 'init failed' : 'the function failed'}: ${r.error.errorType}: ${r.error.errorMessage}`);
  if (r.layoutDir) lines.push(`layout kept at ${r.layoutDir}`);
  for (const note of r.notes) lines.push(`note: ${note}`);
  return lines;
}

function asJson(r: InvokeResult): string {
  return JSON.stringify({
    function: r.function.path ?? `${r.function.stackId}/${r.function.logicalId}`,
    logicalId: r.function.logicalId,
    result: r.result,
    error: r.error,
    errorPhase: r.errorPhase,
    timedOut: r.timedOut,
    initMs: r.initMs,
    invokeMs: r.invokeMs,
    invocations: r.invocations,
    runtimeClient: r.runtimeClient,
    runtimeClientVersion: r.runtimeClientVersion,
    nodeVersion: r.nodeVersion,
    emulation: r.emulation,
    container: r.container,
    isolation: r.isolation,
    layoutMs: r.layoutMs,
    layoutDir: r.layoutDir,
    warnings: r.warnings,
    workDir: r.workDir,
    notes: r.notes,
    logs: r.logs,
  }, null, 2);
}

async function invoke(parsed: Parsed & { cdkOut: string; functionId: string }): Promise<number> {
  const r = await localInvoke({
    ...parsed.options,
    cdkOut: parsed.cdkOut,
    functionId: parsed.functionId,
    // Warnings as soon as they are known: the isolation one is the first line.
    onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
    onLog: !parsed.json && !parsed.quiet ? (text) => process.stderr.write(text) : undefined,
  });
  if (parsed.json) {
    process.stdout.write(`${asJson(r)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(r.error ?? r.result ?? null, null, 2)}\n`);
    for (const line of report(r)) process.stderr.write(`${line}\n`);
  }
  return r.error ? 1 : 0;
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrExit(() => parse(argv), USAGE, (m) => `cdk-vectordb-layer invoke: ${m}\nRun cdk-vectordb-layer invoke --help for the options.`);
  if (typeof parsed === 'number') return parsed;
  const { cdkOut, functionId } = parsed;
  try {
    if (!cdkOut) {
      process.stderr.write(`cdk-vectordb-layer invoke: missing <cdk.out>\n${USAGE}\n`);
      return 2;
    }
    if (functionId === undefined) {
      process.stdout.write(`${listing(cdkOut)}\n`);
      return 0;
    }
    if (functionId === '') {
      process.stderr.write(`cdk-vectordb-layer invoke: missing <function>\n${listing(cdkOut)}\n`);
      return 2;
    }
    return await invoke({ ...parsed, cdkOut, functionId });
  } catch (e) {
    if (!(e instanceof LocalInvokeError)) throw e;
    process.stderr.write(`cdk-vectordb-layer invoke: ${e.message}\n`);
    return 2;
  }
}

export const command: Command = {
  summary: 'run a synthesized Lambda function locally as Lambda would (no AWS; in a Linux container on macOS and Windows); list them',
  run,
};
