import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ASSETS_DIR } from './recipe';

/**
 * What the recipe reads, relative to `layer-assets/`: every file below a listed
 * folder counts. Nothing else does: `update-pins.js` (a maintainer's tool the
 * npm package leaves out) and files whose name starts with `.` (`.DS_Store`,
 * editor swap files) never change a layer, so a git clone, an npm install and
 * a checkout with such litter all hash alike.
 */
export const RECIPE_INPUTS = ['build-layer.js', 'sdks.json', 'recipe', 'pins'];

let recipeFingerprint: string | undefined;

/** sha256 of the recipe's inputs, by relative path and content. */
export function fingerprintRecipe(assetsDir: string = ASSETS_DIR): string {
  if (assetsDir === ASSETS_DIR && recipeFingerprint) return recipeFingerprint;
  const hash = crypto.createHash('sha256');
  const add = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (!name.startsWith('.')) add(path.join(p, name));
      }
    } else if (st.isFile()) {
      // Line endings are normalised so a Windows checkout hashes like a Linux one.
      const rel = path.relative(assetsDir, p).split(path.sep).join('/');
      hash.update(`${rel}\0`);
      hash.update(fs.readFileSync(p, 'utf-8').replace(/\r\n/g, '\n'));
      hash.update('\0');
    }
  };
  for (const input of RECIPE_INPUTS) {
    const p = path.join(assetsDir, input);
    if (fs.existsSync(p)) add(p);
  }
  const digest = hash.digest('hex');
  if (assetsDir === ASSETS_DIR) recipeFingerprint = digest;
  return digest;
}

/**
 * The layer asset's custom hash: the recipe folder plus every option that
 * changes the output. Equal inputs give equal hashes on any machine.
 */
export function layerAssetHash(inputs: Record<string, string | boolean>): string {
  const ordered = Object.keys(inputs).sort().map((k) => [k, inputs[k]]);
  return crypto.createHash('sha256')
    .update('cdk-vectordb-layer/1\0')
    .update(fingerprintRecipe())
    .update(JSON.stringify(ordered))
    .digest('hex');
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
