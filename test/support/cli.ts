/** The CLI (`cdk-vectordb-layer <argv>`) run in this process, its output captured. */
import { setEnv } from './env';
import { run } from '../../src/cli/main';

/** What a CLI run did: its exit status and what it wrote. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where `cliInProcess` runs the CLI: environment variables (undefined: unset) and folder. */
export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

/**
 * `cdk-vectordb-layer <argv>` in this process (no ts-node start-up), its output
 * captured; `env` set for the run (undefined: unset) and `cwd` the folder it
 * runs in, both restored after.
 */
export async function cliInProcess(argv: string[], options: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const cwd = process.cwd();
  const restoreEnv = setEnv(options.env ?? {});
  try {
    if (options.cwd) process.chdir(options.cwd);
    const status = await run(argv);
    return { status, stdout, stderr };
  } finally {
    process.chdir(cwd);
    restoreEnv();
    out.mockRestore();
    err.mockRestore();
  }
}
