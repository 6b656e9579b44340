/**
 * The layer's asset hash is its content inputs and nothing else
 * (layer-assets/README.md): build-side code, the selected SDK's sdks.json
 * entry, the selected pin, the build options. Editing host code, docs or
 * tests, or adding a pin for another version, moves no layer's hash; changing
 * build-side code or the selected pin does. Fast tier: no build, no network.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DockerImage, Names, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { PINNED_HASH } from './pinned-hash';
import { LayerBuildMethod, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import * as assetHash from '../src/private/layer/asset-hash';
import { LayerHashInputs, layerAssetHash, recipeCodeFiles, stagedAssetHash } from '../src/private/layer/asset-hash';
import { bundlingOptions } from '../src/private/layer/docker';
import { DockerFromPlain } from '../src/private/layer/docker-from-plain';

const ASSETS = path.join(__dirname, '..', 'layer-assets');


const INPUTS: LayerHashInputs = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', strip: true };

/** A copy of layer-assets to change. */
function assetsCopy(): string {
  const dir = path.join(tempDir('assets'), 'layer-assets');
  fs.cpSync(ASSETS, dir, { recursive: true });
  return dir;
}

function edit(file: string, change: (text: string) => string) {
  fs.writeFileSync(file, change(fs.readFileSync(file, 'utf-8')));
}

describe('the content hash, from the files', () => {
  const reference = layerAssetHash(INPUTS);

  test('the code that runs in the build is build-layer.js and recipe/*.js, nothing else', () => {
    expect(recipeCodeFiles()).toEqual(['build-layer.js', ...fs.readdirSync(path.join(ASSETS, 'recipe')).filter((n) => n.endsWith('.js')).sort().map((n) => `recipe/${n}`)]);
  });

  test.each<[string, (assets: string) => void]>([
    ['a new pin for another version', (a) => {
      fs.cpSync(path.join(a, 'pins', 'vectordb-0.4.2-x86_64'), path.join(a, 'pins', 'vectordb-0.9.0-x86_64'), { recursive: true });
    }],
    ['a changed pin of another version', (a) => edit(path.join(a, 'pins', 'vectordb-0.21.2-x86_64', 'package-lock.json'), (t) => t.replace('"lockfileVersion": 3', '"lockfileVersion": 3 '))],
    ['a changed entry of the other SDK in sdks.json', (a) => edit(path.join(a, 'sdks.json'), (t) => t.replace('"slug": "lancedb"', '"slug": "lancedb2"'))],
    ['docs and the recipe\'s declarations', (a) => {
      fs.writeFileSync(path.join(a, 'README.md'), '# changed');
      fs.writeFileSync(path.join(a, 'types', 'recipe', 'build.d.ts'), '// changed');
      fs.writeFileSync(path.join(a, 'tsconfig.json'), '{}');
    }],
    ['Windows line endings and editor litter', (a) => {
      for (const f of recipeCodeFiles(a)) edit(path.join(a, ...f.split('/')), (t) => t.replace(/\r?\n/g, '\r\n'));
      fs.writeFileSync(path.join(a, 'recipe', '.build.js.swp'), 'litter');
      fs.writeFileSync(path.join(a, 'pins', '.DS_Store'), 'litter');
    }],
  ])('unchanged by %s', (_label, change) => {
    const a = assetsCopy();
    change(a);
    expect(layerAssetHash(INPUTS, a)).toBe(reference);
  });

  test.each<[string, (assets: string) => void]>([
    ['build-side code', (a) => edit(path.join(a, 'recipe', 'prune.js'), (t) => `${t}\n// a change\n`)],
    ['a new build-side file', (a) => fs.writeFileSync(path.join(a, 'recipe', 'extra.js'), '// new')],
    ['the selected pin', (a) => edit(path.join(a, 'pins', 'vectordb-0.4.2-x86_64', 'package-lock.json'), (t) => t.replace('"lockfileVersion": 3', '"lockfileVersion": 3 '))],
    ['the selected SDK\'s sdks.json entry', (a) => edit(path.join(a, 'sdks.json'), (t) => t.replace('"@apache-arrow/ts",', '"@apache-arrow/ts", "x",'))],
    ['removing the selected pin (an unpinned build installs something else)', (a) => fs.rmSync(path.join(a, 'pins', 'vectordb-0.4.2-x86_64'), { recursive: true })],
  ])('changed by %s', (_label, change) => {
    const a = assetsCopy();
    change(a);
    expect(layerAssetHash(INPUTS, a)).not.toBe(reference);
  });

  test.each<[string, Partial<LayerHashInputs>]>([
    ['another version', { version: '0.21.2' }],
    ['another architecture', { architecture: 'arm64' }],
    ['strip off', { strip: false }],
    ['Docker with an image', { dockerImage: 'public.ecr.aws/sam/build-nodejs22.x' }],
  ])('changed by the build option: %s', (_label, options) => {
    expect(layerAssetHash({ ...INPUTS, ...options })).not.toBe(reference);
  });
});

/**
 * A synth with bundling skipped, as these tests run: the S3 key aws-cdk-lib
 * gives the layer, and the staged hash the construct predicted. aws-cdk-lib
 * 2.224 keys a skipped asset by its custom hash; newer ones (2.278.0) by the
 * staging construct's unique id alone (core/lib/asset-staging.js
 * `stageByBundling`, `skip`): then the key is that id's sha256, and the
 * prediction is checked against a real bundling by the end to end test on the
 * newest aws-cdk-lib (.ci/lib/cdk-latest.sh).
 */
function synthSkipped(props: VectorDbLayerProps): { s3Key: string; predicted: string; skippedKey: string } {
  const spy = jest.spyOn(assetHash, 'stagedAssetHash');
  try {
    const { stack } = appAt(tempDir('predict'), { 'aws:cdk:bundling-stacks': [] });
    const layer = new VectorDbLayer(stack, 'L', props);
    const content = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content;
    expect(spy).toHaveBeenCalledTimes(1);
    const staging = layer.node.findChild('Code').node.findChild('Stage');
    const skippedKey = crypto.createHash('sha256').update(Names.uniqueId(staging)).digest('hex');
    expect(Stack.of(layer).bundlingRequired).toBe(false);
    return { s3Key: content.S3Key, predicted: spy.mock.results[0].value as string, skippedKey };
  } finally {
    spy.mockRestore();
  }
}

/** Whether this aws-cdk-lib keys a skipped asset by its custom hash (2.224) or by the staging construct's id (2.278.0). */
let keepsCustomHash: boolean | undefined;
const SKIP_KEEPS_CUSTOM_HASH = (): boolean => {
  if (keepsCustomHash === undefined) {
    const r = synthSkipped({ version: '0.4.2' });
    expect([`${r.predicted}.zip`, `${r.skippedKey}.zip`]).toContain(r.s3Key);
    keepsCustomHash = r.s3Key === `${r.predicted}.zip`;
  }
  return keepsCustomHash;
};

describe('the asset hash, from a synth', () => {
  const keyOf = (r: ReturnType<typeof synthSkipped>) => `${SKIP_KEEPS_CUSTOM_HASH() ? r.predicted : r.skippedKey}.zip`;

  test('of a fixed layer is pinned', () => {
    const r = synthSkipped({ version: '0.4.2' });
    expect(r.predicted).toBe(PINNED_HASH);
    expect(r.s3Key).toBe(keyOf(r));
  });

  test.each<[string, VectorDbLayerProps]>([
    ['the default', {}],
    ['vectordb 0.4.2 arm64', { version: '0.4.2', architecture: lambda.Architecture.ARM_64 }],
    ['@lancedb/lancedb without strip', { sdk: VectorDbSdk.LANCEDB, strip: false }],
    ['Docker', { buildMethod: LayerBuildMethod.DOCKER }],
    ['Docker with an image of your own', { buildMethod: LayerBuildMethod.DOCKER, dockerImage: DockerImage.fromRegistry('node:22-bookworm') }],
    ['Docker, compressed (made from its plain layer when one is built)', { buildMethod: LayerBuildMethod.DOCKER, compressBinary: true }],
    ['local only', { buildMethod: LayerBuildMethod.LOCAL }],
  ])('is predicted by the construct before CDK stages the layer (%s): the lock and the cache check find the right folder', (_label, props) => {
    const r = synthSkipped(props);
    expect(r.s3Key).toBe(keyOf(r));
  });

  test('AUTO and LOCAL give the same hash on a host that builds; DOCKER another', () => {
    const predicted = (props: VectorDbLayerProps) => synthSkipped({ version: '0.4.2', ...props }).predicted;
    expect(predicted({ buildMethod: LayerBuildMethod.AUTO })).toBe(predicted({ buildMethod: LayerBuildMethod.LOCAL }));
    expect(predicted({ buildMethod: LayerBuildMethod.DOCKER })).not.toBe(predicted({ buildMethod: LayerBuildMethod.LOCAL }));
  });
});

test('the Docker step that makes a compressed layer from its plain layer adds nothing to CDK\'s staged-asset hash: the folder name and S3 key are those of a full build', () => {
  const image = DockerImage.fromRegistry('node:22-bookworm');
  const request = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', strip: true, compressBinary: true } as const;
  const options = bundlingOptions({ ...request, image });
  const step = new DockerFromPlain({ ...request, image }, () => undefined);
  expect(JSON.stringify({ ...options, local: step })).toBe(JSON.stringify(options));
  expect(stagedAssetHash('a'.repeat(64), { ...options, local: step })).toBe(stagedAssetHash('a'.repeat(64), options));
  // No plain layer: CDK's own docker run follows.
  expect(step.tryBundle(tempDir('docker-from-plain-out'))).toBe(false);
});
