/**
 * VectorDbLayer, built for real through the npm registry: what the layer holds,
 * that it serves a vector search from its own folder, its facts and runtimes,
 * licences kept against the published tarballs, unpinned versions, registry
 * refusals, and no shell anywhere in the build's process tree.
 * Slow tier.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbLayer, VectorDbSdk } from '../../src';
import { localBuildCount } from '../../src/private/layer/local-build';
import { recipeBuild, recipePrune } from '../../src/private/layer/recipe';
import { withEnv } from '../support/env';
import { listing, tempDir } from '../support/files';
import { searchWith } from '../support/search';
import { appAt, assetDirs, FIXTURES, readManifest, stagedLayerDir } from '../support/synth';

// The module object itself, so a spy sees the construct's calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess: typeof import('child_process') = require('child_process');


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
    const result = searchWith({ layerDir: dir, sdk: 'vectordb' });
    expect(result.ids).toEqual([42, 43, 41]);
    expect(result.version).toBe('0.21.2');
    expect(result.resolvedFrom.startsWith(path.join(dir, 'nodejs', 'node_modules'))).toBe(true);
  });

  test('the layer holds exactly the linux-x64-gnu binary, checked, stripped and pruned', () => {
    const dir = stagedLayerDir(outdir);
    const m = readManifest(dir);
    expect(m).toMatchObject({
      sdk: 'vectordb',
      version: '0.21.2',
      architecture: 'x86_64',
      pinned: true,
      loadChecked: true,
      glibc: '2.28',
      nativePackage: '@lancedb/vectordb-linux-x64-gnu',
      nativePackageVersion: '0.21.2',
    });
    expect(m.neededLibraries).toEqual(expect.arrayContaining(['libc.so.6', 'libgcc_s.so.1']));
    expect(m.strip.applied).toBe(true);
    expect(m.nativeBinaryBytes).toBeLessThan(m.nativeBinaryBytesBeforeStrip);
    const nm = path.join(dir, 'nodejs', 'node_modules');
    expect(fs.readdirSync(path.join(nm, '@lancedb'))).toEqual(['vectordb-linux-x64-gnu']);
    const files = listing(nm).map((l) => l.split(' ')[0]);
    expect(files.filter((f) => /\.(d\.ts|map)$/i.test(f) || (/\.md$/i.test(f) && !recipePrune().isLicenceFile(path.basename(f))))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([path.join('@lancedb', 'vectordb-linux-x64-gnu', 'index.node')]);
    expect(fs.existsSync(path.join(nm, '@apache-arrow', 'ts'))).toBe(false);
    expect(fs.existsSync(path.join(nm, '@types'))).toBe(false);
  });

  test('every package in the layer keeps the licence and notice files of its published tarball', () => {
    const nm = path.join(stagedLayerDir(outdir), 'nodejs', 'node_modules');
    const packs = tempDir('packs');
    const missing: string[] = [];
    let checked = 0;
    const packages = listing(nm).map((l) => l.split(' ')[0]).filter((f) => /(^|\/)package\.json$/.test(f)).map((f) => path.join(nm, path.dirname(f)))
      .map((dir) => ({ dir, ...JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8')) as { name?: string; version?: string } }))
      // a package folder (not a package.json deeper inside one, such as a "type": "module" marker)
      .filter((p) => p.name && p.version && path.relative(nm, p.dir).split(path.sep).slice(-p.name.split('/').length).join('/') === p.name);
    // One npm pack for all of them: the published tarballs, as the registry serves them.
    const packed = spawnSync('npm', ['pack', ...packages.map((p) => `${p.name}@${p.version}`), '--pack-destination', packs, '--json'], { encoding: 'utf-8', shell: false, maxBuffer: 64 * 1024 * 1024 });
    expect(packed.status).toBe(0);
    const tarballs = JSON.parse(packed.stdout) as Array<{ name: string; version: string; filename: string }>;
    for (const p of packages) {
      const tgz = tarballs.find((t) => t.name === p.name && t.version === p.version)!;
      const entries = spawnSync('tar', ['-tzf', path.join(packs, tgz.filename)], { encoding: 'utf-8', shell: false }).stdout.split('\n').filter(Boolean);
      for (const entry of entries.map((e) => e.replace(/^[^/]+\//, ''))) {
        if (recipePrune().isLicenceFile(path.basename(entry)) && !fs.existsSync(path.join(p.dir, ...entry.split('/')))) missing.push(`${p.name}@${p.version}: ${entry}`);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  test('the unzipped size is measured and exposed', () => {
    const dir = stagedLayerDir(outdir);
    const total = listing(dir).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(layer.unzippedSizeBytes).toBe(total);
    expect(total).toBeLessThan(recipeBuild().LAMBDA_UNZIPPED_LIMIT_BYTES);
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
    expect(layer.nodeEngines).toBeUndefined();
    expect(layer.neededLibraries).toEqual(expect.arrayContaining(['libc.so.6']));
  });

  test('a pinned build carries no warning', () => {
    stackAnnotations.hasNoWarning('*', Match.anyValue());
  });
});

describe('an unpinned version whose native package has another version (vectordb 0.9.0 names 0.4.20)', () => {
  const outdir = tempDir('v090');
  let stack: import('aws-cdk-lib').Stack;
  let fromCache: import('aws-cdk-lib').Stack;
  beforeAll(() => {
    // An empty machine cache of its own: the first synth builds, the second links from it.
    withEnv({ CDK_VECTORDB_LAYER_CACHE: tempDir('v090-cache') }, () => {
      const before = localBuildCount();
      const made = appAt(outdir);
      stack = made.stack;
      new VectorDbLayer(stack, 'Layer', { version: '0.9.0' });
      made.app.synth();
      expect(localBuildCount() - before).toBe(1);
      const again = appAt(tempDir('v090-again'));
      fromCache = again.stack;
      new VectorDbLayer(fromCache, 'Layer', { version: '0.9.0' });
      again.app.synth();
      expect(localBuildCount() - before).toBe(1);
    });
  });

  test('builds from the native package the SDK names, and searches', () => {
    const dir = stagedLayerDir(outdir);
    expect(readManifest(dir)).toMatchObject({ version: '0.9.0', nativePackageVersion: '0.4.20', pinned: false, glibc: '2.15' });
    expect(searchWith({ layerDir: dir, sdk: 'vectordb' })).toMatchObject({ ids: [42, 43, 41], version: '0.9.0' });
  });

  test('says what the user gets, as a note, not a warning about pins', () => {
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoWarning('*', Match.anyValue());
    annotations.hasInfo('/Stack/Layer', Match.stringLikeRegexp('vectordb 0\\.9\\.0 has no lockfile in this library: built fresh from the npm registry \\(npm checked every package\'s integrity against it\\)'));
  });

  test('a layer linked from the machine cache was not built: no note that it was built fresh', () => {
    const annotations = Annotations.fromStack(fromCache);
    annotations.hasNoInfo('/Stack/Layer', Match.stringLikeRegexp('built fresh'));
    annotations.hasNoWarning('*', Match.anyValue());
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
    expect(searchWith({ layerDir: dir, sdk: 'vectordb' }).ids).toEqual([42, 43, 41]);
  });

  test('arm64 holds the AArch64 binary and nothing for x86_64', () => {
    const dir = assetDirs(outdir).map((n) => path.join(outdir, n)).find((d) => readManifest(d).architecture === 'arm64')!;
    const m = readManifest(dir);
    expect(m).toMatchObject({ version: '0.4.2', platform: 'linux-arm64-gnu', glibc: '2.17', loadChecked: false });
    const header = fs.readFileSync(path.join(dir, m.nativeBinary)).subarray(0, 20);
    expect(header.readUInt16LE(0x12)).toBe(183); // EM_AARCH64
    expect(fs.readdirSync(path.join(dir, 'nodejs', 'node_modules', '@lancedb'))).toEqual(['vectordb-linux-arm64-gnu']);
  });

  test('glibc 2.15/2.17 binaries are offered to nodejs18.x too, per architecture', () => {
    const template = Template.fromStack(stack);
    for (const arch of ['x86_64', 'arm64']) {
      template.hasResourceProperties('AWS::Lambda::LayerVersion', {
        CompatibleArchitectures: [arch],
        CompatibleRuntimes: ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'],
      });
    }
  });
});

describe('the cloud assembly cache', () => {
  test('a second synth into the same cdk.out skips the build; a changed option rebuilds', () => {
    const outdir = tempDir('cache');
    const env = process.env.CDK_VECTORDB_LAYER_CACHE;
    process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
    try {
      const before = localBuildCount();
      const first = appAt(outdir);
      new VectorDbLayer(first.stack, 'Layer', { version: '0.4.2' });
      first.app.synth();
      const dirs = assetDirs(outdir);
      expect(localBuildCount() - before).toBe(1);

      const second = appAt(outdir);
      const again = new VectorDbLayer(second.stack, 'Layer', { version: '0.4.2' });
      second.app.synth();
      expect(localBuildCount() - before).toBe(1);
      expect(assetDirs(outdir)).toEqual(dirs);
      // facts come from the cached build's manifest
      expect(again.unzippedSizeBytes).toBeGreaterThan(50_000_000);

      const third = appAt(outdir);
      new VectorDbLayer(third.stack, 'Layer', { version: '0.4.2', strip: false });
      third.app.synth();
      expect(localBuildCount() - before).toBe(2);
      expect(assetDirs(outdir)).toHaveLength(2);
    } finally {
      if (env === undefined) delete process.env.CDK_VECTORDB_LAYER_CACHE;
      else process.env.CDK_VECTORDB_LAYER_CACHE = env;
    }
  });
});

describe('what only the registry can say', () => {
  test('a version that is not published names the nearest published ones and leaves nothing', () => {
    const outdir = tempDir('nover');
    let message = '';
    try {
      const { app, stack } = appAt(outdir);
      new VectorDbLayer(stack, 'Layer', { version: '0.21.3' });
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Stack\/Layer: version 0\.21\.3 is not a published version of vectordb, got "0\.21\.3": version 0\.21\.3 of vectordb is not on the npm registry \(.*\); set version to a published one \(nearest: .*0\.16\.0, 0\.21\.2\)$/);
    expect(assetDirs(outdir)).toEqual([]);
  });
});

describe('no user value ever reaches a shell', () => {
  test('every process of a real build, down to npm\'s, starts with an argument vector and no shell', () => {
    const log = path.join(tempDir('spy'), 'calls.jsonl');
    const saved = Object.fromEntries(['NODE_OPTIONS', 'SPY_CHILD_PROCESS_LOG', 'CDK_VECTORDB_LAYER_CACHE'].map((k) => [k, process.env[k]]));
    // The build runs in child processes: the preload records their spawns (and their children's).
    process.env.SPY_CHILD_PROCESS_LOG = log;
    process.env.NODE_OPTIONS = `--require ${path.join(FIXTURES, 'spy-child-process.js')}`;
    process.env.CDK_VECTORDB_LAYER_CACHE = 'off';
    // This process starts the build: spied in place (the preload records the build's own spawns).
    const here = jest.spyOn(childProcess, 'spawnSync');
    try {
      const outdir = tempDir('noshell');
      const { app, stack } = appAt(outdir);
      new VectorDbLayer(stack, 'Layer', { version: '0.4.2' });
      app.synth();
      expect(fs.readdirSync(outdir).some((n) => n.startsWith('asset.'))).toBe(true);
      const build = here.mock.calls.find(([, args]) => Array.isArray(args) && String(args[0]).endsWith('build-layer.js'));
      expect(build?.[0]).toBe(process.execPath);
      expect(build?.[2]).toMatchObject({ shell: false });
    } finally {
      here.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const calls = fs.readFileSync(log, 'utf-8').trim().split('\n').map((l) => JSON.parse(l) as { fn: string; file: string; args: string[]; shell: unknown; pid: number });
    expect(calls.filter((c) => /^exec/.test(c.fn))).toEqual([]);
    const npmInstall = calls.find((c) => c.args.includes('install'));
    expect(npmInstall?.args).toEqual(expect.arrayContaining(['install', '--no-save', '--omit=optional', '--ignore-scripts', '--os=linux', '--cpu=x64', '--libc=glibc']));
    for (const c of calls) {
      expect([c.file, c.shell === null || c.shell === false]).toEqual([c.file, true]);
      expect(c.file).not.toMatch(/(^|\/)(ba|da|z)?sh$|cmd\.exe$/);
    }
  });
});
