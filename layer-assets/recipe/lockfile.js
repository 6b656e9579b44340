// @ts-check
'use strict';
// What a pinned project's lockfile must hold before the build trusts it, and
// the proof, after npm ran, that npm installed exactly what it pins.

const fs = require('fs');
const path = require('path');
const { LayerBuildError } = require('./errors');
const { CPU_BY_ARCHITECTURE } = require('./sdks');

/** Only npm's strongest hash: sha512 over the tarball, as npm writes it. */
const INTEGRITY = /^sha512-[A-Za-z0-9+/]{86}==$/;

/**
 * @typedef {object} PinFiles
 * @property {string} sdk
 * @property {string} version
 * @property {import('./sdks').Architecture} architecture
 * @property {string} nativePackage the linux-gnu native package for the architecture
 * @property {any} packageJson the pin's package.json
 * @property {any} lock the pin's package-lock.json
 */

/**
 * Problems of the pin's package.json against what a layer project must be.
 * @param {PinFiles} pin
 * @returns {{ problems: string[], nativeVersion: string | undefined }}
 */
function manifestProblems(pin) {
  const deps = pin.packageJson && pin.packageJson.dependencies;
  const nativeVersion = deps && typeof deps[pin.nativePackage] === 'string' ? deps[pin.nativePackage] : undefined;
  const ok = deps !== null && typeof deps === 'object' && Object.keys(deps).length === 2 && deps[pin.sdk] === pin.version && nativeVersion !== undefined;
  return {
    problems: ok ? [] : [`package.json must depend on exactly ${pin.sdk}@${pin.version} and ${pin.nativePackage} (at the version the SDK names)`],
    nativeVersion,
  };
}

/**
 * Whether two dependency maps name the same packages at the same versions.
 * @param {any} a
 * @param {any} b
 */
function sameEntries(a, b) {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Problems of one lockfile entry: registry-only, versioned, sha512.
 * @param {string} key
 * @param {any} entry
 * @returns {string[]}
 */
function entryProblems(key, entry) {
  const name = key.replace(/^.*node_modules\//, '');
  if (!entry || typeof entry !== 'object') return [`${key}: not an object`];
  if (entry.link) return [`${name} is a link to ${JSON.stringify(entry.resolved)}: a layer must come from the registry`];
  const problems = [];
  if (typeof entry.version !== 'string' || entry.version === '') problems.push(`${name} has no version`);
  if (typeof entry.integrity !== 'string' || !INTEGRITY.test(entry.integrity)) {
    problems.push(`${name}@${entry.version} has no sha512 integrity${entry.integrity ? ` (got ${JSON.stringify(String(entry.integrity).slice(0, 20))})` : ''}`);
  }
  if (entry.resolved !== undefined && !(typeof entry.resolved === 'string' && /^https:\/\/[^\s]+\.tgz$/.test(entry.resolved))) {
    problems.push(`${name}@${entry.version} resolves to ${JSON.stringify(String(entry.resolved).slice(0, 80))}: only https tarball URLs are allowed`);
  }
  if (typeof entry.version === 'string' && !/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(entry.version)) {
    problems.push(`${name} has version ${JSON.stringify(entry.version.slice(0, 80))}, which is not a registry version`);
  }
  if (entry.name !== undefined && entry.name !== name) problems.push(`${key} installs ${JSON.stringify(entry.name)} under an alias`);
  return problems;
}

/**
 * Problems of one pin's package.json and lockfile, as sentences; empty when it is sound.
 *
 * - package.json depends on exactly the SDK at `version` and its linux-gnu
 *   native package (at whatever version the SDK's optionalDependencies name)
 * - the lockfile (v2 or v3) agrees with it at its root, and locks both, the
 *   native package marked for linux and the architecture's cpu
 * - every package has a version and a sha512 integrity; none comes from a link,
 *   a git repository, a file, a non-https URL, or under an alias
 * @param {PinFiles} pin
 * @returns {string[]}
 */
function lockfileProblems(pin) {
  const { sdk, version, architecture, nativePackage, lock } = pin;
  const { problems, nativeVersion } = manifestProblems(pin);
  const packages = lock && typeof lock.packages === 'object' && lock.packages !== null ? lock.packages : undefined;
  if (!packages || !(lock.lockfileVersion >= 2)) {
    return [...problems, 'package-lock.json must be lockfile version 2 or 3 (with a "packages" map)'];
  }
  const root = packages[''] && packages[''].dependencies;
  if (!sameEntries(root, pin.packageJson && pin.packageJson.dependencies)) {
    problems.push('package-lock.json\'s root must depend on exactly what package.json does');
  }
  const sdkEntry = packages[`node_modules/${sdk}`];
  if (!sdkEntry || sdkEntry.version !== version) problems.push(`package-lock.json has no entry for ${sdk}@${version}`);
  const nativeEntry = packages[`node_modules/${nativePackage}`];
  const cpu = CPU_BY_ARCHITECTURE[architecture];
  if (!nativeEntry) {
    problems.push(`package-lock.json has no entry for ${nativePackage}, the linux native package for ${architecture}: the install could not contain the binary`);
  } else {
    if (nativeVersion !== undefined && nativeEntry.version !== nativeVersion) problems.push(`package-lock.json locks ${nativePackage} ${nativeEntry.version}, not ${nativeVersion}`);
    if (!Array.isArray(nativeEntry.os) || !nativeEntry.os.includes('linux')) problems.push(`package-lock.json's ${nativePackage} is not marked os linux`);
    if (!Array.isArray(nativeEntry.cpu) || !nativeEntry.cpu.includes(cpu)) problems.push(`package-lock.json's ${nativePackage} is not marked cpu ${cpu}`);
  }
  for (const [key, entry] of Object.entries(packages)) {
    if (key !== '') problems.push(...entryProblems(key, entry));
  }
  return problems;
}

/**
 * After `npm install`: every installed package must be the lockfile's version
 * with the lockfile's integrity (npm's hidden lockfile, node_modules/.package-lock.json,
 * records what was installed).
 * @param {string} project
 */
function verifyLockfile(project) {
  const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf-8'));
  const hidden = path.join(project, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(hidden)) {
    throw new LayerBuildError('npm left no record of what it installed (node_modules/.package-lock.json); cannot prove the lockfile was followed', 'LOCK_MISMATCH');
  }
  /** @type {Record<string, { version?: string, integrity?: string }>} */
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

module.exports = { lockfileProblems, verifyLockfile, INTEGRITY };
