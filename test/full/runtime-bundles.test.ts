/**
 * The runtime helper (`cdk-vectordb-layer/lib/runtime`) as users get it: the
 * TypeScript compiled as the package ships it, bundled by real esbuild into
 * CommonJS and ES module handlers, run by the local invoker on real layers of
 * both SDKs. The README's snippets are examples/readme/*; they run here as
 * they are, and give the same rows on either SDK.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as ts from 'typescript';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../../src';
import { InvokeResult, localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { available, hostArch, nodeBinary } from '../support/platforms';
import { appAt, FIXTURES } from '../support/synth';

const ROOT = path.join(__dirname, '..', '..');
const README = path.join(ROOT, 'examples', 'readme');
const HANDLERS = path.join(FIXTURES, 'handlers');

/**
 * A user's project: the handlers and node_modules/cdk-vectordb-layer with
 * lib/runtime compiled from src/runtime as the package ships it. Inside this
 * repository (.tmp/, ignored by git), whose esbuild bundles it.
 */
function userProject(): string {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'runtime-app-'));
  const pkg = path.join(dir, 'node_modules', 'cdk-vectordb-layer');
  fs.mkdirSync(pkg, { recursive: true });
  // The entry points as the package declares them (cdk-vectordb-layer/runtime among them).
  const { exports, typesVersions } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf-8'));
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'cdk-vectordb-layer', version: '0.0.0', main: 'lib/index.js', types: 'lib/index.d.ts', exports, typesVersions }));
  // The project's own compiler options (tsconfig.json: module node16, so import() stays a real import in CommonJS).
  const { config } = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const program = ts.createProgram([path.join(ROOT, 'src', 'runtime', 'index.ts')], {
    ...options, rootDir: path.join(ROOT, 'src'), outDir: path.join(pkg, 'lib'), inlineSourceMap: false, inlineSources: false, noEmitOnError: true,
  });
  const emitted = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (problems.length > 0 || emitted.emitSkipped) throw new Error(`compiling src/runtime: ${ts.formatDiagnostics(problems, ts.createCompilerHost({}))}`);
  for (const file of ['search.js', 'search.mts']) fs.copyFileSync(path.join(README, file), path.join(dir, file));
  fs.copyFileSync(path.join(HANDLERS, 'either-sdk.mts'), path.join(dir, 'either-sdk.mts'));
  return dir;
}

/** Type-checks a TypeScript handler against the compiled package's declarations, as esbuild users do (moduleResolution bundler). */
function typeCheck(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const SDKS = [
  ['vectordb', VectorDbSdk.VECTORDB, '0.21.2', lambda.Runtime.NODEJS_20_X],
  ['lancedb', VectorDbSdk.LANCEDB, '0.39.0', lambda.Runtime.NODEJS_22_X],
] as const;
const FORMATS = [['Cjs', OutputFormat.CJS], ['Esm', OutputFormat.ESM]] as const;

const ok = (r: InvokeResult) => {
  if (r.error) throw new Error(`${r.function.path}: ${r.error.errorType}: ${r.error.errorMessage}\n${r.logs.slice(-3000)}`);
  return r;
};

describe('the runtime helper from CommonJS and ES module bundles, on either SDK', () => {
  const outdir = tempDir('runtime-bundles');
  let app: string;

  afterAll(() => {
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  beforeAll(() => {
    app = userProject();
    const made = appAt(outdir);
    const stack = made.stack;
    for (const [name, sdk, version, runtime] of SDKS) {
      const layer = new VectorDbLayer(stack, `Layer-${name}`, { sdk, version });
      for (const [format, outputFormat] of FORMATS) {
        const bundling = { format: outputFormat };
        const readme = format === 'Cjs' ? 'search.js' : 'search.mts';
        new VectorDbFunction(stack, `Readme${format}-${name}`, { entry: path.join(app, readme), layer, runtime, bundling });
        new VectorDbFunction(stack, `Either${format}-${name}`, { entry: path.join(app, 'either-sdk.mts'), layer, runtime, bundling });
      }
    }
    // The helper in a function with no layer at all.
    new NodejsFunction(stack, 'NoLayer', { entry: path.join(app, 'search.js'), runtime: lambda.Runtime.NODEJS_20_X });
    made.app.synth();
  });

  test('the README\'s TypeScript snippet type-checks against the package\'s declarations', () => {
    expect(typeCheck(path.join(app, 'search.mts'))).toEqual([]);
  });

  test('the README snippets (CommonJS and ES module) give the same rows on vectordb and @lancedb/lancedb', async () => {
    const answers: Record<string, unknown> = {};
    for (const [name] of SDKS) {
      for (const [format] of FORMATS) {
        const r = ok(await localInvoke({ cdkOut: outdir, functionId: `Stack/Readme${format}-${name}`, event: { vector: [1, 0, 0] }, timeoutSeconds: 30 }));
        answers[`${format} ${name}`] = r.result;
        process.stderr.write(`[runtime-bundles] README ${format} on ${name}: init ${r.initMs} ms, first invoke ${r.invokeMs[0]} ms\n`);
      }
    }
    const expected = answers['Cjs vectordb'];
    // The filter comes before the search on both SDKs: the two nearest FAQ entries, not the nearest two rows filtered.
    expect(expected).toEqual([
      { id: 4, vector: [0.2, 0.2, 0.9].map(Math.fround), kind: 'faq', text: 'Which SDK does my handler get?', _distance: expect.closeTo(1.49, 5) },
      { id: 3, vector: [0.1, 0.9, 0.1].map(Math.fround), kind: 'faq', text: 'How do I attach the layer?', _distance: expect.closeTo(1.63, 5) },
    ]);
    for (const [key, answer] of Object.entries(answers)) expect([key, answer]).toEqual([key, expected]);
  });

  test('one handler, either SDK: the same plain rows (no Arrow rows, no typed arrays), from either bundle format', async () => {
    const event = { vector: [20, 3, 1.5], limit: 4, filter: "label = 'three' AND score > 1" };
    const answers: Record<string, any> = {};
    for (const [name] of SDKS) {
      for (const [format] of FORMATS) {
        const r = ok(await localInvoke({ cdkOut: outdir, functionId: `Stack/Either${format}-${name}`, events: [event, event], timeoutSeconds: 30 }));
        expect(r.invocations[0].result).toEqual(r.invocations[1].result);
        answers[`${format} ${name}`] = r.result;
      }
    }
    const expected = answers['Cjs vectordb'];
    expect(expected.plainObjects).toBe(true);
    expect(expected.rows.map((row: { id: number }) => row.id)).toEqual([21, 18, 24, 15]);
    expect(expected.kinds[0]).toEqual({ id: 'number', vector: 'array of number', label: 'string', even: 'boolean', score: 'number', _distance: 'number' });
    for (const [key, answer] of Object.entries(answers)) expect([key, answer]).toEqual([key, expected]);
  });

  test('without process.getBuiltinModule (Node.js < 20.16 / 22.3, nodejs18.x) both bundle formats still load the SDK', async () => {
    const env = { NODE_OPTIONS: `--require ${path.join(HANDLERS, 'no-get-builtin-module.cjs')}` };
    for (const format of ['Cjs', 'Esm']) {
      const r = ok(await localInvoke({ cdkOut: outdir, functionId: `Stack/Readme${format}-vectordb`, event: { vector: [1, 0, 0] }, env, timeoutSeconds: 30 }));
      expect([format, (r.result as Array<{ id: number }>).map((row) => row.id)]).toEqual([format, [4, 3]]);
    }
  });

  test('on Node.js 18 itself, when its build is cached: both bundle formats', async () => {
    const arch = hostArch();
    if (!arch || !available('node-majors')) return;
    const node = nodeBinary(18, arch);
    for (const format of ['Cjs', 'Esm']) {
      const r = ok(await localInvoke({ cdkOut: outdir, functionId: `Stack/Readme${format}-vectordb`, event: { vector: [1, 0, 0] }, node, timeoutSeconds: 30 }));
      expect([format, r.nodeVersion.split('.')[0], (r.result as Array<{ id: number }>).map((row) => row.id)]).toEqual([format, '18', [4, 3]]);
    }
  });

  test('measure (MEASURE_RUNS=n): init and first invoke of the same handler as CommonJS and as ES module, and the namespace setup', async () => {
    const runs = Number(process.env.MEASURE_RUNS ?? 0);
    if (!(runs > 0)) {
      process.stderr.write('[runtime-bundles] measurements skipped: MEASURE_RUNS=5 npx jest --coverage=false test/runtime-bundles.test.ts -t measure\n');
      return;
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const samples: Record<string, { init: number[]; first: number[]; setup: number[]; wall: number[] }> = {};
    const event = { vector: [20, 3, 1.5], limit: 4, filter: "label = 'three' AND score > 1" };
    for (let i = 0; i < runs; i++) {
      // Formats and SDKs take turns, so that both meet the same machine.
      for (const [name] of SDKS) {
        for (const [format] of i % 2 === 0 ? FORMATS : [...FORMATS].reverse()) {
          for (const isolation of ['namespace', 'none'] as const) {
            const started = Date.now();
            const r = ok(await localInvoke({ cdkOut: outdir, functionId: `Stack/Either${format}-${name}`, event, isolation, timeoutSeconds: 30 }));
            const key = `${name} ${format} ${isolation}`;
            samples[key] ??= { init: [], first: [], setup: [], wall: [] };
            samples[key].init.push(r.initMs);
            samples[key].first.push(r.invokeMs[0]);
            samples[key].setup.push(r.isolation.setupMs);
            samples[key].wall.push(Date.now() - started);
          }
        }
      }
    }
    for (const [key, s] of Object.entries(samples)) {
      process.stderr.write(`[runtime-bundles] ${key} (median of ${runs}): init ${median(s.init).toFixed(0)} ms, first invoke ${median(s.first).toFixed(0)} ms, namespace setup ${median(s.setup).toFixed(0)} ms, whole invoke ${median(s.wall).toFixed(0)} ms\n`);
    }
  });

  test('errors say what is wrong: no layer, or the layer holds the other SDK', async () => {
    const none = await localInvoke({ cdkOut: outdir, functionId: 'Stack/NoLayer', event: { vector: [1, 0, 0] } });
    expect(none.errorPhase).toBe('invoke');
    expect(none.error!.errorMessage).toMatch(/^cdk-vectordb-layer: cannot load vectordb: it is not installed from .*\/task\/ and NODE_PATH ".*\/opt\/nodejs\/node_modules.*"; the function has no VectorDbLayer \(a layer puts it in \/opt\/nodejs\/node_modules, on NODE_PATH\): attach one/);

    const other = await localInvoke({ cdkOut: outdir, functionId: 'Stack/ReadmeEsm-vectordb', event: { vector: [1, 0, 0] }, env: { VECTORDB_SDK: '@lancedb/lancedb' } });
    expect(other.errorPhase).toBe('init');
    expect(other.error!.errorMessage).toMatch(/^cdk-vectordb-layer: cannot load @lancedb\/lancedb: it is not installed from .* but vectordb is: the function's layer holds vectordb\. Set VECTORDB_SDK to vectordb \(VectorDbFunction sets it from its layer\), or attach a VectorDbLayer with sdk @lancedb\/lancedb$/);
    expect(other.error!.errorMessage).not.toMatch(/Dynamic require/);
  });
});
