/**
 * Issue 22, part 2, in Docker: a compressed layer built in Docker is made from
 * its plain layer when that one is built, in this synth or in the machine
 * cache, by the same image with the plain layer mounted (`--from-plain`), not
 * a second install; its files are byte-identical to the same compressed layer
 * built in full in Docker, and it keeps the folder name (staged hash) of one.
 *
 * A real container engine (podman or docker, the image of
 * .ci/lib/build-image.sh) and four real builds of vectordb 0.4.2 (two full,
 * two from the plain layer): about 40 s.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging, DockerImage, Stack } from 'aws-cdk-lib';
import { LayerBuildMethod, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../../src';
import { LayerCache } from '../../src/private/layer/cache';
import { PLAIN_LAYER_MOUNT } from '../../src/private/layer/docker-from-plain';
import { localBuildCount } from '../../src/private/layer/local-build';
import { recordingEngine } from '../support/engine';
import { withEnv } from '../support/env';
import { removeDir, tempDir, treeDiff, treeHashes } from '../support/files';
import { available, containerEngine } from '../support/platforms';

const HAS_CONTAINER = available('container');


interface Staged { readonly dir: string; readonly name: string }

/** Synthesizes the given layers in one new App into `outdir`; each layer's staged folder. */
function synth(outdir: string, layers: Record<string, VectorDbLayerProps>): Record<string, Staged> {
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir });
  const stack = new Stack(app, 'Stack');
  const made = Object.entries(layers).map(([id, props]) => [id, new VectorDbLayer(stack, id, props)] as const);
  app.synth();
  return Object.fromEntries(made.map(([id, layer]) => {
    const dir = (layer.node.findChild('Code').node.findChild('Stage') as AssetStaging).absoluteStagedPath;
    return [id, { dir, name: path.basename(dir) }];
  }));
}

(HAS_CONTAINER ? describe : describe.skip)('a compressed layer built in Docker, from its plain layer', () => {
  const engine = HAS_CONTAINER ? containerEngine()! : undefined!;
  const base: VectorDbLayerProps = {
    sdk: VectorDbSdk.VECTORDB,
    version: '0.4.2',
    buildMethod: LayerBuildMethod.DOCKER,
    dockerImage: HAS_CONTAINER ? DockerImage.fromRegistry(engine.image) : undefined,
  };
  const dirs: string[] = [];
  let runs: string[][] = [];
  let sameSynth: Record<string, Staged>;
  let sameSynthTree: Map<string, string>;
  let fromCache: Staged;
  let alone: Staged;
  let hostBuilds = -1;

  beforeAll(() => {
    const engineRec = recordingEngine(engine.executable);
    dirs.push(engineRec.dir);
    const cache = tempDir('layer-cache');
    const outs = [tempDir('cdkout'), tempDir('cdkout'), tempDir('cdkout')];
    dirs.push(cache, ...outs);
    const before = localBuildCount();
    withEnv({ CDK_DOCKER: engineRec.executable, CDK_VECTORDB_LAYER_CACHE: cache }, () => {
      // 1. The plain layer, then the compressed one, in one synth.
      sameSynth = synth(outs[0], { Plain: base, Compressed: { ...base, compressBinary: true } });
      // 2. A later synth: the plain layer only in the machine cache (the compressed entry removed).
      sameSynthTree = treeHashes(sameSynth.Compressed.dir);
      removeDir(outs[0]);
      const layerCache = new LayerCache(cache);
      const entries = fs.readdirSync(path.join(cache, 'layers'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      for (const entry of entries) {
        const manifest = JSON.parse(fs.readFileSync(path.join(cache, 'layers', entry, 'nodejs', 'vectordb-layer.json'), 'utf-8')) as { compressedBinary?: unknown };
        if (manifest.compressedBinary) layerCache.remove(entry);
      }
      fromCache = synth(outs[1], { Compressed: { ...base, compressBinary: true } }).Compressed;
    });
    // 3. Alone: no plain layer anywhere (the machine cache off).
    withEnv({ CDK_DOCKER: engineRec.executable, CDK_VECTORDB_LAYER_CACHE: 'off' }, () => {
      alone = synth(outs[2], { Compressed: { ...base, compressBinary: true } }).Compressed;
    });
    hostBuilds = localBuildCount() - before;
    runs = engineRec.calls().map((c) => c.argv).filter((argv) => argv[0] === 'run');
  }, 30 * 60_000);
  afterAll(() => dirs.forEach(removeDir));

  test('four runs of the image and no host build: the plain layer in full, the compressed one twice from it (--from-plain, its folder mounted), once in full', () => {
    expect(hostBuilds).toBe(0);
    const fromPlain = (argv: string[]) => argv.includes('--from-plain');
    expect(runs.map(fromPlain)).toEqual([false, true, true, false]);
    for (const argv of runs.filter(fromPlain)) {
      expect(argv.slice(argv.indexOf('--from-plain'))).toEqual(['--from-plain', PLAIN_LAYER_MOUNT]);
      expect(argv.some((a) => a.endsWith(`:${PLAIN_LAYER_MOUNT}:delegated`) || a.endsWith(`:${PLAIN_LAYER_MOUNT}`))).toBe(true);
      expect(argv).toContain(engine.image);
    }
  });

  test('the compressed layer made from the plain one is byte-identical to the one built alone, with the same folder name (staged hash)', () => {
    const reference = treeHashes(alone.dir);
    expect(reference.size).toBeGreaterThan(100);
    expect(treeDiff(reference, sameSynthTree)).toEqual([]);
    expect(treeDiff(reference, treeHashes(fromCache.dir))).toEqual([]);
    expect(fromCache.name).toBe(alone.name);
    expect(sameSynth.Compressed.name).toBe(alone.name);
    const manifest = JSON.parse(fs.readFileSync(path.join(alone.dir, 'nodejs', 'vectordb-layer.json'), 'utf-8')) as { compressedBinary?: { codec?: string } };
    expect(manifest.compressedBinary).toBeDefined();
  });
});
