/**
 * The machine-wide layer cache: a layer is built once per machine, whatever
 * the app, cdk.out or test, keyed by its content hash (./asset-hash.ts).
 *
 * Layout of the cache folder:
 *   layers/<hash>/        a built layer (the folder that holds nodejs/), files read-only
 *   layers/<hash>.json    its seal: every file's size, mtime and inode when it was checked
 *   locks/<hash>.lock     one build per hash at a time (./build-lock.ts); a trim
 *                         removes only an entry whose lock it takes at once
 *   tmp/                  entries being written, renamed into layers/ when complete
 *
 * An entry is complete or absent (written in tmp/, then renamed). Before a
 * reuse its files are compared with the seal (a stat each); anything changed
 * means the full manifest check (./layer-dir.ts: sizes, files, the binary's
 * sha256 and machine), then a new seal or the entry's removal. A layer reaches
 * cdk.out by hard links (no second copy), or a copy where links cannot be made
 * (another file system; a reflink where the file system has them). The seal's
 * mtime is the entry's last use; every store and every hit trims the cache to
 * its bound, least recently used first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { acquireBuildLock } from './build-lock';
import { checkLayerDir, ExpectedLayer } from './dir';

/** The default size bound of the cache: about ten to thirty layers. */
export const DEFAULT_CACHE_MAX_BYTES = 2_000_000_000;

/** Where the cache is and how large it may grow; `dir` undefined when it is off. */
export interface CacheConfig {
  readonly dir?: string;
  readonly maxBytes: number;
  /** Why there is no cache (for the one note). */
  readonly off?: string;
}

/** The user's cache folder of this platform (XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows). */
function platformCacheHome(env: NodeJS.ProcessEnv): string {
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches');
  if (process.platform === 'win32') return env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local');
  return env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
}

/** This package's folder in the user's cache folder of this platform (`~/.cache/cdk-vectordb-layer` on Linux). */
export function platformCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(platformCacheHome(env), 'cdk-vectordb-layer');
}

/** `2000000000`, `500MB`, `5GB`, `1.5G`: bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, 'k': 1e3, 'm': 1e6, 'g': 1e9, 't': 1e12 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * unit);
}

/**
 * The cache's configuration: `CDK_VECTORDB_LAYER_CACHE` (a folder, or `off`),
 * else `<user cache folder>/cdk-vectordb-layer`; `CDK_VECTORDB_LAYER_CACHE_MAX_BYTES`
 * (bytes, or 500MB / 5GB) bounds it, default 2 GB.
 */
export function cacheConfig(env: NodeJS.ProcessEnv = process.env): CacheConfig {
  const bound = env.CDK_VECTORDB_LAYER_CACHE_MAX_BYTES;
  const maxBytes = bound === undefined || bound === '' ? DEFAULT_CACHE_MAX_BYTES : parseSize(bound) ?? DEFAULT_CACHE_MAX_BYTES;
  const given = env.CDK_VECTORDB_LAYER_CACHE;
  if (given !== undefined && given.trim().toLowerCase() === 'off') return { maxBytes, off: 'CDK_VECTORDB_LAYER_CACHE is off' };
  if (given !== undefined && given.trim() !== '') return { dir: path.resolve(given), maxBytes };
  return { dir: platformCacheDir(env), maxBytes };
}

/** One file of a sealed entry. */
type SealedFile = [relative: string, size: number, mtimeMs: number, ino: number];

/** What `layers/<hash>.json` holds, in this key order (readSealHead finds `bytes` before `files`). */
interface Seal {
  readonly hash: string;
  readonly expected: ExpectedLayer;
  readonly bytes: number;
  readonly files: SealedFile[];
}

/** One entry of the cache. */
export interface CacheEntry {
  /** The layer's content hash (./asset-hash.ts): the entry's name. */
  readonly hash: string;
  /** The entry's folder (holds nodejs/). */
  readonly dir: string;
  /** Bytes of its files (what the bound counts). */
  readonly bytes: number;
  /** When a synth last stored or reused it. */
  readonly lastUsed: Date;
  /** Whether its seal is written (an unsealed entry is checked in full on its next use). */
  readonly sealed: boolean;
}

/** What a trim or a clear did. */
export interface TrimResult {
  /** Entries removed, least recently used first. */
  readonly removed: CacheEntry[];
  /** Entries kept because another process holds their lock. */
  readonly locked: CacheEntry[];
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Disk freed: the removed entries' files that no cdk.out linked to (the others go with the last cdk.out holding them). */
  readonly freedBytes: number;
  /** The bound trimmed to. */
  readonly maxBytes: number;
}

/**
 * A seal's byte count and mtime without parsing its file list (tens of kB):
 * `bytes` is written before `files`; a seal not in that shape is parsed whole.
 */
function readSealHead(file: string): { bytes: number; mtime: Date } {
  const fd = fs.openSync(file, 'r');
  try {
    const mtime = fs.fstatSync(fd).mtime;
    const buf = Buffer.alloc(1024);
    const head = buf.toString('utf-8', 0, fs.readSync(fd, buf, 0, buf.length, 0));
    const m = /^\{"hash":"[^"]*","expected":\{[^{}]*\},"bytes":(\d+),"files":/.exec(head);
    if (m) return { bytes: Number(m[1]), mtime };
    let bytes = 0;
    try {
      bytes = (JSON.parse(fs.readFileSync(file, 'utf-8')) as Seal).bytes ?? 0;
    } catch {
      bytes = 0;
    }
    return { bytes, mtime };
  } finally {
    fs.closeSync(fd);
  }
}

/** Files below a folder with their stats, sorted: what a seal records and compares. */
function statTree(dir: string): SealedFile[] {
  const out: SealedFile[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        walk(p, r);
      } else {
        const st = fs.lstatSync(p);
        out.push([r, st.size, st.mtimeMs, st.ino]);
      }
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Bytes of the files below `dir` that nothing else links to: what removing it frees. */
function unlinkedBytes(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const st = fs.lstatSync(p);
      if (st.nlink <= 1) bytes += st.size;
    }
  };
  try {
    walk(dir);
  } catch {
    // gone meanwhile
  }
  return bytes;
}

function sameFiles(a: SealedFile[], b: SealedFile[]): boolean {
  return a.length === b.length && a.every((f, i) => f[0] === b[i][0] && f[1] === b[i][1] && f[2] === b[i][2] && f[3] === b[i][3]);
}

/** Makes every file below `dir` read-only: the content is shared by every cdk.out that links to it. */
function makeReadOnly(dir: string) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) makeReadOnly(p);
    else if (e.isFile()) fs.chmodSync(p, 0o444);
  }
}

/**
 * Puts a tree at `to` made of hard links to `from`'s files, or copies where a
 * link cannot be made (EXDEV: another file system; a reflink where possible).
 * @returns how many files were copied rather than linked
 */
export function linkOrCopyTree(from: string, to: string): number {
  let copied = 0;
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      copied += linkOrCopyTree(src, dst);
      continue;
    }
    try {
      fs.linkSync(src, dst);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw err;
      fs.copyFileSync(src, dst, fs.constants.COPYFILE_FICLONE);
      copied += 1;
    }
  }
  return copied;
}

/** Whether this process has said why the cache cannot be used (said once). */
let notedCacheProblem = false;

/** The cache of one process: its folder, or the note saying why it is not used. */
export class LayerCache {
  /** The cache as the environment configures it, or undefined when it is off. */
  public static fromEnvironment(env: NodeJS.ProcessEnv = process.env): LayerCache | undefined {
    const config = cacheConfig(env);
    return config.dir ? new LayerCache(config.dir, config.maxBytes) : undefined;
  }

  /** Says once per process why the cache is not used; the build goes on as without it. */
  public static note(dir: string, e: unknown) {
    if (notedCacheProblem) return;
    notedCacheProblem = true;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    process.stderr.write(`[vectordb-layer] note: the layer cache ${dir} cannot be used (${code}); building into cdk.out as without it. Set CDK_VECTORDB_LAYER_CACHE to a writable folder, or to off\n`);
  }

  constructor(public readonly dir: string, public readonly maxBytes: number = DEFAULT_CACHE_MAX_BYTES) {}

  private entry(hash: string) {
    return path.join(this.dir, 'layers', hash);
  }

  private sealFile(hash: string) {
    return path.join(this.dir, 'layers', `${hash}.json`);
  }

  /** Takes the build lock of one hash (waits while another process builds it). */
  public lock(hash: string, where: string): () => void {
    fs.mkdirSync(this.dir, { recursive: true });
    // A read-only or foreign folder says so here (EROFS, EACCES), not as a puzzling ENOENT later.
    fs.accessSync(this.dir, fs.constants.W_OK);
    fs.mkdirSync(path.join(this.dir, 'locks'), { recursive: true });
    return acquireBuildLock(path.join(this.dir, 'locks', `${hash}.lock`), {
      timeoutMs: 30 * 60 * 1000,
      onWait: (owner) => process.stderr.write(`[vectordb-layer] ${where}: waiting for another synth (${owner}) that is building this layer into the cache ${this.dir}\n`),
    });
  }

  /**
   * The hash's lock when no other process holds it, without waiting (a build
   * of it under way is not waited for); undefined when it is held or cannot be
   * taken (an unwritable cache: the caller goes on as without the cache).
   */
  public tryLock(hash: string): (() => void) | undefined {
    try {
      fs.mkdirSync(path.join(this.dir, 'locks'), { recursive: true });
      return acquireBuildLock(path.join(this.dir, 'locks', `${hash}.lock`), { timeoutMs: 0 });
    } catch {
      return undefined;
    }
  }

  /**
   * The entry's folder when it holds a sound layer (seal unchanged, or the full
   * check passed and the seal was renewed); a damaged entry is removed, with a
   * note. A hit marks the entry used now and trims the cache to its bound (the
   * entry found stays). Call with the hash's lock held.
   */
  public find(hash: string, expected: ExpectedLayer, where: string): string | undefined {
    const dir = this.entry(hash);
    if (!fs.existsSync(dir)) return undefined;
    let seal: Seal | undefined;
    try {
      seal = JSON.parse(fs.readFileSync(this.sealFile(hash), 'utf-8'));
    } catch {
      seal = undefined;
    }
    if (seal && sameFiles(seal.files, statTree(dir))) return this.hit(hash, dir);
    const problems = checkLayerDir(dir, expected);
    if (problems.length === 0) {
      this.seal(hash, expected, dir);
      return this.hit(hash, dir);
    }
    process.stderr.write(`[vectordb-layer] ${where}: the cached layer ${dir} does not match its manifest (${problems.join('; ')}); removed it, building the layer again\n`);
    this.remove(hash);
    return undefined;
  }

  /**
   * The entry of `hash` when it holds a sound layer and no other process holds
   * its lock (a build of it under way is not waited for): its folder and the
   * lock, to release once read. undefined on a miss, a busy lock or a file
   * system error (the caller builds as without it).
   */
  public borrow(hash: string, expected: ExpectedLayer, where: string): { dir: string; release: () => void } | undefined {
    if (!fs.existsSync(this.entry(hash))) return undefined;
    const release = this.tryLock(hash);
    if (!release) return undefined;
    try {
      const dir = this.find(hash, expected, where);
      if (dir) return { dir, release };
    } catch {
      // unreadable meanwhile: as a miss
    }
    release();
    return undefined;
  }

  /**
   * Stores a layer built beside another (the plain layer a compressed build
   * kept) under its hash, unless the entry is there or another process holds
   * its lock (building it): best effort, takes the lock without waiting.
   * @returns whether it was stored
   */
  public storeIfAbsent(hash: string, expected: ExpectedLayer, built: string): boolean {
    const release = this.tryLock(hash);
    if (!release) return false;
    try {
      if (fs.existsSync(this.entry(hash)) && this.find(hash, expected, 'the layer cache')) return false;
      this.store(hash, expected, built);
      this.evict(hash);
      return true;
    } finally {
      release();
    }
  }

  /**
   * Stores a built layer folder (checked against its manifest) under its hash:
   * hard links into a temp folder, then one rename. Call with the hash's lock held.
   */
  public store(hash: string, expected: ExpectedLayer, built: string): void {
    const tmpRoot = path.join(this.dir, 'tmp');
    fs.mkdirSync(tmpRoot, { recursive: true });
    fs.mkdirSync(path.join(this.dir, 'layers'), { recursive: true });
    const tmp = fs.mkdtempSync(path.join(tmpRoot, `${hash.slice(0, 12)}-`));
    try {
      linkOrCopyTree(built, tmp);
      makeReadOnly(tmp);
      const problems = checkLayerDir(tmp, expected);
      if (problems.length > 0) throw new Error(`the built layer does not match its manifest (${problems.join('; ')})`);
      fs.rmSync(this.entry(hash), { recursive: true, force: true });
      fs.renameSync(tmp, this.entry(hash));
      this.seal(hash, expected, this.entry(hash));
      this.touch(hash, this.entry(hash));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  private seal(hash: string, expected: ExpectedLayer, dir: string) {
    const files = statTree(dir);
    const seal: Seal = { hash, expected, bytes: files.reduce((n, f) => n + f[1], 0), files };
    const tmp = `${this.sealFile(hash)}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(seal));
    fs.renameSync(tmp, this.sealFile(hash));
  }

  /** A hit: the entry used now, then the cache within its bound (never this entry). */
  private hit(hash: string, dir: string): string {
    this.touch(hash, dir);
    try {
      this.trim({ keep: hash });
    } catch {
      // housekeeping: the next build or hit trims again; the hit stands
    }
    return dir;
  }

  /** Marks an entry used now (its seal's mtime): the eviction order. */
  private touch(hash: string, dir: string): string {
    const now = new Date();
    try {
      fs.utimesSync(this.sealFile(hash), now, now);
    } catch {
      // the order is a hint; the entry is sound
    }
    return dir;
  }

  /** Removes an entry: renamed away first, so no reader sees half of it. */
  public remove(hash: string): void {
    const gone = path.join(this.dir, 'tmp', `removed-${hash.slice(0, 12)}-${process.pid}-${Date.now()}`);
    fs.mkdirSync(path.dirname(gone), { recursive: true });
    try {
      fs.renameSync(this.entry(hash), gone);
    } catch {
      // already gone
    }
    fs.rmSync(this.sealFile(hash), { force: true });
    fs.rmSync(gone, { recursive: true, force: true });
  }

  /**
   * Removes the least recently used entries until the cache is within its
   * bound, never `keep` and never an entry another process holds the lock of;
   * clears temp folders left by a process that died.
   * @returns the hashes evicted
   */
  public evict(keep: string): string[] {
    return this.trim({ keep }).removed.map((e) => e.hash);
  }

  /**
   * The entries, most recently used first: one stat and the head of the seal
   * each (cheap enough for every hit). An entry folder without a seal (a
   * process died between the two) counts by its files.
   */
  public entries(): CacheEntry[] {
    const layers = path.join(this.dir, 'layers');
    let found: fs.Dirent[];
    try {
      found = fs.readdirSync(layers, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const sealed = new Set(found.filter((d) => d.isFile() && d.name.endsWith('.json')).map((d) => d.name.slice(0, -'.json'.length)));
    const out: CacheEntry[] = [];
    for (const d of found) {
      if (!d.isDirectory()) continue;
      const hash = d.name;
      try {
        if (sealed.has(hash)) {
          const head = readSealHead(this.sealFile(hash));
          out.push({ hash, dir: this.entry(hash), bytes: head.bytes, lastUsed: head.mtime, sealed: true });
        } else {
          const dir = this.entry(hash);
          out.push({ hash, dir, bytes: statTree(dir).reduce((n, f) => n + f[1], 0), lastUsed: fs.statSync(dir).mtime, sealed: false });
        }
      } catch {
        // removed by another process meanwhile
      }
    }
    return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  /**
   * Removes the least recently used entries until the cache holds at most
   * `maxBytes` (default its bound): never `keep`, never an entry another
   * process holds the lock of (building or linking it); clears temp folders
   * left by a process that died.
   */
  public trim(options: { maxBytes?: number; keep?: string } = {}): TrimResult {
    const bound = options.maxBytes ?? this.maxBytes;
    const entries = this.entries();
    const before = entries.reduce((n, e) => n + e.bytes, 0);
    let total = before;
    const removed: CacheEntry[] = [];
    const locked: CacheEntry[] = [];
    let freed = 0;
    for (const e of [...entries].reverse()) {
      if (total <= bound) break;
      if (e.hash === options.keep) continue;
      const bytes = this.removeUnlocked(e.hash);
      if (bytes === undefined) {
        locked.push(e);
        continue;
      }
      total -= e.bytes;
      freed += bytes;
      removed.push(e);
    }
    this.clearStaleTemp();
    return { removed, locked, bytesBefore: before, bytesAfter: total, freedBytes: freed, maxBytes: bound };
  }

  /** Removes every entry but those another process holds the lock of, and seals left without their entry. */
  public clear(): TrimResult {
    const result = this.trim({ maxBytes: 0 });
    const layers = path.join(this.dir, 'layers');
    if (fs.existsSync(layers)) {
      for (const n of fs.readdirSync(layers)) {
        const hash = n.slice(0, -'.json'.length);
        if (n.endsWith('.json') && !fs.existsSync(this.entry(hash))) this.removeUnlocked(hash);
      }
    }
    return result;
  }

  /**
   * Removes an entry if its lock can be had at once (a dead owner's lock is
   * taken over): the bytes of disk that frees (files no cdk.out links to), or
   * undefined when a live process holds the lock.
   */
  private removeUnlocked(hash: string): number | undefined {
    const locks = path.join(this.dir, 'locks');
    fs.mkdirSync(locks, { recursive: true });
    let release: () => void;
    try {
      release = acquireBuildLock(path.join(locks, `${hash}.lock`), { timeoutMs: 0 });
    } catch (e) {
      // A file system error is the caller's; no code means another process holds the lock.
      if ((e as NodeJS.ErrnoException).code) throw e;
      return undefined;
    }
    try {
      const freed = unlinkedBytes(this.entry(hash));
      this.remove(hash);
      return freed;
    } finally {
      release();
    }
  }

  private clearStaleTemp() {
    const tmp = path.join(this.dir, 'tmp');
    if (!fs.existsSync(tmp)) return;
    const hourAgo = Date.now() - 60 * 60 * 1000;
    for (const n of fs.readdirSync(tmp)) {
      const p = path.join(tmp, n);
      try {
        if (fs.statSync(p).mtimeMs < hourAgo) fs.rmSync(p, { recursive: true, force: true });
      } catch {
        // another process removed it
      }
    }
  }
}
