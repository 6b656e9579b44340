/**
 * Reproducible layers: the same inputs give the same asset hash in any checkout
 * (another path, Windows line endings, litter, the npm package's file set), and
 * the same layer, file for file, from two fresh checkouts.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DockerImage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { appAt, tempDir } from './helpers';
import { LayerBuildMethod, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../src';
import * as assetHash from '../src/private/asset-hash';
import { RECIPE_INPUTS } from '../src/private/asset-hash';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cp: typeof import('child_process') = require('child_process');

const ROOT = path.join(__dirname, '..');

/**
 * The asset hash of `new VectorDbLayer(stack, 'L', { version: '0.4.2' })`.
 * It changes, on purpose, whenever a file the recipe reads changes
 * (layer-assets/build-layer.js, sdks.json, recipe/, pins/), or the default
 * build image does (a new aws-cdk-lib with a newer Node.js runtime). Then
 * record the new value here, in the same commit: a hash that moves without
 * such a change means the layer is no longer reproducible.
 */
const PINNED_HASH = '23de64e9d3a85a3f376f428958ae888a7e9232068b2769f412ac82c479e53524';

/** What a fresh clone of the working tree holds: tracked and new, not ignored, files. */
function checkoutFiles(): string[] {
  const r = cp.spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--',
    'src', 'layer-assets', 'test/fixtures/synth-layer.js', 'tsconfig.json', 'tsconfig.dev.json', 'package.json'], { cwd: ROOT, encoding: 'utf-8', shell: false });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  // Files deleted in the working tree but still in the index are not there to copy.
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

interface SynthOut { assetHash: string; s3Key: string; stagedPath: string }
/** Runs test/fixtures/synth-layer.js of a checkout in its own process, from an unrelated folder. */
function synthIn(checkout: string, outdir: string, skipBundling: boolean): Promise<SynthOut> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(checkout, 'test', 'fixtures', 'synth-layer.js'), outdir, '{"version":"0.4.2"}', ...(skipBundling ? ['--skip-bundling'] : [])], {
      cwd: tempDir('cwd'),
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

/** Every file below a folder with its size and sha256, sorted. */
function digestTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${st.size} ${(st.mode % 0o1000).toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

describe('the asset hash', () => {
  test('of a fixed layer is pinned', () => {
    const { stack } = appAt(tempDir('pinned'), { 'aws:cdk:bundling-stacks': [] });
    new VectorDbLayer(stack, 'L', { version: '0.4.2' });
    const content = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content;
    expect(content.S3Key).toBe(`${PINNED_HASH}.zip`);
  });

  test.each<[string, VectorDbLayerProps]>([
    ['the default', {}],
    ['vectordb 0.4.2 arm64', { version: '0.4.2', architecture: lambda.Architecture.ARM_64 }],
    ['@lancedb/lancedb without strip', { sdk: VectorDbSdk.LANCEDB, strip: false }],
    ['Docker', { buildMethod: LayerBuildMethod.DOCKER }],
    ['Docker with an image of your own', { buildMethod: LayerBuildMethod.DOCKER, dockerImage: DockerImage.fromRegistry('node:22-bookworm') }],
    ['local only', { buildMethod: LayerBuildMethod.LOCAL }],
  ])('is predicted by the construct before CDK stages the layer (%s): the lock and the cache check find the right folder', (_label, props) => {
    const spy = jest.spyOn(assetHash, 'stagedAssetHash');
    try {
      const { stack } = appAt(tempDir('predict'), { 'aws:cdk:bundling-stacks': [] });
      new VectorDbLayer(stack, 'L', props);
      const content = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content;
      expect(spy).toHaveBeenCalledTimes(1);
      expect(`${spy.mock.results[0].value}.zip`).toBe(content.S3Key);
    } finally {
      spy.mockRestore();
    }
  });

  test('covers exactly what the recipe reads', () => {
    expect(RECIPE_INPUTS).toEqual(['build-layer.js', 'sdks.json', 'recipe', 'pins']);
    // Everything else in layer-assets is named, so a new input cannot slip past the hash.
    expect(fs.readdirSync(path.join(ROOT, 'layer-assets')).filter((n) => !RECIPE_INPUTS.includes(n)).sort()).toEqual(['update-pins.js']);
  });

  test('is the same from copies of the checkout at other paths, with CRLF line endings, litter, and without update-pins.js', async () => {
    const deep = copyCheckout(path.join(tempDir('clone-a'), 'some', 'deeper', 'path', 'checkout'));
    const odd = copyCheckout(path.join(tempDir('clone b with spaces'), 'c'));
    // A Windows checkout (core.autocrlf), editor and Finder litter, and the npm
    // package's file set (it leaves layer-assets/update-pins.js out).
    const assets = path.join(odd, 'layer-assets');
    for (const f of [...fs.readdirSync(path.join(assets, 'recipe')).map((n) => path.join(assets, 'recipe', n)), path.join(assets, 'sdks.json'), path.join(assets, 'build-layer.js')]) {
      fs.writeFileSync(f, fs.readFileSync(f, 'utf-8').replace(/\r?\n/g, '\r\n'));
    }
    fs.writeFileSync(path.join(assets, 'pins', '.DS_Store'), 'litter');
    fs.writeFileSync(path.join(assets, 'recipe', '.build.js.swp'), 'litter');
    fs.rmSync(path.join(assets, 'update-pins.js'));
    fs.chmodSync(path.join(assets, 'build-layer.js'), 0o600);

    const [a, b] = await Promise.all([
      synthIn(deep, tempDir('out-a'), true),
      synthIn(odd, tempDir('out-b'), true),
    ]);
    expect(a.assetHash).toBe(PINNED_HASH);
    expect(b.assetHash).toBe(PINNED_HASH);
    expect(a.s3Key).toBe(`${PINNED_HASH}.zip`);
  });
});

describe('the layer', () => {
  test('built from two fresh checkouts is the same, file for file', async () => {
    const one = copyCheckout(path.join(tempDir('fresh-1'), 'checkout'));
    const two = copyCheckout(path.join(tempDir('fresh-2'), 'x', 'checkout'));
    // One after the other: two builds at once would only compete for two cores.
    const a = await synthIn(one, tempDir('build-a'), false);
    const b = await synthIn(two, tempDir('build-b'), false);
    expect(path.basename(a.stagedPath)).toBe(`asset.${PINNED_HASH}`);
    expect(path.basename(b.stagedPath)).toBe(`asset.${PINNED_HASH}`);
    const [ta, tb] = [digestTree(a.stagedPath), digestTree(b.stagedPath)];
    expect(ta.length).toBeGreaterThan(500);
    expect(ta).toEqual(tb);
  });
});
