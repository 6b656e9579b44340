/**
 * The second and later Apps of one process (a jest suite) link a cached layer
 * from what this process linked first, without the cache's seal and tree
 * walks, each file compared as it is linked; an entry damaged or replaced since
 * is noticed and takes the cache's full check again. Real staging code on a
 * fake layer stored in a real cache (test/support/fake-layer.ts); fast tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { withEnv } from './support/env';
import { fakeHash, storeFake } from './support/fake-layer';
import { tempDir, walkFiles } from './support/files';
import * as fileStamp from '../src/private/common/file-stamp';
import { LayerCache } from '../src/private/layer/cache';
import { ExpectedLayer } from '../src/private/layer/dir';
import { forgetLinkedEntries } from '../src/private/layer/relink';
import { checkStagedLayer, sealFileOf } from '../src/private/layer/staged-seal';
import { prepareAssetFolder, PreparedAsset } from '../src/private/layer/staging';

const HASH = fakeHash('d');

/** One App in a new cdk.out preparing the layer's asset folder as VectorDbLayer does; the folder and where it came from. */
function stageOnce(cacheDir: string, expected: ExpectedLayer): { prepared: PreparedAsset; said: string } {
  const app = new App({ outdir: tempDir('relink-out') });
  const stack = new Stack(app, 'S');
  let said = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    said += String(chunk);
    return true;
  });
  try {
    const prepared = withEnv({ CDK_VECTORDB_LAYER_CACHE: cacheDir }, () =>
      prepareAssetFolder(stack, { where: 'S/L', stagedHash: 'e'.repeat(64), contentHash: HASH, expected }));
    prepared.release();
    return { prepared, said };
  } finally {
    spy.mockRestore();
  }
}

const inodes = (dir: string) => new Map(walkFiles(dir).map((e) => [e.rel, e.stat.ino]));

let cacheDir: string;
let expected: ExpectedLayer;
let find: jest.SpyInstance;

beforeEach(() => {
  forgetLinkedEntries();
  cacheDir = tempDir('relink-cache');
  expected = storeFake(new LayerCache(cacheDir), HASH, { padBytes: 1000 });
  find = jest.spyOn(LayerCache.prototype, 'find');
});

afterEach(() => find.mockRestore());

test('a later App links the layer without asking the cache again: the same files (hard links), in a new cdk.out', () => {
  const first = stageOnce(cacheDir, expected).prepared;
  expect(first.source).toBe('cache');
  expect(find).toHaveBeenCalledTimes(1);
  const second = stageOnce(cacheDir, expected).prepared;
  const third = stageOnce(cacheDir, expected).prepared;
  expect(find).toHaveBeenCalledTimes(1);
  expect([second.source, third.source]).toEqual(['cache', 'cache']);
  expect(second.checked).not.toBe(first.checked);
  const entry = inodes(path.join(cacheDir, 'layers', HASH));
  expect(entry.size).toBe(4);
  expect(inodes(second.checked!)).toEqual(entry);
  expect(inodes(third.checked!)).toEqual(entry);
  expect(fs.readdirSync(path.dirname(third.checked!)).filter((n) => n.includes('.linking-'))).toEqual([]);
});

test('an entry damaged since the first App is noticed: the cache checks it again, says so and removes it', () => {
  stageOnce(cacheDir, expected);
  const victim = path.join(cacheDir, 'layers', HASH, 'nodejs', 'node_modules', 'vectordb', 'package.json');
  fs.chmodSync(victim, 0o644);
  fs.appendFileSync(victim, ' ');
  const { prepared, said } = stageOnce(cacheDir, expected);
  expect(find).toHaveBeenCalledTimes(2);
  expect(said).toMatch(/the cached layer .* does not match its manifest .*; removed it, building the layer again/);
  // A miss: nothing linked, the build's result to be stored.
  expect(prepared.checked).toBeUndefined();
  expect(prepared.store).toBeDefined();
  expect(fs.existsSync(path.join(cacheDir, 'layers', HASH))).toBe(false);
});

test('an entry replaced since (built again by another process: new files) is asked for again and its new files linked', () => {
  stageOnce(cacheDir, expected);
  const cache = new LayerCache(cacheDir);
  cache.remove(HASH);
  storeFake(cache, HASH, { padBytes: 2000 });
  const { prepared } = stageOnce(cacheDir, expected);
  expect(find).toHaveBeenCalledTimes(2);
  expect(inodes(prepared.checked!)).toEqual(inodes(path.join(cacheDir, 'layers', HASH)));
  // And remembered again: the next App does not ask.
  stageOnce(cacheDir, expected);
  expect(find).toHaveBeenCalledTimes(2);
});

test('another cache folder is another entry: asked for on its own', () => {
  stageOnce(cacheDir, expected);
  const other = tempDir('relink-cache');
  storeFake(new LayerCache(other), HASH, { padBytes: 1000 });
  const { prepared } = stageOnce(other, expected);
  expect(find).toHaveBeenCalledTimes(2);
  expect(inodes(prepared.checked!)).toEqual(inodes(path.join(other, 'layers', HASH)));
});

test("a later App's seal is the one a walk of its folder gives (taken from the stats of the linking), so its next synth trusts it, and not after a change", () => {
  stageOnce(cacheDir, expected);
  const walked = jest.spyOn(fileStamp, 'treeStamp');
  try {
    const { prepared } = stageOnce(cacheDir, expected);
    expect(walked).not.toHaveBeenCalled();
    const dir = prepared.checked!;
    const seal = JSON.parse(fs.readFileSync(sealFileOf(dir), 'utf-8')) as { tree: unknown[] };
    walked.mockRestore();
    expect(seal.tree).toEqual(fileStamp.treeStamp(dir));
    expect(seal.tree.length).toBeGreaterThan(4);
    expect(checkStagedLayer(dir, expected).how).toBe('seal');
    // A file added below a folder moves that folder's mtime: the seal no longer holds.
    fs.writeFileSync(path.join(dir, 'nodejs', 'extra.txt'), 'x');
    const again = checkStagedLayer(dir, expected);
    expect(again.how).toBe('full');
    expect(again.problems.length).toBeGreaterThan(0);
  } finally {
    walked.mockRestore();
  }
});
