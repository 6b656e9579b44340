import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { appAt, assetDirs, dockerStub, listing, searchWithLayer, stagedLayerDir, tempDir } from './helpers';
import { LayerBuildMethod, VectorDbLayer, VectorDbSdk } from '../src';
import { recipe } from '../src/private/recipe';

const readManifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'nodejs', 'vectordb-layer.json'), 'utf-8'));

describe('vectordb 0.21.2 on x86_64 (the default)', () => {
  const outdir = tempDir('v0212');
  let template: Template;
  let layer: VectorDbLayer;
  let stackAnnotations: Annotations;

  beforeAll(() => {
    const { app, stack } = appAt(outdir);
    layer = new VectorDbLayer(stack, 'Layer');
    app.synth();
    template = Template.fromStack(stack);
    stackAnnotations = Annotations.fromStack(stack);
  });

  test('builds the pinned default and serves a vector search from the built folder alone', () => {
    const dir = stagedLayerDir(outdir);
    const result = searchWithLayer(dir, 'vectordb');
    expect(result.ids).toEqual([42, 43, 41]);
    expect(result.version).toBe('0.21.2');
    expect(result.resolvedFrom.startsWith(path.join(dir, 'nodejs', 'node_modules'))).toBe(true);
  });

  test('the layer holds exactly the linux-x64-gnu binary, checked, stripped and pruned', () => {
    const dir = stagedLayerDir(outdir);
    const m = readManifest(dir);
    expect(m).toMatchObject({ sdk: 'vectordb', version: '0.21.2', architecture: 'x86_64', pinned: true, loadChecked: true, glibc: '2.28' });
    expect(m.strip.applied).toBe(true);
    expect(m.nativeBinaryBytes).toBeLessThan(m.nativeBinaryBytesBeforeStrip);
    const nm = path.join(dir, 'nodejs', 'node_modules');
    expect(fs.readdirSync(path.join(nm, '@lancedb'))).toEqual(['vectordb-linux-x64-gnu']);
    const files = listing(nm).map((l) => l.split(' ')[0]);
    expect(files.filter((f) => /\.(d\.ts|map|md)$/i.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([path.join('@lancedb', 'vectordb-linux-x64-gnu', 'index.node')]);
    expect(fs.existsSync(path.join(nm, '@apache-arrow', 'ts'))).toBe(false);
    expect(fs.existsSync(path.join(nm, '@types'))).toBe(false);
    // licences stay: the layer redistributes these packages
    expect(files).toEqual(expect.arrayContaining([path.join('apache-arrow', 'LICENSE.txt'), path.join('apache-arrow', 'NOTICE.txt'), path.join('axios', 'LICENSE')]));
  });

  test('the unzipped size is measured and exposed', () => {
    const dir = stagedLayerDir(outdir);
    const total = listing(dir).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(layer.unzippedSizeBytes).toBe(total);
    expect(total).toBeLessThan(recipe.LAMBDA_UNZIPPED_LIMIT_BYTES);
  });

  test('synthesizes a layer for x86_64 and the Node runtimes whose glibc covers 2.28', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64'],
      CompatibleRuntimes: ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'],
      LicenseInfo: 'Apache-2.0',
      Description: Match.stringLikeRegexp('^vectordb 0\\.21\\.2 for Lambda x86_64 .*/opt/nodejs/node_modules/vectordb'),
    });
    expect(layer.compatibleRuntimes?.map((r) => r.name)).toEqual(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']);
  });

  test('exposes its facts', () => {
    expect(layer.sdk).toBe(VectorDbSdk.VECTORDB);
    expect(layer.version).toBe('0.21.2');
    expect(layer.architecture).toBe(lambda.Architecture.X86_64);
    expect(layer.externalModules).toEqual(['vectordb', 'apache-arrow']);
    expect(layer.glibcVersion).toBe('2.28');
  });

  test('a pinned build carries no warning', () => {
    stackAnnotations.hasNoWarning('*', Match.anyValue());
  });
});

describe('vectordb 0.4.2 (the version hand-made layers used)', () => {
  const outdir = tempDir('v042');
  let stack: import('aws-cdk-lib').Stack;

  beforeAll(() => {
    const built = appAt(outdir);
    stack = built.stack;
    new VectorDbLayer(stack, 'X64', { version: '0.4.2' });
    new VectorDbLayer(stack, 'Arm', { version: '0.4.2', architecture: lambda.Architecture.ARM_64 });
    built.app.synth();
  });

  test('x86_64 serves a vector search with NODE_PATH at the layer only', () => {
    const dir = assetDirs(outdir).map((n) => path.join(outdir, n)).find((d) => readManifest(d).architecture === 'x86_64')!;
    expect(searchWithLayer(dir, 'vectordb').ids).toEqual([42, 43, 41]);
  });

  test('arm64 holds the AArch64 binary and nothing for x86_64', () => {
    const dir = assetDirs(outdir).map((n) => path.join(outdir, n)).find((d) => readManifest(d).architecture === 'arm64')!;
    const m = readManifest(dir);
    expect(m).toMatchObject({ version: '0.4.2', platform: 'linux-arm64-gnu', glibc: '2.17', loadChecked: false });
    const binary = path.join(dir, m.nativeBinary);
    const header = fs.readFileSync(binary).subarray(0, 20);
    expect(header.readUInt16LE(0x12)).toBe(183); // EM_AARCH64
    expect(fs.readdirSync(path.join(dir, 'nodejs', 'node_modules', '@lancedb'))).toEqual(['vectordb-linux-arm64-gnu']);
  });

  test('glibc 2.15/2.17 binaries are offered to nodejs18.x too, per architecture', () => {
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64'],
      CompatibleRuntimes: ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'],
    });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      CompatibleRuntimes: ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'],
    });
  });

  test('the glibc needs measured from the binaries match the pin table', () => {
    for (const d of assetDirs(outdir).map((n) => path.join(outdir, n))) {
      const m = readManifest(d);
      expect(recipe.SDKS.vectordb.pins[m.version][m.architecture].glibc).toBe(m.glibc);
    }
  });
});

describe('asset cache', () => {
  test('a second synth into the same cdk.out skips the build; a changed option rebuilds', () => {
    const outdir = tempDir('cache');
    const spy = jest.spyOn(recipe, 'buildLayer');
    try {
      const first = appAt(outdir);
      new VectorDbLayer(first.stack, 'Layer', { version: '0.4.2' });
      first.app.synth();
      const hash1 = assetDirs(outdir);
      expect(spy).toHaveBeenCalledTimes(1);

      const second = appAt(outdir);
      const again = new VectorDbLayer(second.stack, 'Layer', { version: '0.4.2' });
      second.app.synth();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(assetDirs(outdir)).toEqual(hash1);
      // facts come from the cached build's manifest
      expect(again.unzippedSizeBytes).toBeGreaterThan(50_000_000);

      const third = appAt(outdir);
      new VectorDbLayer(third.stack, 'Layer', { version: '0.4.2', strip: false });
      third.app.synth();
      expect(spy).toHaveBeenCalledTimes(2);
      expect(assetDirs(outdir)).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
  });

  test('the asset hash covers sdk, version, architecture, strip and build method', () => {
    const hashOf = (props: ConstructorParameters<typeof VectorDbLayer>[2]) => {
      const { stack } = appAt(tempDir('hash'), { 'aws:cdk:bundling-stacks': [] });
      new VectorDbLayer(stack, 'Layer', props);
      const t = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
      return JSON.stringify(Object.values(t)[0].Properties.Content);
    };
    const base = hashOf({ version: '0.4.2' });
    expect(hashOf({ version: '0.4.2' })).toBe(base);
    for (const changed of [
      { version: '0.4.3' },
      { version: '0.4.2', architecture: lambda.Architecture.ARM_64 },
      { version: '0.4.2', strip: false },
      { version: '0.4.2', buildMethod: LayerBuildMethod.DOCKER },
      { sdk: VectorDbSdk.LANCEDB, version: '0.4.2' },
    ]) {
      expect(hashOf(changed)).not.toBe(base);
    }
  });
});

describe('Docker path', () => {
  test('a CDK_DOCKER stub running the container command on the host gives the local build\'s result', () => {
    const stub = dockerStub();
    const saved = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = stub.executable;
    const dockerOut = tempDir('docker');
    try {
      const { app, stack } = appAt(dockerOut);
      new VectorDbLayer(stack, 'Layer', { version: '0.4.2', buildMethod: LayerBuildMethod.DOCKER });
      app.synth();
    } finally {
      if (saved === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = saved;
    }
    const calls = stub.calls();
    const run = calls.find((c) => Array.isArray(c) && c[0] === 'run');
    expect(run).toEqual(expect.arrayContaining(['--platform', 'linux/amd64', 'node', '/asset-input/build-layer.js', '--version', '0.4.2', '--out', '/asset-output']));
    expect(run).toContain(lambda.Runtime.NODEJS_24_X.bundlingImage.image);
    expect(calls[calls.length - 1]).toMatchObject({ exit: 0 });

    const localOut = tempDir('local');
    const { app, stack } = appAt(localOut);
    new VectorDbLayer(stack, 'Layer', { version: '0.4.2', buildMethod: LayerBuildMethod.LOCAL });
    app.synth();

    const dockerDir = stagedLayerDir(dockerOut);
    const localDir = stagedLayerDir(localOut);
    expect(listing(path.join(dockerDir, 'nodejs', 'node_modules'))).toEqual(listing(path.join(localDir, 'nodejs', 'node_modules')));
    expect(searchWithLayer(dockerDir, 'vectordb').ids).toEqual([42, 43, 41]);
  });
});
