// What can be refused without the layer is refused before it is built (a 5-20 s
// npm install): every synth here would build a layer if it got that far
// (bundling is not skipped), and each must stop first, name the prop of
// VectorDbFunction, and leave nothing in cdk.out.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { VectorDatabase, VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../src';
import * as beside from './fixtures/fn/beside/stack';
import { withEnv } from './support/env';
import { tempDir } from './support/files';
import { appAt, assetDirs, FIXTURES } from './support/synth';
import { onPath } from '../src/private/common/on-path';
import { checkLocalBundler, checkPackageManager, esbuildInstallation } from '../src/private/function/entry';

const FN = path.join(FIXTURES, 'fn');
const TLA = path.join(FIXTURES, 'handlers', 'esm', 'tla-no-format.mts');
const entry = path.join(FN, 'handler.js');
const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:3';

/** Synthesizes with bundling on; returns the error, and what was left behind. */
function refused(make: (stack: Stack) => void): { message: string; layers: number; assets: string[]; ms: number } {
  const outdir = tempDir('fail');
  const { app, stack } = appAt(outdir);
  const start = Date.now();
  let message: string | undefined;
  try {
    make(stack);
    app.synth();
  } catch (e) {
    message = (e as Error).message;
  }
  const ms = Date.now() - start;
  if (message === undefined) throw new Error('expected an error');
  return { message, layers: stack.node.findAll().filter((c) => c instanceof VectorDbLayer).length, assets: assetDirs(outdir), ms };
}

function expectRefusedBeforeTheLayer(r: ReturnType<typeof refused>, message: RegExp) {
  expect(r.message).toMatch(message);
  expect(r.layers).toBe(0);
  expect(r.assets).toEqual([]);
}

test('control: valid props create the layer (so "no layer" below can fail)', () => {
  const { app, stack } = appAt(tempDir('fail-control'), { 'aws:cdk:bundling-stacks': [] });
  new VectorDbFunction(stack, 'Fn', { entry });
  app.synth();
  expect(stack.node.findAll().filter((c) => c instanceof VectorDbLayer)).toHaveLength(1);
});

describe('refused before the layer build', () => {
  test('a relative entry that does not exist from the folder the synth runs in: the path tried and the folder', () => {
    const elsewhere = tempDir('cwd');
    fs.writeFileSync(path.join(elsewhere, 'package-lock.json'), '{"lockfileVersion":3,"packages":{"":{}}}');
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      const r = refused((s) => new VectorDbFunction(s, 'Fn', { entry: 'src/search.ts' }));
      expectRefusedBeforeTheLayer(r, new RegExp(`^Stack/Fn: entry names no file, got "src/search\\.ts": Cannot find entry file at ${fs.realpathSync(elsewhere)}/src/search\\.ts \\(a relative entry is resolved against the folder the synth runs in, ${fs.realpathSync(elsewhere)}\\); run the synth from the folder entry is relative to`));
    } finally {
      process.chdir(cwd);
    }
  });

  test('no entry and no handler beside the calling file: NodejsFunction\'s list of the files tried', () => {
    const here = __filename.replace(/\.ts$/, '');
    const r = refused((s) => new VectorDbFunction(s, 'nothing'));
    expectRefusedBeforeTheLayer(r, new RegExp(`^Stack/nothing: entry is not set, and no handler file is beside the file that created the function: Cannot find handler file ${here}\\.nothing\\.ts, ${here}\\.nothing\\.js, ${here}\\.nothing\\.mjs, ${here}\\.nothing\\.mts, ${here}\\.nothing\\.cts or ${here}\\.nothing\\.cjs; set entry`));
  });

  test('no entry from a jsii host (JSII_AGENT, as Python sets it): entry is required, the host and the app\'s folder named', () => {
    const r = withEnv({ JSII_AGENT: 'Python/3.11.2' }, () => refused((s) => new VectorDbFunction(s, 'nothing')));
    expectRefusedBeforeTheLayer(r, /^Stack\/nothing: entry is not set, and is required from a Python\/3\.11\.2 app: /);
    expect(r.message).toContain(`set entry to the handler file's path (a relative path is resolved against ${process.cwd()}, the folder the app runs in)`);
    // Not the file that called the constructor, which from the kernel is the kernel's own.
    expect(r.message).not.toContain(__filename.replace(/\.ts$/, ''));
  });

  test('a handler beside the calling file is still found with JSII_AGENT set (a JavaScript app that inherited it)', () => {
    const { app, stack } = appAt(tempDir('fail-agent'), { 'aws:cdk:bundling-stacks': [] });
    const fn = withEnv({ JSII_AGENT: 'Python/3.11.2' }, () => beside.vectorDbFunction(stack, 'lance'));
    app.synth();
    expect(fn.vectorDbLayer.sdk).toBe(VectorDbSdk.LANCEDB);
  });

  test('an entry that is not JavaScript or TypeScript', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry: path.join(FN, 'diff', 'greeting.txt') })),
      /^Stack\/Fn: entry must be a JavaScript or TypeScript file .*, got ".*greeting\.txt"/);
  });

  test.each<[string, unknown, RegExp]>([
    ['the package name as a string (plain JavaScript)', '@lancedb/lancedb', /^Stack\/Fn: sdk must be VectorDbSdk\.VECTORDB or VectorDbSdk\.LANCEDB, got "@lancedb\/lancedb": a package name is not a VectorDbSdk; use the constant: .*sdk: VectorDbSdk\.LANCEDB/],
    ['vectordb as a string', 'vectordb', /sdk must be VectorDbSdk\.VECTORDB or VectorDbSdk\.LANCEDB, got "vectordb": .*sdk: VectorDbSdk\.VECTORDB$/],
    ['anything else', 42, /sdk must be VectorDbSdk\.VECTORDB or VectorDbSdk\.LANCEDB, got 42; use the constant/],
  ])('sdk: %s', (_, sdk, message) => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry, sdk: sdk as VectorDbSdk })), message);
  });

  test.each<[unknown, RegExp]>([
    ['^0.39.0', /^Stack\/Fn: sdkVersion must be an exact version such as '0\.21\.2' \(vectordb\) or '0\.39\.0' \(@lancedb\/lancedb\) \(x\.y\.z, optionally -prerelease; no ranges or tags\), got "\^0\.39\.0"; give the exact version/],
    ['latest', /sdkVersion must be an exact version .*, got "latest"/],
    [39, /sdkVersion must be an exact version .*, got 39/],
  ])('a malformed sdkVersion %p names sdkVersion, not the layer\'s version', (sdkVersion, message) => {
    const r = refused((s) => new VectorDbFunction(s, 'Fn', { entry, sdkVersion: sdkVersion as string }));
    expectRefusedBeforeTheLayer(r, message);
    expect(r.message).not.toMatch(/\bversion must/);
  });

  test('a malformed sdkVersion with sdk given shows that SDK\'s example', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry, sdk: VectorDbSdk.LANCEDB, sdkVersion: '0.39' })),
      /sdkVersion must be an exact version such as '0\.39\.0' \(x\.y\.z/);
  });

  test('sdk and sdkVersion together with layer', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', {
      entry,
      sdk: VectorDbSdk.VECTORDB,
      sdkVersion: '0.4.2',
      layer: VectorDbLayer.fromLayerArn(s, 'L', ARN, { version: '0.21.2' }),
    })), /^Stack\/Fn: sdk and sdkVersion are set together with layer: .*; remove sdk and sdkVersion, or remove layer/);
  });

  test('a layer that is not a vector database layer (a plain LayerVersion)', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', {
      entry,
      layer: lambda.LayerVersion.fromLayerVersionArn(s, 'L', ARN) as any,
    })), /^Stack\/Fn: layer must be a VectorDbLayer, or a layer imported with VectorDbLayer\.fromLayerArn.*other layers go in layers/);
  });

  test('a runtime the version cannot run on, when the facts table knows the version', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry, sdkVersion: '0.21.2', runtime: lambda.Runtime.NODEJS_18_X })),
      /^Stack\/Fn: runtime cannot run vectordb 0\.21\.2 .*needs glibc 2\.28\), got "nodejs18\.x": .*; use runtime Runtime\.NODEJS_2[46]_X.*or set sdkVersion to 0\.\d+\.\d+/);
  });

  test('the engines refusal names engines.node >= 22 and the newest version that runs on the runtime', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry: path.join(FN, 'lancedb-handler.js'), sdk: VectorDbSdk.LANCEDB, sdkVersion: '0.39.0', runtime: lambda.Runtime.NODEJS_20_X })),
      /runtime cannot run @lancedb\/lancedb 0\.39\.0 \(@lancedb\/lancedb 0\.39\.0 declares engines\.node >= 22, and nodejs20\.x runs Node\.js 20\), got "nodejs20\.x": the SDK does not support that Node\.js version; use runtime Runtime\.NODEJS_2[46]_X \(or nodejs22\.x(, nodejs24\.x)?\), or set sdkVersion to 0\.37\.\d+ \(the @lancedb\/lancedb newest version that runs on nodejs20\.x x86_64\)/);
  });

  test('a handler importing the other SDK than sdk', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry: path.join(FN, 'lancedb-handler.js'), sdk: VectorDbSdk.VECTORDB })),
      /^Stack\/Fn: sdk is VectorDbSdk\.VECTORDB, but the handler imports @lancedb\/lancedb/);
  });

  test('code without handler', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { code: lambda.Code.fromInline('exports.handler = 1') })),
      /^Stack\/Fn: handler is not set, and code is: Cannot determine handler when `code` property is specified; set handler/);
  });

  test('environment.VECTORDB_SDK that is not the layer\'s SDK', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry, environment: { VECTORDB_SDK: '@lancedb/lancedb' } })),
      /^Stack\/Fn: environment\.VECTORDB_SDK conflicts with the layer, which holds vectordb, got "@lancedb\/lancedb"; remove VECTORDB_SDK/);
  });

  test('an EFS database without vpc', () => {
    expectRefusedBeforeTheLayer(refused((s) => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 1, natGateways: 0 });
      const fileSystem = new efs.FileSystem(s, 'Fs', { vpc });
      const accessPoint = fileSystem.addAccessPoint('Ap', { path: '/vectordb', createAcl: { ownerUid: '1000', ownerGid: '1000', permissions: '750' }, posixUser: { uid: '1000', gid: '1000' } });
      new VectorDbFunction(s, 'Fn', { entry, database: VectorDatabase.efs(accessPoint) });
    }), /^Stack\/Fn: vpc is not set, and database is VectorDatabase\.efs\(\.\.\.\)/);
  });

  test('a lock file that does not exist', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry, depsLockFilePath: 'nope/package-lock.json' })),
      /^Stack\/Fn: depsLockFilePath names no file, got "nope\/package-lock\.json": Lock file at .*nope\/package-lock\.json doesn't exist/);
  });

  test('two lock files in the folder the synth runs in', () => {
    const dir = tempDir('twolocks');
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}');
    fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry })),
        /^Stack\/Fn: depsLockFilePath is not set, and the project has more than one lock file: Multiple package lock files found: .*yarn\.lock, .*package-lock\.json; set depsLockFilePath/);
    } finally {
      process.chdir(cwd);
    }
  });

  test('bundling.format CommonJS for a handler that awaits at the top level: the file and line', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry: TLA, bundling: { format: OutputFormat.CJS } })),
      /^Stack\/Fn: bundling\.format cannot hold the top-level await at .*esm\/tla-no-format\.mts:10, got "cjs": a CommonJS module cannot await at its top level \(esbuild refuses to bundle it\); set bundling\.format to OutputFormat\.ESM \(or leave it out\), or move the await into the handler/);
  });

  test('a lock file outside projectRoot', () => {
    expectRefusedBeforeTheLayer(refused((s) => new VectorDbFunction(s, 'Fn', { entry, projectRoot: FN })),
      /^Stack\/Fn: depsLockFilePath must be under projectRoot \(.*fixtures\/fn\), got ".*package-lock\.json": Expected depsLockFilePath/);
  });
});

describe('esbuild for local bundling', () => {
  /** A CDK_DOCKER that exits as given: an engine that answers (0) or none (1). */
  function docker(status: number): string {
    const file = path.join(tempDir('docker'), 'docker');
    fs.writeFileSync(file, `#!/bin/sh\nexit ${status}\n`, { mode: 0o755 });
    return file;
  }
  function withDocker<T>(executable: string, run: () => T): T {
    const before = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = executable;
    try {
      return run();
    } finally {
      if (before === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = before;
    }
  }

  test('found as aws-cdk-lib finds it (this project\'s devDependency)', () => {
    expect(esbuildInstallation()).toMatchObject({ kind: 'local', version: expect.stringMatching(/^0\./) });
  });

  test('not found from a folder without it and a PATH without it', () => {
    expect(esbuildInstallation({ from: tempDir('noesbuild'), path: '/nonexistent' })).toBeUndefined();
  });

  test('none, and no Docker engine: refused with npm install -D esbuild (NodejsFunction would say "Cannot connect to the Docker daemon")', () => {
    const none = esbuildInstallation({ from: tempDir('noesbuild'), path: '/nonexistent' });
    expect(() => withDocker(docker(1), () => checkLocalBundler('Stack/Fn', none)))
      .toThrow(/^Stack\/Fn: bundling is local \(bundling\.forceDockerBundling is not set\), but esbuild is not installed in the project and no Docker engine answers: NodejsFunction would switch to Docker bundling and fail with "Cannot connect to the Docker daemon"; npm install -D esbuild/);
  });

  test('none, with a Docker engine: left to NodejsFunction\'s Docker fallback, as before', () => {
    expect(() => withDocker(docker(0), () => checkLocalBundler('Stack/Fn', undefined))).not.toThrow();
  });

  test('esbuild 1.x: refused with the version NodejsFunction expects', () => {
    expect(() => checkLocalBundler('Stack/Fn', { kind: 'local', version: '1.0.0' })).toThrow(/bundling needs esbuild 0\.x to bundle locally, got "1\.0\.0".*npm install -D esbuild@0/);
  });
});

describe('the lock file\'s package manager, which NodejsFunction runs esbuild through', () => {
  const PNPM_APP = path.join(FN, 'apps', 'pnpm');

  test('a pnpm project without pnpm on PATH is refused before the layer, naming depsLockFilePath, pnpm and the fix', () => {
    const saved = process.env.PATH;
    process.env.PATH = `${tempDir('no-pnpm')}${path.delimiter}${path.dirname(process.execPath)}`;
    try {
      const r = refused((stack) => new VectorDbFunction(stack, 'Fn', {
        entry: path.join(PNPM_APP, 'src', 'search.mts'),
        depsLockFilePath: path.join(PNPM_APP, 'pnpm-lock.yaml'),
      }));
      expectRefusedBeforeTheLayer(r, /Fn: depsLockFilePath is .*pnpm-lock\.yaml, so NodejsFunction runs esbuild through pnpm, which is not on PATH.*spawnSync pnpm ENOENT.*corepack enable, or npm install -g pnpm/s);
    } finally {
      process.env.PATH = saved;
    }
  });

  test('the same project with pnpm on PATH passes the check (a file lookup: no process is started)', () => {
    const bin = tempDir('pnpm-bin');
    fs.writeFileSync(path.join(bin, 'pnpm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(() => checkPackageManager('Fn', path.join(PNPM_APP, 'pnpm-lock.yaml'), { PATH: bin })).not.toThrow();
    expect(() => checkPackageManager('Fn', path.join(PNPM_APP, 'pnpm-lock.yaml'), { PATH: tempDir('empty') })).toThrow(/pnpm, which is not on PATH/);
    // npm's runner is npx, which comes with Node.js: never checked.
    expect(() => checkPackageManager('Fn', path.join(PNPM_APP, 'package-lock.json'), { PATH: tempDir('empty') })).not.toThrow();
  });

  test('on Windows a program is found with PATHEXT\'s extensions, as NodejsFunction runs pnpm.cmd', () => {
    const bin = tempDir('win-bin');
    fs.writeFileSync(path.join(bin, 'yarn.cmd'), '');
    expect(onPath('yarn', { Path: bin, PATHEXT: '.EXE;.CMD' }, 'win32') !== undefined).toBe(true);
    expect(onPath('pnpm', { Path: bin, PATHEXT: '.EXE;.CMD' }, 'win32') !== undefined).toBe(false);
  });
});
