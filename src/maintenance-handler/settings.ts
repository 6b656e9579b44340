/**
 * The maintenance function's settings: `VECTORDB_MAINTENANCE`, a JSON object
 * the `VectorDbMaintenance` construct writes:
 *
 *   { "tables"?: string[], "cleanupOlderThanSeconds": number,
 *     "vectorIndex": { "mode": "auto" | "off", "column"?: string },
 *     "lockTtlSeconds"?: number, "reserveSeconds"?: number }
 *
 * (no `tables`: every table of the database).
 */
import type { MaintainOptions } from '../runtime/maintenance';

/** The variable that holds the settings. */
export const MAINTENANCE_ENV = 'VECTORDB_MAINTENANCE';

/** Reads and checks `VECTORDB_MAINTENANCE`; every error names the variable, the field, the value and the fix. */
export function readMaintenanceSettings(raw: string | undefined): Pick<MaintainOptions, 'tables' | 'cleanupOlderThanSeconds' | 'vectorIndex' | 'lockTtlSeconds' | 'reserveMs'> {
  const bad = (what: string) => new Error(`cdk-vectordb-layer: ${MAINTENANCE_ENV} ${what}; VectorDbMaintenance sets it, e.g. {"cleanupOlderThanSeconds":604800,"vectorIndex":{"mode":"auto"}}`);
  if (raw === undefined || raw.trim() === '') throw bad('is not set');
  let parsed: any;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw bad(`must be a JSON object, got ${JSON.stringify(raw.slice(0, 120))} (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad(`must be a JSON object, got ${JSON.stringify(raw.slice(0, 120))}`);
  const { tables, cleanupOlderThanSeconds, vectorIndex, lockTtlSeconds, reserveSeconds } = parsed;
  if (tables !== undefined && !(Array.isArray(tables) && tables.every((t) => typeof t === 'string' && t !== ''))) {
    throw bad(`tables must be a list of table names, got ${JSON.stringify(tables).slice(0, 120)}`);
  }
  if (!(typeof cleanupOlderThanSeconds === 'number' && Number.isFinite(cleanupOlderThanSeconds) && cleanupOlderThanSeconds >= 0)) {
    throw bad(`cleanupOlderThanSeconds must be a number of seconds >= 0, got ${JSON.stringify(cleanupOlderThanSeconds)}`);
  }
  const mode = vectorIndex?.mode ?? 'auto';
  if (vectorIndex !== undefined && (vectorIndex === null || typeof vectorIndex !== 'object' || !['auto', 'off'].includes(mode))) {
    throw bad(`vectorIndex must be {"mode":"auto"|"off","column"?:string}, got ${JSON.stringify(vectorIndex).slice(0, 120)}`);
  }
  if (vectorIndex?.column !== undefined && (typeof vectorIndex.column !== 'string' || vectorIndex.column === '')) {
    throw bad(`vectorIndex.column must be a column name, got ${JSON.stringify(vectorIndex.column)}`);
  }
  if (lockTtlSeconds !== undefined && !(typeof lockTtlSeconds === 'number' && lockTtlSeconds > 0)) {
    throw bad(`lockTtlSeconds must be a number of seconds > 0, got ${JSON.stringify(lockTtlSeconds)}`);
  }
  if (reserveSeconds !== undefined && !(typeof reserveSeconds === 'number' && Number.isFinite(reserveSeconds) && reserveSeconds >= 0)) {
    throw bad(`reserveSeconds must be a number of seconds >= 0, got ${JSON.stringify(reserveSeconds)}`);
  }
  return {
    ...(tables ? { tables } : {}),
    cleanupOlderThanSeconds,
    vectorIndex: { mode, ...(vectorIndex?.column ? { column: vectorIndex.column } : {}) },
    ...(lockTtlSeconds !== undefined ? { lockTtlSeconds } : {}),
    ...(reserveSeconds !== undefined ? { reserveMs: reserveSeconds * 1000 } : {}),
  };
}
