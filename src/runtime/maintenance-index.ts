/**
 * The vector index a maintenance run builds: IVF_PQ, its parameters chosen
 * from the table's row count and the vector column's dimension.
 *
 * - below 256 rows there is no index: PQ trains 256 centroids per
 *   sub-vector and LanceDB refuses fewer rows (lancedb issue 1465); a flat
 *   scan of so few rows is fast anyway;
 * - partitions (IVF lists): the square root of the row count, rounded, at
 *   least 1 and at most 4096 (LanceDB's own rule of thumb; 50,000 rows give 224);
 * - sub-vectors (PQ): the divisor of the dimension nearest to dimension / 8,
 *   the smaller one on a tie (8 values per sub-vector: 128 dimensions give 16,
 *   1536 give 192); a divisor, because PQ splits each vector into equal parts.
 */

/** Fewer rows than this get no IVF_PQ index. */
export const MIN_INDEX_ROWS = 256;
/** At most this many IVF partitions. */
export const MAX_PARTITIONS = 4096;

/** The IVF_PQ parameters for a table. */
export interface IndexParameters {
  readonly numPartitions: number;
  readonly numSubVectors: number;
}

/**
 * The IVF_PQ parameters for `rows` vectors of `dimension` values, or
 * undefined below `MIN_INDEX_ROWS` rows (no index).
 */
export function indexParameters(rows: number, dimension: number): IndexParameters | undefined {
  if (!Number.isInteger(dimension) || dimension < 1) throw new Error(`cdk-vectordb-layer: a vector index needs a dimension >= 1, got ${dimension}`);
  if (!(rows >= MIN_INDEX_ROWS)) return undefined;
  const numPartitions = Math.max(1, Math.min(MAX_PARTITIONS, Math.round(Math.sqrt(rows))));
  return { numPartitions, numSubVectors: nearestDivisor(dimension, dimension / 8) };
}

/** The divisor of `n` nearest to `target` (the smaller one on a tie). */
function nearestDivisor(n: number, target: number): number {
  let best = 1;
  for (let d = 1; d <= n; d++) {
    if (n % d === 0 && Math.abs(d - target) < Math.abs(best - target)) best = d;
  }
  return best;
}
