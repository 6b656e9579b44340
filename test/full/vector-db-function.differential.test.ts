// NodejsFunction and VectorDbFunction given the same props give the same cloud
// assembly, except for the documented differences, normalised here and only here:
//   1. Layers: the vector database layer comes first.
//   2. The bundle keeps the SDKs and apache-arrow external (it differs only when
//      the handler imports one of them: NodejsFunction is then given the same
//      externals, which such a handler needs to synthesize at all).
//   3. Environment: VECTORDB_URI, VECTORDB_ACCESS and VECTORDB_SDK.
//   4. The default runtime: the newest one the layer can run on (NodejsFunction
//      is given the runtime VectorDbFunction chose; the default is tested apart).
//      With runtime NODEJS_LATEST (externals are not expected there), the added
//      externals bring NodejsFunction's own variableRuntimeExternals warning.
//   5. Following from 2, where CDK hashes the bundling options themselves:
//      bundling.assetHash (the custom hash covers the options, so S3Key differs)
//      and bundling.metafile (index.meta.json names the bundling-temp-<hash of
//      the options> folder). The bundled code is still byte for byte the same.
// Every other property, resource, warning and bundled byte must be equal, so a
// new difference fails here. Real esbuild bundling, imported layers (no build).
import * as fs from 'fs';
import * as path from 'path';
import { DockerImage, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../../src';
import * as beside from '../fixtures/fn/beside/stack';
import { listing, tempDir } from '../support/files';
import { appAt, dockerStub, FIXTURES } from '../support/synth';

const FN = path.join(FIXTURES, 'fn');
const DIFF = path.join(FN, 'diff');
const APPS = path.join(FN, 'apps');
const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:3';
/** What VectorDbFunction adds to the externals: the layer's modules and the other SDK. */
const LAYER_EXTERNALS = ['@lancedb/lancedb', 'apache-arrow', 'vectordb'];

type Make = (scope: Construct, id: string, props: any) => lambda.Function;
const plain: { nodejs: Make; vectordb: Make } = {
  nodejs: (s, id, p) => new nodejs.NodejsFunction(s, id, p),
  vectordb: (s, id, p) => new VectorDbFunction(s, id, p),
};

interface Case {
  /** Props both constructs get; may create constructs in the stack (a VPC). */
  readonly props: (stack: Stack) => nodejs.NodejsFunctionProps;
  /** The layer VectorDbFunction gets (imported): its SDK, version and architecture. */
  readonly layer?: { sdk?: VectorDbSdk; version?: string; architecture?: lambda.Architecture };
  /** The handler imports an SDK: NodejsFunction needs the SDK external to synthesize. */
  readonly importsSdk?: boolean;
  /** How each function is made (default: the constructors, called from this file). */
  readonly make?: { nodejs: Make; vectordb: Make };
  readonly id?: string;
  readonly context?: Record<string, unknown>;
  /** CDK hashes the bundling options into S3Key or index.meta.json (difference 5). */
  readonly hashesBundlingOptions?: boolean;
  /** Warnings (by id) VectorDbFunction has and NodejsFunction has not, from difference 2. */
  readonly extraWarnings?: string[];
}

interface Synth {
  readonly template: any;
  readonly warnings: string[];
  readonly bundle?: string[];
  readonly runtime: lambda.Runtime;
  readonly fn: lambda.Function;
}

function synth(kind: 'nodejs' | 'vectordb', c: Case, runtime?: lambda.Runtime): Synth {
  const { app, stack } = appAt(tempDir(`diff-${kind}`), c.context);
  const props: any = { ...c.props(stack) };
  if (kind === 'vectordb') {
    props.layer = VectorDbLayer.fromLayerArn(stack, 'VectorDbLayer', ARN, { version: '0.21.2', ...c.layer });
  } else {
    props.runtime = props.runtime ?? runtime;
    if (c.importsSdk && props.code === undefined) {
      const defaults = c.context?.[cxapi.LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES] ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
      props.bundling = { ...props.bundling, externalModules: [...(props.bundling?.externalModules ?? defaults), ...LAYER_EXTERNALS] };
    }
  }
  const fn = (c.make ?? plain)[kind](stack, c.id ?? 'Fn', props);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template;
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .map((w) => `${w.id} ${String(w.entry.data)}`).sort();
  const assetPath = (fn.node.tryFindChild('Code')?.node.tryFindChild('Stage') as any)?.absoluteStagedPath as string | undefined;
  const bundle = assetPath && fs.existsSync(assetPath) && fs.statSync(assetPath).isDirectory()
    ? listing(assetPath).map((l) => `${l.split(' ')[0]} ${hashOf(path.join(assetPath, l.split(' ')[0]), c.hashesBundlingOptions)}`)
    : undefined;
  return { template, warnings, bundle, runtime: fn.runtime, fn };
}

function bundledCode(s: Synth): string {
  const dir = (s.fn.node.findChild('Code').node.findChild('Stage') as any).absoluteStagedPath;
  return fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => /^index\.m?js$/.test(f))!), 'utf-8');
}

/** A file's sha256; with `optionsHashed`, the metafile's output path (cdk.out/bundling-temp-<hash of the options>) masked (difference 5). */
function hashOf(file: string, optionsHashed?: boolean): string {
  let content = fs.readFileSync(file);
  if (optionsHashed && file.endsWith('index.meta.json')) content = Buffer.from(content.toString('utf-8').replace(/"[^"]*bundling-temp-[0-9a-f]{64}[^"]*"/g, '"<cdk.out>/bundling-temp-<options>/index.js"'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('crypto').createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** S3Key masked, for difference 5. */
function withoutS3Key(template: any): any {
  const copy = JSON.parse(JSON.stringify(template));
  for (const resource of Object.values<any>(copy.Resources ?? {})) {
    if (resource.Type === 'AWS::Lambda::Function' && resource.Properties.Code?.S3Key) resource.Properties.Code.S3Key = '<hash of the options>';
  }
  return copy;
}

/** Removes the documented differences from VectorDbFunction's template. */
function normalised(template: any): any {
  const copy = JSON.parse(JSON.stringify(template));
  for (const resource of Object.values<any>(copy.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties;
    expect(p.Layers?.[0]).toBe(ARN);
    p.Layers.splice(0, 1);
    if (p.Layers.length === 0) delete p.Layers;
    const vars = p.Environment?.Variables;
    expect(vars).toEqual(expect.objectContaining({ VECTORDB_URI: '/tmp/vectordb', VECTORDB_ACCESS: 'APPEND', VECTORDB_SDK: expect.any(String) }));
    delete vars.VECTORDB_URI;
    delete vars.VECTORDB_ACCESS;
    delete vars.VECTORDB_SDK;
    if (Object.keys(vars).length === 0) delete p.Environment.Variables;
    if (Object.keys(p.Environment).length === 0) delete p.Environment;
  }
  return copy;
}

function compare(c: Case): { nodejs: Synth; vectordb: Synth } {
  const vectordb = synth('vectordb', c);
  const node = synth('nodejs', c, vectordb.runtime);
  if (c.hashesBundlingOptions) {
    expect(withoutS3Key(normalised(vectordb.template))).toEqual(withoutS3Key(node.template));
  } else {
    expect(normalised(vectordb.template)).toEqual(node.template);
  }
  const extra = (c.extraWarnings ?? []).map((id) => vectordb.warnings.filter((w) => w.includes(`[ack: ${id}]`)));
  for (const found of extra) expect(found).toHaveLength(1);
  expect(vectordb.warnings.filter((w) => !extra.flat().includes(w))).toEqual(node.warnings);
  expect(vectordb.bundle).toEqual(node.bundle);
  return { nodejs: node, vectordb };
}

const handlerTs = path.join(DIFF, 'handler.ts');

describe('entry styles', () => {
  test.each([
    ['.ts', 'handler.ts'],
    ['.js', 'plain.js'],
    ['.mjs', 'esm.mjs'],
    ['.mts (top-level await, ESM output)', 'esm.mts'],
    ['.cts', 'cts.cts'],
    ['.cjs', 'cjs.cjs'],
  ])('explicit %s entry', (_, file) => {
    const esm = /\.m[jt]s$/.test(file) && file !== 'esm.mjs';
    const bundling = esm ? { format: nodejs.OutputFormat.ESM } : undefined;
    const { vectordb } = compare({ props: () => ({ entry: path.join(DIFF, file), bundling }) });
    expect(vectordb.bundle?.length).toBeGreaterThan(0);
  });

  test('a relative entry, resolved against the current folder', () => {
    compare({ props: () => ({ entry: path.relative(process.cwd(), handlerTs) }) });
  });

  test.each([
    ['api', '.ts', 'api.ts'],
    ['js-api', '.js', 'js-api.js'],
    ['mjs-api', '.mjs', 'mjs-api.mjs'],
    ['mts-api', '.mts', 'mts-api.mts'],
    ['cts-api', '.cts', 'cts-api.cts'],
    ['cjs-api', '.cjs', 'cjs-api.cjs'],
    ['both', '.ts before .js', 'both.ts'],
  ])('no entry: %s is found beside the calling file (%s)', (id, _, marker) => {
    const { vectordb } = compare({ id, props: () => ({}), make: { nodejs: beside.nodejsFunction, vectordb: beside.vectorDbFunction } });
    expect(bundledCode(vectordb)).toContain(marker);
  });

  test('no entry, a subclass: found beside the file that defines the subclass', () => {
    compare({
      id: 'SearchFn',
      props: () => ({}),
      make: { nodejs: (s, id, p) => new beside.NodejsSearchFunction(s, id, p), vectordb: (s, id, p) => new beside.SearchFunction(s, id, p) },
    });
  });
});

describe('handler names and prebuilt code', () => {
  test.each([['main'], ['index.main'], ['custom.main']])('handler %s', (handler) => {
    const { vectordb } = compare({ props: () => ({ entry: handlerTs, handler }) });
    expect(vectordb.template.Resources[Object.keys(vectordb.template.Resources).find((k) => vectordb.template.Resources[k].Type === 'AWS::Lambda::Function')!].Properties.Handler)
      .toBe(handler.includes('.') ? handler : `index.${handler}`);
  });

  test('code from an asset folder, with handler (no bundling)', () => {
    compare({ props: () => ({ code: lambda.Code.fromAsset(path.join(DIFF, 'asset')), handler: 'index.handler' }) });
  });

  test('inline code, with handler', () => {
    compare({ props: () => ({ code: lambda.Code.fromInline('exports.handler = async () => 1;'), handler: 'index.handler' }) });
  });
});

describe('lock files and project roots', () => {
  test('depsLockFilePath of an app, with a handler that imports its SDK', () => {
    compare({
      layer: { version: '0.4.2' },
      importsSdk: true,
      props: () => ({ entry: path.join(APPS, 'vectordb-042', 'src', 'search.js'), depsLockFilePath: path.join(APPS, 'vectordb-042', 'package-lock.json') }),
    });
  });

  test('depsLockFilePath and projectRoot', () => {
    compare({
      layer: { sdk: VectorDbSdk.LANCEDB, version: '0.31.0' },
      importsSdk: true,
      props: () => ({
        entry: path.join(APPS, 'lancedb-031', 'src', 'search.mts'),
        depsLockFilePath: path.join(APPS, 'lancedb-031', 'package-lock.json'),
        projectRoot: path.join(APPS, 'lancedb-031'),
        bundling: { format: nodejs.OutputFormat.ESM },
      }),
    });
  });

  test('a yarn.lock (bundling skipped: no yarn here)', () => {
    compare({
      layer: { sdk: VectorDbSdk.LANCEDB, version: '0.31.0' },
      importsSdk: true,
      context: { 'aws:cdk:bundling-stacks': [] },
      props: () => ({ entry: path.join(APPS, 'yarn-classic', 'src', 'search.mts'), depsLockFilePath: path.join(APPS, 'yarn-classic', 'yarn.lock') }),
    });
  });

  test('a tsconfig with path aliases (bundling.tsconfig)', () => {
    compare({
      layer: { sdk: VectorDbSdk.LANCEDB, version: '0.31.0' },
      importsSdk: true,
      props: () => ({
        entry: path.join(APPS, 'alias', 'src', 'handler.mts'),
        depsLockFilePath: path.join(APPS, 'alias', 'package-lock.json'),
        bundling: { tsconfig: path.join(APPS, 'alias', 'tsconfig.json') },
      }),
    });
  });
});

describe('function props', () => {
  test('VPC, subnets, security group', () => {
    compare({
      props: (stack) => {
        const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
        const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
        return { entry: handlerTs, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [sg] };
      },
    });
  });

  test('memory, timeout, description, tracing, environment, another layer', () => {
    compare({
      props: (stack) => ({
        entry: handlerTs,
        memorySize: 1024,
        timeout: Duration.seconds(30),
        description: 'search',
        tracing: lambda.Tracing.ACTIVE,
        environment: { TABLE: 'docs' },
        layers: [lambda.LayerVersion.fromLayerVersionArn(stack, 'Other', 'arn:aws:lambda:us-east-1:123456789012:layer:other:1')],
      }),
    });
  });

  test('an explicit runtime', () => {
    compare({ props: () => ({ entry: handlerTs, runtime: lambda.Runtime.NODEJS_22_X }) });
  });

  test('runtime NODEJS_LATEST: the AWS SDK bundled, and NodejsFunction\'s warning about externals on a variable runtime', () => {
    compare({ props: () => ({ entry: path.join(DIFF, 'plain.js'), runtime: lambda.Runtime.NODEJS_LATEST }), extraWarnings: ['@aws-cdk/aws-lambda-nodejs:variableRuntimeExternals'] });
  });

  test('arm64', () => {
    compare({ layer: { version: '0.4.2', architecture: lambda.Architecture.ARM_64 }, props: () => ({ entry: handlerTs, architecture: lambda.Architecture.ARM_64 }) });
  });
});

describe('bundling options', () => {
  const cases: Array<[string, nodejs.BundlingOptions, string]> = [
    ['minify, sourcemap (inline), no sourcesContent, keepNames', { minify: true, sourceMap: true, sourceMapMode: nodejs.SourceMapMode.INLINE, sourcesContent: false, keepNames: true }, 'handler.ts'],
    ['banner, footer, define', { banner: '/* banner */', footer: '/* footer */', define: { 'process.env.STAGE': JSON.stringify('prod') } }, 'handler.ts'],
    ['the user\'s externalModules', { externalModules: ['@aws-sdk/client-s3', 'left-pad'] }, 'handler.ts'],
    ['target, logLevel, charset, mainFields, metafile, esbuildArgs', { target: 'node20', logLevel: nodejs.LogLevel.ERROR, charset: nodejs.Charset.UTF8, mainFields: ['module', 'main'], metafile: true, esbuildArgs: { '--log-limit': '0' } }, 'handler.ts'],
    ['assetHash', { assetHash: 'my-custom-hash-1' }, 'handler.ts'],
    ['bundleAwsSDK', { bundleAwsSDK: true }, 'plain.js'],
    ['loader', { loader: { '.txt': 'text' } }, 'text.mjs'],
    ['format ESM with a require shim banner', { format: nodejs.OutputFormat.ESM, banner: 'import { createRequire } from \'module\'; const require = createRequire(import.meta.url);' }, 'esm.mts'],
  ];
  test.each(cases)('%s', (_, bundling, file) => {
    const hashesBundlingOptions = bundling.assetHash !== undefined || bundling.metafile === true;
    compare({ props: () => ({ entry: path.join(DIFF, file), bundling }), hashesBundlingOptions });
  });

  test('commandHooks', () => {
    const hooks: nodejs.ICommandHooks = {
      beforeBundling: (_i, out) => [`echo before > "${out}/before.txt"`],
      beforeInstall: () => [],
      afterBundling: (i, out) => [`cp "${i}/src/pad.js" "${out}/copied.js"`],
    };
    const app = path.join(APPS, 'node-modules');
    const { vectordb } = compare({ props: () => ({ entry: path.join(app, 'src', 'pad.js'), depsLockFilePath: path.join(app, 'package-lock.json'), bundling: { commandHooks: hooks, externalModules: ['left-pad'] } }) });
    expect(vectordb.bundle?.map((l) => l.split(' ')[0])).toEqual(['before.txt', 'copied.js', 'index.js']);
  });

  test('nodeModules installs a dependency into the function (npm ci)', () => {
    const app = path.join(APPS, 'node-modules');
    const { vectordb } = compare({ props: () => ({ entry: path.join(app, 'src', 'pad.js'), depsLockFilePath: path.join(app, 'package-lock.json'), bundling: { nodeModules: ['left-pad'] } }) });
    expect(vectordb.bundle?.some((l) => l.startsWith('node_modules/left-pad/index.js'))).toBe(true);
  });

  test('a handler importing the SDK and apache-arrow, with the smithy feature flag', () => {
    compare({
      layer: { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' },
      importsSdk: true,
      context: { [cxapi.LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES]: true },
      props: () => ({ entry: path.join(DIFF, 'sdk-handler.ts') }),
    });
  });

  test('an ESM handler importing the SDK with top-level await', () => {
    compare({ importsSdk: true, props: () => ({ entry: path.join(DIFF, 'esm-sdk.mjs'), bundling: { format: nodejs.OutputFormat.ESM } }) });
  });

  test('forceDockerBundling (CDK_DOCKER: a stub that runs the container\'s bash script on the host)', () => {
    const { executable, calls } = dockerStub({ path: `${path.join(process.cwd(), 'node_modules', '.bin')}:${process.env.PATH}` });
    const before = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = executable;
    try {
      const { vectordb } = compare({ props: () => ({ entry: handlerTs, bundling: { forceDockerBundling: true, dockerImage: DockerImage.fromRegistry('bundler:local') } }) });
      expect(vectordb.bundle?.length).toBe(1);
    } finally {
      if (before === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = before;
    }
    const runs = calls().filter((a) => Array.isArray(a) && a[0] === 'run');
    expect(runs).toHaveLength(2);
    expect(runs[0]).toContain('bundler:local');
  });
});

describe('the documented differences themselves', () => {
  test('the default runtime: NodejsFunction\'s default vs the newest runtime the layer can run on', () => {
    const c: Case = { props: () => ({ entry: path.join(DIFF, 'plain.js') }) };
    const vectordb = synth('vectordb', c);
    const { stack, app } = appAt(tempDir('diff-default'));
    const fn = new nodejs.NodejsFunction(stack, 'Fn', { entry: path.join(DIFF, 'plain.js') });
    app.synth();
    // vectordb 0.21.2: glibc 2.28, so Amazon Linux 2023 runtimes; the newest this aws-cdk-lib knows.
    expect(vectordb.runtime.name).toBe('nodejs24.x');
    // NodejsFunction: NODEJS_16_X unless the feature flag asks for NODEJS_LATEST.
    expect(fn.runtime.name).toBe(lambda.Runtime.NODEJS_16_X.name);
  });

  test('the added externals: a handler importing the SDK synthesizes; through NodejsFunction\'s default externals it does not', () => {
    const c: Case = { layer: { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }, props: () => ({ entry: path.join(DIFF, 'sdk-handler.ts') }) };
    const vectordb = synth('vectordb', c);
    expect(bundledCode(vectordb)).toMatch(/require\("@lancedb\/lancedb"\)/);
    expect(bundledCode(vectordb)).toMatch(/require\("apache-arrow"\)/);
    // The SDK is not installed here: esbuild stops with `Could not resolve "@lancedb/lancedb"`.
    expect(() => synth('nodejs', c, vectordb.runtime)).toThrow(/Failed to bundle asset/);
  });
});
