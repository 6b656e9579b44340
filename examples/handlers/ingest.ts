// ingest: creates the table, or appends to it. The event is { rows: [{ id, vector, ... }] },
// or { generate: { count, dimensions, seed } } for a reproducible synthetic data set.
import { database, Row, tableName } from './db';

export interface IngestEvent {
  readonly rows?: Row[];
  readonly generate?: { count: number; dimensions: number; seed?: number };
}

/** A small deterministic generator (Park-Miller), so the demo's neighbours can be checked. */
export function syntheticRows(count: number, dimensions: number, seed = 1): Row[] {
  let s = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  const rand = () => {
    s = (s * 16807) % 2147483647;
    return (s - 1) / 2147483646;
  };
  return Array.from({ length: count }, (_, id) => ({ id, vector: Array.from({ length: dimensions }, rand) }));
}

export const handler = async (event: IngestEvent) => {
  const rows = event.rows ?? (event.generate ? syntheticRows(event.generate.count, event.generate.dimensions, event.generate.seed) : []);
  if (rows.length === 0) throw new Error('ingest: the event has no rows (give rows, or generate: { count, dimensions })');
  const db = await database();
  const names = await db.tableNames();
  let table;
  if (names.includes(tableName())) {
    table = await db.openTable(tableName());
    await table.add(rows);
  } else {
    table = await db.createTable(tableName(), rows);
  }
  return { table: tableName(), added: rows.length, total: await table.countRows() };
};
