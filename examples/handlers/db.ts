// The handlers' one place to open the database. connect() reads what the
// function's VectorDatabase set (VECTORDB_URI, VECTORDB_SDK, storage options,
// the Cloud API key's secret) and loads the SDK from the layer at run time, so
// neither SDK is in the bundle and the same handlers run on vectordb and
// @lancedb/lancedb. Outside this repository the import is
// 'cdk-vectordb-layer/lib/runtime'.
import { connect, LanceConnection } from '../../src/runtime';

export interface Row {
  readonly id: number;
  readonly vector: number[];
  readonly [key: string]: unknown;
}

let connection: Promise<LanceConnection> | undefined;

/** One connection per execution environment, reused by warm invokes (a failed connect is retried next time). */
export function database(): Promise<LanceConnection> {
  connection ??= connect<LanceConnection>().catch((e) => {
    connection = undefined;
    throw e;
  });
  return connection;
}

export const tableName = () => process.env.VECTORDB_TABLE ?? 'vectors';
