/**
 * A tarball that does not match its lockfile's sha512 stops the build (npm
 * EINTEGRITY) and leaves nothing. Slow tier: npm fetches from the registry.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ASSETS_DIR, recipeManifest } from '../../src/private/layer/recipe';
import { tempDir } from '../support/files';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cp: typeof import('child_process') = require('child_process');

test('a tarball that does not match its lockfile\'s sha512 stops the build (npm EINTEGRITY), leaving nothing', () => {
  const assets = path.join(tempDir('assets'), 'layer-assets');
  fs.cpSync(ASSETS_DIR, assets, { recursive: true });
  const file = path.join(assets, 'pins', 'vectordb-0.4.2-x86_64', 'package-lock.json');
  const lock = JSON.parse(fs.readFileSync(file, 'utf-8'));
  // A well-formed sha512 that is not vectordb 0.4.2's: a tampered lockfile, or a tampered tarball.
  lock.packages['node_modules/vectordb'].integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
  fs.writeFileSync(file, JSON.stringify(lock, null, 2));
  const out = path.join(tempDir('integrity'), 'out');
  // An empty npm cache: npm must fetch, and check, the tarball.
  const r = cp.spawnSync(process.execPath, [path.join(assets, 'build-layer.js'), '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'x86_64', '--out', out], {
    encoding: 'utf-8', timeout: 300_000, env: { ...process.env, npm_config_cache: tempDir('npm-cache') },
  });
  expect(r.status).toBe(1);
  expect(fs.readdirSync(out)).toEqual([recipeManifest().ERROR_FILE]);
  const reported = JSON.parse(fs.readFileSync(path.join(out, recipeManifest().ERROR_FILE), 'utf-8'));
  expect(reported.code).toBe('NPM_FAILED');
  expect(reported.message).toMatch(/^npm install of vectordb@0\.4\.2 for linux-x64-gnu failed: exit 1/);
  expect(reported.message).toMatch(/EINTEGRITY/);
});
