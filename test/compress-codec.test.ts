/**
 * The compressed binary's codec (src/private/layer/codec.ts), decided before
 * the build: zstd when every runtime the layer can run on decodes it and the
 * Node.js that runs the recipe writes it; else brotli, which keeps the hash a
 * compressed layer had before zstd, with a warning when only the host is the
 * reason. Fast tier: no build.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { VectorDbLayer, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { layerAssetHash } from '../src/private/layer/asset-hash';
import { chooseCodec, nodeWritesZstd, runtimesDecodeZstd } from '../src/private/layer/codec';
import { LocalLayerBuild } from '../src/private/layer/local-build';
import { hashedFlags, LayerRequest, recipeArgs } from '../src/private/layer/request';

const LANCEDB: LayerRequest = { sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64', strip: true, compressBinary: true };
const VECTORDB: LayerRequest = { sdk: 'vectordb', version: '0.21.2', architecture: 'x86_64', strip: true, compressBinary: true };
const HOST = { inDocker: false, hostWritesZstd: true, hostNodeVersion: 'v24.22.3' };

test('@lancedb/lancedb 0.39.0 (engines >= 22: nodejs22.x and later) gets zstd from a host that writes it', () => {
  expect(runtimesDecodeZstd(LANCEDB)).toBe(true);
  const { request, warning } = chooseCodec(LANCEDB, HOST);
  expect([request, warning]).toEqual([{ ...LANCEDB, codec: 'zstd' }, undefined]);
  expect(recipeArgs(request, '/in', '/out').slice(10)).toEqual(['--compress', '--codec', 'zstd']);
  expect(hashedFlags(request)).toEqual({ compress: true, codec: 'zstd' });
  expect(layerAssetHash(request)).not.toBe(layerAssetHash(LANCEDB));
});

test('vectordb 0.21.2 (nodejs20.x among its runtimes: no zstd there) stays brotli, without a warning', () => {
  expect(runtimesDecodeZstd(VECTORDB)).toBe(false);
  expect(chooseCodec(VECTORDB, HOST)).toEqual({ request: VECTORDB });
  expect(chooseCodec({ ...VECTORDB, architecture: 'arm64', version: '0.4.2' }, HOST).request.codec).toBeUndefined();
});

test('a host Node.js without zstd makes brotli and says so once, naming its version; a Docker build leaves it to the image', () => {
  const { request, warning } = chooseCodec(LANCEDB, { inDocker: false, hostWritesZstd: false, hostNodeVersion: 'v20.20.2' });
  expect(request).toEqual(LANCEDB);
  expect(warning).toBe('the Node.js running this synth (v20.20.2) cannot write zstd (Node.js >= 22.15 can), which every runtime of @lancedb/lancedb 0.39.0 decodes: '
    + 'the native binary is brotli-compressed instead, which takes about twice as long to decode at each cold start. '
    + 'Run the synth on Node.js >= 22.15 (a Docker build runs the build image\'s Node.js) to get zstd');
  expect(chooseCodec(LANCEDB, { inDocker: true, hostWritesZstd: false }).request.codec).toBe('zstd');
});

test('no codec without compressBinary, whatever the request carried', () => {
  const plain: LayerRequest = { sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64', strip: true };
  expect(chooseCodec(plain, HOST)).toEqual({ request: plain });
  expect(hashedFlags({ ...plain, codec: 'zstd' })).toEqual({});
  expect(recipeArgs({ ...plain, codec: 'zstd' }, '/in', '/out')).toEqual(recipeArgs(plain, '/in', '/out'));
});

test('a brotli layer keeps the hash and staged-asset JSON it had before zstd; a zstd layer gets its own', () => {
  expect(hashedFlags(LANCEDB)).toEqual({ compress: true });
  expect(JSON.stringify(new LocalLayerBuild({ ...LANCEDB, dockerFallback: false }))).toBe(
    '{"recipe":"layer-assets/build-layer.js","sdk":"@lancedb/lancedb","version":"0.39.0","architecture":"x86_64","strip":true,"dockerFallback":false,"compress":true}');
  expect(JSON.stringify(new LocalLayerBuild({ ...LANCEDB, codec: 'zstd', dockerFallback: false }))).toBe(
    '{"recipe":"layer-assets/build-layer.js","sdk":"@lancedb/lancedb","version":"0.39.0","architecture":"x86_64","strip":true,"dockerFallback":false,"compress":true,"codec":"zstd"}');
});

test('VectorDbLayer warns on this host exactly when its Node.js cannot write zstd', () => {
  const { stack } = appAt(tempDir('codec'), { 'aws:cdk:bundling-stacks': [] });
  new VectorDbLayer(stack, 'L', { sdk: VectorDbSdk.LANCEDB, version: '0.39.0', compressBinary: true });
  new VectorDbLayer(stack, 'V', { version: '0.21.2', compressBinary: true });
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => `${w.id} ${String(w.entry.data)}`).filter((w) => w.includes('zstd'));
  expect(warnings).toEqual(nodeWritesZstd() ? [] : [expect.stringMatching(/^\/Stack\/L the Node\.js running this synth \(v\d+\.\d+\.\d+\) cannot write zstd .*\[ack: cdk-vectordb-layer:brotli-binary\]$/)]);
});
