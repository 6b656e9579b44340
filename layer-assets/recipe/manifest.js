// @ts-check
'use strict';
// The layer's manifest, `nodejs/vectordb-layer.json`: what the layer holds and
// what was checked. It is part of the layer (it counts in its size) and the
// host reads it to learn the binary's glibc need, sizes and runtimes.

const fs = require('fs');
const path = require('path');
const { measure } = require('./prune');

const MANIFEST_FILE = 'vectordb-layer.json';
/** Written into the output folder, alone, when a build fails: { message, code, details }. */
const ERROR_FILE = '.vectordb-layer-error.json';
/** Bumped when the manifest's shape changes. */
const RECIPE_VERSION = 2;

/**
 * @typedef {object} StripResult
 * @property {boolean} requested
 * @property {boolean} applied
 * @property {string} [tool] the strip that ran
 * @property {string} [reason] why it did not
 */

/**
 * @typedef {object} LayerManifest
 * @property {number} recipeVersion
 * @property {string} sdk `vectordb` or `@lancedb/lancedb`
 * @property {string} version the SDK's exact version
 * @property {'x86_64' | 'arm64'} architecture
 * @property {string} platform `linux-x64-gnu` or `linux-arm64-gnu`
 * @property {string} nativePackage the package holding the binary
 * @property {string} nativePackageVersion its version (the one the SDK's optionalDependencies name)
 * @property {string} nativeBinary the binary's path in the layer (`nodejs/node_modules/...`); with compressedBinary, where the package expects it (the loader decompresses it elsewhere) and no file
 * @property {import('./compress').CompressedBinary | null} compressedBinary the compressed binary and its loader's facts, when compressBinary
 * @property {number} nativeBinaryBytes its size as shipped
 * @property {number} nativeBinaryBytesBeforeStrip its size as published
 * @property {string} nativeBinarySha256 sha256 of the binary as shipped
 * @property {string | null} glibc the highest GLIBC_x.y the binary needs
 * @property {string[]} neededLibraries the binary's DT_NEEDED sonames
 * @property {string | null} nodeEngines the SDK's engines.node
 * @property {boolean} pinned installed from a lockfile in layer-assets/pins
 * @property {StripResult} strip
 * @property {boolean} loadChecked the SDK was required from the built folder
 * @property {string | null} loadSkipped why it was not
 * @property {number} installedBytes node_modules as npm left it
 * @property {number} prunedBytes removed by pruning
 * @property {number} unzippedBytes the layer's size, this file included: what Lambda counts
 * @property {number} fileCount files in the layer, this file included
 */

/**
 * Writes the manifest into `project` until the size it records includes itself.
 * @param {string} project the `nodejs/` folder
 * @param {Omit<LayerManifest, 'unzippedBytes' | 'fileCount'>} facts
 * @returns {LayerManifest}
 */
function writeManifest(project, facts) {
  /** @type {LayerManifest} */
  const manifest = { ...facts, unzippedBytes: 0, fileCount: 0 };
  const file = path.join(project, MANIFEST_FILE);
  for (let pass = 0; pass < 5; pass++) {
    fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    const total = measure(project);
    if (total.bytes === manifest.unzippedBytes && total.files === manifest.fileCount) break;
    manifest.unzippedBytes = total.bytes;
    manifest.fileCount = total.files;
  }
  return manifest;
}

module.exports = { writeManifest, MANIFEST_FILE, ERROR_FILE, RECIPE_VERSION };
