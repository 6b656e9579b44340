/**
 * The maintenance run's rules, fast: the index parameters, the handler's
 * settings, the EMF line, the folder lock, and the run's decisions per SDK
 * (with stand-in tables that record their calls: which call each SDK
 * version gets, what is skipped and why, the time budget). The run on real
 * LanceDB is test/integ/maintenance.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/files';
import { readMaintenanceSettings } from '../src/maintenance-handler/settings';
import { maintain, TableReport } from '../src/runtime/maintenance';
import { indexParameters } from '../src/runtime/maintenance-index';
import { acquireFolderLock, LOCK_FILE } from '../src/runtime/maintenance-lock';
import { emfLine } from '../src/runtime/maintenance-log';
import { databaseFolder } from '../src/runtime/maintenance-store';

describe('index parameters', () => {
  test('no index below 256 rows; partitions round(sqrt(rows)) in 1..4096; sub-vectors the divisor of the dimension nearest dimension / 8', () => {
    expect(indexParameters(255, 128)).toBeUndefined();
    expect(indexParameters(256, 128)).toEqual({ numPartitions: 16, numSubVectors: 16 });
    expect(indexParameters(2000, 32)).toEqual({ numPartitions: 45, numSubVectors: 4 });
    expect(indexParameters(50_000, 128)).toEqual({ numPartitions: 224, numSubVectors: 16 });
    expect(indexParameters(1_000_000, 1536)).toEqual({ numPartitions: 1000, numSubVectors: 192 });
    expect(indexParameters(100_000_000, 768)).toEqual({ numPartitions: 4096, numSubVectors: 96 });
    // 100 / 8 = 12.5: the divisors of 100 nearest are 10 and (farther) 20
    expect(indexParameters(1000, 100)?.numSubVectors).toBe(10);
    expect(indexParameters(1000, 3)?.numSubVectors).toBe(1);
    expect(() => indexParameters(1000, 0)).toThrow(/a vector index needs a dimension >= 1, got 0/);
  });
});

describe('VECTORDB_MAINTENANCE', () => {
  test('reads what VectorDbMaintenance writes', () => {
    expect(readMaintenanceSettings('{"cleanupOlderThanSeconds":604800,"vectorIndex":{"mode":"auto"}}')).toEqual({ cleanupOlderThanSeconds: 604800, vectorIndex: { mode: 'auto' } });
    expect(readMaintenanceSettings('{"tables":["a","b"],"cleanupOlderThanSeconds":0,"vectorIndex":{"mode":"off","column":"emb"},"lockTtlSeconds":60,"reserveSeconds":5}'))
      .toEqual({ tables: ['a', 'b'], cleanupOlderThanSeconds: 0, vectorIndex: { mode: 'off', column: 'emb' }, lockTtlSeconds: 60, reserveMs: 5000 });
  });

  test.each([
    [undefined, /VECTORDB_MAINTENANCE is not set; VectorDbMaintenance sets it/],
    ['nope', /VECTORDB_MAINTENANCE must be a JSON object, got "nope"/],
    ['[]', /must be a JSON object, got "\[\]"/],
    ['{}', /cleanupOlderThanSeconds must be a number of seconds >= 0, got undefined/],
    ['{"cleanupOlderThanSeconds":-1}', /got -1/],
    ['{"cleanupOlderThanSeconds":1,"tables":"docs"}', /tables must be a list of table names, got "docs"/],
    ['{"cleanupOlderThanSeconds":1,"vectorIndex":{"mode":"always"}}', /vectorIndex must be \{"mode":"auto"\|"off","column"\?:string\}, got \{"mode":"always"\}/],
    ['{"cleanupOlderThanSeconds":1,"reserveSeconds":"5"}', /reserveSeconds must be a number of seconds >= 0, got "5"/],
  ])('refuses %p, naming the field, the value and the fix', (raw, message) => {
    expect(() => readMaintenanceSettings(raw)).toThrow(message);
  });
});

const report = (over: Partial<TableReport> = {}): TableReport => ({
  table: 'docs',
  status: 'done',
  sdk: '@lancedb/lancedb',
  before: { rows: 2000, fragments: 200, versions: 200, bytes: 2_000_000 },
  after: { rows: 2000, fragments: 1, versions: 1, bytes: 900_000, unindexedRows: 0 },
  prune: { oldVersionsRemoved: 199, bytesRemoved: 1_100_000 },
  index: { state: 'built', column: 'vector', dimension: 32, numPartitions: 45, numSubVectors: 4, buildMs: 400 },
  skipped: [],
  stepMs: {},
  durationMs: 1000,
  peakRssMb: 210,
  ...over,
});

describe('the EMF line', () => {
  test('one JSON object: the namespace, the Table dimension, each metric declared with its unit and given as a number', () => {
    const line = emfLine(report(), 1_700_000_000_000);
    expect(line).not.toContain('\n');
    const o = JSON.parse(line);
    expect(o._aws).toEqual({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [{ Namespace: 'CdkVectorDbLayer/Maintenance', Dimensions: [['Table']], Metrics: expect.any(Array) }],
    });
    const metrics = o._aws.CloudWatchMetrics[0].Metrics as Array<{ Name: string; Unit: string }>;
    expect(metrics.map((m) => m.Name)).toEqual(['FragmentsBefore', 'FragmentsAfter', 'VersionsBefore', 'VersionsAfter', 'Rows', 'BytesBefore', 'BytesAfter', 'UnindexedRows', 'VersionsRemoved', 'IndexBuildMs', 'DurationMs', 'PeakRssMb', 'Failed']);
    for (const m of metrics) expect(typeof o[m.Name]).toBe('number');
    expect(o).toMatchObject({ Table: 'docs', FragmentsBefore: 200, FragmentsAfter: 1, BytesAfter: 900_000, Failed: 0, indexState: 'built', numPartitions: 45, numSubVectors: 4, status: 'done' });
  });

  test('a figure nobody could tell is left out, not declared as a metric', () => {
    const o = JSON.parse(emfLine(report({ sdk: 'vectordb', before: { rows: 10 }, after: undefined, index: { state: 'too-small' }, status: 'failed', error: 'boom' })));
    const names = o._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(names).toEqual(['Rows', 'VersionsRemoved', 'DurationMs', 'PeakRssMb', 'Failed']);
    expect(o).toMatchObject({ Failed: 1, error: 'boom', indexState: 'too-small' });
  });
});

describe('the folder lock', () => {
  test('one holder at a time; the owner releases; an expired lock is taken over', () => {
    const dir = tempDir('lock');
    const soon = new Date(Date.now() + 60_000);
    const a = acquireFolderLock(dir, { owner: 'a', expiresAt: soon });
    expect('held' in a).toBe(true);
    const b = acquireFolderLock(dir, { owner: 'b', expiresAt: soon });
    expect(b).toEqual({ busy: expect.objectContaining({ owner: 'a', expiresAt: soon.toISOString() }) });
    if ('held' in a) a.held.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ owner: 'dead', acquiredAt: '', expiresAt: new Date(Date.now() - 1).toISOString() }));
    const c = acquireFolderLock(dir, { owner: 'c', expiresAt: soon });
    expect(c).toMatchObject({ held: { info: { owner: 'c' } }, tookOver: { owner: 'dead' } });
    // a release by a run that lost its lock leaves the new holder's file alone
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ owner: 'd', acquiredAt: '', expiresAt: soon.toISOString() }));
    if ('held' in c) c.held.release();
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf-8')).owner).toBe('d');
  });

  test('the database folder of a URI: a path or file://, never S3, GCS, Azure or LanceDB Cloud', () => {
    expect(databaseFolder('/mnt/efs/db')).toBe('/mnt/efs/db');
    expect(databaseFolder('file:///mnt/efs/db')).toBe('/mnt/efs/db');
    for (const uri of ['s3://b/p', 's3+ddb://b/p?ddbTableName=t', 'gs://b/p', 'az://c/p', 'db://name']) expect(databaseFolder(uri)).toBeUndefined();
  });
});

/** A stand-in table of either SDK that records its calls. */
function fakeTable(kind: 'lancedb' | 'vectordb', options: { rows?: number; methods?: string[]; index?: { unindexed: number; indexed: number } } = {}) {
  const calls: Array<[string, ...unknown[]]> = [];
  const rows = options.rows ?? 1000;
  const all: Record<string, (...args: any[]) => unknown> = {
    isOpen: () => true,
    countRows: async () => rows,
    schema: async () => ({ fields: [{ name: 'id', type: {} }, { name: 'vector', type: { listSize: 16 } }] }),
    optimize: async (o: unknown) => {
      calls.push(['optimize', o]);
      return { compaction: { fragmentsRemoved: 9, fragmentsAdded: 1 }, prune: { oldVersionsRemoved: 8, bytesRemoved: 100 } };
    },
    compactFiles: async () => {
      calls.push(['compactFiles']);
      return { fragmentsRemoved: 9, fragmentsAdded: 1 };
    },
    cleanupOldVersions: async (minutes: number) => {
      calls.push(['cleanupOldVersions', minutes]);
      return { oldVersions: 8, bytesRemoved: 100 };
    },
    createIndex: async (...args: unknown[]) => {
      calls.push(['createIndex', ...args]);
    },
    listIndices: async () => (options.index ? [{ name: 'vector_idx', uuid: 'u', columns: ['vector'] }] : []),
    indexStats: async () => (options.index ? { numUnindexedRows: options.index.unindexed, numIndexedRows: options.index.indexed } : undefined),
  };
  const names = options.methods ?? Object.keys(all).filter((n) => kind === 'lancedb' ? !['compactFiles', 'cleanupOldVersions'].includes(n) : !['isOpen', 'optimize'].includes(n));
  const table: Record<string, unknown> = Object.fromEntries(names.map((n) => [n, all[n]]));
  if (kind === 'vectordb') {
    // vectordb's schema is a getter that returns a promise
    delete table.schema;
    Object.defineProperty(table, 'schema', { get: () => all.schema() });
  }
  return { table, calls };
}

const fakeDb = (tables: Record<string, unknown>) => ({ tableNames: async () => Object.keys(tables), openTable: async (n: string) => tables[n] });
const lancedbModule = { Index: { ivfPq: (o: unknown) => ({ ivfPq: o }) } };
const quiet = { log: () => undefined, uri: 's3://bucket/db', load: () => lancedbModule };

describe('maintain, per SDK (stand-in tables)', () => {
  test('@lancedb/lancedb: the index built with the rule\'s parameters, then one optimize with cleanupOlderThan as a Date', async () => {
    const { table, calls } = fakeTable('lancedb', { rows: 2000 });
    const before = Date.now();
    const r = await maintain(fakeDb({ docs: table }), { ...quiet, cleanupOlderThanSeconds: 3600 });
    expect(r.lock).toEqual({ kind: 'none', reason: expect.stringMatching(/reserved concurrency of 1/) });
    expect(calls.map((c) => c[0])).toEqual(['optimize', 'createIndex']);
    expect(calls[1]).toEqual(['createIndex', 'vector', { config: { ivfPq: { numPartitions: 45, numSubVectors: 2 } }, replace: true }]);
    const cutoff = (calls[0][1] as { cleanupOlderThan: Date }).cleanupOlderThan.getTime();
    expect(cutoff).toBeGreaterThanOrEqual(before - 3600_000);
    expect(cutoff).toBeLessThanOrEqual(Date.now() - 3600_000);
    expect(r.tables[0]).toMatchObject({ status: 'done', sdk: '@lancedb/lancedb', compaction: { fragmentsRemoved: 9 }, prune: { oldVersionsRemoved: 8 }, index: { state: 'built' } });
  });

  test('@lancedb/lancedb 0.4.20 (no optimize): skipped with the reason', async () => {
    const { table, calls } = fakeTable('lancedb', { rows: 10, methods: ['isOpen', 'countRows', 'schema', 'listIndices'] });
    const r = await maintain(fakeDb({ docs: table }), quiet);
    expect(calls).toEqual([]);
    expect(r.tables[0]).toMatchObject({ status: 'done', skipped: ['optimize: this @lancedb/lancedb version has no table.optimize (0.5.0 and later have it)'], index: { state: 'too-small' } });
  });

  test('vectordb: compactFiles, cleanupOldVersions in minutes; the index rebuilt only once a tenth of the rows are unindexed', async () => {
    const fresh = fakeTable('vectordb', { rows: 1000, index: { unindexed: 50, indexed: 950 } });
    let r = await maintain(fakeDb({ docs: fresh.table }), { ...quiet, cleanupOlderThanSeconds: 7200 });
    expect(fresh.calls).toEqual([['compactFiles'], ['cleanupOldVersions', 120]]);
    expect(r.tables[0].index.state).toBe('current');

    const stale = fakeTable('vectordb', { rows: 1000, index: { unindexed: 200, indexed: 800 } });
    r = await maintain(fakeDb({ docs: stale.table }), { ...quiet, cleanupOlderThanSeconds: 7200 });
    expect(stale.calls[2]).toEqual(['createIndex', { type: 'ivf_pq', column: 'vector', num_partitions: 32, num_sub_vectors: 2, replace: true }]);
    expect(r.tables[0].index).toMatchObject({ state: 'rebuilt', numPartitions: 32 });
  });

  test('vectordb before 0.3.11 (no compactFiles, no cleanupOldVersions): both skipped with the reason', async () => {
    const { table, calls } = fakeTable('vectordb', { rows: 10, methods: ['countRows', 'schema', 'createIndex'] });
    const r = await maintain(fakeDb({ docs: table }), quiet);
    expect(calls).toEqual([]);
    expect(r.tables[0].skipped).toEqual([
      'compact: this vectordb version has no table.compactFiles (0.3.11 and later have it)',
      'cleanup: this vectordb version has no table.cleanupOldVersions (0.3.11 and later have it)',
    ]);
  });

  test('the time budget: a table is not started, nor a step, with less than the reserve left; the rest is left for the next run', async () => {
    const a = fakeTable('lancedb', { rows: 10 });
    const b = fakeTable('lancedb', { rows: 10 });
    const c = fakeTable('lancedb', { rows: 10 });
    // 60 s left until table a's optimize is done, then 5 s (less than the 10 s reserve)
    let left = 60_000;
    (a.table as any).optimize = async () => {
      left = 5_000;
      return {};
    };
    const r = await maintain(fakeDb({ a: a.table, b: b.table, c: c.table }), { ...quiet, remainingMs: () => left });
    expect(r.status).toBe('partial');
    expect(r.tables.map((t) => [t.table, t.status])).toEqual([['a', 'done']]);
    expect(r.left).toEqual(['b', 'c']);

    left = 60_000;
    (b.table as any).countRows = async () => {
      left = 1_000;
      return 10;
    };
    const inside = await maintain(fakeDb({ b: b.table }), { ...quiet, remainingMs: () => left });
    expect(inside.tables[0]).toMatchObject({ status: 'left', skipped: [expect.stringMatching(/less than 10000 ms left: the next run does the rest/)] });
    expect(inside.left).toEqual(['b']);
  });

  test('a table that fails is reported and the others still run; vectorIndex off and a missing column are said', async () => {
    const bad = { isOpen: () => true, countRows: async () => { throw new Error('corrupt manifest'); }, schema: async () => ({ fields: [] }) };
    const good = fakeTable('lancedb', { rows: 300 });
    const r = await maintain(fakeDb({ bad, good: good.table }), { ...quiet, vectorIndex: { mode: 'auto', column: 'emb' } });
    expect(r.status).toBe('partial');
    expect(r.tables[0]).toMatchObject({ table: 'bad', status: 'failed', error: 'corrupt manifest' });
    expect(r.tables[1]).toMatchObject({ table: 'good', status: 'done', index: { state: 'no-vector-column', reason: 'the table has no vector column emb' } });
    const off = await maintain(fakeDb({ good: good.table }), { ...quiet, vectorIndex: { mode: 'off' } });
    expect(off.tables[0].index).toEqual({ state: 'off' });
  });
});
