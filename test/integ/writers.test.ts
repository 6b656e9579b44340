/**
 * Concurrent writers, proven through the local invoker: one VectorDbFunction
 * (@lancedb/lancedb layer from the layer cache, a real esbuild bundle) whose
 * handler appends with the runtime helper's `append`, run as 4 execution
 * environments at once with 50 one-row appends each (200 in all), against
 * (a) a folder every environment shares (the EFS case), (b) s3rver as it is,
 * which ignores `If-None-Match` (no conditional writes) and (c) s3rver with
 * conditional writes as S3 has them (the recording proxy answers 412 on an
 * existing key). Afterwards every row must be there (count and ids), except
 * on (b), where the test shows the rows lost instead of hiding them.
 * Measured (2 shared cores): (a) 200 of 200, no retry, ~20 s; (b) 86 of 200
 * rows left, one append failed reading a manifest overwritten under it, the
 * others reported success; (c) 22 manifest PUTs refused with 412, Lance
 * retried them, one append gave up after Lance's 30 s ("Too many concurrent
 * writers") until the helper retried it too.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DatabaseAccess, VectorDatabase, VectorDbFunction, VectorDbSdk } from '../../src';
import { localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { RecordingS3, startRecordingS3 } from '../support/s3-recorder';
import { appAt } from '../support/synth';

const ENVIRONMENTS = 4;
const APPENDS = 50;
const BUCKET = 'vectors';
const FUNCTION = 'Stack/Writer';
/** Host folders outside /tmp (the repository's .tmp/, ignored by git): a shared folder must not be under /tmp. */
const HOST_ROOT = path.join(__dirname, '..', '..', '.tmp');

interface Outcome {
  readonly ids: number[];
  readonly retries: number;
  readonly failed: string[];
  readonly ms: number;
}

const cdkOut = tempDir('writers');
let synthMs = 0;

beforeAll(() => {
  const started = Date.now();
  const { app, stack } = appAt(cdkOut);
  new VectorDbFunction(stack, 'Writer', {
    entry: path.join(__dirname, 'fixtures', 'handlers', 'writer.ts'),
    sdk: VectorDbSdk.LANCEDB,
    memorySize: 512,
    // S3 in the template (APPEND: no delete); each case points VECTORDB_URI elsewhere.
    database: VectorDatabase.s3(new s3.Bucket(stack, 'Bucket')),
    databaseAccess: DatabaseAccess.APPEND,
  });
  app.synth();
  synthMs = Date.now() - started;
}, 600_000);

/** Creates the table, then runs the writers at once; each environment appends ids writer*1000 + i. */
async function writers(env: Record<string, string>, sharedDirs: string[] = []): Promise<Outcome> {
  const create = await localInvoke({ cdkOut, functionId: FUNCTION, event: { create: true }, env, sharedDirs, timeoutSeconds: 60 });
  expect(create.error).toBeUndefined();
  expect(create.result).toMatchObject({ created: true, cache: { indexCacheBytes: 64 * 1024 * 1024, metadataCacheBytes: 32 * 1024 * 1024 } });
  const started = Date.now();
  const runs = await Promise.all(Array.from({ length: ENVIRONMENTS }, (_, w) => localInvoke({
    cdkOut,
    functionId: FUNCTION,
    events: Array.from({ length: APPENDS }, (__, i) => ({ ids: [(w + 1) * 1000 + i] })),
    env,
    sharedDirs,
    timeoutSeconds: 120,
  })));
  const ms = Date.now() - started;
  const ok = runs.flatMap((r) => r.invocations).filter((i) => i.result).map((i) => i.result as unknown as { ids: number[]; attempts: number });
  const failed = runs.flatMap((r) => r.invocations).filter((i) => i.error).map((i) => i.error!.errorMessage.split('\n')[0]);
  return {
    ids: ok.flatMap((r) => r.ids),
    retries: ok.reduce((n, r) => n + r.attempts - 1, 0),
    failed,
    ms,
  };
}

/** Every id the writers append: environment w appends (w + 1) * 1000 + i. */
const expected = Array.from({ length: ENVIRONMENTS }, (_, w) => Array.from({ length: APPENDS }, (__, i) => (w + 1) * 1000 + i))
  .flat().sort((a, b) => a - b);
const report = (name: string, o: Outcome, present: number) =>
  process.stderr.write(`[writers] ${name}: ${ENVIRONMENTS} environments x ${APPENDS} appends = ${ENVIRONMENTS * APPENDS}; appended ${o.ids.length}, failed ${o.failed.length}, retries ${o.retries}, rows present ${present}, ${o.ms} ms (synth ${synthMs} ms)\n`);

describe('4 environments x 50 appends', () => {
  let server: RecordingS3 | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('(a) a shared folder (the EFS case): every row, each id once', async () => {
    fs.mkdirSync(HOST_ROOT, { recursive: true });
    const folder = fs.mkdtempSync(path.join(HOST_ROOT, 'writers-'));
    try {
      const env = { VECTORDB_URI: folder };
      const o = await writers(env, [folder]);
      const ids = await tableIds(env, [folder]);
      report('shared folder', o, ids.length);
      expect(o.failed).toEqual([]);
      expect(o.ids.sort((a, b) => a - b)).toEqual(expected);
      expect(ids).toEqual(expected);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }, 600_000);

  test('(b) s3rver, which ignores If-None-Match: commits overwrite each other and rows are lost, most of them silently', async () => {
    server = await startRecordingS3(BUCKET);
    const env = s3Env(server.endpoint, 'plain');
    const o = await writers(env);
    const ids = await tableIds(env);
    const lostSilently = o.ids.filter((id) => !ids.includes(id));
    report(`s3rver without conditional writes (${lostSilently.length} rows lost after their append succeeded; errors: ${[...new Set(o.failed.map((f) => f.slice(0, 120)))].join(' | ') || 'none'})`, o, ids.length);
    // Two writers wrote the same version's manifest and the later one won:
    // appends that reported success are not in the table. Nothing is invented.
    expect(lostSilently.length).toBeGreaterThan(0);
    expect(ids.every((id) => o.ids.includes(id))).toBe(true);
    expect(o.ids.length + o.failed.length).toBe(expected.length);
    // No writer was told of a conflict (there was none to see): the helper cannot retry what it never sees.
    expect(o.retries).toBe(0);
    expect(o.failed.filter((f) => /commit ?conflict|too many concurrent writers/i.test(f))).toEqual([]);
  }, 600_000);

  test('(c) S3 with conditional writes (412 on an existing manifest): every row, each id once, conflicts retried by Lance', async () => {
    server = await startRecordingS3(BUCKET, { conditionalWrites: true });
    const env = s3Env(server.endpoint, 'conditional');
    const o = await writers(env);
    const ids = await tableIds(env);
    const refused = server.requests.filter((r) => r.status === 412).length;
    report(`S3 with conditional writes (${refused} manifest PUTs refused with 412)`, o, ids.length);
    expect(o.failed).toEqual([]);
    expect(o.ids.sort((a, b) => a - b)).toEqual(expected);
    expect(ids).toEqual(expected);
    // The writers did collide: Lance saw the 412s and committed again on the next version
    // (and, past its own 30 s, the helper retried: the retries reported).
    expect(refused).toBeGreaterThan(0);
  }, 600_000);
});

function s3Env(endpoint: string, prefix: string): Record<string, string> {
  return {
    VECTORDB_URI: `s3://${BUCKET}/${prefix}`,
    VECTORDB_STORAGE_OPTIONS: JSON.stringify({ aws_endpoint: endpoint, allow_http: 'true', aws_region: 'us-east-1' }),
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
}

/** Every id in the table, sorted, as one more environment of the function reads it. */
async function tableIds(env: Record<string, string>, sharedDirs: string[] = []): Promise<number[]> {
  const r = await localInvoke({ cdkOut, functionId: FUNCTION, event: { list: true }, env, sharedDirs, timeoutSeconds: 60 });
  expect(r.error).toBeUndefined();
  const ids = (r.result as { list: number[] }).list.filter((id) => id >= 0);
  return ids.sort((a, b) => a - b);
}
