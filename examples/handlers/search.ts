// search: the k nearest neighbours of a query vector. The event is { vector: number[], k?: number }.
import { database, tableName } from './db';
import { search } from '../../src/runtime';

export interface SearchEvent {
  readonly vector: number[];
  readonly k?: number;
}

export const handler = async (event: SearchEvent) => {
  if (!Array.isArray(event.vector)) throw new Error('search: the event needs vector: number[]');
  const db = await database();
  const table = await db.openTable(tableName());
  const hits = await search<{ id: number; _distance: number }>(table, event.vector, { limit: event.k ?? 5 });
  return {
    neighbours: hits.map((h) => ({ id: Number(h.id), distance: Number(h._distance) })),
  };
};
