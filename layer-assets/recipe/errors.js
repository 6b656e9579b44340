// @ts-check
'use strict';
// The recipe's one error type: a message meant for the user as it stands, a
// code the host maps to an exit status or a fix, and optional details (data the
// host uses to say more, e.g. the versions that have a native build).

const os = require('os');

/** @typedef {Record<string, unknown>} ErrorDetails */

class LayerBuildError extends Error {
  /**
   * @param {string} message what went wrong and what to do, as the user reads it
   * @param {string} code BAD_INPUT, NOT_PUBLISHED, NO_NATIVE_BUILD, REGISTRY_UNREACHABLE, NPM_FAILED, ...
   * @param {ErrorDetails} [details] facts behind the message, for the host
   */
  constructor(message, code, details) {
    super(message);
    this.name = 'LayerBuildError';
    this.code = code;
    this.details = details;
  }
}

/** File system errors that mean "no room" or "not writable", not a bug. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

/**
 * The message for a disk error while building under `dir`.
 * @param {string} code
 * @param {string} dir
 */
function diskMessage(code, dir) {
  /** @type {Record<string, string>} */
  const what = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is exhausted on the device',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
  };
  const fix = dir === os.tmpdir()
    ? 'Free space there or set TMPDIR to a writable folder with space'
    : 'Free space or synthesize into another folder (cdk synth --output <dir>, or new App({ outdir }))';
  return `cannot write the layer (${code}: ${what[code] ?? code}) under ${dir}; the layer needs about 300 MB of free, writable space there while it builds. ${fix}`;
}

/**
 * The error as thrown by Node for a file system call: its code and path.
 * @param {unknown} e
 * @returns {{ code?: string, path?: string, message: string }}
 */
function systemError(e) {
  const err = /** @type {{ code?: unknown, path?: unknown, message?: unknown }} */ (e ?? {});
  return {
    code: typeof err.code === 'string' ? err.code : undefined,
    path: typeof err.path === 'string' ? err.path : undefined,
    message: typeof err.message === 'string' ? err.message : String(e),
  };
}

module.exports = { LayerBuildError, DISK_ERRORS, diskMessage, systemError };
