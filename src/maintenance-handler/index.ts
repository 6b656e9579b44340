/**
 * The handler of `VectorDbMaintenance`'s function: one maintenance run over
 * the database the function's `VectorDatabase` names (VECTORDB_URI, ...),
 * with the settings in VECTORDB_MAINTENANCE (settings.ts). It stops before
 * the function's timeout (the time left minus a reserve), logs one EMF line
 * per table and returns the run's report. It fails (so the failure alarm
 * fires) when a table failed; a run that found another's lock, or that left
 * tables for the next run, succeeds.
 *
 * Bundled by esbuild as CommonJS; the SDK is loaded from the layer at run
 * time (src/runtime), never bundled.
 */
import { connect } from '../runtime';
import { MAINTENANCE_ENV, readMaintenanceSettings } from './settings';
import { maintain, MaintenanceReport } from '../runtime/maintenance';

/** The part of Lambda's context the handler uses. */
export interface MaintenanceContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis(): number;
}

/** One connection per execution environment; a failed one is opened again by the next invocation. */
function open(): Promise<any> {
  const pending = connect();
  pending.catch(() => {
    if (connection === pending) connection = undefined;
  });
  return pending;
}

// Opened during init (loading the SDK from the layer takes a few hundred ms), not in the run's time.
let connection: Promise<any> | undefined = process.env.VECTORDB_URI ? open() : undefined;

export const handler = async (_event: unknown, context: MaintenanceContext): Promise<MaintenanceReport> => {
  const settings = readMaintenanceSettings(process.env[MAINTENANCE_ENV]);
  connection ??= open();
  const report = await maintain(await connection, {
    ...settings,
    remainingMs: () => context.getRemainingTimeInMillis(),
    ...(context.awsRequestId ? { owner: context.awsRequestId } : {}),
  });
  const failed = report.tables.filter((t) => t.status === 'failed');
  if (failed.length > 0) {
    throw new Error(`cdk-vectordb-layer: maintenance failed on ${failed.length} table(s): ${failed.map((t) => `${t.table}: ${t.error}`).join('; ').slice(0, 2000)}`);
  }
  return report;
};
