/**
 * Supply chain: a doctored pin is refused by the recipe before npm or the
 * network is touched, and the audit task is wired and documented. (The
 * lockfile policy case by case: test/recipe.test.ts; a tampered tarball:
 * test/integ/supply-chain.test.ts.) Fast tier: no network.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/files';
import { ASSETS_DIR, recipeManifest } from '../src/private/layer/recipe';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cp: typeof import('child_process') = require('child_process');

const ROOT = path.join(__dirname, '..');

/** A copy of layer-assets with one pin's lockfile changed. */
function doctoredAssets(pin: string, change: (lock: any) => void): string {
  const dir = path.join(tempDir('assets'), 'layer-assets');
  fs.cpSync(ASSETS_DIR, dir, { recursive: true });
  const file = path.join(dir, 'pins', pin, 'package-lock.json');
  const lock = JSON.parse(fs.readFileSync(file, 'utf-8'));
  change(lock);
  fs.writeFileSync(file, JSON.stringify(lock, null, 2));
  return dir;
}

test('a doctored pin is refused before npm runs or the registry is asked, with the problem and the fix', () => {
  const assets = doctoredAssets('vectordb-0.4.2-arm64', (l) => { delete l.packages['node_modules/@lancedb/vectordb-linux-arm64-gnu']; });
  const out = path.join(tempDir('badpin'), 'out');
  // A registry nobody answers: the refusal must come before any connection.
  const r = cp.spawnSync(process.execPath, [path.join(assets, 'build-layer.js'), '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'arm64', '--out', out], {
    encoding: 'utf-8', timeout: 60_000, env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/' },
  });
  expect(r.status).toBe(1);
  expect(fs.readdirSync(out)).toEqual([recipeManifest().ERROR_FILE]);
  const reported = JSON.parse(fs.readFileSync(path.join(out, recipeManifest().ERROR_FILE), 'utf-8'));
  expect(reported).toEqual({
    code: 'BAD_PIN',
    message: 'pinned project layer-assets/pins/vectordb-0.4.2-arm64 cannot be trusted: package-lock.json has no entry for @lancedb/vectordb-linux-arm64-gnu, the linux native package for arm64: the install could not contain the binary. Regenerate it with `npx projen pins`',
  });
  expect(r.stderr).not.toMatch(/downloading|cannot be reached/);
});

test('the audit:signatures task runs build-tools/audit-signatures.ts and is documented in SECURITY.md', () => {
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf-8')).tasks;
  expect(tasks['audit:signatures'].steps).toEqual([{ exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/audit-signatures.ts', receiveArgs: true }]);
  expect(fs.existsSync(path.join(ROOT, 'build-tools', 'audit-signatures.ts'))).toBe(true);
  const security = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf-8');
  expect(security).toContain('npx projen audit:signatures');
  expect(security).toContain('security@cdk-vectordb-layer.dev');
});
