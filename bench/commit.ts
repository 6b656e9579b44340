/**
 * The code a bench part measures: this checkout's commit, and whether the
 * checkout differs from it, recorded with the part's figures in
 * bench/results.json and printed in bench/results.md.
 */
import { spawnSync } from 'child_process';

/** The commit a part measured. */
export interface MeasuredCommit {
  /** `git rev-parse HEAD` when the part started; null for results measured before the bench recorded it. */
  readonly commit: string | null;
  /** Whether the checkout differed from that commit (`git status --porcelain`, the bench's own outputs aside); null when not recorded. */
  readonly dirty: boolean | null;
  /** What differed (at most 20 paths), when dirty. */
  readonly changed?: string[];
  /** Why commit is null. */
  readonly note?: string;
}

/** What the bench writes: not part of the code it measures. */
export const BENCH_OUTPUTS = ['bench/results.json', 'bench/results.md'];

function git(root: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf-8', shell: false });
  if (r.error || r.status !== 0) {
    throw new Error(`bench: git ${args.join(' ')} in ${root} failed (${r.error ? r.error.message : `exit ${r.status}: ${r.stderr.trim()}`}); the bench records the commit it measures, so run it in a git checkout`);
  }
  return r.stdout;
}

/** HEAD of the checkout at `root`, and what in it differs from HEAD (tracked or untracked, not ignored). */
export function measuredCommit(root: string): MeasuredCommit {
  const commit = git(root, ['rev-parse', 'HEAD']).trim();
  const changed = git(root, ['status', '--porcelain', '--untracked-files=all']).split('\n')
    .filter((l) => l.trim() !== '').map((l) => l.slice(3)).filter((f) => !BENCH_OUTPUTS.includes(f));
  return changed.length > 0 ? { commit, dirty: true, changed: changed.slice(0, 20) } : { commit, dirty: false };
}
