import * as fs from 'fs';
import * as path from 'path';
import { DockerImage, Lazy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { appAt, assetDirs, dockerStub, tempDir } from './helpers';
import { LayerBuildMethod, VectorDbLayer, VectorDbLayerProps, VectorDbSdk } from '../src';

// The module object itself (not a TypeScript namespace copy), so spies see the recipe's calls.
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
    expect(message).toContain(JSON.stringify(version));
    expect(spawned.every((s) => s.mock.calls.length === 0)).toBe(true);
  });

  test.each([
    '0.21.2; rm -rf /',
    '0.21.2 && touch /tmp/pwned',
    '$(touch /tmp/pwned)',
    '`id`',
    '0.21.2|cat /etc/passwd',
    '0.21.2\nid',
  ])('throws for a shell metacharacter in version %j and starts no process', (version) => {
    const message = synthError({ version });
    expect(message).toMatch(/version must be an exact version .* \(it holds characters no npm version has\)/s);
    expect(spawned.every((s) => s.mock.calls.length === 0)).toBe(true);
  });

  test('throws for a version that is an unresolved token', () => {
    const message = synthError({ version: Lazy.string({ produce: () => '0.21.2' }) });
    expect(message).toMatch(/version must be a literal exact version such as '0\.21\.2', not a token/);
  });

  test('throws for a docker image with shell metacharacters', () => {
    const message = synthError({ version: '0.4.2', dockerImage: DockerImage.fromRegistry('node:22; rm -rf /'), buildMethod: LayerBuildMethod.DOCKER });
    expect(message).toContain('dockerImage must be an image reference');
    expect(message).toContain('"node:22; rm -rf /"');
  });

  test('throws for a docker image with buildMethod LOCAL', () => {
    expect(synthError({ dockerImage: DockerImage.fromRegistry('node:22'), buildMethod: LayerBuildMethod.LOCAL }))
      .toContain('dockerImage is set but buildMethod is LayerBuildMethod.LOCAL');
  });

  test('throws for a bad layerVersionName', () => {
    expect(synthError({ layerVersionName: 'my layer;x' })).toContain('layerVersionName must be 1-140 letters, digits, - or _, got "my layer;x"');
  });

  test('VectorDbSdk.of refuses other packages', () => {
    expect(() => VectorDbSdk.of('lancedb; rm')).toThrow('sdk must be vectordb or @lancedb/lancedb, got "lancedb; rm"');
    expect(VectorDbSdk.of('@lancedb/lancedb')).toBe(VectorDbSdk.LANCEDB);
  });
});

describe('build failures are clear and leave nothing half-built', () => {
  test('a version that is not on the registry names the nearest published ones', () => {
    const outdir = tempDir('nover');
    const message = synthError({ version: '0.21.3' }, outdir);
    expect(message).toMatch(/Stack\/Layer: version 0\.21\.3 of vectordb is not on the npm registry \(.*\); nearest published: .*0\.16\.0, 0\.21\.2.*\. Set version to one of them/);
    expect(assetDirs(outdir)).toEqual([]);
  });

  test('an architecture without a native build says which versions have one', () => {
    const outdir = tempDir('noarm');
    const message = synthError({ version: '0.21.2', architecture: lambda.Architecture.ARM_64 }, outdir);
    expect(message).toContain('architecture arm64 has no native build for vectordb 0.21.2 (@lancedb/vectordb-linux-arm64-gnu@0.21.2 is not published); versions of vectordb with one: 0.1.19, 0.2.2, 0.3.11, 0.4.2. Set version to one of them, or architecture to x86_64');
    expect(assetDirs(outdir)).toEqual([]);
  });

  test('npm failing shows the tail of its output and names the registry setting', () => {
    const outdir = tempDir('npmfail');
    const saved = { registry: process.env.npm_config_registry, cache: process.env.npm_config_cache };
    // A closed loopback port and an empty cache: npm cannot fetch anything.
    process.env.npm_config_registry = 'http://127.0.0.1:9/';
    process.env.npm_config_cache = tempDir('emptycache');
    process.env.npm_config_fetch_retries = '0';
    try {
      const message = synthError({ version: '0.4.2' }, outdir);
      expect(message).toMatch(/Stack\/Layer: npm install of vectordb@0\.4\.2 for linux-x64-gnu failed: exit \d+ \(is the npm registry http:\/\/127\.0\.0\.1:9\/ reachable\? npm's `registry` setting picks it\)/);
      expect(message).toMatch(/npm error .*ECONNREFUSED/);
    } finally {
      delete process.env.npm_config_fetch_retries;
      for (const [k, v] of Object.entries({ npm_config_registry: saved.registry, npm_config_cache: saved.cache })) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(assetDirs(outdir)).toEqual([]);
  });

  test('Docker forced with no Docker engine says so and how to build without it', () => {
    const saved = process.env.CDK_DOCKER;
    const outdir = tempDir('nodocker');
    process.env.CDK_DOCKER = path.join(tempDir('nodockerbin'), 'docker-not-installed');
    try {
      const message = synthError({ version: '0.4.2', buildMethod: LayerBuildMethod.DOCKER }, outdir);
      expect(message).toMatch(/Stack\/Layer: buildMethod is LayerBuildMethod\.DOCKER and the layer must be built in Docker, but no Docker engine answers \(`.*docker-not-installed version`: .*ENOENT.*\)\. Start Docker, or set buildMethod to LayerBuildMethod\.LOCAL/);
    } finally {
      if (saved === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = saved;
    }
    expect(assetDirs(outdir)).toEqual([]);
  });

  test('a recipe error inside the container reaches the user through the error file', () => {
    const stub = dockerStub();
    const saved = process.env.CDK_DOCKER;
    const outdir = tempDir('dockerfail');
    process.env.CDK_DOCKER = stub.executable;
    try {
      const message = synthError({ version: '0.21.2', architecture: lambda.Architecture.ARM_64, buildMethod: LayerBuildMethod.DOCKER }, outdir);
      expect(message).toContain('Stack/Layer: architecture arm64 has no native build for vectordb 0.21.2');
    } finally {
      if (saved === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = saved;
    }
    expect(stub.calls().some((c) => Array.isArray(c) && c[0] === 'run')).toBe(true);
    expect(assetDirs(outdir)).toEqual([]);
  });
});

describe('no user value ever reaches a shell', () => {
  test('a real build starts every process with an argument vector and no shell', () => {
    // Spies call through: the build is real, the spies only record.
    let calls: Array<{ file: string; args: string[]; shell: unknown }> = [];
    let execs: number[] = [];
    const spies = [
      jest.spyOn(childProcess, 'spawnSync'),
      jest.spyOn(childProcess, 'execSync'),
      jest.spyOn(childProcess, 'exec'),
    ];
    try {
      const outdir = tempDir('noshell');
      const { app, stack } = appAt(outdir);
      new VectorDbLayer(stack, 'Layer', { version: '0.4.2' });
      app.synth();
      expect(fs.readdirSync(outdir).some((n) => n.startsWith('asset.'))).toBe(true);
      calls = spies[0].mock.calls.map(([file, args, options]) => ({
        file: String(file),
        args: (args ?? []) as string[],
        shell: (options as { shell?: unknown } | undefined)?.shell,
      }));
      execs = [spies[1].mock.calls.length, spies[2].mock.calls.length];
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(execs).toEqual([0, 0]);
    const npmInstall = calls.find((c) => c.args.includes('install'));
    expect(npmInstall?.args).toEqual(expect.arrayContaining(['install', '--no-save', '--omit=optional', '--ignore-scripts', '--os=linux', '--cpu=x64', '--libc=glibc']));
    expect(calls.length).toBeGreaterThan(2);
    for (const c of calls) {
      expect(c.shell).toBeFalsy();
      expect(c.file).not.toMatch(/(^|\/)(ba|da|z)?sh$|cmd\.exe$/);
    }
  });
});
