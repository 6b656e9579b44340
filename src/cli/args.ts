/**
 * Command-line parsing for every command: node:util's parseArgs (strict), with
 * its errors told in one line and exit status 2 (a UsageError).
 */
import { parseArgs } from 'util';

/** Bad usage or input: the command prints the message alone and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once (values collect in an array). */
  readonly multiple?: boolean;
}

/** What parseArgs found: option values by name, and positionals. */
export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

/** `cdk-vectordb-layer <command>: <flag> <problem>, got "<value>"; <fix>` on one line, whatever the value holds. */
export function badInput(command: string, flag: string, problem: string, value: string, fix: string): string {
  const shown = value.length > 120 ? `${value.slice(0, 120)}...` : value;
  return `cdk-vectordb-layer ${command}: ${flag} ${problem}, got ${JSON.stringify(shown)}; ${fix}`;
}

/** parseArgs' error, in a line of ours. */
function explain(command: string, e: NodeJS.ErrnoException): string {
  const message = e.message ?? '';
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  const help = `; run cdk-vectordb-layer ${command} --help for the options`;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `cdk-vectordb-layer ${command}: unknown option ${JSON.stringify(flag)}${help}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `cdk-vectordb-layer ${command}: unexpected argument ${JSON.stringify(/'([^']*)'/.exec(message)?.[1] ?? '')}${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message)
        ? `cdk-vectordb-layer ${command}: ${flag} takes no value; write ${flag} alone`
        : `cdk-vectordb-layer ${command}: ${flag} needs a value${help}`;
    default:
      return `cdk-vectordb-layer ${command}: ${message.split('\n')[0]}${help}`;
  }
}

/**
 * Parses `argv` strictly against `options`. Throws a UsageError for an
 * unknown option, a missing value, a value given to a flag, a positional where
 * none is allowed, and a single-valued option given twice.
 */
export function parseCommandArgs(command: string, argv: string[], options: Record<string, OptionSpec>, allowPositionals = false): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals, tokens: true });
  } catch (e) {
    throw new UsageError(explain(command, e as NodeJS.ErrnoException));
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || options[token.name]?.multiple) continue;
    if (seen.has(token.name) && options[token.name]?.type === 'string') {
      throw new UsageError(badInput(command, `--${token.name}`, 'is given twice', String(token.value ?? ''), `give --${token.name} once`));
    }
    seen.add(token.name);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/**
 * Every command's start: `parse()` its arguments, or print the UsageError
 * (told by `tell`, e.g. with a hint) and give exit status 2; with `--help`,
 * print the usage and give 0. Anything else the parse throws is the command's.
 *
 * @returns the parsed arguments, or the exit status when the command is done
 */
export function parseOrExit<T extends { readonly help?: boolean }>(
  parse: () => T,
  usage: string,
  tell: (message: string) => string = (m) => m,
): T | number {
  let parsed: T;
  try {
    parsed = parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${tell(e.message)}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return parsed;
}
