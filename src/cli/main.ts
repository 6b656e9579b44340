/**
 * `npx cdk-vectordb-layer <command>`: the commands around the constructs.
 *
 * Exit codes (every command): 0 success, 1 the work failed (build, invoke),
 * 2 bad usage or input. Progress goes to stderr, results to stdout.
 */

export interface Command {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

/** Commands by name; each lives in its own file under src/cli/. */
function commands(): Record<string, Command> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const found: Record<string, Command> = {};
  for (const name of ['build', 'versions', 'invoke', 'cache']) {
    try {
      found[name] = require(`./${name}`).command;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((e as Error).message).includes(`./${name}`)) throw e;
    }
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return found;
}

function usage(all: Record<string, Command>): string {
  const lines = Object.entries(all).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`);
  return [
    'usage: cdk-vectordb-layer <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run cdk-vectordb-layer <command> --help for its options.',
    'Exit codes: 0 success, 1 the work failed, 2 bad usage or input.',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const all = commands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage(all)}\n`);
    return name ? 0 : 2;
  }
  const command = all[name];
  if (!command) {
    process.stderr.write(`cdk-vectordb-layer: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(all).join(', ')}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    process.stderr.write(`cdk-vectordb-layer ${name}: ${(e as Error).message}\n`);
    return 1;
  }
}
