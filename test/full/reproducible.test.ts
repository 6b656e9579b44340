/**
 * Reproducible layers, proven in processes of their own: the asset hash of a
 * checkout with edited host code and docs is the pinned one, a build-side edit
 * moves it, and two fresh checkouts build the same layer, file for file.
 * Slow tier: the last test builds twice through the npm registry.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PINNED_HASH } from '../pinned-hash';
import { tempDir, treeHashes } from '../support/files';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cp: typeof import('child_process') = require('child_process');

const ROOT = path.join(__dirname, '..', '..');

/** What a fresh clone of the working tree holds: tracked and new, not ignored, files. */
function checkoutFiles(): string[] {
  const r = cp.spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--',
    'src', 'layer-assets', 'test/fixtures/synth-layer.js', 'tsconfig.json', 'tsconfig.dev.json', 'package.json'], { cwd: ROOT, encoding: 'utf-8', shell: false });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
}

/** A copy of the checkout at `dir`, sharing this one's node_modules. */
function copyCheckout(dir: string): string {
  for (const f of checkoutFiles()) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function edit(file: string, change: (text: string) => string) {
  fs.writeFileSync(file, change(fs.readFileSync(file, 'utf-8')));
}

interface SynthOut { assetHash: string; s3Key: string; stagedPath: string }

/** Runs test/fixtures/synth-layer.js of a checkout in its own process, from an unrelated folder. */
function synthIn(checkout: string, outdir: string, skipBundling: boolean): Promise<SynthOut> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(checkout, 'test', 'fixtures', 'synth-layer.js'), outdir, '{"version":"0.4.2"}', ...(skipBundling ? ['--skip-bundling'] : [])], {
      cwd: tempDir('cwd'),
      // A build of its own: no machine-wide layer cache shared with the other checkout.
      env: { ...process.env, CDK_VECTORDB_LAYER_CACHE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`synth in ${checkout} failed (${status}): ${stderr}`))));
  });
}

describe('the asset hash, in a process of its own', () => {
  test('is unchanged by edited host code and docs, in a checkout at another path with spaces', async () => {
    const edited = copyCheckout(path.join(tempDir('clone with spaces'), 'deeper', 'checkout'));
    for (const f of ['src/vector-db-function.ts', 'src/private/facts/compatibility.ts', 'src/cli/build.ts']) {
      edit(path.join(edited, f), (t) => `${t}\n// a host-side change\n`);
    }
    fs.writeFileSync(path.join(edited, 'layer-assets', 'README.md'), '# edited docs');
    expect((await synthIn(edited, tempDir('out'), true)).assetHash).toBe(PINNED_HASH);
  });

  test('moves when the build-side code does', async () => {
    const edited = copyCheckout(path.join(tempDir('clone-b'), 'checkout'));
    edit(path.join(edited, 'layer-assets', 'recipe', 'prune.js'), (t) => `${t}\n// a build-side change\n`);
    expect((await synthIn(edited, tempDir('out'), true)).assetHash).not.toBe(PINNED_HASH);
  });
});

describe('the layer', () => {
  test('built from two fresh checkouts is the same, file for file', async () => {
    const one = copyCheckout(path.join(tempDir('fresh-1'), 'checkout'));
    const two = copyCheckout(path.join(tempDir('fresh-2'), 'x', 'checkout'));
    // One after the other: two builds at once would only compete for two cores.
    const a = await synthIn(one, tempDir('build-a'), false);
    const b = await synthIn(two, tempDir('build-b'), false);
    expect(a.assetHash).toBe(PINNED_HASH);
    expect(b.assetHash).toBe(PINNED_HASH);
    const [ta, tb] = [treeHashes(a.stagedPath), treeHashes(b.stagedPath)];
    expect(ta.size).toBeGreaterThan(500);
    expect(ta).toEqual(tb);
  });

  test('an unpinned version is the same whatever the user\'s npm configuration says about lockfiles and layout', async () => {
    const build = (out: string, env: Record<string, string>) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'layer-assets', 'build-layer.js'), '--sdk', 'vectordb', '--version', '0.9.0', '--architecture', 'x86_64', '--out', out], {
        env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (status) => (status === 0 ? resolve(out) : reject(new Error(`build failed (${status}): ${stderr}`))));
    });
    const plain = await build(path.join(tempDir('npmrc-a'), 'out'), { npm_config_omit_lockfile_registry_resolved: 'true' });
    const hostile = await build(path.join(tempDir('npmrc-b'), 'out'), {
      npm_config_omit_lockfile_registry_resolved: 'false',
      npm_config_install_strategy: 'nested',
      npm_config_lockfile_version: '2',
      npm_config_include: 'optional',
    });
    const lock = JSON.parse(fs.readFileSync(path.join(hostile, 'nodejs', 'package-lock.json'), 'utf-8'));
    expect([lock.lockfileVersion, Object.values(lock.packages).filter((e) => (e as { resolved?: string }).resolved).length]).toEqual([3, 0]);
    expect(treeHashes(hostile)).toEqual(treeHashes(plain));
  });
});
