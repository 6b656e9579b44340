/**
 * The second and later cdk.out of one process (a jest suite's Apps) linking a
 * cached layer: the entry's folders and files as this process first linked
 * them, after the cache found the entry sound, so a later App makes the
 * folders and links the files from that list instead of walking and
 * re-checking the entry twice (its seal, then its tree). Each linked file is
 * still compared with the list (size, mtime, inode), so an entry damaged or
 * replaced since is noticed and the caller takes the full path again (the
 * cache's own check, which removes and rebuilds a damaged entry).
 */
// Named imports: a later App makes a thousand of these calls, each otherwise through a namespace getter.
import { linkSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'fs';
import * as path from 'path';

/** One file of a linked entry: its path below the entry, size, mtime and inode. */
type LinkedFile = readonly [rel: string, size: number, mtimeMs: number, ino: number];

/** A cache entry as this process linked it. */
interface LinkedEntry {
  /** The entry's folder. */
  readonly entry: string;
  readonly dirs: readonly string[];
  readonly files: readonly LinkedFile[];
}

/** Entries this process linked, by the key the caller gives (the cache's folder and the layer's hash). */
const linked = new Map<string, LinkedEntry>();

/**
 * Remembers, under `key`, the cache entry `entry` as linked whole at `to`
 * (every file a hard link, no copy): its folders and files, read from `to`.
 */
export function rememberLinkedEntry(key: string, entry: string, to: string): void {
  const dirs: string[] = [];
  const files: LinkedFile[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}${path.sep}${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs.push(r);
        walk(path.join(d, e.name), r);
      } else {
        const st = lstatSync(path.join(d, e.name));
        files.push([r, st.size, st.mtimeMs, st.ino]);
      }
    }
  };
  walk(to, '');
  linked.set(key, { entry, dirs, files });
}

/**
 * Links the entry remembered under `key` at `to`. false (nothing left at `to`,
 * the entry forgotten) when nothing is remembered, a file is missing or
 * differs from what this process linked before, or a link cannot be made: the
 * caller then takes the full path.
 */
export function relinkRemembered(key: string, to: string): boolean {
  const known = linked.get(key);
  if (!known) return false;
  const entry = known.entry;
  try {
    mkdirSync(to);
    // The paths are already normal: plain concatenation, no path.join per file.
    for (const d of known.dirs) mkdirSync(`${to}${path.sep}${d}`);
    for (const [rel, size, mtimeMs, ino] of known.files) {
      const dst = `${to}${path.sep}${rel}`;
      linkSync(`${entry}${path.sep}${rel}`, dst);
      const st = lstatSync(dst);
      if (st.ino !== ino || st.size !== size || st.mtimeMs !== mtimeMs) throw new Error(`${rel} changed`);
    }
    return true;
  } catch {
    linked.delete(key);
    rmSync(to, { recursive: true, force: true });
    return false;
  }
}

/** Forgets every remembered entry (tests). */
export function forgetLinkedEntries(): void {
  linked.clear();
}
