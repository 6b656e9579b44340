// src/search.ts: a TypeScript handler that imports the current SDK, as you would write it.
import * as lancedb from '@lancedb/lancedb';

let table: Promise<lancedb.Table> | undefined;

export const handler = async (event: { vector: number[] }) => {
  // VectorDbFunction sets VECTORDB_URI (/tmp/vectordb unless you give a database).
  table ??= lancedb.connect(process.env.VECTORDB_URI!).then(async (db) => (await db.tableNames()).includes('docs')
    ? db.openTable('docs')
    : db.createTable('docs', [{ id: 1, vector: [0.1, 0.9] }, { id: 2, vector: [0.9, 0.1] }]));
  const rows = await (await table).search(event.vector).limit(1).toArray();
  return rows.map((r) => ({ id: r.id, distance: r._distance }));
};
