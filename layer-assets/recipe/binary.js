// @ts-check
'use strict';
// The native binary: present and for the right machine, stripped where a strip
// for the target exists, loaded once where the host is the target.

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { readElf, compareDotted, MACHINE_BY_ARCHITECTURE, MACHINE_NAMES } = require('./elf');
const { LayerBuildError } = require('./errors');
const { tail } = require('./npm');
const { CPU_BY_ARCHITECTURE } = require('./sdks');

/** @typedef {import('./sdks').Architecture} Architecture */
/** @typedef {import('./elf').ElfFacts} ElfFacts */
/** @typedef {import('./manifest').StripResult} StripResult */

/**
 * The binary must exist and be an ELF file for the architecture's machine.
 * @param {string} file
 * @param {Architecture} architecture
 * @param {string} what the package@version it comes from, for messages
 * @returns {ElfFacts}
 */
function checkBinary(file, architecture, what) {
  if (!fs.existsSync(file)) {
    throw new LayerBuildError(`npm finished but the native binary for ${architecture} is missing (${path.basename(file)} of ${what}); npm did not install the linux-gnu package, so this layer could never load`, 'NO_BINARY');
  }
  let elf;
  try {
    elf = readElf(file);
  } catch (e) {
    throw new LayerBuildError(`the native binary ${path.basename(file)} is not a usable ELF file: ${/** @type {Error} */ (e).message}`, 'BAD_BINARY');
  }
  if (elf.machine !== MACHINE_BY_ARCHITECTURE[architecture]) {
    throw new LayerBuildError(`the native binary ${path.basename(file)} is built for ${elf.machineName}, not ${MACHINE_NAMES[MACHINE_BY_ARCHITECTURE[architecture]]} (architecture ${architecture})`, 'WRONG_MACHINE');
  }
  return elf;
}

/**
 * A `strip` that understands the target, or why there is none.
 * @param {Architecture} architecture
 * @returns {{ tool?: string, reason?: string }}
 */
function findStrip(architecture) {
  const hostMatches = process.platform === 'linux' && process.arch === CPU_BY_ARCHITECTURE[architecture];
  const triplet = architecture === 'x86_64' ? 'x86_64-linux-gnu-strip' : 'aarch64-linux-gnu-strip';
  const candidates = hostMatches ? ['strip', triplet] : [triplet];
  for (const tool of candidates) {
    const r = childProcess.spawnSync(tool, ['--version'], { encoding: 'utf-8', shell: false, windowsHide: true });
    if (!r.error && r.status === 0) return { tool };
  }
  const debian = architecture === 'arm64' ? 'aarch64' : 'x86-64';
  return { reason: `no strip for ${architecture} found (tried ${candidates.join(', ')}); install binutils${hostMatches ? '' : ` for ${architecture} (Debian: binutils-${debian}-linux-gnu)`} or build with Docker` };
}

/**
 * `strip --strip-unneeded` of the binary, when asked and a strip for the target exists.
 * @param {string} file
 * @param {Architecture} architecture
 * @param {boolean} requested
 * @returns {StripResult}
 */
function stripBinary(file, architecture, requested) {
  if (!requested) return { requested, applied: false, reason: 'strip was set to false' };
  const found = findStrip(architecture);
  if (!found.tool) return { requested, applied: false, reason: found.reason };
  const s = childProcess.spawnSync(found.tool, ['--strip-unneeded', file], { encoding: 'utf-8', shell: false, windowsHide: true });
  if (s.status !== 0) {
    throw new LayerBuildError(`${found.tool} --strip-unneeded failed on ${path.basename(file)}: ${tail(`${s.stdout}${s.stderr}`, 5)}; set strip to false to keep the binary as published`, 'STRIP_FAILED');
  }
  return { requested, applied: true, tool: found.tool };
}

/** The host's glibc version, when the host is linux-gnu. */
function hostGlibc() {
  if (process.platform !== 'linux') return undefined;
  try {
    const report = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report.getReport());
    return report.header?.glibcVersionRuntime;
  } catch {
    return undefined;
  }
}

/**
 * Whether this host is the Lambda platform itself (linux, glibc, same cpu).
 * @param {Architecture} architecture
 */
function hostIsTarget(architecture) {
  return process.platform === 'linux' && process.arch === CPU_BY_ARCHITECTURE[architecture] && hostGlibc() !== undefined;
}

/**
 * Why the built layer cannot be loaded on this host, or undefined when it can.
 * @param {Architecture} architecture
 * @param {string | undefined} glibc the binary's need
 */
function loadSkipReason(architecture, glibc) {
  const host = hostGlibc();
  if (!hostIsTarget(architecture)) {
    return `host is ${process.platform}-${process.arch}${host ? '' : ' without glibc'}, target linux-${CPU_BY_ARCHITECTURE[architecture]}-gnu`;
  }
  if (glibc && host && compareDotted(host, glibc) < 0) return `host glibc ${host} is older than the binary's need ${glibc}`;
  return undefined;
}

/**
 * Loads the SDK once from `nodeModules` in a new node, with nothing else on
 * NODE_PATH, and checks it exports connect(). A compressed binary is
 * decompressed into the scratch folder, never the host's /tmp.
 * @param {string} sdk
 * @param {string} nodeModules
 * @param {string} scratch an empty folder to run in
 */
function loadCheck(sdk, nodeModules, scratch) {
  const cwd = fs.mkdtempSync(path.join(scratch, 'load-'));
  const code = 'const m = require(process.argv[1]); if (!m || typeof m.connect !== "function") { throw new Error("no connect() export"); }';
  const r = childProcess.spawnSync(process.execPath, ['-e', code, sdk], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_PATH: nodeModules, HOME: cwd, CDK_VECTORDB_LAYER_BINARY_DIR: cwd },
    encoding: 'utf-8',
    shell: false,
    windowsHide: true,
    timeout: 120 * 1000,
  });
  fs.rmSync(cwd, { recursive: true, force: true });
  if (r.status !== 0) {
    throw new LayerBuildError(`the built layer does not load: require('${sdk}') with NODE_PATH=<layer>/nodejs/node_modules failed:\n${tail(`${r.stdout}${r.stderr}`, 10)}`, 'LOAD_FAILED');
  }
}

/**
 * sha256 of a file, read in 1 MB pieces.
 * @param {string} file
 */
function sha256File(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

module.exports = { checkBinary, findStrip, stripBinary, hostGlibc, hostIsTarget, loadSkipReason, loadCheck, sha256File };
