// @ts-check
'use strict';
// The tiny npm project that is the layer, and npm's install of it: only the
// target's linux-gnu packages, no optional dependencies (the native package is
// an explicit one), no install scripts.

const fs = require('fs');
const path = require('path');
const { hostIsTarget } = require('./binary');
const { LayerBuildError, diskMessage } = require('./errors');
const { lockfileProblems } = require('./lockfile');
const npm = require('./npm');
const { megabytes } = require('./progress');
const { measure } = require('./prune');
const { resolveRelease } = require('./registry');
const { CPU_BY_ARCHITECTURE, nativeFor, pinDir, layerPackageJson } = require('./sdks');

/** @typedef {import('./sdks').Architecture} Architecture */
/** @typedef {import('./progress').Progress} Progress */

/**
 * @typedef {object} Target
 * @property {string} sdk
 * @property {string} version
 * @property {Architecture} architecture
 */

/**
 * @typedef {object} InstallPlan
 * @property {string} nativePackage
 * @property {string} nativeVersion
 * @property {string | undefined} pin the pin's folder name, when pinned
 */

/**
 * Writes `package.json` (and for a pinned version its lockfile) into `project`.
 * A pinned version's lockfile is checked before it is trusted; any other
 * version asks the registry what its native package is.
 * @param {string} project
 * @param {Target} target
 * @returns {InstallPlan}
 */
function writeProject(project, target) {
  const { sdk, version, architecture } = target;
  const native = nativeFor(sdk, architecture).packageName;
  const pinned = pinDir(sdk, version, architecture);
  if (pinned) {
    const packageJson = JSON.parse(fs.readFileSync(path.join(pinned, 'package.json'), 'utf-8'));
    const lock = JSON.parse(fs.readFileSync(path.join(pinned, 'package-lock.json'), 'utf-8'));
    const problems = lockfileProblems({ sdk, version, architecture, nativePackage: native, packageJson, lock });
    if (problems.length > 0) {
      throw new LayerBuildError(`pinned project layer-assets/pins/${path.basename(pinned)} cannot be trusted: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}. Regenerate it with \`npx projen pins\``, 'BAD_PIN');
    }
    fs.copyFileSync(path.join(pinned, 'package.json'), path.join(project, 'package.json'));
    fs.copyFileSync(path.join(pinned, 'package-lock.json'), path.join(project, 'package-lock.json'));
    return { nativePackage: native, nativeVersion: packageJson.dependencies[native], pin: path.basename(pinned) };
  }
  const release = resolveRelease(sdk, version, architecture);
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(layerPackageJson(sdk, version, architecture, release.nativeVersion), null, 2)}\n`);
  return { nativePackage: native, nativeVersion: release.nativeVersion, pin: undefined };
}

/**
 * npm's flags for a layer install. npm checks explicit dependencies against the
 * host's platform whatever --cpu says, so on another host `--force` skips that
 * one check; the build then checks the binary's ELF machine itself.
 * @param {Architecture} architecture
 */
function installFlags(architecture) {
  return [
    '--omit=optional', '--omit=dev',
    '--ignore-scripts', '--no-bin-links',
    '--os=linux', `--cpu=${CPU_BY_ARCHITECTURE[architecture]}`, '--libc=glibc',
    ...(hostIsTarget(architecture) ? [] : ['--force']),
    '--no-audit', '--no-fund', '--no-update-notifier', '--no-progress',
    // What a user's npmrc could otherwise change in the layer's files.
    '--install-strategy=hoisted', '--package-lock=true', '--lockfile-version=3', '--include=prod',
  ];
}

/**
 * The lockfile npm wrote for an unpinned version, as the pins hold theirs:
 * without `resolved` (the registry's address, or none with npm's
 * omit-lockfile-registry-resolved), so the layer's bytes do not depend on
 * the registry or mirror it came from; versions and integrity stay.
 * @param {string} project
 */
function normalizeLockfile(project) {
  // npm's hidden lockfile too: it is measured before the prune removes it.
  for (const file of [path.join(project, 'package-lock.json'), path.join(project, 'node_modules', '.package-lock.json')]) {
    if (!fs.existsSync(file)) continue;
    const lock = JSON.parse(fs.readFileSync(file, 'utf-8'));
    for (const entry of Object.values(lock.packages ?? {})) {
      if (entry && typeof entry === 'object') delete entry.resolved;
    }
    fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  }
}

/**
 * `npm install` of the project, with the bytes unpacked so far on the progress line.
 * Not `npm ci`: a lockfile lists every platform's optional package, and a
 * registry that lacks one of those makes ci refuse it; `install --no-save`
 * follows the lockfile (integrity included) and verifyLockfile proves it.
 * @param {string} project
 * @param {Target & { pinned: boolean, outDir: string, progress: Progress }} options
 * @returns {Promise<number>} the milliseconds npm took
 */
async function npmInstall(project, options) {
  const args = ['install', ...(options.pinned ? ['--no-save'] : []), ...installFlags(options.architecture)];
  const nodeModules = path.join(project, 'node_modules');
  const started = Date.now();
  const r = await npm.runNpmAsync(args, {
    cwd: project,
    onTick: () => options.progress.update(unpackedSoFar(nodeModules)),
  });
  const what = `npm install of ${options.sdk}@${options.version} for linux-${CPU_BY_ARCHITECTURE[options.architecture]}-gnu`;
  // npm reports a package it could not unpack (disk full, read-only) as a warning and still exits 0.
  const disk = /\b(ENOSPC|EDQUOT|EROFS)\b/.exec(r.output);
  if (disk) throw new LayerBuildError(`${what} failed: ${diskMessage(disk[1], options.outDir)}\n${npm.tail(r.output, 3)}`, disk[1]);
  if (/TAR_ENTRY_ERROR/.test(r.output)) {
    throw new LayerBuildError(`${what} could not unpack every package (it said TAR_ENTRY_ERROR and went on):\n${npm.tail(r.output, 5)}`, 'NPM_FAILED');
  }
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    const hint = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|network/i.test(r.output)
      ? ` (is the npm registry ${npm.registryUrl()} reachable? npm's \`registry\` setting picks it)` : '';
    throw new LayerBuildError(`${what} failed: ${why}${hint}\n${npm.tail(r.output)}`, 'NPM_FAILED');
  }
  return Date.now() - started;
}

/**
 * The bytes npm has unpacked so far, for the progress line; '' before
 * node_modules exists and while npm moves or removes files under the count
 * (a failed install removes what it unpacked: a throw here, in a timer, would
 * end the build without its error file and leave its work folder behind).
 * @param {string} nodeModules
 * @returns {string}
 */
function unpackedSoFar(nodeModules) {
  try {
    return fs.existsSync(nodeModules) ? megabytes(measure(nodeModules).bytes) : '';
  } catch {
    return '';
  }
}

module.exports = { writeProject, installFlags, npmInstall, normalizeLockfile };
