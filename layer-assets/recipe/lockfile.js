'use strict';
// What a pinned build's lockfile must hold before the recipe trusts it. The
// recipe refuses a pin with any problem (BAD_PIN); the tests and the
// `audit:signatures` task run the same check over every pin sdks.json claims.

const fs = require('fs');
const path = require('path');

const CPU_BY_ARCHITECTURE = { x86_64: 'x64', arm64: 'arm64' };

/** Only npm's strongest hash: sha512 over the tarball, as npm writes it. */
const INTEGRITY = /^sha512-[A-Za-z0-9+/]{86}==$/;

/**
 * Problems of one pin's package.json and lockfile, as sentences; empty when it is sound.
 *
 * - package.json depends on exactly the SDK and its linux-gnu native package, both at `version`
 * - the lockfile (v2 or v3, a `packages` map) agrees with it at its root
 * - the lockfile has an entry for the SDK at `version` and for the native package
 *   for `architecture` (os linux, the architecture's cpu) at `version`: without it,
 *   a pinned install could not contain the binary the layer exists for
 * - every package has a version and a sha512 integrity; none comes from a link,
 *   a git repository, a file or a non-https URL, or under an alias (`npm:other@1.0.0`)
 *
 * @param {{ sdk: string, version: string, architecture: string, nativePackage: string,
 *           packageJson: any, lock: any }} pin
 * @returns {string[]}
 */
function lockfileProblems(pin) {
  const { sdk, version, architecture, nativePackage, packageJson, lock } = pin;
  const problems = [];
  const cpu = CPU_BY_ARCHITECTURE[architecture];
  const expected = { [sdk]: version, [nativePackage]: version };
  const sameDeps = (deps) => deps !== null && typeof deps === 'object'
    && Object.keys(deps).length === 2 && Object.entries(expected).every(([k, v]) => deps[k] === v);

  if (!packageJson || !sameDeps(packageJson.dependencies)) {
    problems.push(`package.json must depend on exactly ${JSON.stringify(expected)}`);
  }
  const packages = lock && typeof lock.packages === 'object' && lock.packages !== null ? lock.packages : undefined;
  if (!packages || !(lock.lockfileVersion >= 2)) {
    problems.push('package-lock.json must be lockfile version 2 or 3 (with a "packages" map)');
    return problems;
  }
  if (!packages[''] || !sameDeps(packages[''].dependencies)) {
    problems.push(`package-lock.json's root must depend on exactly ${JSON.stringify(expected)}`);
  }
  const sdkEntry = packages[`node_modules/${sdk}`];
  if (!sdkEntry || sdkEntry.version !== version) {
    problems.push(`package-lock.json has no entry for ${sdk}@${version}`);
  }
  const nativeEntry = packages[`node_modules/${nativePackage}`];
  if (!nativeEntry) {
    problems.push(`package-lock.json has no entry for ${nativePackage}, the linux native package for ${architecture}: the install could not contain the binary`);
  } else {
    if (nativeEntry.version !== version) problems.push(`package-lock.json locks ${nativePackage} ${nativeEntry.version}, not ${version}`);
    if (!Array.isArray(nativeEntry.os) || !nativeEntry.os.includes('linux')) problems.push(`package-lock.json's ${nativePackage} is not marked os linux`);
    if (!Array.isArray(nativeEntry.cpu) || !nativeEntry.cpu.includes(cpu)) problems.push(`package-lock.json's ${nativePackage} is not marked cpu ${cpu}`);
  }
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '') continue;
    const name = key.replace(/^.*node_modules\//, '');
    if (!entry || typeof entry !== 'object') {
      problems.push(`${key}: not an object`);
      continue;
    }
    if (entry.link) {
      problems.push(`${name} is a link to ${JSON.stringify(entry.resolved)}: a layer must come from the registry`);
      continue;
    }
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
    if (entry.name !== undefined && entry.name !== name) {
      problems.push(`${key} installs ${JSON.stringify(entry.name)} under an alias`);
    }
  }
  return problems;
}

/**
 * Problems of every pin that `<assetsDir>/sdks.json` claims (sdk -> version ->
 * architecture), read from `<assetsDir>/pins/<slug>-<version>-<architecture>/`.
 * @param {string} [assetsDir] the layer-assets folder (default: this recipe's)
 * @returns {string[]} `<pin>: <problem>` lines
 */
function pinProblems(assetsDir = path.resolve(__dirname, '..')) {
  const sdks = JSON.parse(fs.readFileSync(path.join(assetsDir, 'sdks.json'), 'utf-8'));
  const problems = [];
  for (const [sdk, info] of Object.entries(sdks)) {
    for (const [version, architectures] of Object.entries(info.pins ?? {})) {
      for (const architecture of Object.keys(architectures)) {
        const name = `${info.slug}-${version}-${architecture}`;
        const dir = path.join(assetsDir, 'pins', name);
        if (!CPU_BY_ARCHITECTURE[architecture]) {
          problems.push(`${name}: sdks.json claims architecture ${JSON.stringify(architecture)}, which is not x86_64 or arm64`);
          continue;
        }
        const read = (file) => {
          try {
            return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8'));
          } catch (e) {
            problems.push(`${name}: ${file} ${e.code === 'ENOENT' ? 'is missing' : `cannot be read: ${e.message}`}`);
            return undefined;
          }
        };
        const packageJson = read('package.json');
        const lock = read('package-lock.json');
        if (!packageJson || !lock) continue;
        const nativePackage = info.nativePackage.replace('{cpu}', CPU_BY_ARCHITECTURE[architecture]);
        for (const p of lockfileProblems({ sdk, version, architecture, nativePackage, packageJson, lock })) problems.push(`${name}: ${p}`);
      }
    }
  }
  return problems;
}

module.exports = { lockfileProblems, pinProblems, INTEGRITY };
