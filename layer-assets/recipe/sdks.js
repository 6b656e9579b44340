// @ts-check
'use strict';
// What the build needs to know about each SDK (layer-assets/sdks.json) and the
// pinned projects (layer-assets/pins/<slug>-<version>-<architecture>/).

const fs = require('fs');
const path = require('path');
const { LayerBuildError } = require('./errors');

/**
 * @typedef {object} SdkRecipe
 * @property {string} slug short name, in pin folder and project names
 * @property {string} nativePackage the linux-gnu native package, `{cpu}` for x64 or arm64
 * @property {string} nativeBinary the binary's file name in that package, `{cpu}` as above
 * @property {string[]} prunePackages packages the runtime never loads (`@types/*` or exact names)
 * @property {Record<string, string[]>} cliOnlyDependencies dependency edges only a package's command-line tool uses
 * @property {string[]} prunePaths folders inside packages the runtime never reads
 */

/** @typedef {'x86_64' | 'arm64'} Architecture */

const ASSETS_DIR = path.resolve(__dirname, '..');
const PINS_DIR = path.join(ASSETS_DIR, 'pins');

/** @type {Record<string, SdkRecipe>} */
const SDKS = JSON.parse(fs.readFileSync(path.join(ASSETS_DIR, 'sdks.json'), 'utf-8'));

/** @type {Record<Architecture, string>} */
const CPU_BY_ARCHITECTURE = { x86_64: 'x64', arm64: 'arm64' };

/**
 * @param {unknown} architecture
 * @returns {architecture is Architecture}
 */
function isArchitecture(architecture) {
  return typeof architecture === 'string' && Object.prototype.hasOwnProperty.call(CPU_BY_ARCHITECTURE, architecture);
}

/**
 * @param {string} sdk
 * @returns {SdkRecipe}
 */
function sdkInfo(sdk) {
  if (typeof sdk !== 'string' || !Object.prototype.hasOwnProperty.call(SDKS, sdk)) {
    throw new LayerBuildError(`sdk must be one of ${Object.keys(SDKS).join(', ')}, got ${JSON.stringify(sdk)}`, 'BAD_INPUT');
  }
  return SDKS[sdk];
}

/**
 * The native package and binary of an SDK for a Lambda architecture.
 * @param {string} sdk
 * @param {Architecture} architecture
 * @returns {{ packageName: string, binary: string }}
 */
function nativeFor(sdk, architecture) {
  const info = sdkInfo(sdk);
  const cpu = CPU_BY_ARCHITECTURE[architecture];
  return {
    packageName: info.nativePackage.replace('{cpu}', cpu),
    binary: info.nativeBinary.replace('{cpu}', cpu),
  };
}

/**
 * The name of a pinned project's folder.
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 */
function pinName(sdk, version, architecture) {
  return `${sdkInfo(sdk).slug}-${version}-${architecture}`;
}

/**
 * The folder of a pinned (lockfile) build, or undefined.
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 * @returns {string | undefined}
 */
function pinDir(sdk, version, architecture) {
  const dir = path.join(PINS_DIR, pinName(sdk, version, architecture));
  return fs.existsSync(path.join(dir, 'package-lock.json')) ? dir : undefined;
}

/**
 * The package.json of the tiny npm project that is the layer: the SDK and its
 * native package (at the version the SDK's optionalDependencies name) as exact
 * dependencies.
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 * @param {string} nativeVersion
 */
function layerPackageJson(sdk, version, architecture, nativeVersion) {
  const native = nativeFor(sdk, architecture);
  return {
    name: `vectordb-layer-${pinName(sdk, version, architecture)}`,
    version: '1.0.0',
    private: true,
    description: `${sdk} ${version} with its linux-${CPU_BY_ARCHITECTURE[architecture]}-gnu native binary, for /opt/nodejs/node_modules`,
    license: 'Apache-2.0',
    dependencies: { [sdk]: version, [native.packageName]: nativeVersion },
  };
}

module.exports = { SDKS, ASSETS_DIR, PINS_DIR, CPU_BY_ARCHITECTURE, isArchitecture, sdkInfo, nativeFor, pinName, pinDir, layerPackageJson };
