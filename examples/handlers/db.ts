// The handlers' one place to open the database: the SDK comes from the layer
// (/opt/nodejs/node_modules/vectordb), never from the function bundle.
import * as vectordb from 'vectordb';

export interface Row {
  readonly id: number;
  readonly vector: number[];
  readonly [key: string]: unknown;
}

let connection: Promise<vectordb.Connection> | undefined;

/** One connection per execution environment, reused by warm invokes. */
export function database(): Promise<vectordb.Connection> {
  connection ??= vectordb.connect(process.env.VECTORDB_URI ?? '/tmp/vectordb');
  return connection;
}

export const tableName = () => process.env.VECTORDB_TABLE ?? 'vectors';
