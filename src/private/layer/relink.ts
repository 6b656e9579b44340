/**
 * The second and later cdk.out of one process (a jest suite's Apps) linking a
 * cached layer: the entry's folders and files as this process first linked
 * them, after the cache found the entry sound, so a later App makes the
 * folders and links the files from that list instead of walking and
 * re-checking the entry twice (its seal, then its tree). Each linked file is
 * still compared with the list (size, mtime, inode), so an entry damaged or
 * replaced since is noticed and the caller takes the full path again (the
 * cache's own check, which removes and rebuilds a damaged entry). What it
 * linked comes back as the folder's tree stamp (../common/file-stamp.ts), from
 * those stats and one of each folder, for the staged folder's seal: no second
 * walk of the folder.
 */
// Named imports: a later App makes a thousand of these calls, each otherwise through a namespace getter.
import { linkSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'fs';
import * as path from 'path';
import { TreeEntry } from '../common/file-stamp';

/** One file of a linked entry: its path below the entry, size, mtime, inode, and its place in the tree stamp. */
type LinkedFile = readonly [rel: string, size: number, mtimeMs: number, ino: number, at: number];

/** One folder of a linked entry: its path below the entry, and its place in the tree stamp. */
type LinkedDir = readonly [rel: string, at: number];

/** A cache entry as this process linked it. */
interface LinkedEntry {
  /** The entry's folder. */
  readonly entry: string;
  readonly dirs: readonly LinkedDir[];
  readonly files: readonly LinkedFile[];
  /** The tree stamp's entries in its order (by path, `/` between names), each as a template: kind and path. */
  readonly stamp: ReadonlyArray<readonly [relative: string, kind: string]>;
}

/** Entries this process linked, by the key the caller gives (the cache's folder and the layer's hash). */
const linked = new Map<string, LinkedEntry>();

/**
 * Remembers, under `key`, the cache entry `entry` as linked whole at `to`
 * (every file a hard link, no copy): its folders and files, read from `to`.
 */
export function rememberLinkedEntry(key: string, entry: string, to: string): void {
  const found: Array<{ rel: string; kind: string; size: number; mtimeMs: number; ino: number }> = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}${path.sep}${e.name}` : e.name;
      if (e.isDirectory()) {
        found.push({ rel: r, kind: 'd', size: 0, mtimeMs: 0, ino: 0 });
        walk(path.join(d, e.name), r);
      } else {
        const st = lstatSync(path.join(d, e.name));
        found.push({ rel: r, kind: st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : 'o', size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
      }
    }
  };
  walk(to, '');
  // The tree stamp's order (treeStamp: by path with `/`), the folder itself first.
  const slashed = found.map((f) => (path.sep === '/' ? f.rel : f.rel.split(path.sep).join('/')));
  const order = found.map((_, i) => i).sort((a, b) => (slashed[a] < slashed[b] ? -1 : slashed[a] > slashed[b] ? 1 : 0));
  const at = new Array<number>(found.length);
  order.forEach((i, k) => { at[i] = k + 1; });
  const dirs: LinkedDir[] = [];
  const files: LinkedFile[] = [];
  found.forEach((f, i) => {
    if (f.kind === 'd') dirs.push([f.rel, at[i]]);
    else files.push([f.rel, f.size, f.mtimeMs, f.ino, at[i]]);
  });
  const stamp: Array<readonly [string, string]> = [['', 'd'], ...order.map((i) => [slashed[i], found[i].kind] as const)];
  linked.set(key, { entry, dirs, files, stamp });
}

/**
 * Links the entry remembered under `key` at `to`, and gives the tree stamp of
 * what it linked, its first entry (the folder itself) left for the caller to
 * stat where the folder ends up (see `stampFolderAt`). undefined (nothing left
 * at `to`, the entry forgotten) when nothing is remembered, a file is missing
 * or differs from what this process linked before, or a link cannot be made:
 * the caller then takes the full path.
 */
export function relinkRemembered(key: string, to: string): TreeEntry[] | undefined {
  const known = linked.get(key);
  if (!known) return undefined;
  const entry = known.entry;
  const tree = known.stamp.map(([rel, kind]): TreeEntry => [rel, kind, 0, 0, 0]);
  try {
    mkdirSync(to);
    // The paths are already normal: plain concatenation, no path.join per file.
    for (const [d] of known.dirs) mkdirSync(`${to}${path.sep}${d}`);
    for (const [rel, size, mtimeMs, ino, at] of known.files) {
      const dst = `${to}${path.sep}${rel}`;
      linkSync(`${entry}${path.sep}${rel}`, dst);
      const st = lstatSync(dst);
      if (st.ino !== ino || st.size !== size || st.mtimeMs !== mtimeMs) throw new Error(`${rel} changed`);
      tree[at][2] = size;
      tree[at][3] = mtimeMs;
      tree[at][4] = ino;
    }
    // Each folder once all it holds is linked (its mtime final).
    for (const [d, at] of known.dirs) {
      const st = lstatSync(`${to}${path.sep}${d}`);
      tree[at][2] = st.size;
      tree[at][3] = st.mtimeMs;
      tree[at][4] = st.ino;
    }
    return tree;
  } catch {
    linked.delete(key);
    rmSync(to, { recursive: true, force: true });
    return undefined;
  }
}

/** Fills the tree stamp's first entry (the folder itself) from the folder at `dir`. */
export function stampFolderAt(tree: TreeEntry[], dir: string): TreeEntry[] {
  const st = lstatSync(dir);
  tree[0] = ['', 'd', st.size, st.mtimeMs, st.ino];
  return tree;
}

/** Forgets every remembered entry (tests). */
export function forgetLinkedEntries(): void {
  linked.clear();
}
