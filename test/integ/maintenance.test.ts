/**
 * The maintenance run, proven on real LanceDB (@lancedb/lancedb 0.39.0 from
 * a real layer) through the local invoker: a VectorDbFunction whose entry is
 * src/maintenance-handler/index.ts (real esbuild bundle, CommonJS, the SDK
 * loaded from the layer), VECTORDB_MAINTENANCE set, against a folder every
 * execution environment shares (the EFS case). The tables are grown here,
 * in this process, from the same layer, by many small appends, as Lambda
 * writers grow them.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../../src';
import { findFunction, InvokeResult, localInvoke } from '../../src/invoke/local-invoke';
import type { MaintenanceReport } from '../../src/runtime/maintenance';
import { LOCK_FILE } from '../../src/runtime/maintenance-lock';
import { storeFigures } from '../../src/runtime/maintenance-store';
import { tempDir } from '../support/files';
import { startS3rver } from '../support/s3rver';
import { appAt, stagedLayerDir } from '../support/synth';
import { appendInBatches, embeddingRows, lancedbFrom, medianOf, nearest, plan, queryVectors, recall } from '../support/vector-workload';

const SHARED_ROOT = path.join(__dirname, '..', '..', '.tmp');
const HANDLER = path.join(__dirname, '..', '..', 'src', 'maintenance-handler', 'index.ts');
const DIMENSION = 32;
const say = (line: string) => process.stderr.write(`[maintenance] ${line}\n`);

const settings = (over: Record<string, unknown> = {}) => JSON.stringify({ cleanupOlderThanSeconds: 0, vectorIndex: { mode: 'auto' }, ...over });

describe('a maintenance run through the local invoker, on a shared folder', () => {
  const outdir = tempDir('maint');
  let lancedb: any;
  let vectordb: any;
  let dbDir: string;
  let db: any;
  /** The table's folder before the first run. */
  let storeBefore: { bytes: number; files: number; dataFiles: number };

  beforeAll(async () => {
    const { app, stack } = appAt(outdir);
    new VectorDbFunction(stack, 'Maintain', {
      entry: HANDLER,
      layer: new VectorDbLayer(stack, 'Layer', { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' }),
      timeout: Duration.minutes(2),
      environment: { VECTORDB_MAINTENANCE: settings() },
    });
    new VectorDbFunction(stack, 'MaintainVectordb', {
      entry: HANDLER,
      layer: new VectorDbLayer(stack, 'Vectordb', { sdk: VectorDbSdk.VECTORDB, version: '0.21.2' }),
      timeout: Duration.minutes(2),
      environment: { VECTORDB_MAINTENANCE: settings() },
    });
    app.synth();
    lancedb = lancedbFrom(stagedLayerDir(outdir, '0.39.0'));
    vectordb = createRequire(path.join(stagedLayerDir(outdir, '0.21.2'), 'nodejs', 'node_modules', 'x.js'))('vectordb');
    fs.mkdirSync(SHARED_ROOT, { recursive: true });
    dbDir = fs.mkdtempSync(path.join(SHARED_ROOT, 'maint-db-'));
    db = await lancedb.connect(dbDir);
  }, 300_000);

  afterAll(() => {
    if (dbDir) fs.rmSync(dbDir, { recursive: true, force: true });
  });

  interface RunOptions { maintenance?: string; timeoutSeconds?: number; functionId?: string; uri?: string }
  const run = (options: RunOptions = {}): Promise<InvokeResult> => localInvoke({
    cdkOut: outdir,
    functionId: options.functionId ?? 'Stack/Maintain',
    env: { VECTORDB_URI: options.uri ?? dbDir, ...(options.maintenance ? { VECTORDB_MAINTENANCE: options.maintenance } : {}) },
    sharedDirs: [dbDir],
    timeoutSeconds: options.timeoutSeconds ?? 120,
  });
  const reportOf = (r: InvokeResult) => {
    expect(r.error).toBeUndefined();
    return r.result as unknown as MaintenanceReport;
  };
  const tableDir = (name: string) => path.join(dbDir, `${name}.lance`);
  const ids = async (name: string) => ((await (await db.openTable(name)).query().select(['id']).toArray()) as any[]).map((r) => Number(r.id)).sort((a, b) => a - b);
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  test('the handler bundle is CommonJS, a few kilobytes, without the SDK (loaded from the layer at run time)', () => {
    const code = fs.readFileSync(path.join(findFunction(outdir, 'Stack/Maintain').codeAssetPath!, 'index.js'), 'utf-8');
    expect(code).toMatch(/module\.exports/);
    expect(code).not.toMatch(/require\("(vectordb|@lancedb\/lancedb|apache-arrow)"\)/);
    expect(code.length).toBeLessThan(60_000);
  });

  test('compaction, pruning and the index: same exact neighbours, fewer fragments, versions and bytes, faster queries; the index is used', async () => {
    // 2,000 rows of 32 dimensions, appended in 200 batches of 10: 200 fragments, 200 versions.
    const table = await appendInBatches(db, 'docs', { batches: 200, batchSize: 10, dimension: DIMENSION });
    const queries = queryVectors(20, DIMENSION);
    const before = { stats: await table.stats(), versions: (await table.listVersions()).length, store: storeFigures(tableDir('docs'))! };
    const exactBefore = await nearest(table, queries, 10, true);
    expect(before.stats.fragmentStats.numFragments).toBe(200);
    expect(before.versions).toBe(200);
    storeBefore = before.store;

    const r = await run();
    const report = reportOf(r);
    expect(report.status).toBe('done');
    expect(report.lock).toEqual({ kind: 'file', file: path.join(dbDir, LOCK_FILE) });
    const docs = report.tables.find((t) => t.table === 'docs')!;
    expect(docs).toMatchObject({
      status: 'done',
      sdk: '@lancedb/lancedb',
      before: { rows: 2000, fragments: 200, versions: 200 },
      after: { rows: 2000, fragments: 1, unindexedRows: 0 },
      compaction: { fragmentsRemoved: 200, fragmentsAdded: 1 },
      // the rule: partitions round(sqrt(2000)) = 45, sub-vectors 32 / 8 = 4
      index: { state: 'built', column: 'vector', dimension: DIMENSION, numPartitions: 45, numSubVectors: 4 },
    });
    expect(docs.prune!.oldVersionsRemoved).toBeGreaterThanOrEqual(199);
    // One EMF line per table, in the function's log.
    const emf = r.logs.split('\n').filter((l) => l.includes('"CloudWatchMetrics"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'CdkVectorDbLayer/Maintenance', Dimensions: [['Table']] }] },
      Table: 'docs',
      FragmentsBefore: 200,
      FragmentsAfter: 1,
      VersionsBefore: 200,
      Rows: 2000,
      indexState: 'built',
      numPartitions: 45,
      numSubVectors: 4,
    });

    const after = await db.openTable('docs');
    const stats = await after.stats();
    const versions = (await after.listVersions()).length;
    const store = storeFigures(tableDir('docs'))!;
    expect(stats.fragmentStats.numFragments).toBe(1);
    expect(versions).toBeLessThanOrEqual(3);
    // Versions and their manifests are pruned now; the files compaction replaced go in the next run.
    expect(store.files).toBeLessThan(before.store.files / 2);

    // The same nearest neighbours, ids and distances, by exact search.
    const exactAfter = await nearest(after, queries, 10, true);
    expect(exactAfter.results.map((n) => n.ids)).toEqual(exactBefore.results.map((n) => n.ids));
    exactAfter.results.forEach((n, i) => n.distances.forEach((d, j) => expect(d).toBeCloseTo(exactBefore.results[i].distances[j], 4)));

    // The index is used (IVF partitions in the plan, none with bypassVectorIndex), and its recall.
    expect(await plan(after, queries[0], 10)).toMatch(/ANNSubIndex: name=vector_idx[\s\S]*ANNIvfPartition/);
    expect(await after.vectorSearch(queries[0]).limit(10).bypassVectorIndex().explainPlan()).not.toMatch(/ANN/);
    const indexed = await nearest(after, queries, 10, false);
    const recallAt10 = recall(exactAfter.results, indexed.results);
    expect(recallAt10).toBeGreaterThan(0.2);

    const latency = { before: medianOf(exactBefore.ms), after: medianOf(exactAfter.ms), indexed: medianOf(indexed.ms) };
    expect(latency.after).toBeLessThan(latency.before);
    say(`fragments 200 -> ${stats.fragmentStats.numFragments}, versions ${before.versions} -> ${versions}, bytes ${before.store.bytes} -> ${store.bytes} (${(store.bytes / before.store.bytes).toFixed(2)}), files ${before.store.files} -> ${store.files}`);
    say(`exact query median ${latency.before.toFixed(2)} ms -> ${latency.after.toFixed(2)} ms (x${(latency.after / latency.before).toFixed(3)}), through the index ${latency.indexed.toFixed(2)} ms; recall@10 ${recallAt10.toFixed(3)}; run ${docs.durationMs} ms (index ${docs.index.buildMs} ms), invoke ${r.invokeMs[0]} ms, init ${r.initMs} ms`);
  }, 240_000);

  test('the next run deletes the files compaction replaced; then a run with nothing to do is quick and writes nothing: no new version, no new file', async () => {
    // The first run pruned the versions older than its start; this one prunes the first run's own
    // commits, and with them the files compaction replaced: the bytes fall.
    const drain = reportOf(await run());
    expect(drain.tables[0].prune!.bytesRemoved).toBeGreaterThan(0);
    const cleaned = storeFigures(tableDir('docs'))!;
    expect(cleaned.dataFiles).toBe(1);
    expect(cleaned.bytes).toBeLessThan(storeBefore.bytes / 2);
    say(`after the next run: bytes ${storeBefore.bytes} -> ${cleaned.bytes} (${(cleaned.bytes / storeBefore.bytes).toFixed(2)}), files ${storeBefore.files} -> ${cleaned.files}, data files ${storeBefore.dataFiles} -> ${cleaned.dataFiles}`);
    // Each run keeps the versions it made (newer than its cutoff); the next prunes them, until none are left.
    for (let i = 0; i < 2 && (reportOf(await run()).tables[0].prune?.oldVersionsRemoved ?? 0) > 0; i++);
    const version = await (await db.openTable('docs')).version();
    const files = fs.readdirSync(dbDir, { recursive: true }).map(String).sort();
    const r = await run();
    const report = reportOf(r);
    expect(report.tables[0]).toMatchObject({ status: 'done', compaction: { fragmentsRemoved: 0, fragmentsAdded: 0 }, prune: { oldVersionsRemoved: 0, bytesRemoved: 0 }, index: { state: 'current' } });
    expect(await (await db.openTable('docs')).version()).toBe(version);
    expect(fs.readdirSync(dbDir, { recursive: true }).map(String).sort()).toEqual(files);
    expect(report.tables[0].durationMs).toBeLessThan(1000);
    say(`nothing to do: run ${report.tables[0].durationMs} ms, invoke ${r.invokeMs[0]} ms`);
  }, 120_000);

  test('a run that finds another run\'s lock leaves; an expired lock is taken over', async () => {
    const lock = path.join(dbDir, LOCK_FILE);
    const other = { owner: 'another-run', acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() };
    fs.writeFileSync(lock, JSON.stringify(other));
    try {
      const busy = reportOf(await run());
      expect(busy).toMatchObject({ status: 'locked', tables: [], lock: { kind: 'file', heldBy: other } });
      expect(JSON.parse(fs.readFileSync(lock, 'utf-8'))).toEqual(other);

      const expired = { ...other, expiresAt: new Date(Date.now() - 1000).toISOString() };
      fs.writeFileSync(lock, JSON.stringify(expired));
      const took = reportOf(await run());
      expect(took).toMatchObject({ status: 'done', lock: { kind: 'file', tookOver: expired } });
      expect(fs.existsSync(lock)).toBe(false);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }, 120_000);

  test('a run with less time than its reserve leaves every table, untouched, for the next run', async () => {
    const table = await db.openTable('docs');
    await table.add(embeddingRows(10, DIMENSION, 5000, 3));
    const version = await table.version();
    // 5 s before the timeout, less than the 10 s reserve.
    const report = reportOf(await run({ timeoutSeconds: 5 }));
    expect(report).toMatchObject({ status: 'partial', tables: [], left: ['docs'] });
    expect(await table.version()).toBe(version);
    expect(fs.existsSync(path.join(dbDir, LOCK_FILE))).toBe(false);
  }, 120_000);

  test('a run while writers append loses no row', async () => {
    const table = await db.openTable('docs');
    const start = await table.countRows();
    const existing = await ids('docs');
    // Two writers, 40 appends of 10 rows each, while the run compacts, prunes and refreshes the index.
    const writer = async (w: number) => {
      const t = await db.openTable('docs');
      for (let b = 0; b < 40; b++) await t.add(embeddingRows(10, DIMENSION, 100_000 + w * 10_000 + b * 10, 9));
    };
    const [r] = await Promise.all([run(), writer(0), writer(1)]);
    const report = reportOf(r);
    expect(report.tables[0].status).toBe('done');
    expect(await (await db.openTable('docs')).countRows()).toBe(start + 800);
    expect(await ids('docs')).toEqual([...existing, ...range(100_000, 400), ...range(110_000, 400)].sort((a, b) => a - b));
    say(`with 2 writers appending: fragments ${report.tables[0].before?.fragments} -> ${report.tables[0].after?.fragments}, index ${report.tables[0].index.state}, ${start} + 800 rows all there`);
  }, 180_000);

  test('a run killed mid-way (the timeout) leaves every row readable; the next run takes the lock over and finishes', async () => {
    // 20,000 rows in 400 appends: a run takes several seconds here, the timeout is 1 s.
    await appendInBatches(db, 'big', { batches: 400, batchSize: 50, dimension: DIMENSION });
    // Killed inside its work: it held the lock when it was killed (a run killed while it was still
    // starting is tried again with more time).
    let killedAfter = 0;
    for (const seconds of [1, 2, 4, 8]) {
      // No reserve: the run does not stop itself, the timeout kills it.
      const killed = await run({ timeoutSeconds: seconds, maintenance: settings({ tables: ['big'], reserveSeconds: 0 }) });
      expect(killed.timedOut).toBe(true);
      if (fs.existsSync(path.join(dbDir, LOCK_FILE))) {
        killedAfter = seconds;
        break;
      }
    }
    expect(killedAfter).toBeGreaterThan(0);
    expect(await (await db.openTable('big')).countRows()).toBe(20_000);
    expect(await ids('big')).toEqual(range(0, 20_000));

    const next = reportOf(await run({ maintenance: settings({ tables: ['big'] }) }));
    expect(next).toMatchObject({ status: 'done', lock: { kind: 'file', tookOver: expect.objectContaining({ expiresAt: expect.any(String) }) } });
    expect(next.tables[0]).toMatchObject({ status: 'done', after: { rows: 20_000, fragments: 1, unindexedRows: 0 } });
    expect(['built', 'refreshed', 'current']).toContain(next.tables[0].index.state);
    expect(await ids('big')).toEqual(range(0, 20_000));
    say(`killed after ${killedAfter} s; the next run: fragments ${next.tables[0].before?.fragments} -> ${next.tables[0].after?.fragments}, index ${next.tables[0].index.state}, ${next.tables[0].durationMs} ms`);
  }, 240_000);

  test('vectordb 0.21.2: compactFiles, cleanupOldVersions and the index; fragments and versions read from the folder; every row there', async () => {
    const uri = path.join(dbDir, 'legacy');
    const legacy = await vectordb.connect(uri);
    let table: any;
    for (let b = 0; b < 100; b++) {
      const rows = embeddingRows(10, DIMENSION, b * 10, 5);
      if (b === 0) table = await legacy.createTable('docs', rows);
      else await table.add(rows);
    }
    const r = await run({ functionId: 'Stack/MaintainVectordb', uri, maintenance: settings() });
    const report = reportOf(r);
    expect(report.tables[0]).toMatchObject({
      table: 'docs',
      status: 'done',
      sdk: 'vectordb',
      before: { rows: 1000, fragments: 100, versions: 100 },
      after: { rows: 1000, fragments: 1 },
      compaction: { fragmentsRemoved: 100, fragmentsAdded: 1 },
      index: { state: 'built', numPartitions: 32, numSubVectors: 4 },
    });
    const again = await vectordb.connect(uri);
    const rows = await (await again.openTable('docs')).filter('id >= 0').limit(5000).execute();
    expect(rows.map((row: any) => Number(row.id)).sort((a: number, b: number) => a - b)).toEqual(range(0, 1000));
    say(`vectordb: fragments ${report.tables[0].before?.fragments} -> ${report.tables[0].after?.fragments}, versions ${report.tables[0].before?.versions} -> ${report.tables[0].after?.versions}, bytes ${report.tables[0].before?.bytes} -> ${report.tables[0].after?.bytes}, index ${report.tables[0].index.state}, run ${report.tables[0].durationMs} ms`);
  }, 120_000);

  test('through the local S3 server: compaction, pruning and the index; no lock (reserved concurrency), the same exact neighbours', async () => {
    const storeDir = tempDir('maint-s3');
    const { server, endpoint } = await startS3rver(storeDir, 'vectors');
    try {
      const storageOptions = { aws_endpoint: endpoint, allow_http: 'true', aws_region: 'us-east-1', aws_access_key_id: 'S3RVER', aws_secret_access_key: 'S3RVER' };
      const s3db = await lancedb.connect('s3://vectors/db', { storageOptions });
      const table = await appendInBatches(s3db, 'docs', { batches: 60, batchSize: 10, dimension: DIMENSION });
      const queries = queryVectors(20, DIMENSION);
      const exactBefore = await nearest(table, queries, 10, true);
      const folder = path.join(storeDir, 'vectors', 'db', 'docs.lance');
      const bytesBefore = storeFigures(folder)!.bytes;
      const s3run = () => localInvoke({
        cdkOut: outdir,
        functionId: 'Stack/Maintain',
        env: { VECTORDB_URI: 's3://vectors/db', VECTORDB_STORAGE_OPTIONS: JSON.stringify({ aws_endpoint: endpoint, allow_http: 'true' }), AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
        timeoutSeconds: 120,
      });
      const report = reportOf(await s3run());
      expect(report.lock).toEqual({ kind: 'none', reason: expect.stringMatching(/reserved concurrency of 1/) });
      expect(report.tables[0]).toMatchObject({
        status: 'done',
        before: { rows: 600, fragments: 60, versions: 60 },
        after: { rows: 600, fragments: 1, unindexedRows: 0 },
        index: { state: 'built', numPartitions: 24, numSubVectors: 4 },
      });
      // No bytes for S3 in the report (no listing); s3rver's folder shows them.
      expect(report.tables[0].before?.bytes).toBeUndefined();
      reportOf(await s3run());
      const bytesAfter = storeFigures(folder)!.bytes;
      expect(bytesAfter).toBeLessThan(bytesBefore);
      const after = await (await lancedb.connect('s3://vectors/db', { storageOptions })).openTable('docs');
      const exactAfter = await nearest(after, queries, 10, true);
      expect(exactAfter.results.map((n) => n.ids)).toEqual(exactBefore.results.map((n) => n.ids));
      say(`s3rver: fragments 60 -> ${report.tables[0].after?.fragments}, versions 60 -> ${report.tables[0].after?.versions}, bytes in the bucket ${bytesBefore} -> ${bytesAfter} after the next run`);
    } finally {
      await server.close();
    }
  }, 180_000);
});
