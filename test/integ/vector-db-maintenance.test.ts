/**
 * VectorDbMaintenance end to end: the example stack (S3 location, the
 * @lancedb/lancedb layer) with a maintenance added, synthesized with a real
 * layer and real esbuild bundles (the package's own maintenance handler
 * among them), then run by the local invoker against a folder every
 * environment shares (VECTORDB_URI overrides the S3 URI): ingest appends
 * 30 batches, a maintenance run compacts them and builds the index, a
 * second run in the same environment finds nothing to do, and the table
 * still takes rows and answers searches. Slow tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExampleStack } from '../../examples/app';
import { syntheticRows } from '../../examples/handlers/ingest';
import { VectorDatabase, VectorDbMaintenance, VectorDbSdk } from '../../src';
import { localInvoke } from '../../src/invoke/local-invoke';
import { TableReport } from '../../src/runtime/maintenance';
import { tempDir } from '../support/files';
import { appAt } from '../support/synth';

const SHARED_ROOT = path.join(__dirname, '..', '..', '.tmp');
const ROWS = 300;
const BATCHES = 30;
const DIMENSIONS = 16;

describe('a maintenance run through the local invoker', () => {
  const outdir = tempDir('maint-e2e');
  let stack: ExampleStack;
  let dbDir: string;

  beforeAll(() => {
    const made = appAt(outdir);
    stack = new ExampleStack(made.app, 'VectorDbExample', { location: 's3', sdk: VectorDbSdk.LANCEDB });
    new VectorDbMaintenance(stack, 'Maintenance', { database: VectorDatabase.s3(stack.bucket!), layer: stack.layer, tables: ['vectors'] });
    made.app.synth();
    // A folder every execution environment shares, as an EFS mount is: outside /tmp (the repository's .tmp/, ignored by git).
    fs.mkdirSync(SHARED_ROOT, { recursive: true });
    dbDir = fs.mkdtempSync(path.join(SHARED_ROOT, 'maint-db-'));
  });

  afterAll(() => {
    if (dbDir) fs.rmSync(dbDir, { recursive: true, force: true });
  });

  test('compacts 30 appends into one fragment and builds the index; the next run has nothing to do; no row is lost', async () => {
    const env = { VECTORDB_URI: dbDir };
    const sharedDirs = [dbDir];
    const rows = syntheticRows(ROWS, DIMENSIONS, 11);
    const batches = Array.from({ length: BATCHES }, (_, i) => ({ rows: rows.slice(i * (ROWS / BATCHES), (i + 1) * (ROWS / BATCHES)) }));
    const ingest = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/ingest', events: batches, env, sharedDirs, timeoutSeconds: 60 });
    expect(ingest.error).toBeUndefined();
    expect(ingest.result).toEqual({ table: 'vectors', added: ROWS / BATCHES, total: ROWS });

    const runs = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/Maintenance/Function', events: [{}, {}], env, sharedDirs, timeoutSeconds: 300 });
    expect(runs.error).toBeUndefined();
    const [first, second] = runs.invocations.map((i) => (i.result as unknown as { tables: TableReport[] }).tables);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      table: 'vectors',
      status: 'done',
      sdk: '@lancedb/lancedb',
      before: { rows: ROWS, fragments: BATCHES },
      after: { rows: ROWS, fragments: 1 },
      compaction: { fragmentsRemoved: BATCHES, fragmentsAdded: 1 },
      index: { state: 'built', column: 'vector', dimension: DIMENSIONS },
    });
    // Versions younger than cleanupOlderThan (7 days) are kept: nothing pruned.
    expect(first[0].prune?.oldVersionsRemoved ?? 0).toBe(0);
    expect(second[0]).toMatchObject({ status: 'done', before: { rows: ROWS, fragments: 1 }, after: { rows: ROWS, fragments: 1 }, index: { state: 'current' } });
    expect(second[0].compaction?.fragmentsRemoved ?? 0).toBe(0);
    // One EMF line per table per run.
    const emf = runs.logs.split('\n').filter((l) => l.includes('"CloudWatchMetrics"'));
    expect(emf).toHaveLength(2);

    // The table still takes rows and answers.
    const after = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/ingest', event: { rows: [{ id: 9999, vector: Array(DIMENSIONS).fill(5) }] }, env, sharedDirs, timeoutSeconds: 60 });
    expect(after.result).toEqual({ table: 'vectors', added: 1, total: ROWS + 1 });
    const search = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/search', event: { vector: Array(DIMENSIONS).fill(5), k: 1 }, env, sharedDirs, timeoutSeconds: 60 });
    expect(search.error).toBeUndefined();
    expect(search.result).toEqual({ neighbours: [expect.objectContaining({ id: 9999 })] });
  });
});
