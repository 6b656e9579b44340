/**
 * One install for both layers: a compressed layer whose plain layer is built
 * (earlier in the same synth, or in the machine-wide layer cache) is made from
 * it by the recipe's `--from-plain` (its tree copied, then only the compress
 * step and the manifest), and its bytes are those of the compressed layer
 * built alone: every file's sha256, the manifest and the asset hash. The other
 * order: a compressed layer built in full keeps its plain layer in the machine
 * cache (`--keep-plain`), so the plain layer asked for after it is linked from
 * there, its bytes those of the plain layer built alone. A plain layer that is
 * not what its manifest says is refused by the recipe.
 * Slow tier: real builds (vectordb 0.4.2, the smallest binary): two installs
 * and three compressions in all.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AssetStaging } from 'aws-cdk-lib';
import { VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../../src';
import { layerAssetHash } from '../../src/private/layer/asset-hash';
import { LayerCache } from '../../src/private/layer/cache';
import { checkLayerDir } from '../../src/private/layer/dir';
import { localBuildCount, localInstallCount, RecipeError, runRecipe } from '../../src/private/layer/local-build';
import { LayerRequest } from '../../src/private/layer/request';
import { withEnv } from '../support/env';
import { removeDir, tempDir, treeDiff, treeHashes } from '../support/files';
import { appAt, readManifest } from '../support/synth';

const PROPS: VectorDbLayerProps = { sdk: VectorDbSdk.VECTORDB, version: '0.4.2' };
const REQUEST: LayerRequest = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', strip: true };
const COMPRESSED: LayerRequest = { ...REQUEST, compressBinary: true };
const EXPECTED = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64' };

function stagingOf(layer: VectorDbLayer): AssetStaging {
  return layer.node.findChild('Code').node.findChild('Stage') as AssetStaging;
}

/** Runs `fn`, returning what it said on stderr too. */
function stderrOf<T>(fn: () => T): { result: T; said: string } {
  let said = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    said += String(chunk);
    return true;
  });
  try {
    return { result: fn(), said };
  } finally {
    spy.mockRestore();
  }
}

/** The same bytes: every file's sha256 (the manifest among them), and the manifests equal. */
function expectSameLayer(actual: string, expected: string) {
  expect(treeDiff(treeHashes(actual), treeHashes(expected))).toEqual([]);
  expect(readManifest(actual)).toEqual(readManifest(expected));
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('a compressed layer made from its plain layer', () => {
  let plain: string;
  let derived: string;
  let derivedHash: string;
  /** Compressed first, then plain: the compressed layer (built in full, alone) and the plain one linked from the cache. */
  let alone: string;
  let kept: string;

  test('compressed first, then plain, in one stack: one install; the plain layer is the one the compressed build kept in the machine cache', () => {
    const outdir = tempDir('compressed-first');
    const layerCache = tempDir('cache');
    dirs.push(outdir, layerCache);
    const builds = localBuildCount();
    const installs = localInstallCount();
    stderrOf(() => withEnv({ CDK_VECTORDB_LAYER_CACHE: layerCache }, () => {
      const { app, stack } = appAt(outdir);
      const c = new VectorDbLayer(stack, 'Compressed', { ...PROPS, compressBinary: true });
      const p = new VectorDbLayer(stack, 'Plain', PROPS);
      app.synth();
      alone = stagingOf(c).absoluteStagedPath;
      kept = stagingOf(p).absoluteStagedPath;
    }));
    expect(localBuildCount() - builds).toBe(1);
    expect(localInstallCount() - installs).toBe(1);
    expect(readManifest(alone).compressedBinary).not.toBeNull();
    expect(readManifest(kept).compressedBinary).toBeNull();
    const entries = new LayerCache(layerCache).entries().map((e) => e.hash).sort();
    expect(entries).toEqual([layerAssetHash(REQUEST), layerAssetHash(COMPRESSED)].sort());
    expect(fs.readdirSync(path.join(layerCache, 'tmp'))).toEqual([]);
  });

  test('plain first, then compressed, in one stack (no machine cache): one install; the compressed layer is made from the plain one', () => {
    const outdir = tempDir('both');
    dirs.push(outdir);
    const builds = localBuildCount();
    const installs = localInstallCount();
    // The recipe's progress goes straight to stderr (inherited): the counts say what ran.
    stderrOf(() => withEnv({ CDK_VECTORDB_LAYER_CACHE: 'off' }, () => {
      const { app, stack } = appAt(outdir);
      const p = new VectorDbLayer(stack, 'Plain', PROPS);
      const c = new VectorDbLayer(stack, 'Compressed', { ...PROPS, compressBinary: true });
      app.synth();
      plain = stagingOf(p).absoluteStagedPath;
      derived = stagingOf(c).absoluteStagedPath;
      derivedHash = stagingOf(c).assetHash;
      expect(c.decompressedBinaryBytes).toBe(readManifest(plain).nativeBinaryBytes);
    }));
    expect(localBuildCount() - builds).toBe(2);
    expect(localInstallCount() - installs).toBe(1);
    expect(checkLayerDir(derived, EXPECTED)).toEqual([]);
    expect(readManifest(derived).compressedBinary).not.toBeNull();
  });

  test('each layer\'s bytes are those of the layer built alone: every file, the manifest, the asset hash', () => {
    // The compressed layer made from the plain one, and the one built in full.
    expectSameLayer(derived, alone);
    // The plain layer the compressed build kept, and the one built in full.
    expectSameLayer(kept, plain);
    // The asset hash of the layer alone in a stack (not bundled: the hash is the request's).
    const { stack } = appAt(tempDir('hash'), { 'aws:cdk:bundling-stacks': [] });
    const c = new VectorDbLayer(stack, 'Compressed', { ...PROPS, compressBinary: true });
    expect(stagingOf(c).assetHash).toBe(derivedHash);
  });

  test('a plain layer in the machine cache: the compressed layer alone in a synth is made from it, with no install', () => {
    // The plain layer staged earlier in this process moves away: only the cache can have it now.
    const moved = tempDir('plain');
    dirs.push(moved);
    fs.renameSync(plain, moved);
    plain = moved;
    const layerCache = tempDir('cache');
    dirs.push(layerCache);
    new LayerCache(layerCache).store(layerAssetHash(REQUEST), EXPECTED, plain);
    const outdir = tempDir('from-cache');
    dirs.push(outdir);
    const builds = localBuildCount();
    const installs = localInstallCount();
    const staged = stderrOf(() => withEnv({ CDK_VECTORDB_LAYER_CACHE: layerCache }, () => {
      const { app, stack } = appAt(outdir);
      const c = new VectorDbLayer(stack, 'Compressed', { ...PROPS, compressBinary: true });
      app.synth();
      return stagingOf(c).absoluteStagedPath;
    })).result;
    expect(localBuildCount() - builds).toBe(1);
    expect(localInstallCount() - installs).toBe(0);
    expectSameLayer(staged, alone);
    // Stored in the cache under the compressed layer's own hash; the plain entry left as it was.
    const entries = new LayerCache(layerCache).entries().map((e) => e.hash).sort();
    expect(entries).toEqual([layerAssetHash(REQUEST), layerAssetHash(COMPRESSED)].sort());
    expect(checkLayerDir(path.join(layerCache, 'layers', layerAssetHash(REQUEST)), EXPECTED)).toEqual([]);
  });

  test.each([
    ['a native binary changed in place (same size)', (dir: string) => {
      const binary = path.join(dir, readManifest(dir).nativeBinary);
      const fd = fs.openSync(binary, 'r+');
      fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, 4096);
      fs.closeSync(fd);
    }, /native binary nodejs\/node_modules\/.* is not the manifest's \(sha256 differs\)/],
    ['a file added', (dir: string) => fs.writeFileSync(path.join(dir, 'nodejs', 'node_modules', 'extra.js'), '1'),
      /it holds \d+ files, \d+ bytes; its manifest says \d+ files/],
    ['another version', (dir: string) => {
      const file = path.join(dir, 'nodejs', 'vectordb-layer.json');
      fs.writeFileSync(file, JSON.stringify({ ...readManifest(dir), version: '0.4.3' }));
    }, /it holds version "0.4.3", not "0.4.2"/],
    ['an already compressed layer', (dir: string) => {
      const file = path.join(dir, 'nodejs', 'vectordb-layer.json');
      fs.writeFileSync(file, JSON.stringify({ ...readManifest(dir), compressedBinary: readManifest(alone).compressedBinary }));
    }, /its binary is compressed/],
  ])('the recipe refuses a plain layer with %s (PLAIN_UNUSABLE), leaving its output empty', (_what, damage, message) => {
    const copy = tempDir('damaged');
    dirs.push(copy);
    fs.cpSync(plain, copy, { recursive: true });
    damage(copy);
    const out = tempDir('out');
    dirs.push(out);
    let error: unknown;
    stderrOf(() => {
      try {
        runRecipe(COMPRESSED, out, process.env, { fromPlain: copy });
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(RecipeError);
    expect((error as RecipeError).failure.code).toBe('PLAIN_UNUSABLE');
    expect((error as RecipeError).failure.message).toMatch(message);
    expect(fs.readdirSync(out)).toEqual(['.vectordb-layer-error.json']);
  });
});
