/**
 * At most one maintenance run at a time on a database in a folder (EFS, or
 * a local folder): a lock file created exclusively (`O_EXCL`, which NFSv4 and
 * so EFS honour) in the database folder, holding its owner and its expiry.
 *
 * A run that finds a lock that has not expired leaves. The expiry is the
 * run's own deadline (the Lambda timeout), so a run killed mid-way (timeout,
 * out of memory) cannot hold the lock longer than it could have run: the next
 * run takes it over.
 *
 * For S3 (and LanceDB Cloud) there is no lock here: the maintenance
 * function's reserved concurrency of 1 keeps runs from overlapping.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The lock file's name, in the database folder. */
export const LOCK_FILE = '.cdk-vectordb-maintenance.lock';

/** What a lock file holds. */
export interface LockInfo {
  readonly owner: string;
  /** ISO time. */
  readonly acquiredAt: string;
  /** ISO time after which another run may take the lock over. */
  readonly expiresAt: string;
}

/** A lock this run holds. */
export interface HeldLock {
  readonly file: string;
  readonly info: LockInfo;
  /** Removes the lock file when it is still this run's. */
  release(): void;
}

/** The outcome of trying to take the lock. */
export type LockAttempt =
  | { readonly held: HeldLock; readonly tookOver?: LockInfo }
  | { readonly busy: LockInfo };

/**
 * Takes the lock of the database folder `dir` until `expiresAt`, or says who
 * holds it. An expired (or unreadable and older than `staleMs`) lock is taken over.
 */
export function acquireFolderLock(dir: string, options: { owner?: string; expiresAt: Date; now?: Date; staleMs?: number }): LockAttempt {
  const file = path.join(dir, LOCK_FILE);
  const now = options.now ?? new Date();
  const info: LockInfo = {
    owner: options.owner ?? `${process.pid}-${crypto.randomBytes(4).toString('hex')}`,
    acquiredAt: now.toISOString(),
    expiresAt: options.expiresAt.toISOString(),
  };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (create(file, info)) return { held: held(file, info), ...(tookOver ? { tookOver } : {}) };
    const other = read(file);
    const expired = other
      ? Date.parse(other.expiresAt) <= now.getTime()
      : ageMs(file, now) > (options.staleMs ?? 15 * 60 * 1000);
    if (!expired) return { busy: other ?? { owner: 'unknown (unreadable lock file)', acquiredAt: '', expiresAt: '' } };
    // Move the expired lock aside (one run wins the rename), then try to create ours.
    const aside = `${file}.expired-${crypto.randomBytes(4).toString('hex')}`;
    try {
      fs.renameSync(file, aside);
      fs.rmSync(aside, { force: true });
    } catch {
      // another run moved it first; the create below decides
    }
    tookOver = other ?? undefined;
  }
  const other = read(file);
  return { busy: other ?? { owner: 'unknown (unreadable lock file)', acquiredAt: '', expiresAt: '' } };
}

function create(file: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cdk-vectordb-layer: maintenance cannot create its lock file ${file} (${(e as Error).message}); the maintenance function needs write access to the database folder`);
  }
  try {
    fs.writeSync(fd, JSON.stringify(info));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function read(file: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf-8'));
    return typeof parsed?.owner === 'string' && typeof parsed?.expiresAt === 'string' ? parsed as LockInfo : undefined;
  } catch {
    return undefined;
  }
}

function ageMs(file: string, now: Date): number {
  try {
    return now.getTime() - fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function held(file: string, info: LockInfo): HeldLock {
  return {
    file,
    info,
    release: () => {
      if (read(file)?.owner === info.owner) fs.rmSync(file, { force: true });
    },
  };
}
