/**
 * `cdk-vectordb-layer invoke <cdk.out> <function>`: runs a synthesized Lambda
 * function locally as Lambda would (no Docker, no AWS). See src/invoke/local-invoke.ts.
 */
import * as fs from 'fs';
import type { Command } from './main';
import { InvokeResult, listFunctions, localInvoke, LocalInvokeError, LocalInvokeOptions, RuntimeClient } from '../invoke/local-invoke';

const USAGE = `usage: cdk-vectordb-layer invoke <cdk.out> <function> [options]

Runs a function of a synthesized app locally as Lambda would, with no Docker
and no AWS: its code asset in task/, its layers merged in opt/, only tmp/
writable, Lambda's environment, and the Lambda runtime interface client
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
  --region <region>        AWS_REGION (default us-east-1)
  --runtime-client <name>  aws-lambda-ric or bootstrap (default: aws-lambda-ric when installed)
  --json                   print one JSON object on stdout (result, error, times, logs)
  --keep                   keep the temp layout (task/, opt/, tmp/) and print its folder
  --quiet                  do not echo the function's output on stderr
  -h, --help               this help

Prints the response (or Lambda's error) as JSON on stdout and the function's
output and "init N ms, invoke N ms" on stderr.
Exit codes: 0 the handler succeeded, 1 it failed or timed out, 2 bad usage or input.`;

class UsageError extends Error {}

interface Parsed {
  readonly help: boolean;
  readonly positional: string[];
  readonly event?: unknown;
  readonly times?: number;
  readonly env: Record<string, string>;
  readonly layerDirs: Record<string, string>;
  readonly timeout?: number;
  readonly region?: string;
  readonly runtimeClient?: RuntimeClient;
  readonly json: boolean;
  readonly keep: boolean;
  readonly quiet: boolean;
}

function keyValue(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} takes KEY=VALUE, got ${JSON.stringify(value)}`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // JSON.parse quotes the raw text in its message: keep the error on one line.
    throw new UsageError(`${where} is not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
}

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const env: Record<string, string> = {};
  const layerDirs: Record<string, string> = {};
  let event: unknown;
  let eventGiven = false;
  let times: number | undefined;
  let timeout: number | undefined;
  let region: string | undefined;
  let runtimeClient: RuntimeClient | undefined;
  let json = false;
  let keep = false;
  let quiet = false;
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const noValue = () => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--event': {
        if (eventGiven) throw new UsageError('give the event once: --event or --event-json');
        const file = value();
        let text: string;
        try {
          text = fs.readFileSync(file === '-' ? 0 : file, 'utf-8');
        } catch (e) {
          throw new UsageError(`cannot read the event file ${file}: ${(e as Error).message}`);
        }
        event = parseJson(text, `the event file ${file}`);
        eventGiven = true;
        break;
      }
      case '--event-json':
        if (eventGiven) throw new UsageError('give the event once: --event or --event-json');
        event = parseJson(value(), '--event-json');
        eventGiven = true;
        break;
      case '--times': {
        const v = value();
        times = Number(v);
        if (!/^\d+$/.test(v) || times < 1) throw new UsageError(`--times takes a whole number >= 1, got ${JSON.stringify(v)}`);
        break;
      }
      case '--timeout': {
        const v = value();
        timeout = Number(v);
        if (v.trim() === '' || !Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout takes a number of seconds > 0, got ${JSON.stringify(v)}`);
        break;
      }
      case '--env': {
        const [k, v] = keyValue(flag, value());
        env[k] = v;
        break;
      }
      case '--layer-dir': {
        const [k, v] = keyValue(flag, value());
        layerDirs[k] = v;
        break;
      }
      case '--region':
        region = value();
        if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`--region takes a region such as us-east-1, got ${JSON.stringify(region)}`);
        break;
      case '--runtime-client': {
        const v = value();
        if (v !== 'aws-lambda-ric' && v !== 'bootstrap') throw new UsageError(`--runtime-client takes aws-lambda-ric or bootstrap, got ${JSON.stringify(v)}`);
        runtimeClient = v;
        break;
      }
      case '--json':
        noValue();
        json = true;
        break;
      case '--keep':
        noValue();
        keep = true;
        break;
      case '--quiet':
        noValue();
        quiet = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  return { help, positional, event: eventGiven ? event : undefined, times, env, layerDirs, timeout, region, runtimeClient, json, keep, quiet };
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
  if (n === 0) {
    lines.push(`init ${ms(r.initMs)} ms (failed)`);
  }
  r.invocations.forEach((inv, i) => {
    const status = inv.timedOut ? ' (timed out)' : inv.error ? ' (error)' : '';
    if (i === 0) lines.push(`init ${ms(r.initMs)} ms, invoke ${ms(inv.invokeMs)} ms${status}${n > 1 ? ` (1/${n})` : ''}`);
    else lines.push(`invoke ${ms(inv.invokeMs)} ms${status} (warm, ${i + 1}/${n})`);
  });
  lines.push(`runtime client: ${r.runtimeClient}; layout ${ms(r.layoutMs)} ms`);
  return lines;
}

async function run(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`cdk-vectordb-layer invoke: ${e.message}\nRun cdk-vectordb-layer invoke --help for the options.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [cdkOut, functionId, ...extra] = parsed.positional;
  if (extra.length > 0 || !cdkOut) {
    process.stderr.write(`cdk-vectordb-layer invoke: ${extra.length > 0 ? `unexpected argument ${JSON.stringify(extra[0])}` : 'missing <cdk.out>'}\n${USAGE}\n`);
    return 2;
  }

  try {
    if (!functionId) {
      process.stderr.write(`cdk-vectordb-layer invoke: missing <function>\n${listing(cdkOut)}\n`);
      return 2;
    }
    const echo = !parsed.json && !parsed.quiet;
    const options: LocalInvokeOptions = {
      cdkOut,
      functionId,
      event: parsed.event ?? {},
      invocations: parsed.times,
      env: parsed.env,
      layerDirs: parsed.layerDirs,
      timeoutSeconds: parsed.timeout,
      region: parsed.region,
      runtimeClient: parsed.runtimeClient ?? 'auto',
      keepLayout: parsed.keep,
      onLog: echo ? (text) => process.stderr.write(text) : undefined,
    };
    const r = await localInvoke(options);
    const failed = r.error !== undefined;

    if (parsed.json) {
      const out = {
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
        layoutMs: r.layoutMs,
        layoutDir: r.layoutDir,
        warnings: r.warnings,
        logs: r.logs,
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return failed ? 1 : 0;
    }

    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`${JSON.stringify(failed ? r.error : r.result ?? null, null, 2)}\n`);
    for (const line of report(r)) process.stderr.write(`${line}\n`);
    if (r.error) {
      process.stderr.write(`${r.errorPhase === 'init' ? 'init failed' : 'the function failed'}: ${r.error.errorType}: ${r.error.errorMessage}\n`);
    }
    if (r.layoutDir) process.stderr.write(`layout kept at ${r.layoutDir}\n`);
    return failed ? 1 : 0;
  } catch (e) {
    if (!(e instanceof LocalInvokeError)) throw e;
    process.stderr.write(`cdk-vectordb-layer invoke: ${e.message}\n`);
    return 2;
  }
}

export const command: Command = {
  summary: 'run a synthesized Lambda function locally as Lambda would (no Docker, no AWS)',
  run,
};
