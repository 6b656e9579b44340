/**
 * The layer request (src/private/layer/request.ts): one shape, checked once
 * from the props, from which the recipe's argv, the hash's options, CDK's
 * staged-asset JSON, the manifest's echo and the shared layer's id derive; and
 * the architecture's one checked conversion. Fast tier: no build.
 */
import { AssetStaging, DockerImage, Lazy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbLayer, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { parseBuildArgs } from '../src/cli/build';
import * as architectureModule from '../src/private/common/architecture';
import { layerArchitecture, lambdaArchitecture } from '../src/private/common/architecture';
import { layerAssetHash } from '../src/private/layer/asset-hash';
import { bundlingOptions } from '../src/private/layer/docker';
import { LocalLayerBuild } from '../src/private/layer/local-build';
import { checkRequest } from '../src/private/layer/props';
import * as requestModule from '../src/private/layer/request';
import { hashedFlags, layerDescription, LayerRequest, manifestEcho, recipeArgs, requestOf, sharedLayerId } from '../src/private/layer/request';

const REQUEST: LayerRequest = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', strip: true };

describe('what derives from the request', () => {
  test('the recipe\'s argv: one entry per value, flags only for what is not the default', () => {
    expect(recipeArgs(REQUEST, '/in', '/out')).toEqual([
      'node', '/in/build-layer.js', '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'x86_64', '--out', '/out',
    ]);
    expect(recipeArgs({ ...REQUEST, strip: false, compressBinary: true }, '/in', '/out').slice(10)).toEqual(['--no-strip', '--compress']);
    expect(recipeArgs({ ...REQUEST, compressBinary: false }, '/in', '/out')).toEqual(recipeArgs(REQUEST, '/in', '/out'));
    expect(recipeArgs({ ...REQUEST, sdk: '@lancedb/lancedb; rm -rf /' }, '/in', '/out')).toContain('@lancedb/lancedb; rm -rf /');
  });

  test('the Docker command and the host build run that argv', () => {
    const docker = bundlingOptions({ ...REQUEST, architecture: 'arm64', compressBinary: true, image: DockerImage.fromRegistry('node:22') });
    expect(docker.command).toEqual(recipeArgs({ ...REQUEST, architecture: 'arm64', compressBinary: true }, AssetStaging.BUNDLING_INPUT_DIR, AssetStaging.BUNDLING_OUTPUT_DIR));
    expect(docker.platform).toBe('linux/arm64');
  });

  test('compressBinary is in the hashes only when true, so a layer without it keeps its hash', () => {
    expect(hashedFlags(REQUEST)).toEqual({});
    expect(hashedFlags({ ...REQUEST, compressBinary: false })).toEqual({});
    expect(hashedFlags({ ...REQUEST, compressBinary: true })).toEqual({ compress: true });
    expect(hashedFlags(REQUEST, true)).toEqual({ unstripped: true });
    expect(layerAssetHash({ ...REQUEST, compressBinary: false })).toBe(layerAssetHash(REQUEST));
    expect(layerAssetHash({ ...REQUEST, compressBinary: true })).not.toBe(layerAssetHash(REQUEST));
  });

  test('CDK\'s staged-asset JSON of a host build: the request, compress last and only when true', () => {
    // JSON.stringify of this object is in the asset's folder name and S3 key: its text must not move.
    expect(JSON.stringify(new LocalLayerBuild({ ...REQUEST, dockerFallback: false }))).toBe(
      '{"recipe":"layer-assets/build-layer.js","sdk":"vectordb","version":"0.4.2","architecture":"x86_64","strip":true,"dockerFallback":false}');
    expect(JSON.stringify(new LocalLayerBuild({ ...REQUEST, compressBinary: true, dockerFallback: false }))).toBe(
      '{"recipe":"layer-assets/build-layer.js","sdk":"vectordb","version":"0.4.2","architecture":"x86_64","strip":true,"dockerFallback":false,"compress":true}');
  });

  test('the manifest\'s echo, the shared layer\'s id and the description', () => {
    const compressed: LayerRequest = { ...REQUEST, sdk: '@lancedb/lancedb', version: '0.31.0-beta.1', architecture: 'arm64', compressBinary: true };
    expect(manifestEcho(compressed)).toEqual({ sdk: '@lancedb/lancedb', version: '0.31.0-beta.1', architecture: 'arm64' });
    expect(sharedLayerId(compressed)).toBe('VectorDbLayer-lancedb-0_31_0-beta_1-arm64-compressed');
    expect(sharedLayerId(REQUEST)).toBe('VectorDbLayer-vectordb-0_4_2-x86_64');
    expect(layerDescription(compressed)).toBe('@lancedb/lancedb 0.31.0-beta.1 for Lambda arm64 (linux-arm64-gnu native binary) at /opt/nodejs/node_modules/@lancedb/lancedb; built by cdk-vectordb-layer');
  });

  test('the build command\'s flags make the same request', () => {
    const args = parseBuildArgs(['--arch', 'arm64', '--version', '0.4.2', '--no-strip', '--compress'], tempDir('cli'));
    expect(requestOf(args)).toEqual({ sdk: 'vectordb', version: '0.4.2', architecture: 'arm64', strip: false, compressBinary: true });
  });
});

describe('the request from the props', () => {
  test('defaults: vectordb, x86_64, the pinned default for the architecture, strip on, compressBinary absent', () => {
    expect(checkRequest('S', {}).request).toEqual({ sdk: 'vectordb', version: VectorDbSdk.VECTORDB.defaultVersion, architecture: 'x86_64', strip: true });
    expect(checkRequest('S', { architecture: lambda.Architecture.ARM_64, compressBinary: false }).request)
      .toEqual({ sdk: 'vectordb', version: VectorDbSdk.VECTORDB.defaultVersionFor(lambda.Architecture.ARM_64), architecture: 'arm64', strip: true });
    expect(checkRequest('S', { sdk: VectorDbSdk.LANCEDB, version: '0.39.0', strip: false, compressBinary: true }).request)
      .toEqual({ sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64', strip: false, compressBinary: true });
  });

  test('one getOrCreate checks the SDK, architecture and version once, and the constructor does not again', () => {
    const versions = jest.spyOn(requestModule, 'checkExactVersion');
    const architectures = jest.spyOn(architectureModule, 'layerArchitecture');
    try {
      const { stack } = appAt(tempDir('once'), { 'aws:cdk:bundling-stacks': [] });
      const layer = VectorDbLayer.getOrCreate(stack, { version: '0.4.2', compressBinary: true });
      expect(layer.node.id).toBe('VectorDbLayer-vectordb-0_4_2-x86_64-compressed');
      expect(versions).toHaveBeenCalledTimes(1);
      expect(architectures).toHaveBeenCalledTimes(1);
      expect(VectorDbLayer.getOrCreate(stack, { version: '0.4.2', compressBinary: true })).toBe(layer);
      expect(versions).toHaveBeenCalledTimes(2);
    } finally {
      versions.mockRestore();
      architectures.mockRestore();
    }
  });

  test('getOrCreate hands the checked request and the caller\'s prop names to the constructor', () => {
    const { stack } = appAt(tempDir('names'), { 'aws:cdk:bundling-stacks': [] });
    const arm = { version: '0.1.8', architecture: lambda.Architecture.ARM_64 };
    expect(() => VectorDbLayer.getOrCreate(stack, arm, { versionPropName: 'sdkVersion' }))
      .toThrow(/^Stack\/VectorDbLayer-vectordb-0_1_8-arm64: architecture has no native build for vectordb 0\.1\.8, got "arm64": .*; set sdkVersion to one that has .*, or architecture to x86_64$/);
    expect(() => VectorDbLayer.getOrCreate(stack, arm)).toThrow(/; set version to one that has /);
    // Checked at the caller's path before the version goes into a construct id.
    expect(() => VectorDbLayer.getOrCreate(stack, { version: 'latest' }, { versionPropName: 'sdkVersion' }))
      .toThrow(/^Stack: sdkVersion must be an exact version such as '0\.21\.2' .*, got "latest"; write the exact version$/);
  });
});

describe('the architecture\'s checked conversion', () => {
  test('Lambda\'s two, as an Architecture or its name, and back', () => {
    expect(layerArchitecture('S', lambda.Architecture.X86_64)).toBe('x86_64');
    expect(layerArchitecture('S', lambda.Architecture.ARM_64)).toBe('arm64');
    expect(layerArchitecture('S', 'arm64')).toBe('arm64');
    expect(lambdaArchitecture('arm64')).toBe(lambda.Architecture.ARM_64);
    expect(lambdaArchitecture('x86_64')).toBe(lambda.Architecture.X86_64);
  });

  test.each<[string, lambda.Architecture | string, string]>([
    ['another architecture', lambda.Architecture.custom('mips'), '"mips"'],
    ['another spelling', 'aarch64', '"aarch64"'],
    ['a token', Lazy.string({ produce: () => 'arm64' }), '"\\$\\{Token\\[TOKEN\\.\\d+\\]\\}"'],
  ])('refuses %s, naming the path, the prop, the value and the fix', (_label, value, shown) => {
    expect(() => layerArchitecture('Stack/L', value)).toThrow(
      new RegExp(`^Stack/L: architecture must be Architecture\\.X86_64 or Architecture\\.ARM_64, got ${shown}; use one of the two Lambda architectures$`));
    expect(() => layerArchitecture('Stack/L', value, '--arch')).toThrow(/^Stack\/L: --arch must be/);
  });

  test('a construct refuses a name that is not an Architecture (plain JavaScript)', () => {
    const { stack } = appAt(tempDir('arch'), { 'aws:cdk:bundling-stacks': [] });
    expect(() => new VectorDbLayer(stack, 'L', { architecture: 'arm64' as unknown as lambda.Architecture }))
      .toThrow('Stack/L: architecture must be Architecture.X86_64 or Architecture.ARM_64, got undefined; use one of the two Lambda architectures');
  });
});
