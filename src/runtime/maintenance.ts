/**
 * A maintenance run over the tables of a LanceDB database: per table,
 * compaction (many small fragments, one per `add()`, into few), pruning of
 * versions older than `cleanupOlderThanSeconds`, and the IVF_PQ vector index
 * built once the table is big enough (refreshed afterwards).
 *
 *   import { connect, maintain } from 'cdk-vectordb-layer/runtime';
 *   export const handler = async (_: unknown, context: { getRemainingTimeInMillis(): number }) =>
 *     maintain(await connect(), { remainingMs: () => context.getRemainingTimeInMillis() });
 *
 * Per SDK:
 * - `@lancedb/lancedb`: `table.optimize({ cleanupOlderThan })` compacts,
 *   prunes and adds new rows to an existing index in one call (from 0.5;
 *   0.4.20 has none: skipped, with the reason); `createIndex` builds the
 *   index; `stats()` (from 0.19.1) tells fragments and bytes,
 *   `listVersions()` (from 0.14) versions, `indexStats()` (from 0.7.1) the
 *   unindexed rows;
 * - `vectordb`: `compactFiles()` and `cleanupOldVersions()` (from 0.3; the
 *   older versions have neither: skipped, with the reason); no call adds new
 *   rows to an index, so the index is rebuilt (`createIndex`, replace) once
 *   the unindexed rows reach a tenth of the indexed ones; fragments and
 *   versions are read from the folder (nothing for S3).
 *
 * A table's folder (EFS, a local folder) also gives bytes, files and
 * version manifests on the store (maintenance-store.ts). LanceDB commits each
 * step atomically: a run killed between or inside steps leaves a readable
 * table, and the next run does what is left.
 *
 * The time budget: before each table and each step, a run with less than
 * `reserveMs` left stops and reports the tables it left; the next run starts
 * again from the first table (a table already done is a quick no-op: no new
 * version, no new file).
 *
 * One lock per database folder (maintenance-lock.ts): a run that finds
 * another's lock leaves. Each table's report is logged as one line in
 * CloudWatch embedded metric format (maintenance-log.ts).
 */
import { performance } from 'perf_hooks';
import { loadSdk } from './index';
import { IndexParameters, indexParameters, MIN_INDEX_ROWS } from './maintenance-index';
import { acquireFolderLock, HeldLock, LockInfo } from './maintenance-lock';
import { emfLine } from './maintenance-log';
import { databaseFolder, storeFigures, tableFolder } from './maintenance-store';
import { ModuleLoader } from './modules';

/** LanceDB's default: versions older than 7 days are pruned. */
export const DEFAULT_CLEANUP_OLDER_THAN_SECONDS = 7 * 24 * 3600;
/** A run stops before a step when less than this is left. */
export const DEFAULT_RESERVE_MS = 10_000;
/** vectordb rebuilds the index once the unindexed rows reach this share of the indexed ones. */
export const VECTORDB_REBUILD_SHARE = 0.1;

/** The vector index part of a run. */
export interface VectorIndexOptions {
  /** `auto`: build the index at 256 rows and keep it current; `off`: leave indexes alone. Default: `auto`. */
  readonly mode?: 'auto' | 'off';
  /** The vector column. Default: the table's first fixed-size list column. */
  readonly column?: string;
}

/** Options of `maintain`. */
export interface MaintainOptions {
  /** The tables. Default: every table of the database, in `tableNames()` order. */
  readonly tables?: readonly string[];
  /** Versions older than this many seconds are pruned (the current one never). Default: 7 days, LanceDB's own. */
  readonly cleanupOlderThanSeconds?: number;
  /** The vector index. Default: `{ mode: 'auto' }`. */
  readonly vectorIndex?: VectorIndexOptions;
  /** How long the run has, in milliseconds (on Lambda: `() => context.getRemainingTimeInMillis()`). Default: no limit. */
  readonly remainingMs?: () => number;
  /** Stop before a step when less than this is left. Default: 10,000 ms. */
  readonly reserveMs?: number;
  /** The lock's expiry when `remainingMs` is not given, in seconds. Default: 900 (Lambda's longest run). */
  readonly lockTtlSeconds?: number;
  /** Who holds the lock (e.g. the Lambda request id). Default: the process id and a random part. */
  readonly owner?: string;
  /** The database URI, to find its folder (lock, bytes on the store). Default: `VECTORDB_URI`. */
  readonly uri?: string;
  /** Receives each table's EMF line. Default: `console.log` (CloudWatch Logs on Lambda). */
  readonly log?: (line: string) => void;
  /** Loads the SDK (for `@lancedb/lancedb`'s `Index`). Default: from the layer. For tests. */
  readonly load?: ModuleLoader;
}

/** What a table looked like at one moment; a figure the SDK and the store cannot tell is absent. */
export interface TableFigures {
  readonly rows?: number;
  /** Fragments (`stats()`), else data files in the folder. */
  readonly fragments?: number;
  /** Versions the table keeps (`listVersions()`), else version manifests in the folder. */
  readonly versions?: number;
  /** The current version number. */
  readonly version?: number;
  /** Bytes of the table's folder on the store (folder databases only). */
  readonly bytes?: number;
  /** Files of the table's folder on the store (folder databases only). */
  readonly files?: number;
  /** Bytes of the current version's data (`stats().totalBytes`). */
  readonly dataBytes?: number;
  /** Rows the vector index does not cover yet. */
  readonly unindexedRows?: number;
}

/** The vector index part of a table's report. */
export interface VectorIndexReport {
  /**
   * `built` (new), `refreshed` (new rows added to it), `rebuilt` (vectordb),
   * `current` (nothing to add), `too-small` (< 256 rows), `off`,
   * `no-vector-column`, `not-reached` (the time budget), `unsupported`, `failed`.
   */
  readonly state: 'built' | 'refreshed' | 'rebuilt' | 'current' | 'too-small' | 'off' | 'no-vector-column' | 'not-reached' | 'unsupported' | 'failed';
  readonly column?: string;
  readonly dimension?: number;
  /** The IVF_PQ parameters of a build. */
  readonly numPartitions?: number;
  readonly numSubVectors?: number;
  readonly buildMs?: number;
  readonly reason?: string;
}

/** One table's maintenance. */
export interface TableReport {
  readonly table: string;
  /** `done`; `left` (the time budget ran out before or inside it); `failed` (see `error`). */
  readonly status: 'done' | 'left' | 'failed';
  readonly sdk: 'vectordb' | '@lancedb/lancedb' | 'unknown';
  readonly before?: TableFigures;
  readonly after?: TableFigures;
  readonly compaction?: { readonly fragmentsRemoved: number; readonly fragmentsAdded: number };
  readonly prune?: { readonly oldVersionsRemoved: number; readonly bytesRemoved: number };
  readonly index: VectorIndexReport;
  /** Steps not done, each with its reason. */
  readonly skipped: string[];
  readonly error?: string;
  /** Milliseconds per step: measure, optimize (or compact and cleanup), index. */
  readonly stepMs: Record<string, number>;
  readonly durationMs: number;
}

/** A whole run. */
export interface MaintenanceReport {
  /** `done`: every table done; `partial`: some left (time) or failed; `locked`: another run holds the lock, nothing done. */
  readonly status: 'done' | 'partial' | 'locked';
  readonly tables: TableReport[];
  /** Tables not reached or not finished (the time budget): the next run does them. */
  readonly left: string[];
  readonly lock: { readonly kind: 'file'; readonly file: string; readonly heldBy?: LockInfo; readonly tookOver?: LockInfo } | { readonly kind: 'none'; readonly reason: string };
  readonly durationMs: number;
}

/** Thrown inside a table's run when the time budget is spent. */
class OutOfTime extends Error {}

/**
 * Runs maintenance over the tables of `db` (a connection of either SDK, as
 * `connect()` returns): compaction, pruning, the vector index; one report
 * per table. Never throws for a table: a table's failure is in its report
 * (status `failed`), and the other tables still run.
 */
export async function maintain(db: any, options: MaintainOptions = {}): Promise<MaintenanceReport> {
  const started = performance.now();
  const remaining = options.remainingMs ?? (() => Infinity);
  const reserveMs = options.reserveMs ?? DEFAULT_RESERVE_MS;
  const cleanupSeconds = options.cleanupOlderThanSeconds ?? DEFAULT_CLEANUP_OLDER_THAN_SECONDS;
  if (!(Number.isFinite(cleanupSeconds) && cleanupSeconds >= 0)) {
    throw new Error(`cdk-vectordb-layer: maintain cleanupOlderThanSeconds must be a number of seconds >= 0, got ${cleanupSeconds}`);
  }
  const uri = options.uri ?? process.env.VECTORDB_URI ?? '';
  const folder = uri ? databaseFolder(uri) : undefined;
  const log = options.log ?? ((line: string) => console.log(line));

  let lock: HeldLock | undefined;
  let lockReport: MaintenanceReport['lock'];
  if (folder) {
    const left = remaining();
    const ttlMs = Number.isFinite(left) ? left : (options.lockTtlSeconds ?? 900) * 1000;
    const attempt = acquireFolderLock(folder, { owner: options.owner, expiresAt: new Date(Date.now() + ttlMs) });
    if ('busy' in attempt) {
      return { status: 'locked', tables: [], left: [], lock: { kind: 'file', file: `${folder}/.cdk-vectordb-maintenance.lock`, heldBy: attempt.busy }, durationMs: ms(started) };
    }
    lock = attempt.held;
    lockReport = { kind: 'file', file: lock.file, ...(attempt.tookOver ? { tookOver: attempt.tookOver } : {}) };
  } else {
    lockReport = { kind: 'none', reason: 'the database is not a folder: one run at a time rests on the function\'s reserved concurrency of 1' };
  }

  try {
    const names: string[] = options.tables ? [...options.tables] : await db.tableNames();
    const reports: TableReport[] = [];
    const left: string[] = [];
    for (const name of names) {
      if (remaining() < reserveMs) {
        left.push(name);
        continue;
      }
      const report = await maintainTable(db, name, { ...options, cleanupSeconds, reserveMs, remaining, folder });
      reports.push(report);
      if (report.status === 'left') left.push(name);
      log(emfLine(report));
    }
    const failed = reports.some((r) => r.status === 'failed');
    return { status: left.length > 0 || failed ? 'partial' : 'done', tables: reports, left, lock: lockReport, durationMs: ms(started) };
  } finally {
    lock?.release();
  }
}

interface TableContext extends MaintainOptions {
  readonly cleanupSeconds: number;
  readonly reserveMs: number;
  readonly remaining: () => number;
  readonly folder?: string;
}

async function maintainTable(db: any, name: string, c: TableContext): Promise<TableReport> {
  const started = performance.now();
  const stepMs: Record<string, number> = {};
  const skipped: string[] = [];
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    if (c.remaining() < c.reserveMs) throw new OutOfTime(`${label}: less than ${c.reserveMs} ms left`);
    const t = performance.now();
    try {
      return await fn();
    } finally {
      stepMs[label] = (stepMs[label] ?? 0) + ms(t);
    }
  };
  let sdk: TableReport['sdk'] = 'unknown';
  let before: TableFigures | undefined;
  let after: TableFigures | undefined;
  let compaction: TableReport['compaction'];
  let prune: TableReport['prune'];
  let index: VectorIndexReport = { state: 'not-reached' };
  const report = (status: TableReport['status'], error?: string): TableReport => ({
    table: name,
    status,
    sdk,
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    ...(compaction ? { compaction } : {}),
    ...(prune ? { prune } : {}),
    index,
    skipped,
    ...(error ? { error } : {}),
    stepMs,
    durationMs: ms(started),
  });
  try {
    const table: any = await step('open', () => db.openTable(name));
    // @lancedb/lancedb tables have isOpen() (every version), vectordb's never.
    sdk = typeof table.isOpen === 'function' ? '@lancedb/lancedb' : 'vectordb';
    const vector = c.vectorIndex?.mode === 'off' ? undefined : await vectorColumn(table, c.vectorIndex?.column);
    before = await step('measure', () => measure(table, name, c.folder, vector?.name));

    // The index first: a build commits a version, which the pruning below then counts as old, so
    // a run leaves nothing for the next one to prune; compaction keeps an index (it remaps it).
    index = await vectorIndex(table, sdk, vector, before, c, step);

    const olderThan = new Date(Date.now() - c.cleanupSeconds * 1000);
    if (sdk === '@lancedb/lancedb') {
      if (typeof table.optimize === 'function') {
        const out: any = await step('optimize', () => table.optimize({ cleanupOlderThan: olderThan }));
        compaction = { fragmentsRemoved: num(out?.compaction?.fragmentsRemoved), fragmentsAdded: num(out?.compaction?.fragmentsAdded) };
        prune = { oldVersionsRemoved: num(out?.prune?.oldVersionsRemoved), bytesRemoved: num(out?.prune?.bytesRemoved) };
      } else {
        skipped.push('optimize: this @lancedb/lancedb version has no table.optimize (0.5.0 and later have it)');
      }
    } else {
      if (typeof table.compactFiles === 'function') {
        const out: any = await step('compact', () => table.compactFiles());
        compaction = { fragmentsRemoved: num(out?.fragmentsRemoved), fragmentsAdded: num(out?.fragmentsAdded) };
      } else {
        skipped.push('compact: this vectordb version has no table.compactFiles (0.3.11 and later have it)');
      }
      if (typeof table.cleanupOldVersions === 'function') {
        // vectordb takes the age in minutes.
        const out: any = await step('cleanup', () => table.cleanupOldVersions(c.cleanupSeconds / 60));
        prune = { oldVersionsRemoved: num(out?.oldVersions), bytesRemoved: num(out?.bytesRemoved) };
      } else {
        skipped.push('cleanup: this vectordb version has no table.cleanupOldVersions (0.3.11 and later have it)');
      }
    }

    after = await step('measure', () => measure(table, name, c.folder, vector?.name));
    return report('done');
  } catch (e) {
    if (e instanceof OutOfTime) {
      skipped.push(`${e.message}: the next run does the rest`);
      return report('left');
    }
    if (index.state === 'not-reached' && stepMs.index !== undefined) index = { ...index, state: 'failed' };
    return report('failed', String((e as Error)?.message ?? e).split('\n')[0].slice(0, 500));
  }
}

type Step = <T>(label: string, fn: () => Promise<T>) => Promise<T>;

async function vectorIndex(table: any, sdk: TableReport['sdk'], vector: { name: string; dimension: number } | undefined, before: TableFigures, c: TableContext, step: Step): Promise<VectorIndexReport> {
  if (c.vectorIndex?.mode === 'off') return { state: 'off' };
  if (!vector) {
    return { state: 'no-vector-column', reason: c.vectorIndex?.column ? `the table has no vector column ${c.vectorIndex.column}` : 'the table has no fixed-size list column' };
  }
  const base = { column: vector.name, dimension: vector.dimension };
  const existing = await findIndex(table, vector.name);
  const rows = before.rows ?? 0;
  const params = indexParameters(rows, vector.dimension);
  if (existing) {
    if (sdk === '@lancedb/lancedb') {
      // optimize() added the new rows to the index.
      return { ...base, state: (before.unindexedRows ?? 0) > 0 ? 'refreshed' : 'current' };
    }
    const stats = await indexStatsOf(table, existing);
    const unindexed = num(stats?.numUnindexedRows);
    const indexed = num(stats?.numIndexedRows);
    if (!params || unindexed === 0 || unindexed < VECTORDB_REBUILD_SHARE * indexed) return { ...base, state: 'current' };
    const buildMs = await build(table, sdk, vector.name, params, c, step, true);
    return { ...base, ...params, buildMs, state: 'rebuilt' };
  }
  if (!params) return { ...base, state: 'too-small', reason: `${rows} rows; IVF_PQ needs at least ${MIN_INDEX_ROWS}` };
  const buildMs = await build(table, sdk, vector.name, params, c, step, false);
  return { ...base, ...params, buildMs, state: 'built' };
}

async function build(table: any, sdk: TableReport['sdk'], column: string, p: IndexParameters, c: TableContext, step: Step, replace: boolean): Promise<number> {
  const t = performance.now();
  if (sdk === '@lancedb/lancedb') {
    const lancedb = await loadSdk<any>('@lancedb/lancedb', c.load);
    await step('index', () => table.createIndex(column, { config: lancedb.Index.ivfPq({ numPartitions: p.numPartitions, numSubVectors: p.numSubVectors }), replace: true }));
  } else {
    await step('index', () => table.createIndex({ type: 'ivf_pq', column, num_partitions: p.numPartitions, num_sub_vectors: p.numSubVectors, replace }));
  }
  return ms(t);
}

/** The vector column: `wanted`, else the first fixed-size list column; with its dimension. */
async function vectorColumn(table: any, wanted: string | undefined): Promise<{ name: string; dimension: number } | undefined> {
  const schema = typeof table.schema === 'function' ? await table.schema() : await table.schema;
  const fields: any[] = schema?.fields ?? [];
  const isVector = (f: any) => Number.isInteger(f?.type?.listSize) && f.type.listSize > 0;
  const field = wanted ? fields.find((f) => f.name === wanted && isVector(f)) : fields.find(isVector);
  return field ? { name: field.name, dimension: field.type.listSize } : undefined;
}

async function findIndex(table: any, column: string): Promise<any | undefined> {
  if (typeof table.listIndices !== 'function') return undefined;
  const indices: any[] = await table.listIndices();
  return indices.find((i) => Array.isArray(i?.columns) && i.columns.includes(column));
}

async function indexStatsOf(table: any, index: any): Promise<any | undefined> {
  if (typeof table.indexStats !== 'function') return undefined;
  // @lancedb/lancedb and vectordb >= 0.5 take the name, older vectordb the uuid.
  for (const key of [index.name, index.uuid ?? index.indexUuid]) {
    if (typeof key !== 'string') continue;
    try {
      const stats = await table.indexStats(key);
      if (stats) return stats;
    } catch {
      // try the other key
    }
  }
  return undefined;
}

/** The figures the SDK and the folder tell. */
async function measure(table: any, name: string, folder: string | undefined, vector: string | undefined): Promise<TableFigures> {
  const store = folder ? storeFigures(tableFolder(folder, name)) : undefined;
  const stats = typeof table.stats === 'function' ? await table.stats() : undefined;
  const versions = typeof table.listVersions === 'function' ? (await table.listVersions()).length : store?.manifests;
  const version = typeof table.version === 'function' ? num(await table.version()) : undefined;
  let unindexedRows: number | undefined;
  if (vector) {
    const index = await findIndex(table, vector);
    if (index) {
      const s = await indexStatsOf(table, index);
      if (s && s.numUnindexedRows !== null && s.numUnindexedRows !== undefined) unindexedRows = num(s.numUnindexedRows);
    }
  }
  const figures: Record<string, number | undefined> = {
    rows: num(await table.countRows()),
    fragments: stats?.fragmentStats?.numFragments !== undefined ? num(stats.fragmentStats.numFragments) : store?.dataFiles,
    versions,
    version,
    bytes: store?.bytes,
    files: store?.files,
    dataBytes: stats?.totalBytes !== undefined ? num(stats.totalBytes) : undefined,
    unindexedRows,
  };
  return Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) as TableFigures;
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v ?? 0);
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}
