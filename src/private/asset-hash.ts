import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ASSETS_DIR } from './recipe';

let recipeFingerprint: string | undefined;

/** sha256 of every file of the recipe folder, by relative path and content. */
function fingerprintRecipe(): string {
  if (recipeFingerprint) return recipeFingerprint;
  const hash = crypto.createHash('sha256');
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        walk(p);
      } else if (st.isFile()) {
        // Line endings are normalised so a Windows checkout hashes like a Linux one.
        const rel = path.relative(ASSETS_DIR, p).split(path.sep).join('/');
        hash.update(`${rel}\0`);
        hash.update(fs.readFileSync(p, 'utf-8').replace(/\r\n/g, '\n'));
        hash.update('\0');
      }
    }
  };
  walk(ASSETS_DIR);
  recipeFingerprint = hash.digest('hex');
  return recipeFingerprint;
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
