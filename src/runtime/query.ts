/**
 * The query path both SDKs share, with the same result on either: open or
 * create a table, a vector search with a limit and a filter, rows back as
 * plain objects.
 *
 * Where the SDKs differ, and what is done about it:
 * - running a query: `vectordb` has `execute()` (an array); `@lancedb/lancedb`
 *   has `toArray()` (its `execute()` is a batch iterator);
 * - filters: `vectordb` filters after the nearest neighbours were found
 *   (fewer than `limit` rows come back), `@lancedb/lancedb` before; the
 *   filter is applied first on both (`prefilter(true)` for `vectordb`);
 * - rows: `@lancedb/lancedb` returns Arrow rows whose list fields are Arrow
 *   vectors; both come back as plain objects and arrays, 64-bit integers as
 *   numbers (as strings past 2^53), so a row is JSON as it is.
 */

/** A row: field names to values. */
export type Row = Record<string, unknown>;

/** The part of a LanceDB query both SDKs have. */
export interface LanceQuery {
  limit(n: number): LanceQuery;
  where(filter: string): LanceQuery;
  /** `vectordb`: filter before the search. */
  prefilter?(value: boolean): LanceQuery;
  /** `vectordb`: run it. */
  execute?(): Promise<unknown>;
  /** `@lancedb/lancedb`: run it. */
  toArray?(): Promise<unknown[]>;
}

/** The part of a LanceDB table both SDKs have. */
export interface LanceTable {
  search(vector: number[]): LanceQuery;
  add(rows: Row[]): Promise<unknown>;
  countRows(): Promise<number>;
}

/** The part of a LanceDB connection both SDKs have. */
export interface LanceConnection {
  tableNames(): Promise<string[]>;
  openTable(name: string): Promise<LanceTable>;
  createTable(name: string, rows: Row[]): Promise<LanceTable>;
}

/** Options of `search`. */
export interface SearchOptions {
  /** How many nearest neighbours. Default: 10. */
  readonly limit?: number;
  /** A SQL `WHERE` condition on the rows (e.g. `category = 'news'`), applied before the nearest neighbours are found. */
  readonly filter?: string;
}

/**
 * Opens the table `name`, or creates it from `rows` when there is none (the
 * rows' fields make its schema). The rows are not added to a table that exists.
 */
export async function openOrCreateTable<T = LanceTable>(db: LanceConnection, name: string, rows: readonly Row[]): Promise<T> {
  if ((await db.tableNames()).includes(name)) return await db.openTable(name) as T;
  if (rows.length === 0) {
    throw new Error(`cdk-vectordb-layer: there is no table ${JSON.stringify(name)} and no rows to create it from; give at least one row (its fields make the table's schema)`);
  }
  try {
    return await db.createTable(name, [...rows]) as T;
  } catch (e) {
    // Another execution environment created it in the meantime.
    if (/already exists/i.test(String((e as Error)?.message))) return await db.openTable(name) as T;
    throw e;
  }
}

/**
 * The `limit` rows nearest to `vector` (LanceDB's default metric, L2) that
 * match `filter`, nearest first, as plain objects with every field and
 * `_distance`.
 */
export async function search<T = Row>(table: LanceTable, vector: number[], options: SearchOptions = {}): Promise<T[]> {
  const limit = options.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`cdk-vectordb-layer: search limit must be a whole number >= 1, got ${limit}`);
  let query = table.search(vector).limit(limit);
  if (options.filter !== undefined && options.filter.trim() !== '') {
    query = query.where(options.filter);
    if (typeof query.prefilter === 'function') query = query.prefilter(true);
  }
  let rows: unknown;
  if (typeof query.toArray === 'function') rows = await query.toArray();
  else if (typeof query.execute === 'function') rows = await query.execute();
  else throw new Error('cdk-vectordb-layer: search needs a LanceDB table (its query has neither toArray() nor execute())');
  return (rows as unknown[]).map((row) => plain(row) as T);
}

/**
 * A value as plain JavaScript: Arrow rows and vectors through their `toJSON`,
 * typed arrays as arrays, 64-bit integers as numbers (strings past 2^53).
 */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return value instanceof DataView ? value : Array.from(value as unknown as ArrayLike<unknown>, plain);
  if (Array.isArray(value)) return value.map(plain);
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return plain(toJSON.call(value));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}
