/**
 * `invoke --container`: the same execution environment in a Linux container
 * (podman here, with the tests' local build image, whose node is the official
 * Node.js 22 build at /usr/local/bin/node), compared with the native run of
 * the same function and event: x86_64 against its native run here; arm64
 * (through the engine's emulation, binfmt) against the answer its native run
 * under qemu-user gives in test/integ/local-invoke-emulation.test.ts (the
 * same function, handler and query). The Lambda base image (the default) is
 * not reachable from this machine. Fails (does not skip) without the engine
 * when CDK_VECTORDB_LAYER_TEST_REQUIRE names `container`. Slow tier: real
 * layers (from the layer cache after their first build).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction, VectorDbSdk } from '../../src';
import { cliInProcess } from '../support/cli';
import { tempDir } from '../support/files';
import { available, containerEngine, hostArch } from '../support/platforms';
import { appAt, FIXTURES } from '../support/synth';

const EVENT = JSON.stringify({ query: [42.1, 21.05, 1], k: 3 });

describe('a function in a Linux container gives the native run\'s result', () => {
  const outdir = tempDir('container');
  const engine = available('container') ? containerEngine() : undefined;

  beforeAll(() => {
    if (!engine) return;
    const { app, stack } = appAt(outdir);
    for (const [id, architecture] of [['SearchX86', lambda.Architecture.X86_64], ['SearchArm', lambda.Architecture.ARM_64]] as const) {
      new VectorDbFunction(stack, id, {
        entry: path.join(FIXTURES, 'handlers', 'search.js'),
        sdk: VectorDbSdk.VECTORDB,
        sdkVersion: '0.4.2',
        architecture,
        runtime: lambda.Runtime.NODEJS_22_X,
      });
    }
    app.synth();
  }, 600_000);

  async function invoke(fn: string, extra: string[]) {
    const r = await cliInProcess(['invoke', outdir, fn, '--event-json', EVENT, '--json', ...extra], { env: { CDK_DOCKER: engine!.executable } });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    return JSON.parse(r.stdout);
  }

  test.each([
    ['x86_64', 'SearchX86', 'linux/amd64', 'x64'],
    ['arm64', 'SearchArm', 'linux/arm64', 'arm64'],
  ] as const)('%s: the same event, the same answer; the layout is Lambda\'s own paths, /tmp its own', async (arch, id, platform, nodeArch) => {
    if (!engine) return;
    expect(engine.platforms).toContain(platform);
    const started = Date.now();
    const inContainer = await invoke(`Stack/${id}`, ['--container', '--image', engine.image]);
    const containerMs = Date.now() - started;
    // The native run of the host's architecture here; the arm64 one under qemu-user is
    // test/integ/local-invoke-emulation.test.ts's (the same function, handler and query, the same
    // answer asserted), not repeated: 20-40 s under emulation on 2 cores.
    const native = arch === hostArch() ? await invoke(`Stack/${id}`, []) : undefined;

    // What the handler answered, without the paths (the layout's folders natively, Lambda's own in the container).
    const answer = ({ result }: any) => {
      const { ids, cold, version, arch: cpu, functionName } = result;
      return { ids, cold, version, arch: cpu, functionName, handler: result.env._HANDLER };
    };
    expect(answer(inContainer)).toEqual({ ids: [42, 43, 41], cold: true, version: '0.4.2', arch: nodeArch, functionName: expect.any(String), handler: 'index.handler' });
    if (native) expect(answer(inContainer)).toEqual(answer(native));

    // Lambda's paths, as on Lambda: the SDK from /opt, the handler in /var/task, /tmp its own.
    expect(inContainer.result.env.LAMBDA_TASK_ROOT).toBe('/var/task');
    expect(inContainer.result.cwd).toBe('/var/task');
    expect(inContainer.result.sdk.startsWith('/opt/nodejs/node_modules/vectordb/')).toBe(true);
    expect(inContainer.result.env.NODE_PATH).toBe('/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task');
    expect(inContainer.result.tmpdir).toBe('/tmp');
    expect(inContainer.isolation).toEqual({ mode: 'container', tmpdir: '/tmp', setupMs: 0 });
    expect(inContainer.emulation).toBeUndefined();
    expect(inContainer.runtimeClient).toBe('bootstrap');
    expect(inContainer.nodeVersion).toMatch(/^22\./);
    expect(inContainer.container).toEqual({
      engine: engine.executable,
      engineVersion: expect.any(String),
      image: engine.image,
      platform,
      node: '/usr/local/bin/node',
      network: 'host',
      why: `function Stack/${id}: container (CLI --container) is set`,
      timeFactor: arch === hostArch() ? 1 : 10,
    });
    expect(inContainer.warnings[0]).toMatch(new RegExp(`^function Stack/${id}: container \\(CLI --container\\) is set: it runs in a Linux container, \\S+ \\S+ with ${engine.image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(${platform}`));
    process.stderr.write(`[container] ${arch}: container run ${containerMs} ms (init ${inContainer.initMs} ms, invoke ${inContainer.invokeMs[0]} ms)${native ? `; native init ${native.initMs} ms, invoke ${native.invokeMs[0]} ms` : ''}\n`);
  }, 600_000);

  test('nothing stays behind: no container of the invoker is left', async () => {
    if (!engine) return;
    const ps = spawnSync(engine.executable, ['ps', '--all', '--format', '{{.Names}}'], { encoding: 'utf-8', env: { ...process.env, ...engine.env } });
    expect(ps.status).toBe(0);
    expect(ps.stdout.split('\n').filter((n) => n.startsWith(`cdk-vectordb-layer-invoke-${process.pid}-`))).toEqual([]);
  });
});
