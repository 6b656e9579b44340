import * as fs from 'fs';
import * as path from 'path';
import { AssetStaging, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IVectorDbLayer, VectorDbFunction, VectorDbFunctionProps, VectorDbLayer, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';

const entry = path.join(__dirname, 'fixtures', 'fn', 'handler.js');
const lancedbEntry = path.join(__dirname, 'fixtures', 'fn', 'lancedb-handler.js');
const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:7';
/** The default runtime: the newest proven one (Node.js 26) when this aws-cdk-lib defines it, else nodejs24.x. */
const DEFAULT_RUNTIME = 'NODEJS_26_X' in lambda.Runtime ? 'nodejs26.x' : 'nodejs24.x';
const imported = (stack: Stack, attrs: Partial<Parameters<typeof VectorDbLayer.fromLayerArn>[3]> = {}): IVectorDbLayer =>
  VectorDbLayer.fromLayerArn(stack, 'Shared', ARN, { version: '0.21.2', ...attrs });

/** The bundled handler of a function. */
function bundledCode(fn: VectorDbFunction): string {
  const staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  return fs.readFileSync(path.join(staging.absoluteStagedPath, 'index.js'), 'utf-8');
}

function synthError(make: (stack: Stack) => void): string {
  try {
    // Errors come before bundling; the function's esbuild run is skipped.
    const { app, stack } = appAt(tempDir('fnerr'), { 'aws:cdk:bundling-stacks': [] });
    make(stack);
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('with an imported layer (pinned per app)', () => {
  test('attaches the ARN and keeps the user\'s externals, adding the layer\'s', () => {
    const outdir = tempDir('fnimp');
    const { app, stack } = appAt(outdir);
    const fn = new VectorDbFunction(stack, 'Search', {
      entry,
      layer: imported(stack),
      bundling: { externalModules: ['@aws-sdk/client-s3', 'left-pad'] },
    });
    app.synth();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [ARN],
      Runtime: DEFAULT_RUNTIME,
    });
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::LayerVersion', 0);
    expect(fn.vectorDbLayer.version).toBe('0.21.2');
    const code = bundledCode(fn);
    expect(code).toMatch(/require\("vectordb"\)/);
    expect(code).toMatch(/require\("@aws-sdk\/client-s3"\)/);
  });

  test('an imported pinned layer knows its glibc need and runtimes', () => {
    const { stack } = appAt(tempDir('fnimp2'));
    const layer = imported(stack);
    expect(layer.glibcVersion).toBe('2.28');
    expect(layer.compatibleRuntimes?.map((r) => r.name).slice(0, 3)).toEqual(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']);
    const old = VectorDbLayer.fromLayerArn(stack, 'Old', ARN, { version: '0.4.2' });
    expect(old.compatibleRuntimes?.map((r) => r.name)).toContain('nodejs18.x');
  });

  test('@lancedb/lancedb keeps apache-arrow external too and runs on Node >= 22', () => {
    const { app, stack } = appAt(tempDir('fnlance'));
    const fn = new VectorDbFunction(stack, 'Search', { entry: lancedbEntry, layer: VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }) });
    app.synth();
    expect(fn.vectorDbLayer.externalModules).toEqual(['@lancedb/lancedb', 'apache-arrow']);
    expect(fn.runtime.name).toBe(DEFAULT_RUNTIME);
    const code = bundledCode(fn);
    expect(code).toMatch(/require\("@lancedb\/lancedb"\)/);
    expect(code).toMatch(/require\("apache-arrow"\)/);
  });
});

describe('refuses at synth time what would fail at run time', () => {
  const cases: Array<[string, (s: Stack) => VectorDbFunctionProps, RegExp]> = [
    ['a non-Node runtime', (s) => ({ entry, layer: imported(s), runtime: lambda.Runtime.PYTHON_3_12 }),
      /^Stack\/Fn: runtime must be a Node\.js runtime such as Runtime\.NODEJS_22_X, got "python3\.12"/],
    ['vectordb 0.21.2 (glibc 2.28) on nodejs18.x (glibc 2.26)', (s) => ({ entry, layer: imported(s), runtime: lambda.Runtime.NODEJS_18_X }),
      /^Stack\/Fn: runtime cannot run vectordb 0\.21\.2 \(nodejs18\.x runs on Amazon Linux 2 with glibc 2\.26, but the native binary of vectordb 0\.21\.2 \(x86_64\) needs glibc 2\.28\), got "nodejs18\.x": .*GLIBC_2\.28' not found.*use runtime Runtime\.NODEJS_2[46]_X/],
    ['@lancedb/lancedb 0.39.0 (engines node >= 22) on nodejs20.x', (s) => ({ entry: lancedbEntry, layer: VectorDbLayer.fromLayerArn(s, 'L', ARN, { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }), runtime: lambda.Runtime.NODEJS_20_X }),
      /runtime cannot run @lancedb\/lancedb 0\.39\.0 \(@lancedb\/lancedb 0\.39\.0 declares engines\.node >= 22, and nodejs20\.x runs Node\.js 20\), got "nodejs20\.x".*use runtime Runtime\.NODEJS_2[46]_X.*or set the layer's version to 0\.37\.\d+ \(the @lancedb\/lancedb newest version that runs on nodejs20\.x x86_64\)/],
    ['an architecture other than the layer\'s', (s) => ({ entry, layer: imported(s, { version: '0.4.2', architecture: lambda.Architecture.ARM_64 }), architecture: lambda.Architecture.X86_64 }),
      /architecture does not match the layer's native binary, built for arm64, got "x86_64": the binary would not load; set architecture to Architecture\.ARM_64/],
    ['the SDK in nodeModules', (s) => ({ entry, layer: imported(s), bundling: { nodeModules: ['vectordb'] } }),
      /bundling\.nodeModules lists vectordb, which the layer provides, got \["vectordb"\]: npm would install a second, host-platform copy/],
    ['more than 5 layers', (s) => ({ entry, layer: imported(s), layers: [1, 2, 3, 4, 5].map((i) => lambda.LayerVersion.fromLayerVersionArn(s, `L${i}`, `${ARN}${i}`)) }),
      /layers would give the function 6 layers \(the vector database layer plus 5 in layers\): Lambda allows at most 5/],
    ['both layer and sdkVersion', (s) => ({ entry, layer: imported(s), sdkVersion: '0.4.2' }),
      /sdkVersion is set together with layer: sdkVersion chooses the function's own layer, and layer replaces it \(it says what it holds: vectordb 0\.21\.2\); remove sdkVersion, or remove layer/],
  ];
  test.each(cases)('%s', (_, props, expected) => {
    expect(synthError((s) => new VectorDbFunction(s, 'Fn', props(s)))).toMatch(expected);
  });

  test('a bad sdkVersion is refused with the function\'s prop named', () => {
    expect(synthError((s) => new VectorDbFunction(s, 'Fn', { entry, sdkVersion: '0.21.2 && id' })))
      .toMatch(/^Stack\/Fn: sdkVersion must be an exact version such as '0\.21\.2' \(vectordb\) or '0\.39\.0' \(@lancedb\/lancedb\).*, got "0\.21\.2 && id"/);
  });

  test('function plus layers over 262,144,000 bytes unzipped (the function bundled for real)', () => {
    const { app, stack } = appAt(tempDir('fnsize'));
    new VectorDbFunction(stack, 'Fn', { entry, layer: imported(stack, { unzippedSizeBytes: 262_143_900 }) });
    expect(() => app.synth()).toThrow(/Stack\/Fn\] the function's code \(\d+ bytes\) plus its layers \(vectordb 0\.21\.2: 262143900\) is \d+ bytes unzipped, over Lambda's limit of 262144000 bytes/);
    // the same function fits next to a smaller layer
    const ok = appAt(tempDir('fnsize2'));
    new VectorDbFunction(ok.stack, 'Fn', { entry, layer: imported(ok.stack, { unzippedSizeBytes: 250_000_000 }) });
    expect(() => ok.app.synth()).not.toThrow();
  });

  test('adding a sixth layer later is refused too', () => {
    expect(synthError((s) => {
      const fn = new VectorDbFunction(s, 'Fn', { entry, layer: imported(s), layers: [1, 2, 3, 4].map((i) => lambda.LayerVersion.fromLayerVersionArn(s, `L${i}`, `${ARN}${i}`)) });
      fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(s, 'L9', `${ARN}9`));
    })).toMatch(/Stack\/Fn: addLayers\(\) would give the function 6 layers: Lambda allows at most 5/);
  });
});

test('warns when the app\'s lock file resolves another SDK version than the given layer holds', () => {
  const dir = tempDir('lock');
  const lockFile = path.join(dir, 'package-lock.json');
  fs.writeFileSync(lockFile, JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/vectordb': { version: '0.4.2' } } }));
  fs.writeFileSync(path.join(dir, 'package.json'), '{}');
  fs.copyFileSync(entry, path.join(dir, 'handler.js'));
  fs.copyFileSync(path.join(path.dirname(entry), 'util.js'), path.join(dir, 'util.js'));
  const { app, stack } = appAt(tempDir('lockout'), { 'aws:cdk:bundling-stacks': [] });
  new VectorDbFunction(stack, 'Fn', { entry: path.join(dir, 'handler.js'), layer: imported(stack), depsLockFilePath: lockFile, projectRoot: dir });
  app.synth();
  Annotations.fromStack(stack).hasWarning('/Stack/Fn', Match.stringLikeRegexp('package-lock.json resolves vectordb 0.4.2, but the layer given in layer holds 0.21.2: at run time the handler gets 0.21.2'));
});
