'use strict';
// The one recipe for a LanceDB Lambda layer. It runs on the host (VectorDbLayer's
// local bundling and the `build` CLI call `buildLayer` in-process) or inside the
// Lambda build image (`node /asset-input/build-layer.js ...`). Only Node.js
// built-ins, npm, and optionally `strip` are used.
//
// Output layout (unpacked by Lambda into /opt):
//   nodejs/node_modules/<sdk>            the SDK, its dependencies, one linux-gnu binary
//   nodejs/package.json, package-lock.json  what was installed, exactly
//   nodejs/vectordb-layer.json           the manifest: versions, sizes, glibc need, checks

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { readElf, compareDotted, MACHINE_BY_ARCHITECTURE, MACHINE_NAMES } = require('./elf');
const { lockfileProblems } = require('./lockfile');
const npm = require('./npm');
const { prune, measure } = require('./prune');
const { isExactVersion, nearestVersions } = require('./versions');

const ASSETS_DIR = path.resolve(__dirname, '..');
const SDKS = JSON.parse(fs.readFileSync(path.join(ASSETS_DIR, 'sdks.json'), 'utf-8'));
const PINS_DIR = path.join(ASSETS_DIR, 'pins');

/** Lambda's limit on the unzipped size of a function and all its layers. */
const LAMBDA_UNZIPPED_LIMIT_BYTES = 262144000;
const CPU_BY_ARCHITECTURE = { x86_64: 'x64', arm64: 'arm64' };
const MANIFEST_FILE = 'vectordb-layer.json';
const ERROR_FILE = '.vectordb-layer-error.json';
const RECIPE_VERSION = 1;

/** An error whose message is meant for the user as it stands. */
class LayerBuildError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'LayerBuildError';
    this.code = code;
  }
}

function sdkInfo(sdk) {
  const info = SDKS[sdk];
  if (!info || !Object.prototype.hasOwnProperty.call(SDKS, sdk)) {
    throw new LayerBuildError(`sdk must be one of ${Object.keys(SDKS).join(', ')}, got ${JSON.stringify(sdk)}`, 'BAD_INPUT');
  }
  return info;
}

/** The native package and binary of an SDK for a Lambda architecture. */
function nativeFor(sdk, architecture) {
  const info = sdkInfo(sdk);
  const cpu = CPU_BY_ARCHITECTURE[architecture];
  return {
    packageName: info.nativePackage.replace('{cpu}', cpu),
    binary: info.nativeBinary.replace('{cpu}', cpu),
  };
}

/** The folder of a pinned (lockfile) build, or undefined. */
function pinDir(sdk, version, architecture) {
  const dir = path.join(PINS_DIR, `${sdkInfo(sdk).slug}-${version}-${architecture}`);
  return fs.existsSync(path.join(dir, 'package-lock.json')) ? dir : undefined;
}

/** The package.json of the tiny npm project that is the layer. */
function layerPackageJson(sdk, version, architecture) {
  const native = nativeFor(sdk, architecture);
  return {
    name: `vectordb-layer-${sdkInfo(sdk).slug}-${version}-${architecture}`,
    version: '1.0.0',
    private: true,
    description: `${sdk} ${version} with its linux-${CPU_BY_ARCHITECTURE[architecture]}-gnu native binary, for /opt/nodejs/node_modules`,
    license: 'Apache-2.0',
    dependencies: { [sdk]: version, [native.packageName]: version },
  };
}

function validate(options) {
  const { sdk, version, architecture } = options;
  sdkInfo(sdk);
  if (!isExactVersion(version)) {
    throw new LayerBuildError(`version must be an exact version such as ${sdkInfo(sdk).defaultVersion} (x.y.z, optional -prerelease), got ${JSON.stringify(version)}`, 'BAD_INPUT');
  }
  if (!Object.prototype.hasOwnProperty.call(CPU_BY_ARCHITECTURE, architecture)) {
    throw new LayerBuildError(`architecture must be x86_64 or arm64, got ${JSON.stringify(architecture)}`, 'BAD_INPUT');
  }
  if (typeof options.outDir !== 'string' || options.outDir === '') {
    throw new LayerBuildError('outDir must be a folder path', 'BAD_INPUT');
  }
}

/** `npm view <pkg> versions`, its failure kept as the user's message (code REGISTRY). */
function askRegistry(pkg) {
  try {
    return npm.publishedVersions(pkg);
  } catch (e) {
    throw new LayerBuildError(e.message, e.code ?? 'REGISTRY');
  }
}

/**
 * For a version without a lockfile: checks on the registry that the SDK version
 * and its native package for the architecture exist, naming the nearest that do.
 */
function checkPublished(sdk, version, architecture) {
  const sdkVersions = askRegistry(sdk);
  if (sdkVersions.length === 0) {
    throw new LayerBuildError(`${sdk} is not on the npm registry (${npm.registryUrl()})`, 'NOT_PUBLISHED');
  }
  if (!sdkVersions.includes(version)) {
    const near = nearestVersions(version, sdkVersions);
    throw new LayerBuildError(`version ${version} of ${sdk} is not on the npm registry (${npm.registryUrl()}); nearest published: ${near.join(', ')}. Set version to one of them`, 'NOT_PUBLISHED');
  }
  const native = nativeFor(sdk, architecture);
  const nativeVersions = askRegistry(native.packageName);
  if (!nativeVersions.includes(version)) {
    const withNative = sdkVersions.filter((v) => nativeVersions.includes(v));
    const other = architecture === 'arm64' ? 'x86_64' : 'arm64';
    const list = withNative.length > 0 ? `versions of ${sdk} with one: ${withNative.join(', ')}` : `no version of ${sdk} has one`;
    throw new LayerBuildError(`architecture ${architecture} has no native build for ${sdk} ${version} (${native.packageName}@${version} is not published); ${list}. Set version to one of them, or architecture to ${other}`, 'NO_NATIVE_BUILD');
  }
}

/**
 * Every installed package must be the lockfile's version with the lockfile's
 * integrity (npm's hidden lockfile, node_modules/.package-lock.json, records
 * what was installed).
 */
function verifyLockfile(project) {
  const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf-8'));
  const hidden = path.join(project, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(hidden)) {
    throw new LayerBuildError('npm left no record of what it installed (node_modules/.package-lock.json); cannot prove the lockfile was followed', 'LOCK_MISMATCH');
  }
  const installed = JSON.parse(fs.readFileSync(hidden, 'utf-8')).packages ?? {};
  const drift = [];
  for (const [key, entry] of Object.entries(installed)) {
    const locked = lock.packages?.[key];
    if (!locked || locked.version !== entry.version || (locked.integrity && locked.integrity !== entry.integrity)) {
      drift.push(`${key.replace(/^node_modules\//, '')}@${entry.version}${locked ? ` (locked ${locked.version})` : ' (not in the lockfile)'}`);
    }
  }
  if (drift.length > 0) {
    throw new LayerBuildError(`npm installed packages the lockfile does not pin: ${drift.slice(0, 5).join(', ')}${drift.length > 5 ? ` and ${drift.length - 5} more` : ''}`, 'LOCK_MISMATCH');
  }
}

/** Whether this host is the Lambda platform itself (linux, glibc, same cpu). */
function hostIsTarget(architecture) {
  return process.platform === 'linux' && process.arch === CPU_BY_ARCHITECTURE[architecture] && hostGlibc() !== undefined;
}

/**
 * The npm flags of every layer install: only the target's linux-gnu packages,
 * no optional dependencies (the native package is an explicit one), no scripts.
 * npm checks explicit dependencies against the host's platform whatever --cpu
 * says, so on another host `--force` skips that one check; the recipe then
 * checks the binary's ELF machine itself.
 */
function installFlags(architecture) {
  return [
    '--omit=optional', '--omit=dev',
    '--ignore-scripts', '--no-bin-links',
    '--os=linux', `--cpu=${CPU_BY_ARCHITECTURE[architecture]}`, '--libc=glibc',
    ...(hostIsTarget(architecture) ? [] : ['--force']),
    '--no-audit', '--no-fund', '--no-update-notifier', '--no-progress',
  ];
}

/** A `strip` that understands the target, or why there is none. */
function findStrip(architecture) {
  const hostMatches = process.platform === 'linux' && process.arch === CPU_BY_ARCHITECTURE[architecture];
  const triplet = architecture === 'x86_64' ? 'x86_64-linux-gnu-strip' : 'aarch64-linux-gnu-strip';
  const candidates = hostMatches ? ['strip', triplet] : [triplet];
  for (const tool of candidates) {
    const r = childProcess.spawnSync(tool, ['--version'], { encoding: 'utf-8', shell: false, windowsHide: true });
    if (!r.error && r.status === 0) return { tool };
  }
  return { reason: `no strip for ${architecture} found (tried ${candidates.join(', ')}); install binutils${hostMatches ? '' : ` for ${architecture} (Debian: binutils-${architecture === 'arm64' ? 'aarch64' : 'x86-64'}-linux-gnu)`} or build with Docker` };
}

/** The host's glibc version, when the host is linux-gnu. */
function hostGlibc() {
  if (process.platform !== 'linux') return undefined;
  try {
    return process.report.getReport().header.glibcVersionRuntime;
  } catch {
    return undefined;
  }
}

/** Loads the SDK once from `nodeModules`, with nothing else on NODE_PATH. */
function loadCheck(sdk, nodeModules, scratch) {
  const cwd = fs.mkdtempSync(path.join(scratch, 'load-'));
  const code = 'const m = require(process.argv[1]); if (!m || typeof m.connect !== "function") { throw new Error("no connect() export"); }';
  const r = childProcess.spawnSync(process.execPath, ['-e', code, sdk], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_PATH: nodeModules, HOME: cwd },
    encoding: 'utf-8',
    shell: false,
    windowsHide: true,
    timeout: 120 * 1000,
  });
  fs.rmSync(cwd, { recursive: true, force: true });
  if (r.status !== 0) {
    throw new LayerBuildError(`the built layer does not load: require('${sdk}') with NODE_PATH=<layer>/nodejs/node_modules failed:\n${npm.tail(`${r.stdout}${r.stderr}`, 10)}`, 'LOAD_FAILED');
  }
}

function checkBinary(file, architecture, sdk, version) {
  if (!fs.existsSync(file)) {
    throw new LayerBuildError(`npm finished but the native binary for ${architecture} is missing (${path.basename(file)} of ${nativeFor(sdk, architecture).packageName}@${version}); npm did not install the linux-gnu package, so this layer could never load`, 'NO_BINARY');
  }
  let elf;
  try {
    elf = readElf(file);
  } catch (e) {
    throw new LayerBuildError(`the native binary ${path.basename(file)} is not a usable ELF file: ${e.message}`, 'BAD_BINARY');
  }
  if (elf.machine !== MACHINE_BY_ARCHITECTURE[architecture]) {
    throw new LayerBuildError(`the native binary ${path.basename(file)} is built for ${elf.machineName}, not ${MACHINE_NAMES[MACHINE_BY_ARCHITECTURE[architecture]]} (architecture ${architecture})`, 'WRONG_MACHINE');
  }
  return elf;
}

/**
 * Builds the layer into `outDir` (which must be empty or absent).
 * On failure, `outDir` is left as empty as it was found and the error says why.
 *
 * @param {object} options
 * @param {string} options.sdk `vectordb` or `@lancedb/lancedb`
 * @param {string} options.version exact version
 * @param {'x86_64'|'arm64'} options.architecture Lambda architecture
 * @param {string} options.outDir where `nodejs/` is written
 * @param {boolean} [options.strip=true] strip the native binary when a strip for the target is present
 * @param {number} [options.maxBytes=262144000] fail above this unzipped size
 * @param {(line: string) => void} [options.log] progress (default: stderr)
 * @returns {object} the manifest written to nodejs/vectordb-layer.json, plus installMs and buildMs
 */
function buildLayer(options) {
  validate(options);
  const { sdk, version, architecture } = options;
  const log = options.log ?? ((line) => process.stderr.write(`[vectordb-layer] ${line}\n`));
  const maxBytes = options.maxBytes ?? LAMBDA_UNZIPPED_LIMIT_BYTES;
  const outDir = path.resolve(options.outDir);
  const started = Date.now();
  const cpu = CPU_BY_ARCHITECTURE[architecture];
  const native = nativeFor(sdk, architecture);
  const info = sdkInfo(sdk);
  const warnings = [];

  let work;
  let scratch;
  try {
    fs.mkdirSync(outDir, { recursive: true });
    if (fs.readdirSync(outDir).some((n) => n !== ERROR_FILE)) {
      throw new LayerBuildError(`output folder ${outDir} is not empty`, 'BAD_INPUT');
    }
    // Work inside the output folder so the final move is a rename on one file system.
    work = fs.mkdtempSync(path.join(outDir, '.work-'));
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vectordb-layer-'));
  } catch (e) {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (e && DISK_ERRORS.has(e.code)) throw new LayerBuildError(`${diskMessage(e.code, e.path && e.path.startsWith(os.tmpdir()) ? os.tmpdir() : outDir)} (${e.message})`, e.code);
    throw e;
  }
  try {
    const project = path.join(work, 'nodejs');
    fs.mkdirSync(project);
    const pinned = pinDir(sdk, version, architecture);
    if (pinned) {
      const pkg = JSON.parse(fs.readFileSync(path.join(pinned, 'package.json'), 'utf-8'));
      const lock = JSON.parse(fs.readFileSync(path.join(pinned, 'package-lock.json'), 'utf-8'));
      const problems = lockfileProblems({ sdk, version, architecture, nativePackage: native.packageName, packageJson: pkg, lock });
      if (problems.length > 0) {
        throw new LayerBuildError(`pinned project layer-assets/pins/${path.basename(pinned)} cannot be trusted: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}. Regenerate it with \`npx projen pins\``, 'BAD_PIN');
      }
      fs.copyFileSync(path.join(pinned, 'package.json'), path.join(project, 'package.json'));
      fs.copyFileSync(path.join(pinned, 'package-lock.json'), path.join(project, 'package-lock.json'));
      log(`${sdk}@${version} for linux-${cpu}-gnu: pinned by layer-assets/pins/${path.basename(pinned)}/package-lock.json`);
    } else {
      warnings.push(`${sdk} ${version} has no lockfile in layer-assets/pins: its dependencies are resolved fresh from the registry and are not pinned`);
      log(`${sdk}@${version} for linux-${cpu}-gnu: no lockfile, checking the registry`);
      checkPublished(sdk, version, architecture);
      fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(layerPackageJson(sdk, version, architecture), null, 2)}\n`);
    }

    // Not `npm ci`: a lockfile lists every platform's optional package, and a registry that
    // lacks one of those makes ci refuse it. `install --no-save` follows the lockfile
    // (integrity included) and tolerates that; verifyLockfile then proves it was followed.
    const args = ['install', ...(pinned ? ['--no-save'] : []), ...installFlags(architecture)];
    log(`npm ${args.join(' ')}`);
    const installStarted = Date.now();
    const r = npm.runNpm(args, { cwd: project });
    // npm reports a package it could not unpack (disk full, read-only) as a
    // warning and still exits 0.
    const disk = /\b(ENOSPC|EDQUOT|EROFS)\b/.exec(r.output);
    if (disk) {
      throw new LayerBuildError(`npm ${args[0]} of ${sdk}@${version} for linux-${cpu}-gnu failed: ${diskMessage(disk[1], outDir)}\n${npm.tail(r.output, 3)}`, disk[1]);
    }
    if (/TAR_ENTRY_ERROR/.test(r.output)) {
      throw new LayerBuildError(`npm ${args[0]} of ${sdk}@${version} for linux-${cpu}-gnu could not unpack every package (it said TAR_ENTRY_ERROR and went on):\n${npm.tail(r.output, 5)}`, 'NPM_FAILED');
    }
    if (r.status !== 0) {
      const why = r.error ? `${r.error.message}` : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
      const registryHint = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|network/i.test(r.output)
        ? ` (is the npm registry ${npm.registryUrl()} reachable? npm's \`registry\` setting picks it)` : '';
      throw new LayerBuildError(`npm ${args[0]} of ${sdk}@${version} for linux-${cpu}-gnu failed: ${why}${registryHint}\n${npm.tail(r.output)}`, 'NPM_FAILED');
    }
    const installMs = Date.now() - installStarted;

    const nodeModules = path.join(project, 'node_modules');
    if (pinned) verifyLockfile(project);
    const binary = path.join(nodeModules, ...native.packageName.split('/'), native.binary);
    checkBinary(binary, architecture, sdk, version);
    const installed = measure(nodeModules);

    const pruned = prune(nodeModules, {
      keepBinary: binary,
      prunePackages: info.prunePackages,
      roots: [sdk, native.packageName],
      cliOnlyDependencies: info.cliOnlyDependencies,
      prunePaths: info.prunePaths,
    });
    log(`pruned ${pruned.files} files, ${pruned.bytes} bytes${pruned.packages.length ? ` (packages ${pruned.packages.join(', ')})` : ''}`);

    const binaryBytesBefore = fs.statSync(binary).size;
    let strip = { requested: options.strip !== false, applied: false };
    if (strip.requested) {
      const found = findStrip(architecture);
      if (found.tool) {
        const s = childProcess.spawnSync(found.tool, ['--strip-unneeded', binary], { encoding: 'utf-8', shell: false, windowsHide: true });
        if (s.status !== 0) {
          throw new LayerBuildError(`${found.tool} --strip-unneeded failed on ${native.binary}: ${npm.tail(`${s.stdout}${s.stderr}`, 5)}; set strip to false to keep the binary as published`, 'STRIP_FAILED');
        }
        strip = { ...strip, applied: true, tool: found.tool };
      } else {
        strip = { ...strip, reason: found.reason };
        log(`strip skipped: ${found.reason}`);
      }
    } else {
      strip.reason = 'strip was set to false';
    }
    const elf = checkBinary(binary, architecture, sdk, version);
    const binaryBytes = fs.statSync(binary).size;
    const binarySha256 = sha256File(binary);

    const sdkPackage = JSON.parse(fs.readFileSync(path.join(nodeModules, ...sdk.split('/'), 'package.json'), 'utf-8'));
    if (sdkPackage.version !== version) {
      throw new LayerBuildError(`npm installed ${sdk} ${sdkPackage.version}, not ${version}`, 'WRONG_VERSION');
    }

    const glibcHost = hostGlibc();
    let loadChecked = false;
    let loadSkipped;
    if (process.platform !== 'linux' || process.arch !== cpu || !glibcHost) {
      loadSkipped = `host is ${process.platform}-${process.arch}${glibcHost ? '' : ' without glibc'}, target linux-${cpu}-gnu`;
    } else if (elf.glibc && compareDotted(glibcHost, elf.glibc) < 0) {
      loadSkipped = `host glibc ${glibcHost} is older than the binary's need ${elf.glibc}`;
    } else {
      loadCheck(sdk, nodeModules, scratch);
      loadChecked = true;
    }
    log(loadChecked ? `loaded ${sdk} from the built folder` : `load check skipped: ${loadSkipped}`);

    const manifest = {
      recipeVersion: RECIPE_VERSION,
      sdk,
      version,
      architecture,
      platform: `linux-${cpu}-gnu`,
      nativePackage: native.packageName,
      nativeBinary: `nodejs/node_modules/${native.packageName}/${native.binary}`,
      nativeBinaryBytes: binaryBytes,
      nativeBinaryBytesBeforeStrip: binaryBytesBefore,
      nativeBinarySha256: binarySha256,
      glibc: elf.glibc ?? null,
      nodeEngines: sdkPackage.engines?.node ?? null,
      externalModules: info.externalModules,
      pinned: Boolean(pinned),
      strip,
      loadChecked,
      loadSkipped: loadSkipped ?? null,
      installedBytes: installed.bytes,
      prunedBytes: pruned.bytes,
      unzippedBytes: 0,
      fileCount: 0,
      warnings,
    };
    // The manifest is part of the layer: write it until the size it records includes itself.
    const manifestPath = path.join(project, MANIFEST_FILE);
    for (let pass = 0; pass < 5; pass++) {
      fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      const total = measure(project);
      if (total.bytes === manifest.unzippedBytes && total.files === manifest.fileCount) break;
      manifest.unzippedBytes = total.bytes;
      manifest.fileCount = total.files;
    }

    if (manifest.unzippedBytes > maxBytes) {
      throw new LayerBuildError(`the layer is ${manifest.unzippedBytes} bytes unzipped, over ${maxBytes === LAMBDA_UNZIPPED_LIMIT_BYTES ? "Lambda's limit of" : 'the limit of'} ${maxBytes} bytes for a function and all its layers; ${strip.applied ? 'choose an older version or the other sdk' : 'leave strip on (binutils for the target) or choose another version'}`, 'TOO_LARGE');
    }

    fs.renameSync(project, path.join(outDir, 'nodejs'));
    // Timings are returned, not written: the layer's content must not depend on them.
    const result = { ...manifest, installMs, buildMs: Date.now() - started };
    log(`built ${sdk}@${version} ${architecture}: ${result.unzippedBytes} bytes unzipped in ${result.fileCount} files, ${result.buildMs} ms`);
    return result;
  } catch (e) {
    // Leave nothing half-built behind.
    for (const name of fs.existsSync(outDir) ? fs.readdirSync(outDir) : []) {
      fs.rmSync(path.join(outDir, name), { recursive: true, force: true });
    }
    if (e instanceof LayerBuildError) throw e;
    if (e && DISK_ERRORS.has(e.code)) throw new LayerBuildError(`${diskMessage(e.code, outDir)} (${e.message})`, e.code);
    throw new LayerBuildError(`layer build failed: ${e && e.message}`, 'INTERNAL');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** File system errors that mean "no room" or "not writable", not a bug. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

function diskMessage(code, outDir) {
  const what = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is exhausted on the device',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
  }[code] ?? code;
  const fix = outDir === os.tmpdir()
    ? 'Free space there or set TMPDIR to a writable folder with space'
    : 'Free space or synthesize into another folder (cdk synth --output <dir>, or new App({ outdir }))';
  return `cannot write the layer (${code}: ${what}) under ${outDir}; the layer needs about 300 MB of free, writable space there while it builds. ${fix}`;
}

function sha256File(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Whether a built layer folder is still what its manifest says it is: the
 * layer asked for, nothing added or removed, the native binary intact and for
 * the right machine. A folder that fails is never shipped: the caller deletes
 * it and builds again, or tells the user to.
 *
 * @param {string} layerDir the folder holding `nodejs/`
 * @param {{ sdk: string, version: string, architecture: string }} expected
 * @returns {string[]} problems; empty when the folder is sound
 */
function checkLayerDir(layerDir, expected) {
  let st;
  try {
    st = fs.lstatSync(layerDir);
  } catch (e) {
    return [`it cannot be read (${e.code ?? e.message})`];
  }
  if (!st.isDirectory()) return ['it is not a folder'];
  const manifestPath = path.join(layerDir, 'nodejs', MANIFEST_FILE);
  let m;
  try {
    m = JSON.parse(fs.readFileSync(manifestPath, 'utf-8'));
  } catch (e) {
    return [e.code === 'ENOENT' ? `nodejs/${MANIFEST_FILE} is missing` : `nodejs/${MANIFEST_FILE} is not valid JSON`];
  }
  const problems = [];
  for (const key of ['sdk', 'version', 'architecture']) {
    if (m[key] !== expected[key]) problems.push(`it holds ${key} ${JSON.stringify(m[key])}, not ${JSON.stringify(expected[key])}`);
  }
  const extra = fs.readdirSync(layerDir).filter((n) => n !== 'nodejs');
  if (extra.length > 0) problems.push(`it holds ${extra.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')} beside nodejs/`);
  const found = measure(path.join(layerDir, 'nodejs'));
  if (found.files !== m.fileCount || found.bytes !== m.unzippedBytes) {
    problems.push(`it holds ${found.files} files, ${found.bytes} bytes; its manifest says ${m.fileCount} files, ${m.unzippedBytes} bytes`);
  }
  const binary = typeof m.nativeBinary === 'string' && !m.nativeBinary.split('/').includes('..') ? path.join(layerDir, ...m.nativeBinary.split('/')) : undefined;
  if (!binary || !fs.existsSync(binary)) {
    problems.push(`the native binary ${m.nativeBinary} is missing`);
  } else {
    const size = fs.statSync(binary).size;
    if (size !== m.nativeBinaryBytes) {
      problems.push(`the native binary is ${size} bytes, not ${m.nativeBinaryBytes}`);
    } else if (m.nativeBinarySha256 && sha256File(binary) !== m.nativeBinarySha256) {
      problems.push('the native binary\'s sha256 differs from the manifest\'s');
    } else {
      try {
        const elf = readElf(binary);
        if (elf.machine !== MACHINE_BY_ARCHITECTURE[expected.architecture]) problems.push(`the native binary is built for ${elf.machineName}, not ${expected.architecture}`);
      } catch (e) {
        problems.push(`the native binary is not a usable ELF file: ${e.message}`);
      }
    }
  }
  return problems;
}

/** Reads the manifest of a built layer folder, or undefined when there is none. */
function readManifest(layerDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', MANIFEST_FILE), 'utf-8'));
  } catch {
    return undefined;
  }
}

module.exports = {
  buildLayer,
  readManifest,
  checkLayerDir,
  verifyLockfile,
  nativeFor,
  pinDir,
  layerPackageJson,
  installFlags,
  checkPublished,
  findStrip,
  LayerBuildError,
  SDKS,
  ASSETS_DIR,
  CPU_BY_ARCHITECTURE,
  LAMBDA_UNZIPPED_LIMIT_BYTES,
  MANIFEST_FILE,
  ERROR_FILE,
};
