/** npm asked directly, several at once (argument-vector spawns, no shell). */
import { spawn } from 'child_process';

export interface NpmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** npm with these arguments, asynchronously (several at once keep the registry's latency off the clock). */
export function npmAsync(args: string[], cwd?: string, timeoutMs = 300_000): Promise<NpmResult> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf-8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf-8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr: `${stderr}${e.message}` });
    });
  });
}

/** Runs `fn` over `items`, at most `limit` at once, keeping the order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
