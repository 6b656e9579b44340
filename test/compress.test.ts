/**
 * compressBinary at synth: no cost when off (the same asset hash), another
 * layer when on, and a function whose /tmp cannot hold the decompressed binary
 * is refused naming ephemeralStorageSize and the size needed. Fast tier.
 */
import * as path from 'path';
import { Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { VectorDbFunction, VectorDbLayer, VectorDbLayerProps } from '../src';
import { tempDir } from './support/files';
import { appAt, FIXTURES } from './support/synth';
import * as assetHash from '../src/private/layer/asset-hash';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:7';
const entry = path.join(FIXTURES, 'fn', 'handler.js');

/**
 * The layer's S3 key once bundled: the staged hash the construct computes as
 * aws-cdk-lib does (test/asset-hash.test.ts). With bundling skipped, as here,
 * aws-cdk-lib 2.278.0 keys the asset by the construct's id alone, so the
 * template cannot tell the two layers apart.
 */
function s3Key(props: VectorDbLayerProps): string {
  const spy = jest.spyOn(assetHash, 'stagedAssetHash');
  try {
    const { stack } = appAt(tempDir('key'), { 'aws:cdk:bundling-stacks': [] });
    new VectorDbLayer(stack, 'L', { version: '0.4.2', ...props });
    Template.fromStack(stack);
    expect(spy).toHaveBeenCalledTimes(1);
    return `${spy.mock.results[0].value}.zip`;
  } finally {
    spy.mockRestore();
  }
}

test('off (the default) leaves the layer\'s asset hash as it was; on makes another layer', () => {
  expect(s3Key({ compressBinary: false })).toBe(s3Key({}));
  expect(s3Key({ compressBinary: true })).not.toBe(s3Key({}));
});

describe('ephemeral storage for a compressed binary', () => {
  const make = (ephemeralStorageSize?: Size) => {
    const { app, stack } = appAt(tempDir('eph'), { 'aws:cdk:bundling-stacks': [] });
    const layer = VectorDbLayer.fromLayerArn(stack, 'L', ARN, { version: '0.21.2', decompressedBinaryBytes: 480 * 1024 * 1024 });
    new VectorDbFunction(stack, 'Fn', { entry, layer, ephemeralStorageSize });
    app.synth();
  };

  test('the default 512 MiB cannot hold a 480 MiB binary plus the margin: refused, naming the prop and the size', () => {
    expect(() => make()).toThrow('Stack/Fn: ephemeralStorageSize must hold the layer\'s decompressed native binary (503316480 bytes) plus 64 MiB, got "536870912 bytes": '
      + 'the binary is decompressed into /tmp at each cold start; set ephemeralStorageSize to at least Size.mebibytes(544), or use a layer without compressBinary');
  });

  test('enough ephemeral storage passes', () => {
    expect(() => make(Size.mebibytes(1024))).not.toThrow();
  });
});
