// The handlers' one place to open the database. connect() reads what the
// function's VectorDatabase set (VECTORDB_URI, VECTORDB_SDK, storage options,
// the Cloud API key's secret) and loads the SDK from the layer at run time, so
// neither SDK is in the bundle and the same handlers run on vectordb and
// @lancedb/lancedb. Outside this repository the import is
// 'cdk-vectordb-layer/lib/runtime'.
import { connect } from '../../src/runtime';

export interface Row {
  readonly id: number;
  readonly vector: number[];
  readonly [key: string]: unknown;
}

/** The part of a query both SDKs share: vectordb runs it with execute(), @lancedb/lancedb with toArray(). */
export interface Query {
  limit(k: number): Query;
  execute?(): Promise<Array<Record<string, unknown>>>;
  toArray?(): Promise<Array<Record<string, unknown>>>;
}

/** The part of a table both SDKs share. */
export interface Table {
  add(rows: Row[]): Promise<unknown>;
  countRows(): Promise<number>;
  search(vector: number[]): Query;
}

/** The part of a connection both SDKs share. */
export interface Connection {
  tableNames(): Promise<string[]>;
  openTable(name: string): Promise<Table>;
  createTable(name: string, rows: Row[]): Promise<Table>;
}

let connection: Promise<Connection> | undefined;

/** One connection per execution environment, reused by warm invokes (a failed connect is retried next time). */
export function database(): Promise<Connection> {
  connection ??= connect<Connection>().catch((e) => {
    connection = undefined;
    throw e;
  });
  return connection;
}

/** Runs a query with whichever SDK the layer holds. */
export async function rows(query: Query): Promise<Array<Record<string, unknown>>> {
  if (typeof query.toArray === 'function') return query.toArray();
  if (typeof query.execute === 'function') return query.execute();
  throw new Error('the query has neither toArray() nor execute(): not a LanceDB query');
}

export const tableName = () => process.env.VECTORDB_TABLE ?? 'vectors';
