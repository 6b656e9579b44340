import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { VectorDbLayer } from '../../src';
import { InvokeResult, listFunctions, localInvoke, LocalInvokeError } from '../../src/invoke/local-invoke';
import { cliInProcess } from '../support/cli';
import { tempDir } from '../support/files';
import { available, ricProject } from '../support/platforms';
import { appAt, FIXTURES, stagedLayerDir } from '../support/synth';

const HANDLERS = path.join(FIXTURES, 'handlers');
const ROOT = path.join(__dirname, '..', '..');
const IMPORTED_ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:shared-vectordb:7';

/** A thrown LocalInvokeError, or a failure if the promise resolved. */
async function rejection(p: Promise<InvokeResult>): Promise<LocalInvokeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LocalInvokeError);
    return e as LocalInvokeError;
  }
  throw new Error('expected the invoke to be refused');
}

/** `npx cdk-vectordb-layer ...` from src/ through ts-node, as a checkout without lib/ runs it (in `cwd`, default the repository). */
function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'cdk-vectordb-layer'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CDK_VECTORDB_LAYER_FROM_SOURCE: '1' },
    encoding: 'utf-8',
    shell: false,
    timeout: 120000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


describe('localInvoke runs a synthesized function as Lambda would', () => {
  const outdir = tempDir('invoke');

  beforeAll(() => {
    const { app, stack } = appAt(outdir);
    const layer = new VectorDbLayer(stack, 'Layer', { version: '0.4.2' });
    const fn = (id: string, file: string, props: Partial<ConstructorParameters<typeof NodejsFunction>[2]> = {}) => new NodejsFunction(stack, id, {
      entry: path.join(HANDLERS, file),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_20_X,
      layers: [layer],
      bundling: { externalModules: ['vectordb', 'apache-arrow', '@aws-sdk/*'] },
      ...props,
    });
    fn('Search', 'search.js', { memorySize: 512, timeout: Duration.seconds(10), environment: { TABLE_NAME: 'points' } });
    fn('Throws', 'throws.js');
    fn('Sleeps', 'sleeps.js', { timeout: Duration.seconds(1) });
    fn('Writes', 'writes.js');
    fn('NoHandler', 'throws.js', { handler: 'notExported' });
    fn('Callback', 'callback.js');
    fn('Imported', 'search.js', { layers: [lambda.LayerVersion.fromLayerVersionArn(stack, 'Shared', IMPORTED_ARN)] });
    app.synth();
  });

  test('a vector search with vectordb from the layer in opt/: init once, then warm invokes', async () => {
    const r = await localInvoke({
      cdkOut: outdir,
      functionId: 'Stack/Search',
      events: [{}, { query: [100, 50, 1], k: 1 }, {}],
      env: { EXTRA: 'from the caller' },
    });
    expect(r.error).toBeUndefined();
    // aws-lambda-ric 4.x where .ci/lib/ric.sh linked it (CI requires it), else the bootstrap, saying why.
    const ric = available('ric4');
    expect(r.runtimeClient).toBe(ric ? 'aws-lambda-ric' : 'bootstrap');
    // Where the host can isolate, nothing differs from Lambda; elsewhere the first warning says /tmp is the host's.
    const isolated = r.isolation.mode === 'namespace';
    expect(r.warnings).toEqual([
      ...isolated ? [] : [expect.stringMatching(/^\/tmp is not isolated here: /)],
      ...ric ? [] : [expect.stringMatching(/^ran the bootstrap runtime client: aws-lambda-ric is not installed \(looked from /)],
    ]);
    expect(r.invocations.map((i) => (i.result as { ids: number[] }).ids)).toEqual([[42, 43, 41], [100], [42, 43, 41]]);
    expect(r.invocations.map((i) => (i.result as { cold: boolean }).cold)).toEqual([true, false, false]);
    expect(r.result).toMatchObject({ ids: [42, 43, 41], version: '0.4.2' });

    // Lambda's layout and environment, rooted in the temp folder.
    const out = r.result as { sdk: string; cwd: string; tmpdir: string; env: Record<string, string>; functionName: string; remainingMs: number };
    const task = out.env.LAMBDA_TASK_ROOT;
    const root = path.dirname(task);
    expect(path.basename(task)).toBe('task');
    expect(out.cwd).toBe(task);
    // Lambda's TMPDIR: /tmp, the environment's own (its tmp/ folder mounted there); without isolation the folder itself.
    expect(out.tmpdir).toBe(isolated ? '/tmp' : path.join(root, 'tmp'));
    expect(r.isolation.tmpdir).toBe(out.tmpdir);
    expect(out.sdk.startsWith(path.join(root, 'opt', 'nodejs', 'node_modules', 'vectordb') + path.sep)).toBe(true);
    const nodePath = out.env.NODE_PATH.split(':');
    expect(nodePath[0]).toBe(path.join(root, 'opt', 'nodejs', 'node20', 'node_modules'));
    expect(nodePath[1]).toBe(path.join(root, 'opt', 'nodejs', 'node_modules'));
    expect(nodePath[nodePath.length - 1]).toBe(task);
    expect(nodePath.every((p) => p.startsWith(root))).toBe(true);
    expect(out.env).toMatchObject({
      _HANDLER: 'index.handler',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      TABLE_NAME: 'points',
      EXTRA: 'from the caller',
    });
    expect(out.functionName).toMatch(/^Stack-Search/);
    expect(out.remainingMs).toBeGreaterThan(9000);
    expect(out.remainingMs).toBeLessThanOrEqual(10000);

    expect(r.initMs).toBeGreaterThan(0);
    expect(r.invokeMs).toHaveLength(3);
    expect(r.invokeMs.every((ms) => ms > 0)).toBe(true);
    expect(fs.existsSync(root)).toBe(false);
    process.stderr.write(`[local-invoke] vectordb search (${r.runtimeClient}): layout ${r.layoutMs} ms, init ${r.initMs} ms, invokes ${r.invokeMs.join(', ')} ms\n`);
  });

  test('the built-in bootstrap runs the same handler when asked to (the fallback without aws-lambda-ric)', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Search/Resource', invocations: 2, runtimeClient: 'bootstrap' });
    expect(r.runtimeClient).toBe('bootstrap');
    expect(r.error).toBeUndefined();
    expect(r.invocations.map((i) => (i.result as { ids: number[] }).ids)).toEqual([[42, 43, 41], [42, 43, 41]]);
    process.stderr.write(`[local-invoke] vectordb search (bootstrap): init ${r.initMs} ms, invokes ${r.invokeMs.join(', ')} ms\n`);
  });

  test('a handler that throws gets Lambda\'s error shape, and the environment stays warm', async () => {
    const logicalId = listFunctions(outdir).find((f) => f.path === 'Stack/Throws')!.logicalId;
    const r = await localInvoke({ cdkOut: outdir, functionId: `Stack/${logicalId}`, event: { name: 'vectors' }, invocations: 2 });
    expect(r.errorPhase).toBe('invoke');
    expect(r.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'no index for vectors' });
    expect(r.error!.trace[0]).toBe('RangeError: no index for vectors');
    expect(r.invocations).toHaveLength(2);
    expect(r.invocations.every((i) => i.error?.errorType === 'RangeError')).toBe(true);
    expect(r.result).toBeUndefined();
    expect(r.logs).toContain('about to fail for {"name":"vectors"}');
    expect(r.timedOut).toBe(false);
  });

  test('a handler that runs past its Timeout is killed with Lambda\'s message', async () => {
    const started = Date.now();
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Sleeps' });
    expect(r.timedOut).toBe(true);
    expect(r.error?.errorType).toBe('Sandbox.Timedout');
    expect(r.error?.errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    expect(r.invokeMs[0]).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeLessThan(10000);
    // timeoutSeconds overrides the template's
    const shorter = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Sleeps', timeoutSeconds: 0.5 });
    expect(shorter.error?.errorMessage).toMatch(/Task timed out after 0\.50 seconds$/);
  });

  test('only tmp/ is writable: the task folder and /opt fail with EROFS', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Writes', keepLayout: true });
    try {
      expect(r.result).toEqual({
        task: 'EROFS',
        taskMkdir: 'EROFS',
        taskStream: 'EROFS',
        opt: 'EROFS',
        optUnlink: 'EROFS',
        tmp: 'ok',
        taskFiles: ['index.js'],
      });
      expect(r.layoutDir).toBeDefined();
      expect(fs.readFileSync(path.join(r.layoutDir!, 'tmp', 'out', 'written.txt'), 'utf-8')).toBe('x');
      expect(fs.existsSync(path.join(r.layoutDir!, 'opt', 'nodejs', 'node_modules', 'vectordb', 'package.json'))).toBe(true);
    } finally {
      if (r.layoutDir) fs.rmSync(r.layoutDir, { recursive: true, force: true });
    }
  });

  test('an init error (handler not exported) is reported as Lambda reports it', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/NoHandler' });
    expect(r.errorPhase).toBe('init');
    expect(r.error).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.notExported is undefined or not exported' });
    expect(r.invocations).toEqual([]);
  });

  test('a callback handler on nodejs20.x runs (aws-lambda-ric 4.x refuses those, so the bootstrap runs it)', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Callback', event: { n: 7 } });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({ via: 'callback', n: 7 });
    expect(r.runtimeClient).toBe('bootstrap');
    expect(r.warnings.join('\n')).toMatch(available('ric4')
      ? /aws-lambda-ric refuses callback-style handlers .* nodejs20\.x runs them/
      : /ran the bootstrap runtime client: aws-lambda-ric is not installed/);
  });

  test('aws-lambda-ric 3.x (the one for Node.js 20) runs the handler, from the project the invoker runs in', () => {
    // Building 3.x's native client takes minutes (cmake, autoconf, automake, libtool): .ci/lib/ric.sh builds it into the test cache.
    if (!available('ric3')) return;
    const project = ricProject(3);
    const r = cli(['invoke', outdir, 'Stack/Search', '--json', '--times', '2'], project);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ runtimeClient: 'aws-lambda-ric', runtimeClientVersion: expect.stringMatching(/^3\./), result: { ids: [42, 43, 41], cold: false } });
    const thrown = JSON.parse(cli(['invoke', outdir, 'Stack/Throws', '--json'], project).stdout);
    expect(thrown).toMatchObject({ runtimeClientVersion: expect.stringMatching(/^3\./), error: { errorType: 'RangeError', errorMessage: 'no index for nothing' } });
    // 3.x still runs callback handlers itself, as nodejs20.x does.
    const callback = JSON.parse(cli(['invoke', outdir, 'Stack/Callback', '--json', '--event-json', '{"n":3}'], project).stdout);
    expect(callback).toMatchObject({ runtimeClientVersion: expect.stringMatching(/^3\./), result: { via: 'callback', n: 3 } });
  });

  test('a layer imported by ARN needs layerDirs, and runs with one', async () => {
    const refused = await rejection(localInvoke({ cdkOut: outdir, functionId: 'Stack/Imported' }));
    expect(refused.code).toBe('LAYER_UNAVAILABLE');
    expect(refused.message).toContain(IMPORTED_ARN);
    expect(refused.message).toContain('layerDirs');

    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Imported', layerDirs: { [IMPORTED_ARN]: stagedLayerDir(outdir) } });
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({ ids: [42, 43, 41], version: '0.4.2' });
  });

  test('an unknown function is refused with the list of functions there are', async () => {
    const e = await rejection(localInvoke({ cdkOut: outdir, functionId: 'Stack/Serach' }));
    expect(e.code).toBe('UNKNOWN_FUNCTION');
    for (const name of ['Stack/Search', 'Stack/Throws', 'Stack/Sleeps', 'Stack/Writes', 'Stack/NoHandler', 'Stack/Callback', 'Stack/Imported']) {
      expect(e.message).toContain(`  ${name} (logical id `);
    }
  });

  test('a missing cdk.out or asset folder is refused clearly', async () => {
    const missing = await rejection(localInvoke({ cdkOut: path.join(outdir, 'nothing-here'), functionId: 'Stack/Search' }));
    expect(missing.code).toBe('NO_CLOUD_ASSEMBLY');
    expect(missing.message).toMatch(/does not exist: it is not a cloud assembly/);

    // The same assembly without its asset.* folders.
    const bare = tempDir('bare-assembly');
    for (const file of fs.readdirSync(outdir).filter((n) => n.endsWith('.json'))) {
      fs.copyFileSync(path.join(outdir, file), path.join(bare, file));
    }
    const noAsset = await rejection(localInvoke({ cdkOut: bare, functionId: 'Stack/Throws' }));
    expect(noAsset.code).toBe('MISSING_ASSET');
    expect(noAsset.message).toMatch(/function Stack\/Throws .*its asset .*asset\.[0-9a-f]{64} is missing from the cloud assembly/);
  });

  test('the CLI lists the functions and exits 0 when no function is named', async () => {
    const r = await cliInProcess(['invoke', outdir]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`functions in ${outdir}:`);
    for (const name of ['Stack/Search', 'Stack/Throws', 'Stack/Imported']) expect(r.stdout).toMatch(new RegExp(`^  ${name}  \\(\\w+, nodejs20\\.x, index\\.handler\\)$`, 'm'));
  });

  test('the CLI (parseArgs) refuses bad usage with one line naming the flag, and exit 2', async () => {
    for (const [args, message] of [
      [['--foo'], 'unknown option --foo'],
      [['--times'], '--times needs a value'],
      [['--region', '-x'], '--region needs a value (a value that starts with "-" goes as --region=<value>)'],
      [['--json=yes'], '--json takes no value'],
      [['--isolation', 'maybe'], '--isolation takes auto, namespace or none, got "maybe"'],
      [['--event-json', '{}', '--event', 'x.json'], 'give the event once: --event or --event-json'],
      [['--env', 'NOEQUALS'], '--env takes KEY=VALUE, got "NOEQUALS"'],
    ] as const) {
      const r = await cliInProcess(['invoke', outdir, 'Stack/Search', ...args]);
      expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, `cdk-vectordb-layer invoke: ${message}`]);
    }
  });

  test('the CLI prints the result and exits 0; 1 when the handler throws; 2 for an unknown function', () => {
    const ok = cli(['invoke', outdir, 'Stack/Search', '--event-json', '{"query":[10.1,5.05,1],"k":2}', '--times', '2', '--env', 'EXTRA=cli']);
    expect(ok.stderr).toMatch(/init \d+(\.\d)? ms, invoke \d+(\.\d)? ms \(1\/2\)/);
    expect(ok.stderr).toMatch(/invoke \d+(\.\d)? ms \(warm, 2\/2\)/);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ids: [10, 11], cold: false, env: { EXTRA: 'cli' } });

    const thrown = cli(['invoke', outdir, 'Stack/Throws', '--event-json', '{"name":"cli"}', '--json']);
    expect(thrown.status).toBe(1);
    const json = JSON.parse(thrown.stdout);
    expect(json.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'no index for cli' });
    expect(json.runtimeClient).toBe(available('ric4') ? 'aws-lambda-ric' : 'bootstrap');
    expect(json.logs).toContain('about to fail');

    const unknown = cli(['invoke', outdir, 'Stack/Nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Stack/Search (logical id');
  });
});
