// @ts-check
'use strict';
/**
 * cdk-vectordb-layer local invoker: Lambda's read-only file system, in the fs
 * module. Loaded with `node --require` before the runtime client.
 *
 * On Lambda every path except /tmp is on a read-only file system. The invoker
 * runs handlers as the host's user (often root here), so file modes would not
 * stop a write: write operations outside the writable folders fail with EROFS,
 * as they would on Lambda (sync: throw; callback: the callback's error;
 * promise: a rejection; streams: an 'error' event). Native code does not go
 * through this module; where the host allows it, the invoker also mounts the
 * host read-only for the child (see src/invoke/isolation.ts).
 *
 * The folders come in the environment variable named below, as JSON
 * `{ "writable": ["/tmp", ...], "readOnly": ["<layout>", ...] }`; the deepest
 * folder that holds a path decides (the layout's tmp/ inside a read-only
 * layout is writable; nothing outside every folder is). The variable is
 * removed before the handler loads.
 */
const fs = require('fs');
const { syncBuiltinESMExports } = require('module');
const path = require('path');
const { fileURLToPath } = require('url');

const CONFIG_ENV = '__CDK_VECTORDB_LAYER_WRITABLE';
const CONFIG = process.env[CONFIG_ENV];
delete process.env[CONFIG_ENV];

/** Paths a Lambda function may always write to. */
const ALWAYS_WRITABLE = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty', '/proc/self/fd/1', '/proc/self/fd/2']);

/**
 * Per operation: which arguments are written-to paths, an extra condition
 * (`when`), and whether a missing (`missingOk`) or an existing (`existingOk`)
 * target lets the real error win, as on a read-only mount.
 * @type {Record<string, { args: number[], when?: (a: unknown[]) => boolean, missingOk?: boolean, existingOk?: boolean }>}
 */
const OPS = {
  writeFile: { args: [0] },
  appendFile: { args: [0] },
  mkdir: { args: [0], existingOk: true },
  mkdtemp: { args: [0] },
  rm: { args: [0], missingOk: true },
  rmdir: { args: [0], missingOk: true },
  unlink: { args: [0], missingOk: true },
  rename: { args: [0, 1] },
  copyFile: { args: [1] },
  cp: { args: [1] },
  symlink: { args: [1] },
  link: { args: [1] },
  truncate: { args: [0] },
  chmod: { args: [0] },
  lchmod: { args: [0] },
  chown: { args: [0] },
  lchown: { args: [0] },
  utimes: { args: [0] },
  lutimes: { args: [0] },
  open: { args: [0], when: (a) => opensForWrite(a[1]) },
};

/** @type {Record<string, string>} */
const SYSCALL = { writeFile: 'open', appendFile: 'open', copyFile: 'copyfile', cp: 'copyfile', rm: 'rm', truncate: 'open' };

// open(2) flags are a bit field.
// eslint-disable-next-line no-bitwise
const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;

/** @param {unknown} flags */
function opensForWrite(flags) {
  if (flags === undefined || flags === null) return false;
  // eslint-disable-next-line no-bitwise
  if (typeof flags === 'number') return (flags & WRITE_FLAGS) !== 0;
  return /[wa+]/.test(String(flags));
}

/** @param {string} p */
function real(p) {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return undefined;
  }
}

/** @param {string} p */
function exists(p) {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * A path argument as a string; undefined for a file descriptor or FileHandle
 * (already open: the open was checked).
 * @param {unknown} p
 */
function asPath(p) {
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString();
  if (p instanceof URL) return fileURLToPath(p);
  return undefined;
}

/**
 * The real location: the deepest existing ancestor resolved through symlinks.
 * @param {string} abs
 */
function realLocation(abs) {
  let dir = abs;
  /** @type {string[]} */
  const rest = [];
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) {
    rest.unshift(path.basename(dir));
    dir = path.dirname(dir);
  }
  const r = real(dir);
  return r === undefined ? abs : path.join(r, ...rest);
}

/**
 * @param {string} p
 * @param {string} dir
 */
function within(p, dir) {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/**
 * @param {string} syscall
 * @param {string} p
 */
function erofs(syscall, p) {
  /** @type {NodeJS.ErrnoException} */
  const e = new Error(`EROFS: read-only file system, ${syscall} '${p}'`);
  e.errno = -30;
  e.code = 'EROFS';
  e.syscall = syscall;
  e.path = p;
  return e;
}

/**
 * Replaces the fs functions that write (sync, callback and promise forms) with
 * ones that refuse paths the folders do not make writable.
 * @param {{ dir: string, writable: boolean }[]} entries real paths
 */
function install(entries) {
  // Deepest first: the first folder that holds a path decides.
  const ordered = [...entries].sort((a, b) => b.dir.length - a.dir.length);
  /** @param {string} abs */
  const isWritable = (abs) => {
    if (ALWAYS_WRITABLE.has(abs)) return true;
    const r = realLocation(abs);
    if (ALWAYS_WRITABLE.has(r)) return true;
    const holder = ordered.find((f) => within(r, f.dir));
    return holder !== undefined && holder.writable;
  };

  /**
   * The error for the first written-to path outside the writable folders, or undefined.
   * @param {string} name
   * @param {unknown[]} a
   */
  const refused = (name, a) => {
    const op = OPS[name];
    if (op.when && !op.when(a)) return undefined;
    for (const i of op.args) {
      const p = asPath(a[i]);
      if (p === undefined) continue;
      const abs = path.resolve(p);
      if (isWritable(abs)) continue;
      if (op.missingOk && !exists(abs)) continue;
      if (op.existingOk && exists(abs)) continue;
      return erofs(SYSCALL[name] || name, p);
    }
    return undefined;
  };

  /** @type {Record<string, any>} */
  const mutableFs = fs;
  /** @type {Record<string, any>} */
  const promises = fs.promises;
  for (const name of Object.keys(OPS)) {
    const sync = mutableFs[`${name}Sync`];
    if (typeof sync === 'function') {
      mutableFs[`${name}Sync`] = function (/** @type {unknown[]} */ ...a) {
        const e = refused(name, a);
        if (e) throw e;
        return sync.apply(this, a);
      };
    }
    const callback = mutableFs[name];
    if (typeof callback === 'function') {
      mutableFs[name] = function (/** @type {unknown[]} */ ...a) {
        const e = refused(name, a);
        if (!e) return callback.apply(this, a);
        const cb = a[a.length - 1];
        if (typeof cb !== 'function') throw e;
        process.nextTick(cb, e);
        return undefined;
      };
    }
    const promised = promises[name];
    if (typeof promised === 'function') {
      promises[name] = function (/** @type {unknown[]} */ ...a) {
        const e = refused(name, a);
        return e ? Promise.reject(e) : promised.apply(this, a);
      };
    }
  }
  // fs.createWriteStream opens through fs.open, patched above: its 'error' event carries EROFS.
  syncBuiltinESMExports();
}

/**
 * @param {unknown} list
 * @param {boolean} writable
 */
function folders(list, writable) {
  /** @type {{ dir: string, writable: boolean }[]} */
  const out = [];
  for (const d of Array.isArray(list) ? list : []) {
    const dir = typeof d === 'string' ? real(d) : undefined;
    if (dir !== undefined) out.push({ dir, writable });
  }
  return out;
}

if (CONFIG) {
  const config = JSON.parse(CONFIG);
  install([...folders(config.readOnly, false), ...folders(config.writable, true)]);
}
