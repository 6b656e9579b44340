/**
 * File stamps: what a file or folder looks like to a stat (size, mtime,
 * inode), for answers kept while what they were read from is unchanged. A
 * write moves the mtime, a replacement (an editor's save by rename, npm
 * reinstalling a package) the inode, a truncation the size; what a stamp
 * cannot see is a write that puts the mtime back on purpose, or bit rot under
 * an unchanged inode.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A file's (or folder's) size, mtime and inode; undefined when there is no such file. */
export function fileStamp(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** A file and its stamp when an answer was taken from it (`null`: the file did not exist). */
export type StampedFile = readonly [file: string, stamp: string | null];

/** The files with their stamps now. */
export function stampFiles(files: Iterable<string>): StampedFile[] {
  return [...new Set(files)].map((f) => [f, fileStamp(f) ?? null] as const);
}

/** Whether every file still has its stamp (a file that was absent is still absent). */
export function stampsHold(stamped: readonly StampedFile[]): boolean {
  return stamped.every(([file, stamp]) => (fileStamp(file) ?? null) === stamp);
}

/**
 * Whether a stamp was taken too soon after its file's last write to be
 * trusted (git's "racily clean"): a second write within the file system's
 * timestamp granularity (up to 2 s on FAT, 1 s on HFS+ and ext3) keeps the
 * mtime, and with the same size the stamp would not move. An answer read from
 * such a file is used in this process but not kept for the next.
 */
export function racy(stamped: readonly StampedFile[], takenAtMs: number = Date.now()): boolean {
  return stamped.some(([, stamp]) => stamp !== null && Number(stamp.split(':')[1]) > takenAtMs - RACY_MS);
}

/** How recent a write makes a stamp racy. */
export const RACY_MS = 2000;

/** One entry of a folder's tree stamp: path below the folder (`''`: the folder), kind (`d` folder, `f` file, `l` link, `o` other), size, mtime, inode. */
export type TreeEntry = [relative: string, kind: string, size: number, mtimeMs: number, ino: number];

function entryOf(rel: string, st: fs.Stats): TreeEntry {
  const kind = st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : 'o';
  return [rel, kind, st.size, st.mtimeMs, st.ino];
}

/**
 * The folder and every entry below it with its stat (no file is read), sorted
 * by path: unchanged while nothing below was added, removed, renamed,
 * replaced, written, truncated or extended.
 */
export function treeStamp(dir: string): TreeEntry[] {
  const out: TreeEntry[] = [entryOf('', fs.lstatSync(dir))];
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const e = entryOf(r, fs.lstatSync(p));
      out.push(e);
      if (e[1] === 'd') walk(p, r);
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Whether a folder still has the tree stamp taken of it, by one stat per
 * entry the stamp lists and no listing: an entry added, removed or renamed
 * moves the mtime of the folder holding it, which the stamp holds too.
 */
export function treeHolds(dir: string, stamp: readonly TreeEntry[]): boolean {
  if (stamp.length === 0 || stamp[0][0] !== '') return false;
  try {
    return stamp.every((e) => {
      const now = entryOf(e[0], fs.lstatSync(e[0] === '' ? dir : path.join(dir, ...e[0].split('/'))));
      return now.every((v, i) => v === e[i]);
    });
  } catch {
    return false;
  }
}
