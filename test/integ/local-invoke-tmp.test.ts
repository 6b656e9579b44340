/**
 * Lambda's /tmp in the local invoker: each execution environment has its own
 * empty /tmp and nothing else is writable, for JavaScript, other processes and
 * LanceDB's native code alike (a private mount namespace); shared folders are
 * writable as an EFS mount is. Where the host cannot isolate, the first
 * warning says so. A real vectordb layer, the real invoker. The namespace
 * tests need mount namespaces (`namespaces` in CDK_VECTORDB_LAYER_TEST_REQUIRE:
 * CI fails without them; elsewhere they are skipped with a line saying how to
 * enable them), and each then checks the invoker did isolate.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction } from '../../src';
import { run } from '../../src/cli/main';
import { isolate } from '../../src/invoke/isolation';
import { InvokeResult, localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { available } from '../support/platforms';
import { appAt, FIXTURES } from '../support/synth';

/** Host folders outside /tmp (the repository's .tmp/, ignored by git). */
const HOST_ROOT = path.join(__dirname, '..', '..', '.tmp');

type Probe = Record<string, unknown> & { invocation: number; tmpdir: string; tmpBefore: string[]; tmpAfter: string[] };
const results = (r: InvokeResult) => r.invocations.map((i) => i.result as Probe);

/** Why the invoker cannot give a child its own /tmp here (util-linux and a mount namespace), or undefined. */
async function canIsolate(): Promise<string | undefined> {
  fs.mkdirSync(HOST_ROOT, { recursive: true });
  const root = fs.mkdtempSync(path.join(HOST_ROOT, 'probe-'));
  fs.mkdirSync(path.join(root, 'tmp'));
  try {
    const i = await isolate({ mode: 'auto', tmp: path.join(root, 'tmp'), shared: [], layoutRoot: root, needed: [] });
    i.close();
    return i.info.reason;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('each execution environment has its own /tmp, and nothing else is writable', () => {
  const outdir = tempDir('invoke-tmp');
  let host: string;
  let notIsolated: string | undefined;

  beforeAll(async () => {
    const { app, stack } = appAt(outdir);
    new VectorDbFunction(stack, 'Probe', { entry: path.join(FIXTURES, 'handlers', 'tmp-probe.js'), runtime: lambda.Runtime.NODEJS_20_X });
    app.synth();
    fs.mkdirSync(HOST_ROOT, { recursive: true });
    host = fs.mkdtempSync(path.join(HOST_ROOT, 'host-'));
    notIsolated = await canIsolate();
  });

  afterAll(() => fs.rmSync(host, { recursive: true, force: true }));

  test('/tmp starts empty in every environment, keeps its files across warm invokes, and never reaches the host', async () => {
    if (!available('namespaces')) return;
    expect(notIsolated).toBeUndefined();
    const marker = `vdbl-marker-${process.pid}`;
    const writes = { js: { how: 'fs', path: `/tmp/${marker}.fs` }, child: { how: 'child', path: `/tmp/${marker}.child` }, lance: { how: 'lance', path: '/tmp/db' } };
    const first = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe', events: [{ writes }, {}], timeoutSeconds: 30 });
    const second = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe', events: [{}], timeoutSeconds: 30 });
    expect(first.error).toBeUndefined();
    expect(first.isolation).toMatchObject({ mode: 'namespace', tmpdir: '/tmp' });
    expect(first.warnings).toEqual([]);
    const [cold, warm] = results(first);
    expect(cold).toMatchObject({ tmpdir: '/tmp', tmpBefore: [], js: 'ok', child: 'ok', lance: 'ok' });
    expect(cold.tmpAfter).toEqual(['db', `${marker}.child`, `${marker}.fs`]);
    // A warm invoke of the same environment sees them; a new environment starts empty.
    expect(warm.tmpBefore).toEqual(cold.tmpAfter);
    expect(results(second)[0].tmpBefore).toEqual([]);
    // Nothing of it on the host's /tmp.
    expect(fs.readdirSync('/tmp').filter((n) => n.startsWith(marker))).toEqual([]);
    process.stderr.write(`[local-invoke-tmp] namespace setup ${first.isolation.setupMs} ms, ${second.isolation.setupMs} ms; layout ${first.layoutMs} ms, ${second.layoutMs} ms\n`);
  });

  test('outside /tmp the host is read-only: JavaScript, another process and LanceDB all get EROFS', async () => {
    if (!available('namespaces')) return;
    expect(notIsolated).toBeUndefined();
    const target = path.join(host, 'written');
    const r = await localInvoke({
      cdkOut: outdir,
      functionId: 'Stack/Probe',
      event: { writes: { js: { how: 'fs', path: `${target}.fs` }, child: { how: 'child', path: `${target}.child` }, lance: { how: 'lance', path: `${target}.db` }, task: { how: 'child', path: 'in-task' } } },
      timeoutSeconds: 30,
    });
    expect(r.error).toBeUndefined();
    expect(r.isolation.mode).toBe('namespace');
    expect(r.result).toMatchObject({ js: 'EROFS', child: 'EROFS', lance: 'EROFS', task: 'EROFS' });
    expect(fs.readdirSync(host)).toEqual([]);
  });

  test('a shared folder (sharedDirs, like an EFS mount) is writable and every environment sees it', async () => {
    if (!available('namespaces')) return;
    expect(notIsolated).toBeUndefined();
    const shared = fs.mkdtempSync(path.join(host, 'efs-'));
    const writes = { lance: { how: 'lance', path: path.join(shared, 'db') }, child: { how: 'child', path: path.join(shared, 'touched') } };
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe', event: { writes }, sharedDirs: [shared], timeoutSeconds: 30 });
    expect(r.isolation.mode).toBe('namespace');
    expect(r.result).toMatchObject({ lance: 'ok', child: 'ok' });
    expect(fs.readdirSync(shared).sort()).toEqual(['db', 'touched']);
    expect(fs.readdirSync(path.join(shared, 'db'))).toEqual(['points.lance']);
  });

  test('without isolation the first warning says so, and TMPDIR is still a folder of the environment\'s own', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe', isolation: 'none', events: [{}] });
    expect(r.error).toBeUndefined();
    expect(r.isolation.mode).toBe('none');
    expect(r.warnings[0]).toMatch(/^\/tmp is not isolated here: isolation is off \(isolation: none\)\. The handler's TMPDIR is its own folder \(.*\/tmp\), but a literal \/tmp is the host's \/tmp, shared/);
    const probe = results(r)[0];
    expect(probe.tmpdir).toBe(r.isolation.tmpdir);
    expect(probe.tmpdir).not.toBe('/tmp');
    expect(probe.tmpBefore).toEqual([]);
  });

  test('isolation: namespace is refused where it cannot be had, naming why', async () => {
    const underTmp = tempDir('work-under-tmp');
    await expect(localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe', isolation: 'namespace', workDir: underTmp }))
      .rejects.toThrow(/^isolation is namespace but the work folder .* is under \/tmp, which the handler's own \/tmp would hide; give a workDir \(CLI: --work-dir\) outside \/tmp$/);
    // auto falls back, and says so first
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Probe', workDir: underTmp });
    expect(r.warnings[0]).toMatch(/^\/tmp is not isolated here: the work folder .* is under \/tmp/);
    expect(fs.readdirSync(underTmp)).toEqual([]);
  });

  test('the CLI says so on the first line of its output', async () => {
    let stderr = '';
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    let status: number;
    try {
      status = await run(['invoke', outdir, 'Stack/Probe', '--isolation', 'none']);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(status).toBe(0);
    expect(stderr.split('\n')[0]).toMatch(/^warning: \/tmp is not isolated here: isolation is off/);
  });
});
