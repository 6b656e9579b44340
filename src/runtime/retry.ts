/**
 * Writes that survive other writers: a LanceDB commit conflict is retried
 * with jittered exponential backoff, then fails with an error that names the
 * conflict, the table and the attempts.
 *
 * What conflicts (measured with vectordb 0.21.2, Lance 0.32, and
 * @lancedb/lancedb 0.39.0, Lance 12, concurrent processes on one folder
 * table): appends never reach the caller as conflicts: Lance rebases an
 * append onto whatever committed meanwhile and retries it itself (10
 * processes x 15 appends: 150 of 150 committed, no error). Updates and
 * merge-inserts against each other were rebased too. What does reach the
 * caller is a rewrite racing a change to the same rows: compaction
 * (`optimize`, `compactFiles`) against a concurrent delete or update, and
 * with vectordb a delete against an update:
 *
 *   lance error: Retryable commit conflict for version 69: This Rewrite
 *   transaction was preempted by concurrent transaction Delete at version 69.
 *   Please retry.
 *
 * and, once Lance's own retries run out, `Commit conflict for version N:
 * Failed to commit the transaction after 20 retries.` Both match
 * `isCommitConflict`. Retrying here runs the whole operation again on the
 * latest version, which is what "Please retry" asks for.
 */

/** Options of `withCommitRetry` and `append`. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default: 6. */
  readonly attempts?: number;
  /** The first backoff's ceiling in milliseconds; doubled each retry. Default: 100. */
  readonly baseDelayMs?: number;
  /** No backoff is longer than this, in milliseconds. Default: 5000. */
  readonly maxDelayMs?: number;
  /** The table's name, for the error. Default: the table's `name`, else "the table". */
  readonly table?: string;
  /** What was being written, for the error (e.g. "add of 10 rows"). */
  readonly operation?: string;
  /** Called before each retry (to count or log them). */
  readonly onRetry?: (retry: { attempt: number; delayMs: number; error: unknown }) => void;
  /** A number in [0, 1): the jitter. Default: Math.random. For tests. */
  readonly random?: () => number;
  /** Waits. Default: setTimeout. For tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const DEFAULTS = { attempts: 6, baseDelayMs: 100, maxDelayMs: 5000 };

/** Lance's commit conflicts, retryable or after its own retries ran out, in either SDK. */
const CONFLICT = /commit ?conflict/i;

/** Whether `error` is a LanceDB commit conflict (another writer committed first). */
export function isCommitConflict(error: unknown): boolean {
  const message = (error as { message?: unknown } | undefined)?.message ?? error;
  return typeof message === 'string' ? CONFLICT.test(message) : false;
}

/** A write that still met a commit conflict after every attempt. */
export class CommitConflictError extends Error {
  /** The table written to. */
  public readonly table: string;
  /** Attempts made, the first included. */
  public readonly attempts: number;
  /** The last conflict LanceDB reported. */
  public readonly cause: unknown;

  constructor(table: string, attempts: number, operation: string | undefined, cause: unknown) {
    const first = String((cause as { message?: unknown })?.message ?? cause).split('\n')[0].slice(0, 300);
    super(`cdk-vectordb-layer: commit conflict on table ${JSON.stringify(table)}${operation ? ` (${operation})` : ''} after ${attempts} attempts: ${first}; `
      + 'other writers kept committing first: run fewer writers at once on this table (reserved concurrency), batch rows into fewer, larger appends, or raise attempts');
    this.name = 'CommitConflictError';
    this.table = table;
    this.attempts = attempts;
    this.cause = cause;
  }
}

/**
 * Runs `write` (given the attempt number, from 1), and again after a commit
 * conflict, with full-jitter exponential backoff: before retry n it waits a
 * random time below min(maxDelayMs, baseDelayMs x 2^(n-1)). Other errors are
 * thrown at once. After `attempts` conflicts it throws a `CommitConflictError`.
 */
export async function withCommitRetry<T>(write: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULTS.attempts));
  const base = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(attempt);
    } catch (error) {
      if (!isCommitConflict(error)) throw error;
      if (attempt >= attempts) throw new CommitConflictError(options.table ?? 'the table', attempt, options.operation, error);
      const delayMs = Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/** What `append` did. */
export interface AppendResult {
  /** Rows appended. */
  readonly rows: number;
  /** Attempts it took (1: no conflict). */
  readonly attempts: number;
}

/** The part of a LanceDB table `append` uses (both SDKs). */
interface AppendableTable {
  readonly name?: string;
  add(rows: unknown): Promise<unknown>;
}

/**
 * Appends `rows` to `table` (either SDK), retrying a commit conflict (see
 * `withCommitRetry`). A failed commit leaves no rows behind (its data files
 * are unreferenced until a cleanup removes them), so a retry never doubles
 * a row.
 */
export async function append(table: AppendableTable, rows: unknown[], options: RetryOptions = {}): Promise<AppendResult> {
  let used = 0;
  await withCommitRetry((attempt) => {
    used = attempt;
    return table.add(rows);
  }, {
    ...options,
    table: options.table ?? (typeof table.name === 'string' ? table.name : undefined),
    operation: options.operation ?? `add of ${rows.length} row${rows.length === 1 ? '' : 's'}`,
  });
  return { rows: rows.length, attempts: used };
}
