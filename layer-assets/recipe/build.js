// @ts-check
'use strict';
// The one recipe for a LanceDB Lambda layer. It runs as a command,
// `node build-layer.js ...`: on the host (VectorDbLayer's local bundling and the
// `build` CLI start it as a child process) or inside a build container (Docker
// bundling). Only Node.js built-ins, npm and optionally `strip` are used.
// Everything in layer-assets/recipe runs inside the build, so every file here
// is part of each layer's asset hash (layer-assets/README.md).
//
// Output layout (unpacked by Lambda into /opt):
//   nodejs/node_modules/<sdk>               the SDK, its dependencies, one linux-gnu binary
//   nodejs/package.json, package-lock.json  what was installed, exactly
//   nodejs/vectordb-layer.json              the manifest: versions, sizes, glibc need, checks

const fs = require('fs');
const os = require('os');
const path = require('path');
const { checkBinary, stripBinary, loadSkipReason, loadCheck, sha256File } = require('./binary');
const { compressBinary } = require('./compress');
const { LayerBuildError, DISK_ERRORS, diskMessage, systemError } = require('./errors');
const { writeProject, npmInstall, normalizeLockfile } = require('./install');
const { verifyLockfile } = require('./lockfile');
const { writeManifest, ERROR_FILE, MANIFEST_FILE, RECIPE_VERSION } = require('./manifest');
const { createProgress, megabytes } = require('./progress');
const { prune, measure } = require('./prune');
const { probeRegistry } = require('./registry');
const { CPU_BY_ARCHITECTURE, isArchitecture, pinDir, sdkInfo } = require('./sdks');
const { isExactVersion } = require('./versions');

/** Lambda's limit on the unzipped size of a function and all its layers. */
const LAMBDA_UNZIPPED_LIMIT_BYTES = 262144000;

/** @typedef {import('./sdks').Architecture} Architecture */
/** @typedef {import('./manifest').LayerManifest} LayerManifest */
/** @typedef {import('./progress').Progress} Progress */
/** @typedef {import('./install').InstallPlan} InstallPlan */

/**
 * @typedef {object} BuildOptions
 * @property {string} sdk `vectordb` or `@lancedb/lancedb`
 * @property {string} version exact version
 * @property {Architecture} architecture Lambda architecture
 * @property {string} outDir where `nodejs/` is written (empty or absent)
 * @property {boolean} [strip] strip the native binary when a strip for the target is present (default true)
 * @property {number} [maxBytes] fail above this unzipped size (default Lambda's limit)
 * @property {boolean} [inContainer] the build runs in a container (for messages)
 * @property {boolean} [compress] ship the binary compressed, with a loader (./compress.js)
 * @property {'zstd'} [codec] compress with zstd (the host decided the layer's runtimes all decode it), else brotli
 * @property {string} [fromPlain] with compress: a built plain layer of the same request (the folder that
 *   holds its nodejs/) to make the compressed layer from, without an install (`buildFromPlain`)
 * @property {string} [keepPlain] with compress: a folder (empty or absent) where the plain layer of the
 *   same request is written too, as its own build writes it (the tree before compressing and its manifest);
 *   best effort: a failure to keep it is a note, not the build's failure
 * @property {Progress} [progress] where progress goes (default: stderr)
 */

/**
 * @typedef {object} BuildResult
 * @property {LayerManifest} manifest
 * @property {number} installMs
 * @property {number} buildMs
 * @property {boolean} installed whether npm installed (false: made from a plain layer)
 * @property {string} [keptPlain] with keepPlain: the folder that now holds the plain layer (its nodejs/)
 */

/**
 * @typedef {object} Build the state of one build
 * @property {string} sdk
 * @property {string} version
 * @property {Architecture} architecture
 * @property {string} outDir
 * @property {string} work a folder inside outDir: the final move is a rename
 * @property {string} project `<work>/nodejs`
 * @property {string} scratch a temp folder outside outDir
 * @property {Progress} progress
 */

/** @param {BuildOptions} options */
function validate(options) {
  sdkInfo(options.sdk);
  if (!isExactVersion(options.version)) {
    throw new LayerBuildError(`version must be an exact version such as 0.21.2 (x.y.z, optional -prerelease), got ${JSON.stringify(options.version)}`, 'BAD_INPUT');
  }
  if (!isArchitecture(options.architecture)) {
    throw new LayerBuildError(`architecture must be x86_64 or arm64, got ${JSON.stringify(options.architecture)}`, 'BAD_INPUT');
  }
  if (typeof options.outDir !== 'string' || options.outDir === '') {
    throw new LayerBuildError('outDir must be a folder path', 'BAD_INPUT');
  }
}

/**
 * The output folder (empty), a work folder inside it and a scratch folder.
 * @param {BuildOptions} options
 * @returns {Build}
 */
function prepareFolders(options) {
  const outDir = path.resolve(options.outDir);
  /** @type {string | undefined} */
  let work;
  try {
    fs.mkdirSync(outDir, { recursive: true });
    if (fs.readdirSync(outDir).some((n) => n !== ERROR_FILE)) {
      throw new LayerBuildError(`output folder ${outDir} is not empty`, 'BAD_INPUT');
    }
    work = fs.mkdtempSync(path.join(outDir, '.work-'));
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vectordb-layer-'));
    const project = path.join(work, 'nodejs');
    fs.mkdirSync(project);
    const progress = options.progress ?? createProgress({ prefix: `[vectordb-layer] ${options.sdk} ${options.version} ${options.architecture}: ` });
    return { sdk: options.sdk, version: options.version, architecture: options.architecture, outDir, work, project, scratch, progress };
  } catch (e) {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    const err = systemError(e);
    if (err.code && DISK_ERRORS.has(err.code)) {
      throw new LayerBuildError(`${diskMessage(err.code, err.path && err.path.startsWith(os.tmpdir()) ? os.tmpdir() : outDir)} (${err.message})`, err.code);
    }
    throw e;
  }
}

/**
 * Step 1, resolving: the registry answers, and the project says what to install.
 * @param {Build} b
 * @param {BuildOptions} options
 * @returns {Promise<InstallPlan>}
 */
async function resolve(b, options) {
  b.progress.start('resolving');
  // A pin is checked before anything goes to the network; a version without one asks the registry.
  const pinned = pinDir(b.sdk, b.version, b.architecture) !== undefined;
  const plan = pinned ? writeProject(b.project, b) : undefined;
  await probeRegistry({ inContainer: options.inContainer === true });
  const resolved = plan ?? writeProject(b.project, b);
  b.progress.end(`resolved ${resolved.nativePackage}@${resolved.nativeVersion}${resolved.pin ? ` (pinned by layer-assets/pins/${resolved.pin})` : ' (no pin: fresh from the registry, integrity checked by npm)'}`);
  return resolved;
}

/**
 * Step 2, downloading: npm installs, and what it installed is what was asked for.
 * @param {Build} b
 * @param {InstallPlan} plan
 * @returns {Promise<{ binary: string, installMs: number, installedBytes: number, engines: string | null }>}
 */
async function download(b, plan) {
  b.progress.start('downloading');
  const installMs = await npmInstall(b.project, { ...b, pinned: plan.pin !== undefined });
  const nodeModules = path.join(b.project, 'node_modules');
  if (plan.pin) verifyLockfile(b.project);
  else normalizeLockfile(b.project);
  const binary = path.join(nodeModules, ...plan.nativePackage.split('/'), binaryName(b));
  checkBinary(binary, b.architecture, `${plan.nativePackage}@${plan.nativeVersion}`);
  const sdkPackage = JSON.parse(fs.readFileSync(path.join(nodeModules, ...b.sdk.split('/'), 'package.json'), 'utf-8'));
  if (sdkPackage.version !== b.version) throw new LayerBuildError(`npm installed ${b.sdk} ${sdkPackage.version}, not ${b.version}`, 'WRONG_VERSION');
  const installedBytes = measure(nodeModules).bytes;
  b.progress.end(`downloaded and unpacked ${megabytes(installedBytes)}`);
  return { binary, installMs, installedBytes, engines: typeof sdkPackage.engines?.node === 'string' ? sdkPackage.engines.node : null };
}

/** @param {Build} b */
function binaryName(b) {
  return sdkInfo(b.sdk).nativeBinary.replace('{cpu}', CPU_BY_ARCHITECTURE[b.architecture]);
}

/**
 * Step 3, pruning: what the runtime never reads goes; licences stay.
 * @param {Build} b
 * @param {string} binary
 * @param {string} nativePackage
 */
function pruneLayer(b, binary, nativePackage) {
  b.progress.start('pruning');
  const info = sdkInfo(b.sdk);
  const removed = prune(path.join(b.project, 'node_modules'), {
    keepBinary: binary,
    prunePackages: info.prunePackages,
    roots: [b.sdk, nativePackage],
    cliOnlyDependencies: info.cliOnlyDependencies,
    prunePaths: info.prunePaths,
  });
  b.progress.end(`pruned ${removed.files} files, ${megabytes(removed.bytes)}${removed.packages.length ? ` (${removed.packages.length} packages the runtime cannot reach)` : ''}`);
  return removed;
}

/**
 * Step 4, stripping.
 * @param {Build} b
 * @param {string} binary
 * @param {boolean} requested
 */
function strip(b, binary, requested) {
  b.progress.start('stripping');
  const before = fs.statSync(binary).size;
  const result = stripBinary(binary, b.architecture, requested);
  if (result.applied) b.progress.end(`stripped the native binary, ${megabytes(before)} -> ${megabytes(fs.statSync(binary).size)}`);
  else b.progress.note(`not stripped: ${result.reason}`);
  return { result, before };
}

/**
 * Step 5, checking: the binary again, its needs, and a load where the host is the target.
 * @param {Build} b
 * @param {string} binary
 */
function check(b, binary) {
  b.progress.start('checking');
  const elf = checkBinary(binary, b.architecture, b.sdk);
  const skipped = loadSkipReason(b.architecture, elf.glibc);
  if (!skipped) loadCheck(b.sdk, path.join(b.project, 'node_modules'), b.scratch);
  b.progress.end(skipped ? `checked the binary (load check skipped: ${skipped})` : `checked: ${b.sdk} loads from the built layer`);
  return { elf, sha256: sha256File(binary), loadSkipped: skipped ?? null };
}

/**
 * Step 6 (compressBinary only), compressing: the binary becomes zstd or brotli chunks
 * and a loader, loaded once through the loader where the host is the target.
 * @param {Build} b
 * @param {string} binary
 * @param {string} sha256
 * @param {boolean} loadable whether the host can load the binary
 * @param {'zstd' | undefined} codec
 */
async function compress(b, binary, sha256, loadable, codec) {
  b.progress.start('compressing');
  const before = fs.statSync(binary).size;
  const facts = await compressBinary({ binary, layerRoot: b.work, sha256, codec });
  if (loadable) loadCheck(b.sdk, path.join(b.project, 'node_modules'), b.scratch);
  b.progress.end(`compressed the native binary (${facts.codec === 'zstd' ? 'zstd' : 'brotli'}), ${megabytes(before)} -> ${megabytes(facts.bytes)}${loadable ? ', and loaded it through its loader' : ''}`);
  return facts;
}

/**
 * Builds the layer into `outDir` (which must be empty or absent). On failure,
 * `outDir` is left empty and the error says why.
 * @param {BuildOptions} options
 * @returns {Promise<BuildResult>}
 */
async function buildLayer(options) {
  validate(options);
  const started = Date.now();
  const b = prepareFolders(options);
  try {
    const plan = await resolve(b, options);
    const installed = await download(b, plan);
    const pruned = pruneLayer(b, installed.binary, plan.nativePackage);
    const stripped = strip(b, installed.binary, options.strip !== false);
    const checked = check(b, installed.binary);
    const binaryBytes = fs.statSync(installed.binary).size;
    /** @type {Omit<LayerManifest, 'unzippedBytes' | 'fileCount'>} */
    const facts = {
      recipeVersion: RECIPE_VERSION,
      sdk: b.sdk,
      version: b.version,
      architecture: b.architecture,
      platform: `linux-${CPU_BY_ARCHITECTURE[b.architecture]}-gnu`,
      nativePackage: plan.nativePackage,
      nativePackageVersion: plan.nativeVersion,
      nativeBinary: path.relative(b.work, installed.binary).split(path.sep).join('/'),
      nativeBinaryBytes: binaryBytes,
      nativeBinaryBytesBeforeStrip: stripped.before,
      nativeBinarySha256: checked.sha256,
      compressedBinary: null,
      glibc: checked.elf.glibc ?? null,
      neededLibraries: checked.elf.neededLibraries,
      nodeEngines: installed.engines,
      pinned: plan.pin !== undefined,
      strip: stripped.result,
      loadChecked: checked.loadSkipped === null,
      loadSkipped: checked.loadSkipped,
      installedBytes: installed.installedBytes,
      prunedBytes: pruned.bytes,
    };
    const maxBytes = options.maxBytes ?? LAMBDA_UNZIPPED_LIMIT_BYTES;
    const keptPlain = options.compress && options.keepPlain ? keepPlain(b, options.keepPlain, facts, maxBytes) : undefined;
    const compressed = options.compress ? await compress(b, installed.binary, checked.sha256, checked.loadSkipped === null, options.codec) : null;
    const manifest = writeManifest(b.project, { ...facts, compressedBinary: compressed });
    checkSize(manifest, maxBytes);
    fs.renameSync(b.project, path.join(b.outDir, 'nodejs'));
    const buildMs = Date.now() - started;
    b.progress.note(`built: ${megabytes(manifest.unzippedBytes)} unzipped in ${manifest.fileCount} files, ${(buildMs / 1000).toFixed(1)} s`);
    // Timings are returned, not written: the layer's content must not depend on them.
    return { manifest, installMs: installed.installMs, buildMs, installed: true, ...(keptPlain ? { keptPlain } : {}) };
  } catch (e) {
    throw failed(b, e);
  } finally {
    fs.rmSync(b.work, { recursive: true, force: true });
    fs.rmSync(b.scratch, { recursive: true, force: true });
  }
}

/**
 * Step 6a (compress with keepPlain): the plain layer, exactly as its own build
 * makes it (this tree before compressing and the manifest with no compressed
 * binary), written into `keepDir` for the host to keep (the machine cache), so
 * that a plain layer asked for later needs no install either.
 * @param {Build} b
 * @param {string} keepDir
 * @param {Omit<LayerManifest, 'unzippedBytes' | 'fileCount'>} facts
 * @param {number} maxBytes
 * @returns {string | undefined} the folder holding the plain layer's nodejs/, or undefined (a note says why)
 */
function keepPlain(b, keepDir, facts, maxBytes) {
  const dir = path.resolve(keepDir);
  /** @type {string | undefined} */
  let work;
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
    work = fs.mkdtempSync(path.join(dir, '.work-'));
    const project = path.join(work, 'nodejs');
    fs.mkdirSync(project);
    copyPlainTree(b.project, project, false);
    const manifest = writeManifest(project, facts);
    if (manifest.unzippedBytes > maxBytes) throw new Error(`it is ${manifest.unzippedBytes} bytes unzipped, over the limit of ${maxBytes}`);
    fs.renameSync(project, path.join(dir, 'nodejs'));
    b.progress.note(`kept the plain layer too (${megabytes(manifest.unzippedBytes)})`);
    return dir;
  } catch (e) {
    b.progress.note(`the plain layer was not kept: ${systemError(e).message}`);
    if (fs.existsSync(path.join(dir, 'nodejs'))) fs.rmSync(path.join(dir, 'nodejs'), { recursive: true, force: true });
    return undefined;
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Copies a plain layer's `nodejs/` into the build's project, the manifest left
 * out: files copied (a reflink where the file system has them), never linked,
 * as the compress step rewrites some in place and the source may be the
 * machine cache's read-only entry; each copy writable by its owner, as npm
 * left it.
 * @param {string} from
 * @param {string} to
 * @param {boolean} top
 */
function copyPlainTree(from, to, top) {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (top && e.name === MANIFEST_FILE) continue;
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(dst);
      copyPlainTree(src, dst, false);
    } else if (e.isFile()) {
      fs.copyFileSync(src, dst, fs.constants.COPYFILE_FICLONE);
      // eslint-disable-next-line no-bitwise -- the source's mode, plus the owner's write bit
      fs.chmodSync(dst, fs.statSync(src).mode | 0o200);
    } else {
      throw new LayerBuildError(`the plain layer holds ${path.relative(from, src) || e.name}, neither a file nor a folder`, 'PLAIN_UNUSABLE');
    }
  }
}

/**
 * The plain layer's manifest, when it is this request's plain layer as this
 * recipe builds it here; else a PLAIN_UNUSABLE error saying why (the host
 * then builds in full).
 * @param {Build} b
 * @param {BuildOptions} options
 * @param {string} plainDir
 * @returns {LayerManifest}
 */
function plainManifest(b, options, plainDir) {
  const unusable = (/** @type {string} */ why) => new LayerBuildError(`cannot make the compressed layer from the plain layer in ${plainDir}: ${why}`, 'PLAIN_UNUSABLE');
  /** @type {LayerManifest} */
  let m;
  try {
    m = JSON.parse(fs.readFileSync(path.join(plainDir, 'nodejs', MANIFEST_FILE), 'utf-8'));
  } catch (e) {
    throw unusable(`its manifest cannot be read (${systemError(e).message})`);
  }
  if (m.recipeVersion !== RECIPE_VERSION) throw unusable(`its manifest is of recipe ${m.recipeVersion}, not ${RECIPE_VERSION}`);
  for (const key of /** @type {const} */ (['sdk', 'version', 'architecture'])) {
    if (m[key] !== b[key]) throw unusable(`it holds ${key} ${JSON.stringify(m[key])}, not ${JSON.stringify(b[key])}`);
  }
  if (m.compressedBinary) throw unusable('its binary is compressed');
  if (m.strip.requested !== (options.strip !== false)) throw unusable(`it was built with strip ${m.strip.requested ? 'on' : 'off'}`);
  // The load check the full build would run (or skip) here, decided as it would decide it.
  const skipped = loadSkipReason(b.architecture, m.glibc ?? undefined) ?? null;
  if (skipped !== m.loadSkipped) throw unusable(`its load check ${m.loadSkipped === null ? 'ran' : `was skipped (${m.loadSkipped})`}, which this host would ${skipped === null ? 'run' : `skip (${skipped})`}`);
  return m;
}

/**
 * Makes the compressed layer from a built plain layer of the same request:
 * its tree copied, the binary checked against the plain manifest, then only
 * the compress step (with its load through the loader) and the manifest, as
 * the full build writes them. The bytes are those of `buildLayer` with
 * `compress` (the steps before compressing made the plain layer's bytes).
 * @param {BuildOptions & { fromPlain: string }} options
 * @returns {Promise<BuildResult>}
 */
async function buildFromPlain(options) {
  validate(options);
  if (options.compress !== true) throw new LayerBuildError('--from-plain makes a compressed layer: give --compress too', 'BAD_INPUT');
  if (typeof options.fromPlain !== 'string' || options.fromPlain === '') throw new LayerBuildError('--from-plain must be the plain layer\'s folder (the one holding nodejs/)', 'BAD_INPUT');
  const plainDir = path.resolve(options.fromPlain);
  const started = Date.now();
  const b = prepareFolders(options);
  try {
    b.progress.start('copying the plain layer');
    const plain = plainManifest(b, options, plainDir);
    copyPlainTree(path.join(plainDir, 'nodejs'), b.project, true);
    const copied = measure(b.project);
    const manifestBytes = fs.statSync(path.join(plainDir, 'nodejs', MANIFEST_FILE)).size;
    if (copied.files + 1 !== plain.fileCount || copied.bytes + manifestBytes !== plain.unzippedBytes) {
      throw new LayerBuildError(`cannot make the compressed layer from the plain layer in ${plainDir}: it holds ${copied.files + 1} files, ${copied.bytes + manifestBytes} bytes; its manifest says ${plain.fileCount} files, ${plain.unzippedBytes} bytes`, 'PLAIN_UNUSABLE');
    }
    const binary = path.join(b.work, ...plain.nativeBinary.split('/'));
    const sha256 = fs.existsSync(binary) ? sha256File(binary) : 'missing';
    if (sha256 !== plain.nativeBinarySha256) {
      throw new LayerBuildError(`cannot make the compressed layer from the plain layer in ${plainDir}: its native binary ${plain.nativeBinary} is ${sha256 === 'missing' ? 'missing' : "not the manifest's (sha256 differs)"}`, 'PLAIN_UNUSABLE');
    }
    b.progress.end(`copied the plain layer (${megabytes(plain.unzippedBytes)}, no install)`);
    const compressed = await compress(b, binary, sha256, plain.loadSkipped === null, options.codec);
    const { unzippedBytes: _bytes, fileCount: _files, ...facts } = plain;
    const manifest = writeManifest(b.project, { ...facts, compressedBinary: compressed });
    checkSize(manifest, options.maxBytes ?? LAMBDA_UNZIPPED_LIMIT_BYTES);
    fs.renameSync(b.project, path.join(b.outDir, 'nodejs'));
    const buildMs = Date.now() - started;
    b.progress.note(`built from the plain layer: ${megabytes(manifest.unzippedBytes)} unzipped in ${manifest.fileCount} files, ${(buildMs / 1000).toFixed(1)} s`);
    return { manifest, installMs: 0, buildMs, installed: false };
  } catch (e) {
    throw failed(b, e);
  } finally {
    fs.rmSync(b.work, { recursive: true, force: true });
    fs.rmSync(b.scratch, { recursive: true, force: true });
  }
}

/**
 * @param {LayerManifest} manifest
 * @param {number} maxBytes
 */
function checkSize(manifest, maxBytes) {
  if (manifest.unzippedBytes <= maxBytes) return;
  const limit = maxBytes === LAMBDA_UNZIPPED_LIMIT_BYTES ? "Lambda's limit of" : 'the limit of';
  const fix = manifest.strip.applied ? 'choose an older version or the other sdk' : 'leave strip on (binutils for the target) or choose another version';
  throw new LayerBuildError(`the layer is ${manifest.unzippedBytes} bytes unzipped, over ${limit} ${maxBytes} bytes for a function and all its layers; ${fix}`, 'TOO_LARGE');
}

/**
 * Empties the output folder and turns any error into a LayerBuildError.
 * @param {Build} b
 * @param {unknown} e
 * @returns {LayerBuildError}
 */
function failed(b, e) {
  for (const name of fs.existsSync(b.outDir) ? fs.readdirSync(b.outDir) : []) {
    fs.rmSync(path.join(b.outDir, name), { recursive: true, force: true });
  }
  if (e instanceof LayerBuildError) return e;
  const err = systemError(e);
  if (err.code && DISK_ERRORS.has(err.code)) return new LayerBuildError(`${diskMessage(err.code, b.outDir)} (${err.message})`, err.code);
  return new LayerBuildError(`layer build failed: ${err.message}`, 'INTERNAL');
}

module.exports = { buildLayer, buildFromPlain, LAMBDA_UNZIPPED_LIMIT_BYTES, MANIFEST_FILE, ERROR_FILE };
