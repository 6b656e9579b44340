/**
 * The local invoker never reaches another app's data by accident: its work
 * folder follows the package's cache setting and stays out of /tmp, and a
 * function whose database has no local counterpart (S3, EFS, LanceDB Cloud)
 * stops before anything runs, saying where its data is and how to point it
 * at a folder or a local S3 server. Fast tier: inline functions, no layer.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { VectorDatabase } from '../src';
import { cliInProcess } from './support/cli';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { databaseProblem } from '../src/invoke/database';
import { findFunction, localInvoke } from '../src/invoke/local-invoke';
import { isUnderTmp, resolveWorkDir } from '../src/invoke/work-dir';

/** A folder outside /tmp that need not exist: resolution only. */
const OUTSIDE = '/var/empty/vdbl-not-made';

describe('the work folder', () => {
  test('--work-dir wins, even under /tmp (isolation then says why it cannot, or refuses in namespace mode)', () => {
    expect(resolveWorkDir('/tmp/mine', { CDK_VECTORDB_LAYER_CACHE: `${OUTSIDE}/cache` })).toEqual({ dir: '/tmp/mine' });
    expect(resolveWorkDir('rel', {}).dir).toBe(path.resolve('rel'));
  });

  test('follows CDK_VECTORDB_LAYER_CACHE: <cache>/invoke', () => {
    expect(resolveWorkDir(undefined, { CDK_VECTORDB_LAYER_CACHE: `${OUTSIDE}/cache`, XDG_CACHE_HOME: `${OUTSIDE}/xdg` })).toEqual({ dir: `${OUTSIDE}/cache/invoke` });
  });

  test('without it, or with the cache off, the platform cache folder\'s cdk-vectordb-layer/invoke', () => {
    const platform = { dir: `${OUTSIDE}/xdg/cdk-vectordb-layer/invoke` };
    expect(resolveWorkDir(undefined, { XDG_CACHE_HOME: `${OUTSIDE}/xdg` })).toEqual(platform);
    expect(resolveWorkDir(undefined, { CDK_VECTORDB_LAYER_CACHE: 'off', XDG_CACHE_HOME: `${OUTSIDE}/xdg` })).toEqual(platform);
    expect(resolveWorkDir(undefined, { CDK_VECTORDB_LAYER_CACHE: ' ', XDG_CACHE_HOME: `${OUTSIDE}/xdg` })).toEqual(platform);
  });

  test('a cache under /tmp moves the work folder to the platform cache folder, saying so in one line', () => {
    const r = resolveWorkDir(undefined, { CDK_VECTORDB_LAYER_CACHE: '/tmp/ci/layer-cache', XDG_CACHE_HOME: `${OUTSIDE}/xdg` });
    expect(r.dir).toBe(`${OUTSIDE}/xdg/cdk-vectordb-layer/invoke`);
    expect(r.note).toBe(`the work folder /tmp/ci/layer-cache/invoke (CDK_VECTORDB_LAYER_CACHE/invoke) is under /tmp, which the handler's own /tmp would hide; used ${OUTSIDE}/xdg/cdk-vectordb-layer/invoke instead (choose one with --work-dir DIR, outside /tmp)`);
    expect(r.note).not.toMatch(/\n/);
  });

  test('when every default is under /tmp it stays (isolation says why it cannot, first)', () => {
    expect(resolveWorkDir(undefined, { CDK_VECTORDB_LAYER_CACHE: '/tmp/a', XDG_CACHE_HOME: '/tmp/b' })).toEqual({ dir: '/tmp/a/invoke' });
  });

  test('/tmp is seen through symlinks', () => {
    const base = tempDir('work-link');
    const link = path.join(base, 'link');
    fs.symlinkSync('/tmp', link);
    expect(isUnderTmp(path.join(link, 'x', 'y'))).toBe(true);
    expect(isUnderTmp('/tmpfoo')).toBe(false);
    expect(isUnderTmp(OUTSIDE)).toBe(false);
  });
});

describe('a database with no local counterpart stops the invoke', () => {
  const outdir = tempDir('invoke-db');
  const code = 'exports.handler = async () => ({ uri: process.env.VECTORDB_URI ?? null });';

  beforeAll(() => {
    const { app, stack } = appAt(outdir);
    const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline(code) });
    const bucket = new s3.Bucket(stack, 'Bucket');
    for (const [id, db] of [['S3', VectorDatabase.s3(bucket)], ['S3Ddb', VectorDatabase.s3(s3.Bucket.fromBucketName(stack, 'Named', 'my-vectors'), { prefix: 'v1' })]] as const) {
      const f = fn(id);
      for (const [k, v] of Object.entries(db.bind(f).environment)) f.addEnvironment(k, v);
    }
    fn('Efs').addEnvironment('VECTORDB_URI', '/mnt/vectordb');
    fn('Cloud').addEnvironment('VECTORDB_URI', 'db://my-db');
    fn('Tmp').addEnvironment('VECTORDB_URI', '/tmp/vectordb');
    fn('None');
    app.synth();
  });

  const problem = (id: string, env: Record<string, string> = {}, shared: string[] = []) => databaseProblem(findFunction(outdir, `Stack/${id}`), env, shared);

  test('S3: where the data is on Lambda, the folder fix and the local S3 settings, on one line', () => {
    const p = problem('S3')!;
    expect(p).toMatch(/^function Stack\/S3: on Lambda its database is in S3 \(VECTORDB_URI=s3:\/\/\$\{Bucket[0-9A-F]{8}\}\/vectordb\), which the invoker cannot reach without AWS and does not fake; give VECTORDB_URI with --env \(CLI\) or env: a folder \(--env VECTORDB_URI=DIR --shared-dir DIR, DIR outside \/tmp/);
    expect(p).toContain('a local S3 server (--env VECTORDB_URI=s3://BUCKET/vectordb --env VECTORDB_STORAGE_OPTIONS=\'{"aws_endpoint":"http://127.0.0.1:4568","allow_http":"true","region":"us-east-1"}\' --env AWS_ACCESS_KEY_ID=S3RVER --env AWS_SECRET_ACCESS_KEY=S3RVER)');
    expect(p).not.toMatch(/\n/);
    expect(problem('S3Ddb')).toMatch(/in S3 \(VECTORDB_URI=s3:\/\/my-vectors\/v1\).*s3:\/\/BUCKET\/v1 /);
  });

  test('EFS and LanceDB Cloud too; a /tmp folder, a function without VECTORDB_URI, and a given VECTORDB_URI pass', () => {
    expect(problem('Efs')).toMatch(/^function Stack\/Efs: on Lambda its database is an EFS mount \(VECTORDB_URI=\/mnt\/vectordb\), which is not mounted here; give VECTORDB_URI .*--env VECTORDB_URI=DIR --shared-dir DIR/);
    expect(problem('Efs', {}, ['/mnt/vectordb'])).toBeUndefined();
    expect(problem('Cloud')).toMatch(/^function Stack\/Cloud: on Lambda its database is LanceDB Cloud \(VECTORDB_URI=db:\/\/my-db, its API key read from Secrets Manager\), which the invoker cannot reach without AWS; give VECTORDB_URI/);
    expect(problem('Tmp')).toBeUndefined();
    expect(problem('None')).toBeUndefined();
    expect(problem('S3', { VECTORDB_URI: '/srv/db' })).toBeUndefined();
  });

  test('the CLI: the first line of output says it, exit 2, nothing laid out', async () => {
    const cache = tempDir('invoke-db-cache');
    const { status, stdout, stderr } = await cliInProcess(['invoke', outdir, 'Stack/S3', '--work-dir', path.join(cache, 'work')], { env: { CDK_VECTORDB_LAYER_CACHE: cache } });
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toMatch(/^cdk-vectordb-layer invoke: function Stack\/S3: on Lambda its database is in S3 \(VECTORDB_URI=s3:\/\/\$\{Bucket[0-9A-F]{8}\}\/vectordb\)/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  test('with VECTORDB_URI given it runs, in the work folder the cache setting names', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/S3', env: { VECTORDB_URI: '/srv/db' }, isolation: 'none' });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({ uri: '/srv/db' });
    const expected = resolveWorkDir(undefined);
    expect(r.workDir).toBe(expected.dir);
    expect(r.notes).toEqual(expected.note ? [expected.note] : []);
    // The tests' cache (test/setup-env.js) is in the checkout: outside /tmp its invoke/, under /tmp (a CI clone) the platform's.
    const fromCache = path.join(path.resolve(process.env.CDK_VECTORDB_LAYER_CACHE!), 'invoke');
    if (!isUnderTmp(fromCache)) expect(r.workDir).toBe(fromCache);
    else expect(r.notes[0]).toMatch(/ is under \/tmp, which the handler's own \/tmp would hide; used .* instead/);
  });
});
