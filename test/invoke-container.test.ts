/**
 * The local invoker's container decision (src/invoke/container.ts) on hosts
 * given to it: macOS and Windows run a function in a Linux container when an
 * engine answers (the first line names the OS mismatch), else one error
 * naming both ways; Linux runs natively unless asked. The engine here is a
 * stand-in script (it answers `version` and runs `run`'s node script with this
 * node), so nothing needs Docker; the real runs are
 * test/integ/local-invoke-container.test.ts. Fast tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fakeFunction } from './support/fake-function';
import { tempDir } from './support/files';
import { containerFor, osMismatchWarning } from '../src/invoke/container';
import { LocalInvokeError } from '../src/invoke/types';
import { EngineProbe } from '../src/private/common/container-engine';

const fnOf = fakeFunction;

/** An engine stand-in named `name`: `version` answers, `run ... <image> -e <script>` runs the script with this node; each call logged. */
function fakeEngine(name: 'docker' | 'podman'): { probe: EngineProbe; calls: () => string[][] } {
  const dir = tempDir('engine');
  const log = path.join(dir, 'calls.jsonl');
  const file = path.join(dir, name);
  fs.writeFileSync(file, [
    `#!${process.execPath}`,
    'const { spawnSync } = require(\'child_process\');',
    'const args = process.argv.slice(2);',
    `require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');`,
    'if (args[0] === \'version\') { process.stdout.write(\'9.9.9\\n\'); process.exit(0); }',
    'const e = args.indexOf(\'-e\');',
    'const r = spawnSync(process.execPath, args.slice(e), { stdio: \'inherit\' });',
    'process.exit(r.status ?? 1);',
    '',
  ].join('\n'), { mode: 0o755 });
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf-8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  return { probe: { name, executable: file, version: '9.9.9' }, calls };
}

const none: EngineProbe = { name: 'docker', why: 'docker is not on PATH; podman is not on PATH' };
const never = (): EngineProbe => {
  throw new Error('an engine was looked for');
};
const darwin = { platform: 'darwin', arch: 'arm64' };

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof LocalInvokeError) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('not refused');
}

describe('which host runs a function in a container', () => {
  test('Linux runs it natively and looks for no engine', () => {
    expect(containerFor({ fn: fnOf('arm64'), host: { platform: 'linux', arch: 'x64' }, engine: never })).toBeUndefined();
  });

  test('macOS with an engine: in a container of the function\'s platform, the first line names the OS mismatch, the image\'s node asked once', () => {
    const engine = fakeEngine('docker');
    const plan = containerFor({ fn: fnOf('x86_64'), host: darwin, engine: () => engine.probe })!;
    expect(plan.note).toBe('function Stack/Fn runs on Linux on Lambda and this host is darwin, where its Linux binaries do not load: it runs in a Linux container, docker 9.9.9 with public.ecr.aws/lambda/nodejs:22 '
      + `(linux/amd64, through the engine's emulation on this arm64 host; timeouts x10) on Node.js ${process.versions.node} (${process.execPath}); task and layers read-only at /var/task and /opt, its own /tmp`);
    expect(plan.info).toMatchObject({ image: 'public.ecr.aws/lambda/nodejs:22', platform: 'linux/amd64', network: 'host.docker.internal', timeFactor: 10 });
    expect(engine.calls()).toEqual([['run', '--rm', '--platform', 'linux/amd64', '--network', 'none', '--entrypoint', 'node', 'public.ecr.aws/lambda/nodejs:22', '-e', expect.any(String)]]);
    // The Runtime API stays on the host's loopback; the container reaches it by the engine's alias.
    expect(plan.runtimeApi('127.0.0.1:40123')).toBe('host.docker.internal:40123');
  });

  test('the engine command: read-only task, layers and root, its own /tmp, Lambda\'s variables as -e, the image\'s node; argument vectors only', () => {
    const engine = fakeEngine('podman');
    const plan = containerFor({ fn: fnOf('arm64'), host: darwin, engine: () => engine.probe })!;
    const layout = { root: '/w/env-1', task: '/w/env-1/task', opt: '/w/env-1/opt', tmp: '/w/env-1/tmp', runtime: '/w/env-1/runtime' };
    const env = { A: 'a b; $(rm -rf /)', _HANDLER: 'index.handler', LD_LIBRARY_PATH: '/var/task:/var/task/lib:/opt/lib' };
    const { file, args } = plan.command(layout, ['--require', 'x.cjs', 'boot.cjs'], env, ['/data/db']);
    expect(file).toBe(engine.probe.executable);
    const image = args.indexOf('public.ecr.aws/lambda/nodejs:22');
    expect(args.slice(image + 1)).toEqual(['--require', 'x.cjs', 'boot.cjs']);
    const options = args.slice(0, image).join(' ');
    expect(options).toMatch(/^run --rm --name cdk-vectordb-layer-invoke-\d+-[0-9a-f]{8} --platform linux\/arm64 --read-only --tmpfs \/tmp:rw,exec,mode=1777 /);
    expect(options).toContain('-v /w/env-1/task:/var/task:ro -v /w/env-1/opt:/opt:ro -v /w/env-1:/var/cdk-vectordb-layer:ro');
    expect(options).toContain('-v /data/db:/data/db ');
    expect(options).toContain(' -w /var/task -e A=a b; $(rm -rf /) -e _HANDLER=index.handler '
      + `-e LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib --entrypoint ${process.execPath}`);
    expect(args).toContain('A=a b; $(rm -rf /)');
    expect(args).not.toContain('--network');
    expect(plan.runtimeApi('127.0.0.1:5')).toBe('host.containers.internal:5');
  });

  test('Linux with --container: the host\'s network, no emulation factor for its own architecture', () => {
    const engine = fakeEngine('podman');
    const plan = containerFor({ fn: fnOf('x86_64'), container: true, host: { platform: 'linux', arch: 'x64' }, engine: () => engine.probe })!;
    expect(plan.info).toMatchObject({ network: 'host', timeFactor: 1, why: 'function Stack/Fn: container (CLI --container) is set' });
    expect(plan.runtimeApi('127.0.0.1:5')).toBe('127.0.0.1:5');
    expect(plan.command({ root: '/r', task: '/r/t', opt: '/r/o', tmp: '/r/tmp', runtime: '/r/rt' }, [], {}, []).args.join(' ')).toContain(' --network host ');
  });

  test('--image implies a container and is checked as an image reference', () => {
    const engine = fakeEngine('docker');
    expect(containerFor({ fn: fnOf('x86_64'), image: 'localhost/my-image:1', host: { platform: 'linux', arch: 'x64' }, engine: () => engine.probe })!.info.image).toBe('localhost/my-image:1');
    expect(refusal(() => containerFor({ fn: fnOf('x86_64'), image: 'x; rm -rf /', engine: never })))
      .toBe('BAD_INPUT: image (CLI: --image) must be an image reference such as public.ecr.aws/lambda/nodejs:22 ([registry/]name[:tag][@digest], lower-case name), got "x; rm -rf /"');
    expect(refusal(() => containerFor({ fn: fnOf('x86_64'), image: 'a', container: false, engine: never }))).toMatch(/^BAD_INPUT: image is set but container is false/);
  });
});

describe('a host with neither a Linux to load the binaries nor an engine', () => {
  test.each(['darwin', 'win32'])('%s: one error naming both ways', (platform) => {
    expect(refusal(() => containerFor({ fn: fnOf('x86_64'), host: { platform, arch: 'x64' }, engine: () => none })))
      .toBe(`NO_CONTAINER_ENGINE: function Stack/Fn runs on Linux on Lambda and this host is ${platform}, where its Linux binaries do not load, so it must run in a Linux container, `
        + 'but no Docker-compatible engine answers (docker is not on PATH; podman is not on PATH); install Docker or podman and start it, and the function runs in a Linux container; or invoke it on a Linux host');
  });

  test('--container on any host without an engine says what to install', () => {
    expect(refusal(() => containerFor({ fn: fnOf('arm64'), container: true, host: { platform: 'linux', arch: 'x64' }, engine: () => none })))
      .toBe('NO_CONTAINER_ENGINE: function Stack/Fn: container (CLI --container) is set, so it must run in a Linux container, but no Docker-compatible engine answers (docker is not on PATH; podman is not on PATH); install Docker or podman and start it');
  });

  test('container: false on macOS runs natively, with the OS mismatch named', () => {
    expect(containerFor({ fn: fnOf('arm64'), container: false, host: darwin, engine: never })).toBeUndefined();
    expect(osMismatchWarning(fnOf('arm64'), 'darwin')).toBe('function Stack/Fn runs on Linux on Lambda and this host is darwin: its layers\' Linux binaries (LanceDB\'s native module) do not load here; '
      + 'run it in a container (container: true, CLI --container) with Docker or podman, or on a Linux host');
    expect(osMismatchWarning(fnOf('arm64'), 'linux')).toBeUndefined();
  });

  test('an image that does not run node: the engine\'s words and the ways out', () => {
    const dir = tempDir('failing-engine');
    const file = path.join(dir, 'docker');
    fs.writeFileSync(file, `#!${process.execPath}\nprocess.stderr.write('Error: exec format error\\n'); process.exit(125);\n`, { mode: 0o755 });
    expect(refusal(() => containerFor({ fn: fnOf('arm64'), container: true, host: { platform: 'linux', arch: 'x64' }, engine: () => ({ name: 'docker', executable: file, version: '1' }) })))
      .toBe('NO_CONTAINER_IMAGE: function Stack/Fn: the image public.ecr.aws/lambda/nodejs:22 does not run node on linux/arm64 with docker (`docker run --platform linux/arm64 --entrypoint node public.ecr.aws/lambda/nodejs:22`: Error: exec format error); '
        + 'pull it (docker pull --platform linux/arm64 public.ecr.aws/lambda/nodejs:22), let the engine run linux/arm64 (emulation), or give image (CLI: --image) one with node on its PATH');
  });
});
