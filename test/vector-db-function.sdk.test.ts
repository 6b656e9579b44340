// The SDK follows the handler; the version follows the app. Fixture apps under
// test/fixtures/fn/apps have their own package.json and lock file (npm, yarn
// classic and berry, pnpm, bun.lock, bun.lockb); the SDK is read from what the
// handler imports (esbuild, for real). Bundling is skipped where the test is
// about the choice (the layer construct records it); one layer is built for
// real to show that Lambda gets the app's version.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { VectorDbFunction, VectorDbFunctionProps, VectorDbLayer, VectorDbSdk } from '../src';
import * as beside from './fixtures/fn/beside/stack';
import { tempDir } from './support/files';
import { searchWith } from './support/search';
import { appAt, FIXTURES, stagedLayerDir } from './support/synth';
import { appDependency } from '../src/private/function/app-dependencies';
import { detectSdkImports } from '../src/private/function/sdk-detection';

const FN = path.join(FIXTURES, 'fn');
const APPS = path.join(FN, 'apps');
const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:3';
const SKIP = { 'aws:cdk:bundling-stacks': [] };

/** A function for an app's handler, its lock file given; bundling skipped. */
function fnFor(app: string, entry: string, props: VectorDbFunctionProps = {}, lockFile = 'package-lock.json') {
  const { app: cdkApp, stack } = appAt(tempDir('sdk'), SKIP);
  const fn = new VectorDbFunction(stack, 'Fn', { entry: path.join(APPS, app, entry), depsLockFilePath: path.join(APPS, app, lockFile), ...props });
  cdkApp.synth();
  return { fn, stack, warnings: warningsOf(stack) };
}

function warningsOf(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
}

function layerOf(fn: VectorDbFunction): string {
  return `${fn.vectorDbLayer.sdk} ${fn.vectorDbLayer.version} ${fn.vectorDbLayer.architecture.name}`;
}

function errorOf(make: (stack: Stack) => void): { message: string; stack: Stack } {
  const { app, stack } = appAt(tempDir('sdkerr'), SKIP);
  try {
    make(stack);
    app.synth();
  } catch (e) {
    return { message: (e as Error).message, stack };
  }
  throw new Error('expected an error');
}

const layers = (stack: Stack) => stack.node.findAll().filter((c) => c instanceof VectorDbLayer);

describe('the SDK follows the handler', () => {
  test('a handler importing @lancedb/lancedb gets a @lancedb/lancedb layer', () => {
    const { fn, warnings } = fnFor('lancedb-031', 'src/search.mts');
    expect(layerOf(fn)).toBe('@lancedb/lancedb 0.31.0 x86_64');
    expect(warnings).toEqual([]);
  });

  test('a handler requiring vectordb gets a vectordb layer', () => {
    expect(layerOf(fnFor('vectordb-0212', 'src/search.js').fn)).toBe('vectordb 0.21.2 x86_64');
  });

  describe('a handler importing neither SDK (the runtime helper loads the layer\'s by name) gets the SDK the app depends on, with one note', () => {
    /** An app whose package.json (and lock file, when given versions) lists `deps`, with a handler that uses only the runtime helper. */
    function helperApp(deps: Record<string, string>, locked: boolean) {
      const dir = tempDir('helper-app');
      fs.mkdirSync(path.join(dir, 'src'));
      fs.writeFileSync(path.join(dir, 'src', 'search.ts'), [
        `import { connect } from ${JSON.stringify(path.resolve(__dirname, '..', 'src', 'runtime'))};`,
        'export const handler = async () => typeof connect;',
      ].join('\n'));
      const ranges = Object.fromEntries(Object.keys(deps).map((d) => [d, `^${deps[d]}`]));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'helper-app', version: '1.0.0', dependencies: ranges }));
      fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({
        name: 'helper-app',
        lockfileVersion: 3,
        packages: {
          '': { name: 'helper-app', dependencies: ranges },
          ...(locked ? Object.fromEntries(Object.entries(deps).map(([d, v]) => [`node_modules/${d}`, { version: v }])) : {}),
        },
      }));
      const { app, stack } = appAt(tempDir('sdk'), SKIP);
      const fn = new VectorDbFunction(stack, 'Fn', { entry: path.join(dir, 'src', 'search.ts'), depsLockFilePath: path.join(dir, 'package-lock.json') });
      app.synth();
      const infos = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('imports neither LanceDB SDK')).map((i) => String(i.entry.data));
      return { fn, infos, warnings: warningsOf(stack) };
    }

    test('the app\'s lock file holds only @lancedb/lancedb: a @lancedb/lancedb layer at the locked version', () => {
      const { fn, infos, warnings } = helperApp({ '@lancedb/lancedb': '0.31.0' }, true);
      expect(layerOf(fn)).toBe('@lancedb/lancedb 0.31.0 x86_64');
      expect(infos).toEqual([expect.stringContaining('so the layer holds @lancedb/lancedb, the SDK the app depends on (package-lock.json)')]);
      expect(warnings).toEqual([]);
    });

    test('only the app\'s package.json lists @lancedb/lancedb: a @lancedb/lancedb layer, the note names package.json', () => {
      const { fn, infos } = helperApp({ '@lancedb/lancedb': '0.31.0' }, false);
      expect(fn.vectorDbLayer.sdk).toBe(VectorDbSdk.LANCEDB);
      expect(infos).toEqual([expect.stringContaining('the SDK the app depends on (package.json)')]);
    });

    test('the app lists only vectordb: a vectordb layer', () => {
      const { fn, infos } = helperApp({ vectordb: '0.21.2' }, true);
      expect(layerOf(fn)).toBe('vectordb 0.21.2 x86_64');
      expect(infos).toEqual([expect.stringContaining('so the layer holds vectordb, the SDK the app depends on')]);
    });

    test('the app lists both: @lancedb/lancedb, the note names both and says sdk settles it', () => {
      const { fn, infos } = helperApp({ 'vectordb': '0.21.2', '@lancedb/lancedb': '0.31.0' }, true);
      expect(layerOf(fn)).toBe('@lancedb/lancedb 0.31.0 x86_64');
      expect(infos).toHaveLength(1);
      expect(infos[0]).toMatch(/depends on both \(@lancedb\/lancedb in package-lock.json, vectordb in package-lock.json\).*Set sdk to choose another/);
    });

    test('the app lists neither: vectordb, the default, and the note says how to choose', () => {
      const { fn, infos } = helperApp({}, true);
      expect(layerOf(fn)).toBe(`vectordb ${VectorDbSdk.VECTORDB.defaultVersion} x86_64`);
      expect(infos).toEqual([expect.stringMatching(/depends on neither, so the layer holds vectordb, the default. Set sdk to VectorDbSdk.LANCEDB/)]);
    });

    test('a handler that imports an SDK gets no such note', () => {
      const { stack } = fnFor('lancedb-031', 'src/search.mts');
      expect(Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('imports neither'))).toEqual([]);
    });
  });

  test('a handler found beside the calling file (no entry) is read too', () => {
    const { app, stack } = appAt(tempDir('sdk'), SKIP);
    const fn = beside.vectorDbFunction(stack, 'lance');
    app.synth();
    expect(fn.vectorDbLayer.sdk).toBe(VectorDbSdk.LANCEDB);
  });

  test('an import of types only (erased from the bundle) does not count', () => {
    expect(fnFor('both', 'src/types-only.mts').fn.vectorDbLayer.sdk).toBe(VectorDbSdk.LANCEDB);
  });

  test('an SDK imported through a tsconfig path alias (another module) is found', () => {
    expect(fnFor('alias', 'src/handler.mts').fn.vectorDbLayer.sdk).toBe(VectorDbSdk.LANCEDB);
  });

  test('a handler importing both SDKs is refused before any layer, naming both and the props that settle it', () => {
    const { message, stack } = errorOf((s) => new VectorDbFunction(s, 'Fn', {
      entry: path.join(APPS, 'both', 'src', 'search.mts'),
      depsLockFilePath: path.join(APPS, 'both', 'package-lock.json'),
    }));
    expect(message).toMatch(/^Stack\/Fn: sdk is not set, and the handler imports both LanceDB SDKs: .*src\/legacy\.mjs imports vectordb; .*src\/search\.mts imports @lancedb\/lancedb; a function's layer holds one SDK; set sdk to VectorDbSdk\.VECTORDB or VectorDbSdk\.LANCEDB \(or give layer\)/);
    expect(layers(stack)).toEqual([]);
  });

  test('both SDKs with sdk given: the layer holds that one, the other stays external (an optional import)', () => {
    const { app, stack } = appAt(tempDir('sdk-both'));
    const fn = new VectorDbFunction(stack, 'Fn', {
      entry: path.join(APPS, 'both', 'src', 'optional.mjs'),
      depsLockFilePath: path.join(APPS, 'both', 'package-lock.json'),
      layer: VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }),
      bundling: { format: nodejs.OutputFormat.ESM },
    });
    app.synth();
    const dir = (fn.node.findChild('Code').node.findChild('Stage') as any).absoluteStagedPath;
    const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf-8');
    expect(code).toContain('import("@lancedb/lancedb")');
    expect(code).toContain('import("vectordb")');
  });

  test('sdk that is not the SDK the handler imports is refused, naming sdk', () => {
    const { message, stack } = errorOf((s) => new VectorDbFunction(s, 'Fn', {
      entry: path.join(APPS, 'lancedb-031', 'src', 'search.mts'),
      depsLockFilePath: path.join(APPS, 'lancedb-031', 'package-lock.json'),
      sdk: VectorDbSdk.VECTORDB,
    }));
    expect(message).toMatch(/^Stack\/Fn: sdk is VectorDbSdk\.VECTORDB, but the handler imports @lancedb\/lancedb: src\/search\.mts imports @lancedb\/lancedb, which the layer does not hold: the import would fail at run time \(Cannot find module '@lancedb\/lancedb'\); set sdk to VectorDbSdk\.LANCEDB, or leave sdk out/);
    expect(layers(stack)).toEqual([]);
  });

  test('a layer that holds the other SDK is refused, naming layer', () => {
    const { message } = errorOf((s) => new VectorDbFunction(s, 'Fn', {
      entry: path.join(APPS, 'lancedb-031', 'src', 'search.mts'),
      depsLockFilePath: path.join(APPS, 'lancedb-031', 'package-lock.json'),
      layer: VectorDbLayer.fromLayerArn(s, 'L', ARN, { version: '0.21.2' }),
    }));
    expect(message).toMatch(/^Stack\/Fn: layer holds vectordb, but the handler imports @lancedb\/lancedb: .*; give a layer holding @lancedb\/lancedb/);
  });
});

describe('the version follows the app', () => {
  test.each([
    ['npm lock', 'lancedb-031', 'src/search.mts', 'package-lock.json', '@lancedb/lancedb 0.31.0'],
    ['npm lock', 'vectordb-042', 'src/search.js', 'package-lock.json', 'vectordb 0.4.2'],
    ['yarn classic, two versions locked: the one package.json asks for', 'yarn-classic', 'src/search.mts', 'yarn.lock', '@lancedb/lancedb 0.31.0'],
    ['yarn berry', 'yarn-berry', 'src/search.js', 'yarn.lock', 'vectordb 0.4.2'],
    ['pnpm v9', 'pnpm', 'src/search.mts', 'pnpm-lock.yaml', '@lancedb/lancedb 0.31.0'],
    ['bun.lock', 'bun', 'src/search.js', 'bun.lock', 'vectordb 0.4.2'],
    ['bun.lockb (binary): the exact version package.json pins', 'bun-lockb', 'src/search.mts', 'bun.lockb', '@lancedb/lancedb 0.31.0'],
    ['a workspace with its own nested copy', 'monorepo', 'packages/api/src/search.mts', 'package-lock.json', '@lancedb/lancedb 0.31.0'],
    ['a workspace using the hoisted copy', 'monorepo', 'packages/web/src/search.mts', 'package-lock.json', '@lancedb/lancedb 0.39.0'],
  ])('%s: %s', (_, app, entry, lock, expected) => {
    const { fn, warnings } = fnFor(app, entry, {}, lock);
    expect(layerOf(fn)).toBe(`${expected} x86_64`);
    expect(warnings).toEqual([]);
  });

  test('the lock file NodejsFunction finds from the current folder, as `cdk synth` in the app', () => {
    const cwd = process.cwd();
    process.chdir(path.join(APPS, 'lancedb-031'));
    try {
      const { app, stack } = appAt(tempDir('sdk'), SKIP);
      const fn = new VectorDbFunction(stack, 'Fn', { entry: 'src/search.mts' });
      app.synth();
      expect(layerOf(fn)).toBe('@lancedb/lancedb 0.31.0 x86_64');
    } finally {
      process.chdir(cwd);
    }
  });

  test('arm64 with a version that has an arm64 build: that version', () => {
    const { fn, warnings } = fnFor('lancedb-031', 'src/search.mts', { architecture: lambda.Architecture.ARM_64 });
    expect(layerOf(fn)).toBe('@lancedb/lancedb 0.31.0 arm64');
    expect(warnings).toEqual([]);
  });

  test.each([
    ['lancedb-039', 'src/search.mts', '@lancedb/lancedb 0.39.0 arm64'],
    ['vectordb-0212', 'src/search.js', 'vectordb 0.21.2 arm64'],
  ])('arm64 with a version that declares an arm64 build this library has not read (%s): that version, no warning', (app, entry, layer) => {
    // the build fetches it from the user's registry and checks it; it is never swapped for another version
    const { fn, warnings } = fnFor(app, entry, { architecture: lambda.Architecture.ARM_64 });
    expect(layerOf(fn)).toBe(layer);
    expect(warnings).toEqual([]);
  });

  test.each([
    ['vectordb-018', 'src/search.js', 'vectordb', '0.1.8', '0.4.2'],
  ])('arm64 with a version that declares no arm64 build (%s): the pinned default for arm64 and one warning naming both', (app, entry, sdk, appVersion, layerVersion) => {
    const { fn, warnings } = fnFor(app, entry, { architecture: lambda.Architecture.ARM_64 });
    expect(layerOf(fn)).toBe(`${sdk} ${layerVersion} arm64`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toBe(`package-lock.json resolves ${sdk} ${appVersion}, which has no Linux arm64 native build, so the layer holds ${sdk} ${layerVersion}: at run time the handler gets ${layerVersion}, while local tests run ${appVersion}. Move the app to a version with a Linux arm64 build (the newest is ${layerVersion}), or set architecture to Architecture.X86_64 [ack: cdk-vectordb-layer:sdk-version-mismatch]`);
  });

  test('a range in package.json that no lock file resolves, and the default outside it: the default, with a warning', () => {
    const { fn, warnings } = fnFor('range-only', 'src/search.mts');
    expect(layerOf(fn)).toBe('@lancedb/lancedb 0.39.0 x86_64');
    expect(warnings).toEqual([expect.stringMatching(/^package\.json asks for @lancedb\/lancedb \^0\.31\.0 and no lock file resolves it, so the layer holds @lancedb\/lancedb 0\.39\.0, outside that range: at run time the handler gets 0\.39\.0\./)]);
  });

  test('sdkVersion wins over the app, with a warning that says what the handler gets at run time', () => {
    const { fn, warnings } = fnFor('lancedb-031', 'src/search.mts', { sdkVersion: '0.39.0' });
    expect(layerOf(fn)).toBe('@lancedb/lancedb 0.39.0 x86_64');
    expect(warnings).toEqual(['package-lock.json resolves @lancedb/lancedb 0.31.0, but sdkVersion is \'0.39.0\': at run time the handler gets 0.39.0 (the SDK is kept out of the bundle), while local tests run 0.31.0. Remove sdkVersion (the layer then holds the app\'s 0.31.0), or move the app to @lancedb/lancedb 0.39.0 [ack: cdk-vectordb-layer:sdk-version-mismatch]']);
  });

  test('sdkVersion equal to the app\'s: no warning', () => {
    const { fn, warnings } = fnFor('lancedb-031', 'src/search.mts', { sdkVersion: '0.31.0' });
    expect(layerOf(fn)).toBe('@lancedb/lancedb 0.31.0 x86_64');
    expect(warnings).toEqual([]);
  });

  test('a layer holding the app\'s version: no warning; another version: a warning naming layer', () => {
    const same = fnFor('lancedb-031', 'src/search.mts', { layer: undefined });
    expect(same.warnings).toEqual([]);
    const { app, stack } = appAt(tempDir('sdk'), SKIP);
    new VectorDbFunction(stack, 'Fn', {
      entry: path.join(APPS, 'lancedb-031', 'src', 'search.mts'),
      depsLockFilePath: path.join(APPS, 'lancedb-031', 'package-lock.json'),
      layer: VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }),
    });
    app.synth();
    expect(warningsOf(stack)).toEqual([expect.stringMatching(/^package-lock\.json resolves @lancedb\/lancedb 0\.31\.0, but the layer given in layer holds 0\.39\.0: at run time the handler gets 0\.39\.0/)]);
  });

  test('no warning of the function asks the user to pin anything', () => {
    for (const [app, entry, arch] of [['lancedb-039', 'src/search.mts', lambda.Architecture.ARM_64], ['range-only', 'src/search.mts', undefined]] as const) {
      for (const w of fnFor(app, entry, { architecture: arch }).warnings) expect(w).not.toMatch(/\bpin/i);
    }
  });
});

describe('a handler that awaits at the top level', () => {
  const TLA = path.join(FIXTURES, 'handlers', 'esm', 'tla-no-format.mts');
  const imported = (stack: Stack) => VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' });

  test('with no bundling.format, NodejsFunction stops with esbuild\'s error; VectorDbFunction bundles an ES module with require defined, and says why', () => {
    const control = appAt(tempDir('tla-nodejs'));
    expect(() => new nodejs.NodejsFunction(control.stack, 'Fn', { entry: TLA, runtime: lambda.Runtime.NODEJS_22_X })).toThrow(/Failed to bundle asset/);

    const outdir = tempDir('tla');
    const { app, stack } = appAt(outdir);
    new VectorDbFunction(stack, 'Fn', { entry: TLA, layer: imported(stack) });
    app.synth();
    const asset = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.')).map((d) => path.join(outdir, d));
    expect(asset.map((d) => fs.readdirSync(d))).toEqual([['index.mjs']]);
    const bundle = fs.readFileSync(path.join(asset[0], 'index.mjs'), 'utf-8');
    expect(bundle.split('\n')[0]).toBe('import { createRequire as __cdkVectorDbCreateRequire } from \'node:module\'; const require = __cdkVectorDbCreateRequire(import.meta.url);');
    expect(bundle).toMatch(/^import \* as lancedb from "@lancedb\/lancedb";$/m);
    const infos = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('ES module')).map((i) => String(i.entry.data));
    expect(infos).toEqual([expect.stringMatching(/^bundled as an ES module \(index\.mjs\): .*esm\/tla-no-format\.mts:10 awaits at the top level/)]);
  });

  test('a banner of the user\'s own is kept, after require\'s on the same line', () => {
    const outdir = tempDir('tla-banner');
    const { app, stack } = appAt(outdir);
    new VectorDbFunction(stack, 'Fn', { entry: TLA, layer: imported(stack), bundling: { banner: '// mine' } });
    app.synth();
    const dir = fs.readdirSync(outdir).find((d) => d.startsWith('asset.'))!;
    expect(fs.readFileSync(path.join(outdir, dir, 'index.mjs'), 'utf-8').split('\n')[0]).toMatch(/^import \{ createRequire as __cdkVectorDbCreateRequire \} from 'node:module'; const require = __cdkVectorDbCreateRequire\(import\.meta\.url\); \/\/ mine$/);
  });

  test('an .mts handler without top-level await is bundled as NodejsFunction bundles it (CommonJS, index.js)', () => {
    const outdir = tempDir('mts-cjs');
    const { app, stack } = appAt(outdir);
    new VectorDbFunction(stack, 'Fn', { entry: path.join(APPS, 'lancedb-039', 'src', 'search.mts'), depsLockFilePath: path.join(APPS, 'lancedb-039', 'package-lock.json'), layer: imported(stack) });
    app.synth();
    const dir = fs.readdirSync(outdir).find((d) => d.startsWith('asset.'))!;
    expect(fs.readdirSync(path.join(outdir, dir))).toEqual(['index.js']);
    expect(Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('ES module'))).toEqual([]);
  });

  test('detection reports where, only for a CommonJS bundle', () => {
    const options = { entry: TLA, projectRoot: path.dirname(TLA), externals: [], ignoreUnder: [], esbuildDir: path.dirname(require.resolve('esbuild/package.json')) };
    expect(detectSdkImports({ ...options, format: 'cjs' })).toMatchObject({ method: 'esbuild', topLevelAwait: 'tla-no-format.mts:10', imports: [{ sdk: '@lancedb/lancedb' }] });
    expect(detectSdkImports({ ...options, format: 'esm' }).topLevelAwait).toBeUndefined();
  });
});

describe('detection and lock files, directly', () => {
  test('esbuild follows a tsconfig path alias into another module; the text scan cannot', () => {
    const options = {
      entry: path.join(APPS, 'alias', 'src', 'handler.mts'),
      projectRoot: path.join(APPS, 'alias'),
      externals: ['@aws-sdk/*'],
      ignoreUnder: [],
    };
    const esbuild = detectSdkImports({ ...options, esbuildDir: path.dirname(require.resolve('esbuild/package.json')) });
    expect(esbuild.method).toBe('esbuild');
    expect(esbuild.imports).toEqual([{ sdk: '@lancedb/lancedb', files: ['lib/search.mts'] }]);
    const scan = detectSdkImports(options);
    expect(scan.method).toBe('scan');
    expect(scan.imports).toEqual([]);
  });

  test('the scan (no esbuild) reads relative imports, dynamic imports and requires, not comments', () => {
    const scan = detectSdkImports({ entry: path.join(APPS, 'both', 'src', 'search.mts'), projectRoot: path.join(APPS, 'both'), externals: [], ignoreUnder: [] });
    expect(scan.imports).toEqual([
      { sdk: 'vectordb', files: ['src/legacy.mjs'] },
      { sdk: '@lancedb/lancedb', files: ['src/search.mts'] },
    ]);
  });

  test('a handler esbuild cannot bundle falls back to the scan, and says why', () => {
    const dir = tempDir('broken');
    fs.writeFileSync(path.join(dir, 'h.mjs'), 'import * as lancedb from \'@lancedb/lancedb\';\nimport { x } from \'./missing.mjs\';\nexport const handler = () => [lancedb, x];\n');
    const d = detectSdkImports({ entry: path.join(dir, 'h.mjs'), projectRoot: dir, externals: [], ignoreUnder: [], esbuildDir: path.dirname(require.resolve('esbuild/package.json')) });
    expect(d.method).toBe('scan');
    expect(d.note).toMatch(/esbuild could not bundle the handler \(.*missing\.mjs/);
    expect(d.imports.map((i) => i.sdk)).toEqual(['@lancedb/lancedb']);
  });

  test('answers are reused only while the files they were read from are unchanged', () => {
    const dir = tempDir('memo');
    const esbuildDir = path.dirname(require.resolve('esbuild/package.json'));
    const write = (file: string, text: string) => {
      fs.writeFileSync(path.join(dir, file), text);
      // A later mtime even on a coarse clock.
      const later = new Date(Date.now() + 1000 * (++writes));
      fs.utimesSync(path.join(dir, file), later, later);
    };
    let writes = 0;
    write('h.mjs', 'import { db } from \'./db.mjs\';\nexport const handler = () => db;\n');
    write('db.mjs', 'import * as vectordb from \'vectordb\';\nexport const db = vectordb;\n');
    const detect = () => detectSdkImports({ entry: path.join(dir, 'h.mjs'), projectRoot: dir, externals: [], ignoreUnder: [], esbuildDir }).imports.map((i) => i.sdk);
    expect(detect()).toEqual(['vectordb']);
    write('db.mjs', 'import * as lancedb from \'@lancedb/lancedb\';\nexport const db = lancedb;\n');
    expect(detect()).toEqual(['@lancedb/lancedb']);

    const lock = (version: string) => write('package-lock.json', JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/vectordb': { version } } }));
    lock('0.21.2');
    expect(appDependency('vectordb', path.join(dir, 'h.mjs'), path.join(dir, 'package-lock.json')).resolved?.version).toBe('0.21.2');
    lock('0.4.2');
    expect(appDependency('vectordb', path.join(dir, 'h.mjs'), path.join(dir, 'package-lock.json')).resolved?.version).toBe('0.4.2');
  });

  test('the runtime helper\'s own files do not count', () => {
    const d = detectSdkImports({
      entry: path.join(FN, 'diff', 'helper-handler.ts'),
      projectRoot: FN,
      externals: ['@aws-sdk/*'],
      ignoreUnder: [path.resolve(__dirname, '..', 'src', 'runtime')],
      esbuildDir: path.dirname(require.resolve('esbuild/package.json')),
    });
    expect(d).toMatchObject({ method: 'esbuild', imports: [] });
  });

  test('an SDK the app does not depend on: nothing resolved, nothing asked', () => {
    expect(appDependency('vectordb', path.join(APPS, 'lancedb-031', 'src', 'search.mts'), path.join(APPS, 'lancedb-031', 'package-lock.json'))).toEqual({});
  });
});

describe('with a real layer build', () => {
  test('the app\'s lock file resolves vectordb 0.4.2: the layer Lambda gets holds 0.4.2, and a search runs on it', () => {
    const outdir = tempDir('sdk-build');
    const { app, stack } = appAt(outdir);
    const fn = new VectorDbFunction(stack, 'Fn', {
      entry: path.join(APPS, 'vectordb-042', 'src', 'search.js'),
      depsLockFilePath: path.join(APPS, 'vectordb-042', 'package-lock.json'),
    });
    app.synth();
    expect(layerOf(fn)).toBe('vectordb 0.4.2 x86_64');
    expect(warningsOf(stack).filter((w) => /sdk|version/i.test(w))).toEqual([]);
    const layerDir = stagedLayerDir(outdir, '0.4.2');
    expect(searchWith({ layerDir, sdk: 'vectordb' }).version).toBe('0.4.2');
  });
});
