/**
 * The layer's asset hash: the layer's content inputs and nothing else
 * (layer-assets/README.md states the rule for maintainers).
 *
 * - the code that runs inside the build: `layer-assets/build-layer.js` and
 *   `layer-assets/recipe/*.js` (never host code: that lives in src/)
 * - the selected SDK's entry in `layer-assets/sdks.json`
 * - the selected version's pin, when it has one (`pins/<slug>-<version>-<arch>/`
 *   package.json and package-lock.json)
 * - the build options: the request (SDK, version, architecture, strip,
 *   compressBinary: ./request.ts), and the image when
 *   the build runs in Docker; `unstripped` when strip is on but the host has
 *   no strip for the target (src/private/layer/host-build.ts): other bytes, so
 *   another hash
 *
 * So editing host code, docs or tests, or adding a pin for another version,
 * moves no existing layer's hash (no rebuild, no redeploy for anyone), while
 * any change to what the build runs or installs does. Line endings are
 * normalised and nothing about the machine or the checkout's path counts.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ASSETS_DIR } from './recipe';
import { hashedFlags, LayerRequest } from './request';

/** Everything that decides a layer's bytes: the request, and how this host builds it. */
export interface LayerHashInputs extends LayerRequest {
  /** The image, when the user asked for Docker (its tools, strip among them, shape the bytes). */
  readonly dockerImage?: string;
  /**
   * Strip is on but this host has no strip for the target, so the binary stays
   * as published: other bytes than a host with strip makes, so another hash
   * (in the hash only when true, as `hashedFlags` says).
   */
  readonly unstripped?: boolean;
}

const fingerprints = new Map<string, string>();

/** The build-side code files, relative to the assets folder, sorted. */
export function recipeCodeFiles(assetsDir: string = ASSETS_DIR): string[] {
  const recipeDir = path.join(assetsDir, 'recipe');
  const inRecipe = fs.existsSync(recipeDir)
    ? fs.readdirSync(recipeDir).filter((n) => n.endsWith('.js') && !n.startsWith('.')).map((n) => `recipe/${n}`)
    : [];
  return ['build-layer.js', ...inRecipe].sort();
}

/** sha256 of the build-side code, by relative path and content (LF line endings). */
export function recipeFingerprint(assetsDir: string = ASSETS_DIR): string {
  const known = fingerprints.get(assetsDir);
  if (known) return known;
  const hash = crypto.createHash('sha256');
  for (const rel of recipeCodeFiles(assetsDir)) addFile(hash, rel, path.join(assetsDir, ...rel.split('/')));
  const digest = hash.digest('hex');
  fingerprints.set(assetsDir, digest);
  return digest;
}

function addFile(hash: crypto.Hash, name: string, file: string) {
  hash.update(`${name}\0`);
  hash.update(fs.readFileSync(file, 'utf-8').replace(/\r\n/g, '\n'));
  hash.update('\0');
}

/** JSON with object keys sorted at every level: the same data, the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The layer asset's custom hash. Equal inputs give equal hashes on any machine
 * and in any checkout.
 */
export function layerAssetHash(inputs: LayerHashInputs, assetsDir: string = ASSETS_DIR): string {
  const hash = crypto.createHash('sha256');
  hash.update('cdk-vectordb-layer/layer/2\0');
  hash.update(recipeFingerprint(assetsDir));
  const sdks = JSON.parse(fs.readFileSync(path.join(assetsDir, 'sdks.json'), 'utf-8'));
  hash.update(`\0sdk:${canonical(sdks[inputs.sdk] ?? null)}`);
  const pinName = `${sdks[inputs.sdk]?.slug ?? inputs.sdk}-${inputs.version}-${inputs.architecture}`;
  const pin = path.join(assetsDir, 'pins', pinName);
  if (fs.existsSync(path.join(pin, 'package-lock.json'))) {
    for (const f of ['package.json', 'package-lock.json']) addFile(hash, `pins/${pinName}/${f}`, path.join(pin, f));
  }
  const { sdk, version, architecture, strip } = inputs;
  const options = { sdk, version, architecture, strip, dockerImage: inputs.dockerImage ?? null, ...hashedFlags(inputs, inputs.unstripped === true) };
  hash.update(`\0options:${canonical(options)}`);
  return hash.digest('hex');
}

/**
 * The hash `AssetStaging` gives a bundled asset with a custom hash, which names
 * its folder `asset.<hash>` in the cloud assembly: sha256 of the custom hash
 * and the bundling options as JSON (aws-cdk-lib core/lib/asset-staging.js,
 * `calculateHash`). Used to find the folder before CDK decides to reuse it;
 * the construct checks afterwards that CDK agreed.
 */
export function stagedAssetHash(customHash: string, bundling: unknown): string {
  return crypto.createHash('sha256')
    .update(customHash)
    .update(JSON.stringify(bundling))
    .digest('hex');
}
