/**
 * A deterministic zip writer (and a small reader) in plain Node.js: the same
 * folder gives the same bytes, whatever the files' times, owners or modes and
 * whatever order the file system lists them in.
 *
 * - entries: every file and symbolic link below the folder, sorted by their
 *   path (forward slashes); no directory entries (unzip and Lambda create the
 *   folders), so empty folders are not kept
 * - time 1980-01-01 00:00 (the zip epoch), Unix mode 0644 for files and
 *   0777 for symbolic links (stored as links, as `zip -y` does)
 * - deflate (zlib's default level) unless storing is smaller; no extra fields,
 *   no comments, no data descriptors
 * - no ZIP64: refused clearly above 4 GiB or 65,535 entries
 *
 * The zip is written to `<file>.partial` and renamed over `<file>` when it is
 * complete; on any failure the partial file is deleted.
 */
/* eslint-disable no-bitwise -- the zip format's bit fields */
// Hand-written, not a zip library: the layer zip must be byte-for-byte
// reproducible (fixed times, modes and order) and this package bundles no
// dependency for it; zlib does the deflate and the CRC-32.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/** An error whose message is meant for the user as it stands. */
export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

/** CRC-32 (IEEE 802.3, as zip uses it) of `data`, continuing from `previous`: zlib's (Node >= 20.15). */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlib.crc32(data, previous);
}

/** 1980-01-01 00:00 in MS-DOS form: the earliest time a zip can hold. */
export const DOS_DATE = (0 << 9) | (1 << 5) | 1;
export const DOS_TIME = 0;
export const FILE_MODE = 0o100644;
export const SYMLINK_MODE = 0o120777;

const MAX_32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;
const VERSION_NEEDED = 20;
const VERSION_MADE_BY = (3 << 8) | 20; // Unix, spec 2.0
const FLAG_UTF8 = 0x0800;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;

interface Source {
  readonly name: string;
  readonly absolute: string;
  readonly symlink: boolean;
}

/** Files and links below `root`, as zip names sorted by name. */
function collect(root: string): Source[] {
  const out: Source[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const absolute = path.join(dir, entry.name);
      const name = `${prefix}${entry.name}`;
      if (entry.isDirectory()) walk(absolute, `${name}/`);
      else if (entry.isFile()) out.push({ name, absolute, symlink: false });
      else if (entry.isSymbolicLink()) out.push({ name, absolute, symlink: true });
      else throw new ZipError(`cannot zip ${absolute}: not a file, folder or symbolic link`);
    }
  };
  walk(root, '');
  // Plain code-unit order of the whole path: independent of the file system and the locale.
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface ZipOptions {
  /** zlib level, 0-9 (default: zlib's default, 6). */
  readonly level?: number;
  /** Refuse a zip larger than this many bytes (default and maximum 4 GiB - 1, the limit without ZIP64). */
  readonly maxBytes?: number;
}

export interface ZipResult {
  /** The zip, absolute. */
  readonly file: string;
  /** sha256 of the zip, hex. */
  readonly sha256: string;
  /** Number of entries (files and links). */
  readonly entries: number;
  /** Sum of the entries' sizes. */
  readonly unzippedBytes: number;
  /** Size of the zip file. */
  readonly zippedBytes: number;
}

/** What a local header and a central directory entry share. */
interface EntryFields {
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly nameLength: number;
}

/**
 * The fields both headers hold, in the same order (flags, method, time, date,
 * CRC-32, compressed size, size, name length): 26 bytes from `at`.
 */
function writeEntryFields(header: Buffer, at: number, f: EntryFields) {
  header.writeUInt16LE(f.flags, at);
  header.writeUInt16LE(f.method, at + 2);
  header.writeUInt16LE(DOS_TIME, at + 4);
  header.writeUInt16LE(DOS_DATE, at + 6);
  header.writeUInt32LE(f.crc, at + 8);
  header.writeUInt32LE(f.compressed, at + 12);
  header.writeUInt32LE(f.size, at + 16);
  header.writeUInt16LE(f.nameLength, at + 20);
}

/** A local file header (the name follows it). */
function localHeader(f: EntryFields): Buffer {
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(VERSION_NEEDED, 4);
  writeEntryFields(local, 6, f);
  // extra length: 0
  return local;
}

/** A central directory entry (the name follows it). */
function centralEntry(f: EntryFields, symlink: boolean, headerOffset: number): Buffer {
  const entry = Buffer.alloc(46);
  entry.writeUInt32LE(0x02014b50, 0);
  entry.writeUInt16LE(VERSION_MADE_BY, 4);
  entry.writeUInt16LE(VERSION_NEEDED, 6);
  writeEntryFields(entry, 8, f);
  // extra length, comment length, disk number, internal attributes: 0
  entry.writeUInt32LE(((symlink ? SYMLINK_MODE : FILE_MODE) * 0x10000) >>> 0, 38);
  entry.writeUInt32LE(headerOffset, 42);
  return entry;
}

/** The end of central directory record. */
function endRecord(entries: number, centralSize: number, centralOffset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries, 8);
  end.writeUInt16LE(entries, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  return end;
}

/** A file's (or link's) bytes, as stored: deflated when that is smaller. */
function entryData(source: Source, level: number): { data: Buffer; body: Buffer; method: number; crc: number } {
  const data = source.symlink ? Buffer.from(fs.readlinkSync(source.absolute), 'utf-8') : fs.readFileSync(source.absolute);
  if (data.length > MAX_32) throw new ZipError(`${source.absolute} is ${data.length} bytes; a zip without ZIP64 holds files below 4 GiB`);
  const crc = crc32(data);
  if (!source.symlink && data.length > 0) {
    const deflated = zlib.deflateRawSync(data, { level });
    if (deflated.length < data.length) return { data, body: deflated, method: METHOD_DEFLATE, crc };
  }
  return { data, body: data, method: METHOD_STORE, crc };
}

/** Writes every file below `folder` into the zip `file`, deterministically. */
export function zipFolder(folder: string, file: string, options: ZipOptions = {}): ZipResult {
  const root = path.resolve(folder);
  const target = path.resolve(file);
  const partial = `${target}.partial`;
  const limit = Math.min(options.maxBytes ?? MAX_32, MAX_32);
  const level = options.level ?? zlib.constants.Z_DEFAULT_COMPRESSION;
  if (!fs.statSync(root).isDirectory()) throw new ZipError(`${root} is not a folder`);

  const sources = collect(root);
  if (sources.length > MAX_ENTRIES) {
    throw new ZipError(`${root} holds ${sources.length} files; a zip without ZIP64 holds at most ${MAX_ENTRIES}`);
  }

  const hash = crypto.createHash('sha256');
  const central: Buffer[] = [];
  let offset = 0;
  let unzipped = 0;
  let fd: number | undefined;
  const write = (buf: Buffer) => {
    if (offset + buf.length > limit) {
      throw new ZipError(`the zip of ${root} would be larger than ${limit} bytes${limit === MAX_32 ? ' (4 GiB, the limit of a zip without ZIP64)' : ''}`);
    }
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd!, buf, done, buf.length - done);
    hash.update(buf);
    offset += buf.length;
  };

  try {
    fd = fs.openSync(partial, 'w', 0o644);
    for (const source of sources) {
      const { data, body, method, crc } = entryData(source, level);
      const name = Buffer.from(source.name, 'utf-8');
      if (name.length > 0xffff) throw new ZipError(`the path ${source.name} is too long for a zip`);
      const flags = /[^\x20-\x7e]/.test(source.name) ? FLAG_UTF8 : 0;
      const headerOffset = offset;
      const fields = { flags, method, crc, compressed: body.length, size: data.length, nameLength: name.length };
      write(localHeader(fields));
      write(name);
      write(body);
      central.push(centralEntry(fields, source.symlink, headerOffset), name);
      unzipped += data.length;
    }

    const centralOffset = offset;
    for (const part of central) write(part);
    write(endRecord(sources.length, offset - centralOffset, centralOffset));

    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(partial, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // closing is best effort; the file goes next
      }
    }
    try {
      fs.rmSync(partial, { force: true });
    } catch {
      // not a file we made (a folder of that name): leave it
    }
    if (e instanceof ZipError) throw e;
    throw new ZipError(`could not write ${target}: ${(e as Error).message}`);
  }
  return { file: target, sha256: hash.digest('hex'), entries: sources.length, unzippedBytes: unzipped, zippedBytes: offset };
}

/** An entry of a zip's central directory. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly dosTime: number;
  readonly dosDate: number;
  /** Unix mode (file type and permissions) from the external attributes. */
  readonly mode: number;
  readonly flags: number;
  readonly extraLength: number;
  readonly localHeaderOffset: number;
}

/** The central directory of a zip (no ZIP64, no multi-disk). */
export function readZipEntries(file: string): ZipEntry[] {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError(`${file} is not a zip: no end of central directory`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new ZipError(`${file}: bad central directory entry ${n}`);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    entries.push({
      flags: buf.readUInt16LE(p + 8),
      method: buf.readUInt16LE(p + 10),
      dosTime: buf.readUInt16LE(p + 12),
      dosDate: buf.readUInt16LE(p + 14),
      crc32: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      extraLength,
      mode: buf.readUInt32LE(p + 38) >>> 16,
      localHeaderOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf-8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
