/**
 * A native build an SDK version declares but this library's facts never
 * observed (the registry they were read from is a partial copy) is built at
 * synth from the user's registry and checked after install, never swapped for
 * another version; where the user's registry lacks it, the synth stops with
 * the registry's answer and the ways out.
 *
 * The user's registry is a real one on loopback (verdaccio, uplinked to the
 * registry npm uses here), serving what the public registry has and this one
 * lacks: @lancedb/lancedb 0.33.0 declares @lancedb/lancedb-linux-arm64-gnu@0.33.0,
 * which this machine's registry does not serve. The stand-in is the real
 * 0.31.0 arm64 package republished as 0.33.0 (napi-rs loaders only check the
 * binding package's version under NAPI_RS_ENFORCE_VERSION_CHECK; 0.33.0's
 * JavaScript works with that binary). The layer is then loaded and searched
 * on Node.js 22 arm64 under qemu.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { nativeBuild } from '../../src/private/facts/sdk-facts';
import { tempDir } from '../support/files';
import { installVerdaccio, LocalRegistry, republish, startLocalRegistry } from '../support/local-registry';
import { available, nodeBinary } from '../support/platforms';
import { searchWith } from '../support/search';
import { FIXTURES, stagedLayerDir } from '../support/synth';
import { packTarball } from './fixtures/ground-truth';

jest.setTimeout(15 * 60 * 1000);

const DECLARED = '0.33.0';
const NATIVE = '@lancedb/lancedb-linux-arm64-gnu';

interface Synth { status: number | null; stdout: string; stderr: string; ms: number }

/** test/fixtures/synth-arm64-function.js in its own process, npm pointed at `registry`, no layer cache. */
function synthArm64(outdir: string, sdkVersion: string, registry: string): Promise<Synth> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(FIXTURES, 'synth-arm64-function.js'), outdir, sdkVersion], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      // a layer built from a republished stand-in must never reach the shared layer cache
      env: { ...process.env, npm_config_registry: registry, CDK_VECTORDB_LAYER_CACHE: 'off' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('a declared arm64 build this library never observed, from the user\'s registry', () => {
  let registry: LocalRegistry;
  const timings: string[] = [];

  beforeAll(async () => {
    // what the facts say: declared, not observed
    expect(nativeBuild('@lancedb/lancedb', DECLARED, 'arm64')).toEqual({ state: 'declared', declared: { package: NATIVE, version: DECLARED } });
    const t0 = Date.now();
    const installed = installVerdaccio();
    if (installed.installMs !== undefined) timings.push(`verdaccio install ${(installed.installMs / 1000).toFixed(1)} s, ${((installed.bytes ?? 0) / 1e6).toFixed(0)} MB`);
    registry = await startLocalRegistry();
    timings.push(`verdaccio up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = Date.now();
    republish(registry, await packTarball(NATIVE, '0.31.0'), DECLARED);
    timings.push(`republished ${NATIVE}@0.31.0 as ${DECLARED} in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  });

  afterAll(async () => {
    await registry?.stop();
    process.stderr.write(`[declared-build] ${timings.join('; ')}\n`);
  });

  test(`@lancedb/lancedb ${DECLARED} arm64: the layer holds ${DECLARED}, built from that registry and checked, then loads and searches under qemu`, async () => {
    const outdir = tempDir('declared-ok');
    const r = await synthArm64(outdir, DECLARED, registry.url);
    timings.push(`synth + build ${(r.ms / 1000).toFixed(1)} s`);
    if (r.status !== 0) throw new Error(`synth failed (${r.status}): ${r.stderr.slice(-3000)}\nverdaccio: ${registry.log().slice(-2000)}`);
    const facts = JSON.parse(r.stdout);
    expect(facts).toMatchObject({ layerVersion: DECLARED, architecture: 'arm64', glibc: '2.17' });
    // fetched fresh (no pin), checked after install
    expect(r.stderr).toMatch(new RegExp(`resolved ${NATIVE.replace('/', '\\/')}@${DECLARED.replace(/\./g, '\\.')} \\(no pin: fresh from the registry, integrity checked by npm\\)`));
    const layerDir = stagedLayerDir(outdir, DECLARED);
    const manifest = JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', 'vectordb-layer.json'), 'utf-8'));
    expect(manifest).toMatchObject({ sdk: '@lancedb/lancedb', version: DECLARED, architecture: 'arm64', nativePackage: NATIVE, nativePackageVersion: DECLARED, pinned: false, glibc: '2.17' });
    // read from the installed binary: the 0.31.0 arm64 build's own needs, as the facts observed them
    const observed = nativeBuild('@lancedb/lancedb', '0.31.0', 'arm64');
    expect(observed?.state).toBe('observed');
    expect(manifest.neededLibraries).toEqual(observed?.state === 'observed' ? [...observed.observed.needed] : undefined);
    const installed = JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', 'node_modules', ...NATIVE.split('/'), 'package.json'), 'utf-8'));
    expect(installed.version).toBe(DECLARED);

    if (!available('emulator')) return;
    const t = Date.now();
    const found = searchWith({ layerDir, sdk: '@lancedb/lancedb', node: nodeBinary(22, 'arm64'), arch: 'arm64' });
    timings.push(`qemu load + search ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(found).toMatchObject({ ids: [42, 43, 41], version: DECLARED, arch: 'arm64' });
    expect(found.resolvedFrom.startsWith(path.join(layerDir, 'nodejs', 'node_modules'))).toBe(true);
  });

  test('@lancedb/lancedb 0.39.0 arm64, whose declared build that registry lacks too: the synth stops within 15 s with its answer and the ways out', async () => {
    const outdir = tempDir('declared-missing');
    const r = await synthArm64(outdir, '0.39.0', registry.url);
    timings.push(`refusal ${(r.ms / 1000).toFixed(1)} s`);
    expect(r.status).toBe(2);
    const message = r.stderr.split('\n').find((l) => l.includes('has no native build'));
    expect(message).toBeDefined();
    expect(message).toContain(`on the npm registry ${registry.url}`);
    expect(message).toContain(`@lancedb/lancedb 0.39.0 declares ${NATIVE}@0.39.0 (optionalDependencies), and the registry answered: E404: No match found for version 0.39.0`);
    // the ways out: a version whose build this registry serves (0.33.0 now among them), the other architecture
    // told at the function's path, in its own props (sdkVersion), naming the hidden layer it was building
    expect(message).toMatch(/^Stack\/Search: architecture has no native build/);
    expect(message).toMatch(/set sdkVersion to one whose build it serves \(nearest: [^)]*0\.33\.0[^)]*; newest: 0\.33\.0\), or set architecture to x86_64/);
    expect(message).toMatch(/\(building its layer Stack\/VectorDbLayer-lancedb-0_39_0-arm64\)$/);
    // nothing was built, no other version swapped in
    expect(fs.readdirSync(outdir).filter((n) => n.startsWith('asset.'))).toEqual([]);
    const synthMs = Number(/\[synth failed after (\d+) ms\]/.exec(r.stderr)?.[1]);
    expect(synthMs).toBeLessThan(15_000);
  });
});
