/**
 * The library from a non-JavaScript host: the packed package driven through
 * the jsii kernel exactly as the Python, Java, .NET and Go runtimes drive it
 * (the kernel bundled in `@jsii/runtime`, at the version jsii-pacmak's
 * generated packages require, spoken to over stdin/stdout, with `JSII_AGENT`
 * set as Python's runtime sets it), aws-cdk-lib's and constructs' tarballs
 * loaded first. A Python app's setup, as NodejsFunction asks of one: a lock
 * file beside the handler, esbuild on PATH (not installed beside aws-cdk-lib,
 * which lives in the kernel's temp folder).
 * Slow tier: a real layer build (or the layer cache) and a real esbuild bundle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { VectorDatabase, VectorDbFunction, VectorDbLayer } from '../../src';
import { tempDir } from '../support/files';
import { Assembly, JsiiKernel, KernelError, ObjRef, packInstalledAssemblies, packThisPackage, struct } from '../support/jsii-kernel';
import { REPO_DIR } from '../support/platforms';

/** What Python's jsii runtime sets (`Python/<platform.python_version()>`). */
const AGENT = 'Python/3.11.2';

const appDir = tempDir('jsii-app');
const tarballs = tempDir('jsii-tgz');
const outdir = path.join(appDir, 'cdk.out');
const entry = path.join(appDir, 'search.js');
const lockFile = path.join(appDir, 'package-lock.json');

let kernel: JsiiKernel;
let assemblies: Assembly[];
const timings: Record<string, number> = {};
/** What a Python user reads after `RuntimeError: `, for the log. */
const seen: string[] = [];

async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - start;
  }
}

/** The kernel's error for `fn`, which must fail. */
async function kernelError(fn: () => Promise<unknown>): Promise<KernelError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof KernelError) {
      seen.push(e.message);
      return e;
    }
    throw e;
  }
  throw new Error('expected the kernel to answer with an error');
}

beforeAll(async () => {
  // A Python CDK app's folder: the handler, and the lock file NodejsFunction needs.
  fs.writeFileSync(entry, [
    "const vectordb = require('vectordb');",
    'exports.handler = async () => (await vectordb.connect(process.env.VECTORDB_URI)).tableNames();',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'py-app', version: '1.0.0', private: true }));
  fs.writeFileSync(lockFile, JSON.stringify({
    name: 'py-app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'py-app', version: '1.0.0' } },
  }));

  assemblies = await timed('pack', () => [
    ...packInstalledAssemblies('aws-cdk-lib', tarballs),
    packThisPackage(tarballs),
  ]);
  kernel = await timed('start', () => JsiiKernel.start({
    cwd: appDir,
    env: {
      ...process.env,
      JSII_AGENT: AGENT,
      // esbuild for NodejsFunction, as a Python user puts it on PATH.
      PATH: `${path.join(REPO_DIR, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`,
      // Each package extracted into the kernel's own temp folder, as on a first run, not
      // through the package cache in ~/.cache (measured: 4.5 s less CPU for the loads).
      JSII_RUNTIME_PACKAGE_CACHE: 'disabled',
    },
  }));
  await timed('load', async () => {
    for (const a of assemblies) await kernel.load(a);
  });
}, 5 * 60 * 1000);

afterAll(async () => {
  await kernel?.close();
  // eslint-disable-next-line no-console
  console.log([
    `jsii kernel timings (ms): ${JSON.stringify(timings)}`,
    ...(kernel?.transcript.slice(0, 4) ?? []),
    ...seen.map((m) => `RuntimeError: ${m}`),
  ].join('\n'));
});

test('the kernel says hello, and loads aws-cdk-lib, constructs and this package from their tarballs', () => {
  expect(kernel.hello).toEqual({ hello: expect.stringMatching(/^@jsii\/runtime@\d+\.\d+\.\d+$/) });
  expect(assemblies.map((a) => a.name)).toEqual(expect.arrayContaining(['constructs', 'aws-cdk-lib', 'cdk-vectordb-layer']));
  expect(assemblies.map((a) => a.name).pop()).toBe('cdk-vectordb-layer');
  expect(assemblies.map((a) => a.name).indexOf('constructs')).toBeLessThan(assemblies.map((a) => a.name).indexOf('aws-cdk-lib'));
});

describe('an app synthesized through the kernel', () => {
  let template: Template;
  let layerVersion: unknown;

  beforeAll(async () => {
    await timed('synth', async () => {
      const app = await kernel.create('aws-cdk-lib.App', [struct('aws-cdk-lib.AppProps', { outdir })]);
      const stack = await kernel.create('aws-cdk-lib.Stack', [app, 'Py']);
      const layer = await kernel.create('cdk-vectordb-layer.VectorDbLayer', [stack, 'Layer']);
      layerVersion = await kernel.get(layer, 'version');
      const bucket = await kernel.create('aws-cdk-lib.aws_s3.Bucket', [stack, 'Data']);
      const database = await kernel.sinvoke('cdk-vectordb-layer.VectorDatabase', 's3', [bucket]);
      await kernel.create('cdk-vectordb-layer.VectorDbFunction', [stack, 'Search', struct('cdk-vectordb-layer.VectorDbFunctionProps', {
        entry,
        depsLockFilePath: lockFile,
        layer,
        database,
      })]);
      await kernel.invoke(app, 'synth');
    });
    template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, 'Py.template.json'), 'utf-8')));
  }, 10 * 60 * 1000);

  test('the layer is the default vectordb layer, and the function bundled from the entry carries it', () => {
    expect(layerVersion).toBe('0.21.2');
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    const [layerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Layers: [{ Ref: layerId }],
      Environment: { Variables: Match.objectLike({ VECTORDB_URI: Match.anyValue(), VECTORDB_SDK: 'vectordb' }) },
    });
    // The bundle esbuild made from the entry, with the SDK left to the layer.
    const bundles = fs.readdirSync(outdir).map((d) => path.join(outdir, d, 'index.js')).filter((f) => fs.existsSync(f));
    expect(bundles).toHaveLength(1);
    const bundle = fs.readFileSync(bundles[0], 'utf-8');
    expect(bundle).toContain('require("vectordb")');
    expect(bundle).toContain('tableNames');
  });

  test('VECTORDB_URI names the bucket, and the function may read and write it', () => {
    const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket'));
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))
      .find((r) => r.Properties.Environment?.Variables?.VECTORDB_URI);
    expect(JSON.stringify(fn!.Properties.Environment.Variables.VECTORDB_URI)).toContain(`{"Ref":"${bucketId}"}`);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const onBucket = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${bucketId}"`));
    const actions = onBucket.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:ListBucket']));
  });

  test('the template is the one the same app synthesizes in JavaScript', () => {
    // A JavaScript app has esbuild installed (NodejsFunction runs it with npx from the project).
    fs.symlinkSync(path.join(REPO_DIR, 'node_modules'), path.join(appDir, 'node_modules'));
    AssetStaging.clearAssetHashCache();
    const app = new App({ outdir: path.join(appDir, 'cdk.js') });
    const stack = new Stack(app, 'Py');
    const layer = new VectorDbLayer(stack, 'Layer');
    const bucket = new s3.Bucket(stack, 'Data');
    new VectorDbFunction(stack, 'Search', { entry, depsLockFilePath: lockFile, layer, database: VectorDatabase.s3(bucket) });
    expect(template.toJSON()).toEqual(Template.fromStack(stack).toJSON());
  });
});

describe('errors a Python user sees', () => {
  let stack: ObjRef;

  beforeAll(async () => {
    const app = await kernel.create('aws-cdk-lib.App', [struct('aws-cdk-lib.AppProps', { outdir: path.join(appDir, 'cdk.err') })]);
    stack = await kernel.create('aws-cdk-lib.Stack', [app, 'Py']);
  });

  test('a bad prop comes back through the kernel with the message JavaScript gets', async () => {
    const e = await kernelError(() => kernel.create('cdk-vectordb-layer.VectorDbLayer', [stack, 'Bad', struct('cdk-vectordb-layer.VectorDbLayerProps', { version: 'latest' })]));
    let direct: Error | undefined;
    try {
      new VectorDbLayer(new Stack(new App(), 'Py'), 'Bad', { version: 'latest' });
    } catch (err) {
      direct = err as Error;
    }
    expect(direct?.message).toMatch(/^Py\/Bad: version /);
    expect(e.message).toBe(direct!.message);
    // The error's own name: Python raises RuntimeError(<message>) for anything but a jsii fault.
    expect(e.errorName).toBe('VectorDbConfigError');
  });

  test('a function without entry names entry, the host and the app\'s folder, never the kernel\'s', async () => {
    const e = await kernelError(() => kernel.create('cdk-vectordb-layer.VectorDbFunction', [stack, 'Ingest', struct('cdk-vectordb-layer.VectorDbFunctionProps', {
      depsLockFilePath: lockFile,
    })]));
    expect(e.message).toMatch(/^Py\/Ingest: entry is not set, and is required from a Python\/3\.11\.2 app: /);
    expect(e.message).toContain(AGENT);
    expect(e.message).toContain(appDir);
    // Nothing of the kernel's own files: its bundle (program.js), the temp folder it extracts packages to.
    expect(e.message).not.toMatch(/jsii-kernel-|jsii-runtime|program\.|webpack/);
    expect(e.message.startsWith('Py/Ingest: entry is not set')).toBe(true);
  });
});

test('the kernel ends when asked, as the runtimes end it', async () => {
  expect(await kernel.close()).toBe(0);
});
