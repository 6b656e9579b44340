/**
 * Temp folders, file hashes and tree fingerprints for the tests: one walker
 * (`walkFiles`) under every fingerprint (`listing`, `treeHashes`), one sha256.
 * Only Node.js built-ins; Info-ZIP's unzip as an independent zip reader.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const made: string[] = [];
// Imported outside jest (a script), the folders are the caller's to remove.
if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });
}

/**
 * A fresh folder under the OS temp folder, removed after the test file; call
 * `removeDir` as soon as it is not needed when it holds a layer (60-200 MB).
 */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vdbl-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes a folder and what it holds, now (undefined: nothing). */
export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** A file's sha256, hex, read a MiB at a time (layer binaries are 100+ MB). */
export function sha256(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** A file or symbolic link below a walked folder. */
export interface TreeEntry {
  /** Relative to the walked folder, `/`-separated. */
  readonly rel: string;
  /** Absolute path. */
  readonly path: string;
  /** Its `lstat` (a symbolic link is not followed). */
  readonly stat: fs.Stats;
}

/** Every file and symbolic link below `dir`, in sorted order, folders walked and not listed. */
export function walkFiles(dir: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const stat = fs.lstatSync(p);
      if (stat.isDirectory()) walk(p);
      else out.push({ rel: path.relative(dir, p).split(path.sep).join('/'), path: p, stat });
    }
  };
  walk(dir);
  return out;
}

/** Files below a folder with their sizes (`<rel> <bytes>`), sorted: a cheap fingerprint of a build's result. */
export function listing(dir: string): string[] {
  return walkFiles(dir).map((e) => `${e.rel} ${e.stat.size}`);
}

/** Every file below `dir` (relative path, `/`-separated) with its sha256; symbolic links by their target. */
export function treeHashes(dir: string): Map<string, string> {
  return new Map(walkFiles(dir).map((e) => [e.rel, e.stat.isSymbolicLink() ? `link:${fs.readlinkSync(e.path)}` : sha256(e.path)]));
}

/** The differences between two `treeHashes`, for a readable failure (at most `max`). */
export function treeDiff(a: Map<string, string>, b: Map<string, string>, max = 10): string[] {
  const diffs: string[] = [];
  for (const [k, v] of a) {
    if (!b.has(k)) diffs.push(`only in the first: ${k}`);
    else if (b.get(k) !== v) diffs.push(`differs: ${k}`);
  }
  for (const k of b.keys()) if (!a.has(k)) diffs.push(`only in the second: ${k}`);
  return diffs.slice(0, max);
}

/** Unpacks a zip with Info-ZIP's unzip (an independent reader), which must say nothing and exit 0. */
export function unzipTo(zip: string): string {
  const dir = tempDir('unzipped');
  const r = spawnSync('/usr/bin/unzip', ['-q', zip, '-d', dir], { encoding: 'utf-8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return dir;
}
