/**
 * The workload of the maintenance proofs and of the `maintain` bench part: a
 * LanceDB table (loaded from a built layer, never from node_modules) grown by
 * many small appends, as Lambda writers grow it, with clustered vectors (as
 * embeddings are: random uniform vectors have no neighbours worth finding),
 * and the figures compared before and after a maintenance run: exact nearest
 * neighbours, their latency, the index's recall, the table's folder.
 */
import { createRequire } from 'module';
import * as path from 'path';
import { performance } from 'perf_hooks';

/** @lancedb/lancedb from a layer folder (the one that holds `nodejs/`). */
export function lancedbFrom(layerDir: string): any {
  return createRequire(path.join(layerDir, 'nodejs', 'node_modules', 'x.js'))('@lancedb/lancedb');
}

/** A deterministic generator (Park-Miller), so every run sees the same vectors. */
export function generator(seed: number): () => number {
  let s = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s - 1) / 2147483646;
  };
}

/**
 * `count` rows with ids from `firstId`, as embeddings are: vectors near a
 * low-dimensional surface (a fixed linear map of 8 latent values, plus a
 * little noise), the same map for every seed of a dimension. (Uniform random
 * vectors have no neighbours worth finding: every point is about as far as
 * any other, and no index can tell them apart.)
 */
export function embeddingRows(count: number, dimension: number, firstId: number, seed: number): Array<{ id: number; vector: number[] }> {
  const LATENT = 8;
  const mapRand = generator(dimension * 7919);
  const map = Array.from({ length: dimension }, () => Array.from({ length: LATENT }, () => mapRand() - 0.5));
  const rand = generator(seed * 1_000_003 + firstId);
  return Array.from({ length: count }, (_, i) => {
    const z = Array.from({ length: LATENT }, rand);
    return { id: firstId + i, vector: map.map((row) => row.reduce((s, a, j) => s + a * z[j], 0) + (rand() - 0.5) * 0.02) };
  });
}

/** `n` fixed query vectors near the data. */
export function queryVectors(n: number, dimension: number): number[][] {
  return embeddingRows(n, dimension, 1_000_000_000, 4242).map((r) => r.vector);
}

/** Appends `batches` batches of `batchSize` rows (ids 0..), creating the table with the first. */
export async function appendInBatches(db: any, name: string, options: { batches: number; batchSize: number; dimension: number; seed?: number }): Promise<any> {
  let table: any;
  for (let b = 0; b < options.batches; b++) {
    const rows = embeddingRows(options.batchSize, options.dimension, b * options.batchSize, options.seed ?? 1);
    if (b === 0) table = await db.createTable(name, rows);
    else await table.add(rows);
  }
  return table;
}

/** One query's neighbours: ids and distances. */
export interface Neighbours {
  readonly ids: number[];
  readonly distances: number[];
}

/** The `k` nearest rows of each query, by exact search (`bypassVectorIndex`), or through the index; with each query's time. */
export async function nearest(table: any, queries: number[][], k: number, exact: boolean): Promise<{ results: Neighbours[]; ms: number[] }> {
  const results: Neighbours[] = [];
  const ms: number[] = [];
  for (const q of queries) {
    let query = table.vectorSearch(q).limit(k);
    if (exact) query = query.bypassVectorIndex();
    const t = performance.now();
    const rows: any[] = await query.toArray();
    ms.push(performance.now() - t);
    results.push({ ids: rows.map((r) => Number(r.id)), distances: rows.map((r) => Number(r._distance)) });
  }
  return { results, ms };
}

/** The plan of a vector query (through the index when there is one). */
export async function plan(table: any, query: number[], k: number): Promise<string> {
  return table.vectorSearch(query).limit(k).explainPlan();
}

/** Mean share of the exact top-k ids that the approximate answers hold. */
export function recall(exact: Neighbours[], approximate: Neighbours[]): number {
  const shares = exact.map((e, i) => e.ids.filter((id) => approximate[i].ids.includes(id)).length / e.ids.length);
  return shares.reduce((a, b) => a + b, 0) / shares.length;
}

/** Median (lower middle for an even count). */
export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}
