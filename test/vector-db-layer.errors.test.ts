/**
 * VectorDbLayer refuses bad input at synth time, before anything runs, naming
 * the prop, the value and the fix; versions the facts table rules out are
 * refused before any build; and failures that need no registry (Docker
 * missing, a refused registry) are clear and leave nothing half-built.
 * Fast tier: no network.
 */
import * as path from 'path';
import { DockerImage, Lazy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LayerBuildMethod, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../src';
import { withEnv } from './support/env';
import { tempDir } from './support/files';
import { appAt, assetDirs } from './support/synth';

// The module object itself (not a TypeScript namespace copy), so spies see every call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess: typeof import('child_process') = require('child_process');

/** Builds one layer in a fresh app and returns the synth error message. */
function synthError(props: VectorDbLayerProps, outdir = tempDir('err')): string {
  try {
    const { app, stack } = appAt(outdir);
    new VectorDbLayer(stack, 'Layer', props);
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the synth to fail');
}


describe('bad input is refused before anything runs', () => {
  let spawned: jest.SpyInstance[] = [];
  beforeEach(() => {
    spawned = (['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync'] as const)
      .map((fn) => jest.spyOn(childProcess, fn));
  });
  afterEach(() => spawned.forEach((s) => s.mockRestore()));
  const noProcess = () => expect(spawned.map((s) => s.mock.calls.length)).toEqual(spawned.map(() => 0));

  test.each([
    ['0.21', 'not x.y.z'],
    ['^0.21.2', 'a range'],
    ['latest', 'a tag'],
    ['v0.21.2', 'a v prefix'],
    ['', 'empty'],
    ['0.21.2 ', 'a trailing space'],
  ])('throws for version %j (%s), naming the prop, the value and the fix', (version) => {
    const message = synthError({ version });
    expect(message).toContain('Stack/Layer: version must be an exact version such as \'0.21.2\'');
    expect(message).toContain(`got ${JSON.stringify(version)}`);
    expect(message).toContain('; write the exact version');
    noProcess();
  });

  test.each([
    '0.21.2; rm -rf /',
    '0.21.2 && touch /tmp/pwned',
    '$(touch /tmp/pwned)',
    '`id`',
    '0.21.2|cat /etc/passwd',
    '0.21.2\nid',
  ])('throws for a shell metacharacter in version %j and starts no process', (version) => {
    expect(synthError({ version })).toMatch(/version must be an exact version .*\(it holds characters no npm version has\)/s);
    noProcess();
  });

  test('throws for a version that is an unresolved token', () => {
    expect(synthError({ version: Lazy.string({ produce: () => '0.21.2' }) }))
      .toMatch(/Stack\/Layer: version must be a literal exact version such as '0\.21\.2', not a token: the layer is built at synth time/);
    noProcess();
  });

  test('throws for an sdk that is not a VectorDbSdk (plain JavaScript passing a string)', () => {
    const message = synthError({ sdk: 'vectordb' as unknown as VectorDbSdk });
    expect(message).toBe('Stack/Layer: sdk must be VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB, got "vectordb"; pass one of the two (a string such as \'vectordb\' is not an SDK)');
    noProcess();
  });

  test('throws for a docker image with shell metacharacters', () => {
    const message = synthError({ version: '0.4.2', dockerImage: DockerImage.fromRegistry('node:22; rm -rf /'), buildMethod: LayerBuildMethod.DOCKER });
    expect(message).toContain('dockerImage must be an image reference');
    expect(message).toContain('"node:22; rm -rf /"');
    noProcess();
  });

  test('throws for a docker image with buildMethod LOCAL', () => {
    expect(synthError({ dockerImage: DockerImage.fromRegistry('node:22'), buildMethod: LayerBuildMethod.LOCAL }))
      .toContain('dockerImage is set but buildMethod is LayerBuildMethod.LOCAL');
  });

  test('throws for a bad layerVersionName', () => {
    expect(synthError({ layerVersionName: 'my layer;x' })).toContain('layerVersionName must be 1-140 letters, digits, - or _, got "my layer;x"');
  });

  test('VectorDbSdk.of refuses other packages', () => {
    expect(() => VectorDbSdk.of('lancedb; rm')).toThrow('packageName must be vectordb or @lancedb/lancedb, got "lancedb; rm"');
    expect(VectorDbSdk.of('@lancedb/lancedb')).toBe(VectorDbSdk.LANCEDB);
  });
});

describe('versions the facts table rules out are refused before any build, with a way out', () => {
  let spawned: jest.SpyInstance;
  beforeEach(() => {
    spawned = jest.spyOn(childProcess, 'spawnSync');
  });
  afterEach(() => spawned.mockRestore());

  test('an architecture the version declares no native build for names the versions that have one', () => {
    const outdir = tempDir('noarm');
    const message = synthError({ version: '0.1.8', architecture: lambda.Architecture.ARM_64 }, outdir);
    expect(message).toBe('Stack/Layer: architecture has no native build for vectordb 0.1.8, got "arm64": it names no linux-gnu native package for arm64; '
      + 'set version to one that has (nearest: 0.1.19, 0.2.2, 0.3.11; newest: 0.4.2), or architecture to x86_64');
    expect(spawned.mock.calls.length).toBe(0);
    expect(assetDirs(outdir)).toEqual([]);
  });

  test('a declared arm64 build the facts registry did not serve (@lancedb/lancedb 0.39.0) is not refused: the build asks the user\'s registry', () => {
    const { app, stack } = appAt(tempDir('declared'), { 'aws:cdk:bundling-stacks': [] });
    const layer = new VectorDbLayer(stack, 'Layer', { sdk: VectorDbSdk.LANCEDB, version: '0.39.0', architecture: lambda.Architecture.ARM_64 });
    app.synth();
    expect(`${layer.version} ${layer.architecture.name}`).toBe('0.39.0 arm64');
    // its binary is unread until built: Amazon Linux 2023 runtimes within its declared engines.node (>= 22)
    expect(layer.compatibleRuntimes!.map((r) => r.name)).not.toContain('nodejs18.x');
    expect(layer.compatibleRuntimes!.map((r) => r.name)).not.toContain('nodejs20.x');
    expect(layer.compatibleRuntimes!.map((r) => r.name)).toContain('nodejs22.x');
  });

  test('vectordb 0.1.8, whose binary sits in the SDK and needs glibc 2.35 and libraries Lambda lacks, is refused for that reason', () => {
    const message = synthError({ version: '0.1.8' });
    expect(message).toMatch(/^Stack\/Layer: version 0\.1\.8 ships its native binary inside the SDK package \(no linux-gnu native package\), built for another system, got "0\.1\.8": it needs glibc 2\.35 and .*libssl\.so\.3.*libgfortran\.so\.5/);
    expect(message).toMatch(/set version to one that runs \(nearest: .*0\.1\.19/);
    // Only what Lambda's OSes lack: a Node.js process has libc and libm.
    expect(message).not.toMatch(/libc\.so\.6|libm\.so\.6/);
    expect(spawned.mock.calls.length).toBe(0);
  });
});

describe('fromLayerArn: a version that cannot be in a working layer is refused as VectorDbLayer refuses it', () => {
  const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:3';
  let spawned: jest.SpyInstance;
  beforeEach(() => {
    spawned = jest.spyOn(childProcess, 'spawnSync');
  });
  afterEach(() => spawned.mockRestore());
  const importError = (attrs: Parameters<typeof VectorDbLayer.fromLayerArn>[3]) => {
    const { stack } = appAt(tempDir('import'));
    try {
      VectorDbLayer.fromLayerArn(stack, 'Imported', ARN, attrs);
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  };

  test('no native build for the architecture: named, with the versions that have one', () => {
    expect(importError({ version: '0.1.8', architecture: lambda.Architecture.ARM_64 })).toBe('Stack/Imported: architecture has no native build for vectordb 0.1.8, got "arm64": '
      + 'it names no linux-gnu native package for arm64; set version to one that has (nearest: 0.1.19, 0.2.2, 0.3.11; newest: 0.4.2), or architecture to x86_64');
    // declared, not observed by this library (its facts' registry did not serve it): accepted, its binary unread
    expect(importError({ sdk: VectorDbSdk.LANCEDB, version: '0.39.0', architecture: lambda.Architecture.ARM_64 })).toBeUndefined();
    expect(spawned.mock.calls.length).toBe(0);
  });

  test('a binary no runtime can load', () => {
    expect(importError({ version: '0.1.8' })).toMatch(/^Stack\/Imported: version 0\.1\.8 ships its native binary inside the SDK package/);
  });

  test('buildable versions, and a layer whose binary facts the caller read, are imported', () => {
    expect(importError({ version: '0.4.2', architecture: lambda.Architecture.ARM_64 })).toBeUndefined();
    expect(importError({ version: '0.21.2', architecture: lambda.Architecture.ARM_64, glibcVersion: '2.17', neededLibraries: ['libc.so.6'] })).toBeUndefined();
  });
});

describe('failures that need no registry are clear and leave nothing half-built', () => {
  test('a refused registry fails within seconds, naming the registry and npm\'s settings', () => {
    const outdir = tempDir('refused');
    const started = Date.now();
    // No machine-wide layer cache: this layer must be built.
    const message = withEnv({ npm_config_registry: 'http://127.0.0.1:9/', CDK_VECTORDB_LAYER_CACHE: 'off' }, () => synthError({ version: '0.4.2' }, outdir));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(message).toMatch(/^Stack\/Layer: the npm registry http:\/\/127\.0\.0\.1:9\/ cannot be reached from this machine: 127\.0\.0\.1:9 \(127\.0\.0\.1:9: ECONNREFUSED, the connection was refused\)\. The layer's npm install needs it/);
    expect(assetDirs(outdir)).toEqual([]);
  });

  test('Docker forced with no Docker engine says so and how to build without it', () => {
    const outdir = tempDir('nodocker');
    const message = withEnv({ CDK_DOCKER: path.join(tempDir('nodockerbin'), 'docker-not-installed'), CDK_VECTORDB_LAYER_CACHE: 'off' },
      () => synthError({ version: '0.4.2', buildMethod: LayerBuildMethod.DOCKER }, outdir));
    expect(message).toMatch(/Stack\/Layer: the layer must be built in Docker, but no Docker engine answers \(`.*docker-not-installed version`: .*ENOENT.*\)\. Start Docker, or set buildMethod to LayerBuildMethod\.LOCAL/);
    expect(assetDirs(outdir)).toEqual([]);
  });
});
