// Hand-written, not a lock package (proper-lockfile and the like): synth is
// synchronous and must block while another process builds, and the lock must
// know a dead owner (a killed synth) by its pid; the async packages do neither.
import * as fs from 'fs';
import * as os from 'os';

/** What a lock file holds: who builds. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

export interface BuildLockOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Between two looks at the lock. */
  readonly pollMs?: number;
  /** Told once, when another process holds the lock. */
  readonly onWait?: (owner: string) => void;
}

/** Blocks the thread (synth is synchronous; so is the build it waits for). */
function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf-8'));
    return typeof owner?.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function describeOwner(owner: LockOwner | undefined): string {
  return owner ? `process ${owner.pid} on ${owner.host}, since ${owner.started}` : 'an unknown process';
}

/**
 * An exclusive lock between processes on one machine: a file created with
 * O_EXCL holding the owner's pid. A lock whose owner died (a synth killed
 * mid-build) is taken over; one held longer than `timeoutMs` or by another
 * host is reported with the file to delete.
 *
 * @returns the function that releases the lock
 */
export function acquireBuildLock(file: string, options: BuildLockOptions): () => void {
  const deadline = Date.now() + options.timeoutMs;
  const poll = options.pollMs ?? 250;
  let told = false;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fd !== undefined) {
      try {
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
      } finally {
        fs.closeSync(fd);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // Only our own lock: never one a waiter took over after deciding we were gone.
        if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
    }

    const owner = readOwner(file);
    if (owner && owner.host === os.hostname() && !alive(owner.pid)) {
      // The owner is gone. Move its file aside before deleting it, so that of
      // two waiters only one removes it, and never a lock taken meanwhile.
      const aside = `${file}.stale-${process.pid}`;
      try {
        fs.renameSync(file, aside);
        const moved = readOwner(aside);
        if (moved && moved.pid !== owner.pid) {
          // Someone else's fresh lock: put it back unless a newer one exists.
          try {
            fs.linkSync(aside, file);
          } catch {
            // a third process took the lock in between: it and that owner both go on (rare)
          }
        }
        fs.rmSync(aside, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      continue;
    }
    if (owner === undefined && fs.existsSync(file)) {
      // Created but not yet written (or garbage): give its writer a moment.
      const age = Date.now() - fs.statSync(file).mtimeMs;
      if (age > 10_000) {
        fs.rmSync(file, { force: true });
        continue;
      }
    }
    if (Date.now() >= deadline) {
      throw new Error(`another synth (${describeOwner(owner)}) has been building this layer for longer than ${Math.round(options.timeoutMs / 60000)} minutes and still holds ${file}. If no synth is running, delete that file and synthesize again`);
    }
    if (!told) {
      told = true;
      options.onWait?.(describeOwner(owner));
    }
    sleep(poll);
  }
}
