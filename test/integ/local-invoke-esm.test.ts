/**
 * ES module handlers in the local invoker, as on Lambda's Node.js 18+ runtimes:
 * `import` of a bare specifier searches NODE_PATH (the layer) after the
 * node_modules lookup from the importing file failed, and only then; the
 * Node.js flags Lambda sets are set. Real layers for both SDKs, real esbuild
 * ESM bundles (.mts entries with top-level await), the real invoker.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../../src';
import { localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { available, hostArch, nodeBinary } from '../support/platforms';
import { appAt, FIXTURES } from '../support/synth';

const ESM = path.join(FIXTURES, 'handlers', 'esm');

/** Writes files (path relative to `dir` -> content). */
function writeTree(dir: string, files: Record<string, string>): string {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const pkg = (name: string, fields: Record<string, unknown>) => JSON.stringify({ name, version: '1.0.0', ...fields });

/** A layer for the resolution probe: the same names in several NODE_PATH entries, an exports map, a loose file. */
const PROBE_LAYER = {
  'nodejs/node_modules/esm-only/package.json': pkg('esm-only', { exports: { '.': { import: './import.mjs', require: './require.cjs' }, './feature': { import: './feature.mjs' } } }),
  'nodejs/node_modules/esm-only/import.mjs': "export default 'import condition';\n",
  'nodejs/node_modules/esm-only/require.cjs': "module.exports = 'require condition';\n",
  'nodejs/node_modules/esm-only/feature.mjs': "export default 'exported subpath';\n",
  'nodejs/node_modules/esm-only/secret.mjs': "export default 'not exported';\n",
  'nodejs/node_modules/shadowed/package.json': pkg('shadowed', { exports: './index.mjs' }),
  'nodejs/node_modules/shadowed/index.mjs': "export default 'layer';\n",
  'nodejs/node_modules/ordered/package.json': pkg('ordered', { main: 'index.mjs' }),
  'nodejs/node_modules/ordered/index.mjs': "export default 'nodejs/node_modules';\n",
  'nodejs/node20/node_modules/ordered/package.json': pkg('ordered', { main: 'index.mjs' }),
  'nodejs/node20/node_modules/ordered/index.mjs': "export default 'nodejs/node20/node_modules';\n",
  'nodejs/node22/node_modules/ordered/package.json': pkg('ordered', { main: 'index.mjs' }),
  'nodejs/node22/node_modules/ordered/index.mjs': "export default 'nodejs/node22/node_modules';\n",
  'nodejs/node_modules/only-in-layer.mjs': "export default 'a file in the layer';\n",
};

/** The probe's task: its own node_modules (shadowing the layer), a package folder at the task root, ES files. */
const PROBE_TASK = {
  'index.mjs': fs.readFileSync(path.join(ESM, 'resolution-probe.mjs'), 'utf-8'),
  'esm-lib.mjs': "export default 'an ES module loaded by require';\n",
  'esm-syntax.js': "export default 'detected as an ES module';\n",
  'node_modules/shadowed/package.json': pkg('shadowed', { exports: './index.mjs' }),
  'node_modules/shadowed/index.mjs': "export default 'task node_modules';\n",
  'taskpkg/package.json': pkg('taskpkg', { main: 'main.mjs' }),
  'taskpkg/main.mjs': "export default 'task root';\n",
};

/** What the probe finds on every Node.js: only the flags' cases differ by runtime. */
const RESOLVED = {
  layerPackage: 'import condition',
  layerSubpath: 'exported subpath',
  notExported: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  shadowed: 'task node_modules',
  taskPackage: 'task root',
  relative: 'ERR_MODULE_NOT_FOUND',
  absolute: 'ERR_MODULE_NOT_FOUND',
  missing: 'ERR_MODULE_NOT_FOUND',
};

describe('ES module handlers resolve imports through NODE_PATH, as on Lambda', () => {
  const outdir = tempDir('invoke-esm');

  beforeAll(() => {
    const { app, stack } = appAt(outdir);
    const probeLayer = new lambda.LayerVersion(stack, 'ProbeLayer', { code: lambda.Code.fromAsset(writeTree(tempDir('probe-layer'), PROBE_LAYER)) });
    const probeCode = lambda.Code.fromAsset(writeTree(tempDir('probe-task'), PROBE_TASK));
    const probe = (id: string, runtime: lambda.Runtime, environment?: Record<string, string>) =>
      new lambda.Function(stack, id, { code: probeCode, handler: 'index.handler', runtime, layers: [probeLayer], environment });
    probe('Probe20', lambda.Runtime.NODEJS_20_X);
    probe('Probe22', lambda.Runtime.NODEJS_22_X);
    probe('Probe22RequireModule', lambda.Runtime.NODEJS_22_X, { NODE_OPTIONS: '--experimental-require-module' });

    const esm = { format: OutputFormat.ESM };
    new VectorDbFunction(stack, 'EsmLancedb', {
      entry: path.join(ESM, 'esm-lancedb.mts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      layer: new VectorDbLayer(stack, 'Lancedb', { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }),
      bundling: esm,
    });
    // No bundling.format: the top-level await makes it an ES module bundle (NodejsFunction's CommonJS cannot hold it).
    new VectorDbFunction(stack, 'TlaNoFormat', {
      entry: path.join(ESM, 'tla-no-format.mts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      layer: stack.node.findChild('Lancedb') as VectorDbLayer,
    });
    new VectorDbFunction(stack, 'EsmVectordb', {
      entry: path.join(ESM, 'esm-vectordb.mts'),
      runtime: lambda.Runtime.NODEJS_20_X,
      layer: new VectorDbLayer(stack, 'Vectordb', { sdk: VectorDbSdk.VECTORDB, version: '0.21.2' }),
      bundling: esm,
    });
    app.synth();
  });

  test.each([
    ['@lancedb/lancedb 0.39.0', 'Stack/EsmLancedb'],
    ['vectordb 0.21.2', 'Stack/EsmVectordb'],
  ])('an OutputFormat.ESM handler (.mts, top-level await) imports %s from its layer', async (_, functionId) => {
    const r = await localInvoke({ cdkOut: outdir, functionId, events: [{}, { query: [10.1, 5.05, 1] }], timeoutSeconds: 30 });
    expect(r.error).toBeUndefined();
    expect(r.invocations.map((i) => (i.result as { ids: number[] }).ids)).toEqual([[42, 43, 41], [10, 11, 9]]);
    expect((r.result as { module: string }).module).toMatch(/^file:\/\/.*\/task\/index\.mjs$/);
    process.stderr.write(`[local-invoke-esm] ${functionId}: init ${r.initMs} ms (SDK import + connect + create), first invoke ${r.invokeMs[0]} ms\n`);
  });

  test('a handler with top-level await and no bundling.format runs, its bundled CommonJS file\'s require included', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/TlaNoFormat', events: [{ query: [10.1, 5.05, 1] }], timeoutSeconds: 30 });
    expect(r.error).toBeUndefined();
    // os.tmpdir() in the bundled CommonJS file: Lambda's /tmp, or the environment's own folder where this host cannot isolate.
    const tmp = r.isolation.mode === 'namespace' ? '/tmp' : r.isolation.tmpdir;
    expect(r.result).toEqual({ ids: [10, 11, 9], module: expect.stringMatching(/^file:\/\/.*\/task\/index\.mjs$/), tmp });
  });

  test('plain Node.js (no hook) cannot import the SDK from NODE_PATH, though require finds it there', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/EsmLancedb', keepLayout: true, timeoutSeconds: 30 });
    try {
      expect(r.error).toBeUndefined();
      const root = r.layoutDir!;
      const env = { PATH: process.env.PATH ?? '', NODE_PATH: path.join(root, 'opt', 'nodejs', 'node_modules') };
      const plain = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(path.join(root, 'task', 'index.mjs'))})`], { env, encoding: 'utf-8' });
      expect(plain.status).not.toBe(0);
      expect(plain.stderr).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find package '@lancedb\/lancedb' imported from .*\/task\/index\.mjs/);
      const required = spawnSync(process.execPath, ['-p', "require.resolve('@lancedb/lancedb')"], { env, cwd: path.join(root, 'task'), encoding: 'utf-8' });
      expect(required.stdout.trim()).toBe(path.join(root, 'opt', 'nodejs', 'node_modules', '@lancedb', 'lancedb', 'dist', 'index.js'));
    } finally {
      if (r.layoutDir) fs.rmSync(r.layoutDir, { recursive: true, force: true });
    }
  });

  test('only bare specifiers, only after node_modules, NODE_PATH in order, the package\'s exports and import condition', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe20' });
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({
      ...RESOLVED,
      // /opt/nodejs/node20/node_modules comes before /opt/nodejs/node_modules on nodejs20.x
      ordered: 'nodejs/node20/node_modules',
    });
  });

  test('Lambda\'s Node.js flags: require(esm) off on nodejs20.x and 22.x, module detection off on 22.x, unless NODE_OPTIONS turns one back on', async () => {
    const results = [];
    for (const id of ['Probe20', 'Probe22', 'Probe22RequireModule']) results.push(await localInvoke({ cdkOut: outdir, functionId: `Stack/${id}` }));
    const [p20, p22, back] = results;
    expect(p20.result).toMatchObject({ execArgv: ['--no-experimental-require-module'], requireEsm: 'ERR_REQUIRE_ESM' });
    expect(p22.result).toMatchObject({
      ...RESOLVED,
      ordered: 'nodejs/node22/node_modules',
      execArgv: ['--no-experimental-require-module', '--no-experimental-detect-module'],
      requireEsm: 'ERR_REQUIRE_ESM',
      detectModule: 'SyntaxError',
    });
    expect(back.result).toMatchObject({ execArgv: ['--no-experimental-detect-module'], requireEsm: 'loaded' });
  });

  test('the same resolution on each runtime\'s own Node.js: module.register (18, 20) and module.registerHooks (22, 24)', async () => {
    const arch = hostArch();
    if (!arch || !available('node-majors')) return;
    for (const major of [18, 20, 22, 24]) {
      const node = nodeBinary(major, arch);
      const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe20', node });
      expect([major, r.nodeVersion.split('.')[0], r.error]).toEqual([major, String(major), undefined]);
      expect([major, r.result]).toEqual([major, expect.objectContaining({ ...RESOLVED, ordered: 'nodejs/node20/node_modules' })]);
    }
  });
});
