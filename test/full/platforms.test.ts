import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerImage } from 'aws-cdk-lib';
import * as ts from 'typescript';
import { withEnv } from '../support/env';
import { tempDir } from '../support/files';
import { available, containerEngine, emulator, NODE_MAJORS, nodeBinary, REPO_DIR, runNode } from '../support/platforms';
import { NEAREST, searchWith } from '../support/search';

// Each block runs where its feature is present and says what it skips otherwise;
// CDK_VECTORDB_LAYER_TEST_REQUIRE=container,emulator,node-majors turns a skip into a failure.
const HAS_NODE_MAJORS = available('node-majors');
const HAS_EMULATOR = available('emulator');
const HAS_CONTAINER = available('container');

const LAYER_ASSETS = path.join(REPO_DIR, 'layer-assets');

describe('available', () => {
  test('an absent feature is false and says how to enable it, or throws when required', () => {
    const nowhere = tempDir('no-sysroot');
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      withEnv({ CDK_VECTORDB_LAYER_ARM64_SYSROOT: nowhere, CDK_VECTORDB_LAYER_TEST_REQUIRE: undefined }, () => {
        expect(emulator()).toBeUndefined();
        expect(available('emulator')).toBe(false);
      });
    } finally {
      spy.mockRestore();
    }
    // HAS_EMULATOR may have said it already, once per process.
    if (HAS_EMULATOR) expect(writes.join('')).toMatch(/^\[platforms\] emulator skipped: .*arm64-sysroot\.sh\n$/);
    withEnv({ CDK_VECTORDB_LAYER_ARM64_SYSROOT: nowhere, CDK_VECTORDB_LAYER_TEST_REQUIRE: 'container,emulator' }, () => {
      expect(() => available('emulator')).toThrow(/emulator is required .*but not available/);
    });
  });

  test('a container engine without the image is no engine', () => {
    withEnv({ CDK_VECTORDB_LAYER_TEST_IMAGE: 'localhost/cdk-vectordb-layer-no-such-image:never', CDK_VECTORDB_LAYER_TEST_REQUIRE: undefined }, () => {
      expect(containerEngine()).toBeUndefined();
    });
  });
});

(HAS_NODE_MAJORS ? describe : describe.skip)('each Lambda runtime\'s Node.js', () => {
  test.each(NODE_MAJORS.map((m) => [m]))('node %i x86_64 runs', (major) => {
    const node = nodeBinary(major, 'x86_64');
    expect(node).toMatch(new RegExp(`/node/v${major}-x86_64/bin/node$`));
    const r = runNode({ node, arch: 'x86_64', args: ['-p', 'process.version + " " + process.arch'] });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(new RegExp(`^v${major}\\.\\d+\\.\\d+ x64$`));
    // Cached: the same path again, without a download.
    expect(nodeBinary(major, 'x86_64')).toBe(node);
  });

  test('two processes fetching the same build at once end with one good copy', async () => {
    const cache = tempDir('race');
    // This module as plain JavaScript, so two bare node processes can load it quickly.
    const js = ts.transpileModule(fs.readFileSync(path.join(__dirname, '..', 'support', 'platforms.ts'), 'utf-8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const moduleDir = path.join(cache, 'module', 'test', 'support');
    fs.mkdirSync(moduleDir, { recursive: true });
    fs.writeFileSync(path.join(moduleDir, 'platforms.js'), js);
    const script = `require(${JSON.stringify(path.join(moduleDir, 'platforms.js'))}).nodeBinary(20, 'x86_64')`;
    const env = { ...process.env, CDK_VECTORDB_LAYER_TEST_CACHE: cache };
    // Two real processes, started together (argv spawns; no shell).
    const codes = await Promise.all([0, 1].map(() => new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('exit', (code) => resolve(code));
    })));
    expect(codes).toEqual([0, 0]);
    const nodeDir = path.join(cache, 'node');
    expect(fs.readdirSync(nodeDir)).toEqual(['v20-x86_64']);
    const r = spawnSync(path.join(nodeDir, 'v20-x86_64', 'bin', 'node'), ['--version'], { encoding: 'utf-8' });
    expect(r.stdout).toMatch(/^v20\./);
    expect(fs.readFileSync(path.join(nodeDir, 'v20-x86_64', 'VERSION'), 'utf-8').trim()).toBe(r.stdout.trim());
  });
});

(HAS_EMULATOR ? describe : describe.skip)('arm64 under emulation', () => {
  test('arm64 node runs under qemu', () => {
    const node = nodeBinary(22, 'arm64');
    const r = runNode({ node, arch: 'arm64', args: ['-p', 'process.version + " " + process.arch'] });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^v22\.\d+\.\d+ arm64$/);
  });

  test('an arm64 layer (built on this host) loads and searches on arm64 node', () => {
    const out = tempDir('arm64-layer');
    const build = spawnSync(process.execPath, [path.join(LAYER_ASSETS, 'build-layer.js'),
      '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'arm64', '--out', out], { encoding: 'utf-8', timeout: 300_000 });
    if (build.status !== 0) throw new Error(`the recipe failed: ${build.stderr}`);
    const found = searchWith({ layerDir: out, sdk: 'vectordb', node: nodeBinary(22, 'arm64'), arch: 'arm64' });
    expect(found.ids).toEqual(NEAREST);
    expect(found.version).toBe('0.4.2');
    expect(found.resolvedFrom.startsWith(path.join(out, 'nodejs', 'node_modules'))).toBe(true);
    process.stderr.write(`[platforms] arm64 search under qemu: ${found.ms} ms\n`);
  });
});

(HAS_CONTAINER ? describe : describe.skip)('a real container engine', () => {
  test('the engine runs node in the local image', () => {
    const engine = containerEngine()!;
    // The executable alone must work (it goes in CDK_DOCKER): this process's environment only.
    const r = spawnSync(engine.executable, ['run', '--rm', engine.image, 'node', '--version'], { encoding: 'utf-8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  test('arm64 containers run arm64 node, when the image has an arm64 variant and binfmt is set up', () => {
    const engine = containerEngine()!;
    expect(engine.platforms).toContain('linux/amd64');
    if (!engine.platforms.includes('linux/arm64')) {
      process.stderr.write('[platforms] linux/arm64 containers skipped: bash .ci/lib/binfmt.sh && bash .ci/lib/build-image.sh --arch all\n');
      return;
    }
    const r = spawnSync(engine.executable, ['run', '--rm', '--platform', 'linux/arm64', engine.image, 'node', '-p', 'process.arch'], { encoding: 'utf-8', timeout: 300_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('arm64');
  });

  test('aws-cdk-lib builds a layer in it through CDK_DOCKER, and the layer searches on the runtimes\' Node.js', () => {
    const engine = containerEngine()!;
    const out = tempDir('container-layer');
    const user = os.userInfo();
    // The call AssetBundlingBindMount makes for VectorDbLayer's Docker bundling.
    withEnv({ CDK_DOCKER: engine.executable }, () => DockerImage.fromRegistry(engine.image).run({
      command: ['node', '/asset-input/build-layer.js', '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'x86_64', '--out', '/asset-output'],
      user: `${user.uid}:${user.gid}`,
      environment: { HOME: '/tmp', npm_config_cache: '/tmp/.npm', npm_config_update_notifier: 'false' },
      workingDirectory: '/asset-input',
      platform: 'linux/amd64',
      volumes: [
        { hostPath: LAYER_ASSETS, containerPath: '/asset-input' },
        { hostPath: out, containerPath: '/asset-output' },
      ],
    }));
    expect(fs.existsSync(path.join(out, 'nodejs', 'node_modules', 'vectordb', 'package.json'))).toBe(true);
    const majors = HAS_NODE_MAJORS ? NODE_MAJORS : [];
    for (const major of majors) {
      const found = searchWith({ layerDir: out, sdk: 'vectordb', node: nodeBinary(major, 'x86_64'), arch: 'x86_64' });
      expect({ major, ids: found.ids, version: found.version }).toEqual({ major, ids: NEAREST, version: '0.4.2' });
    }
  });
});
