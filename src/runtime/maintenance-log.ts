/**
 * One log line per table per maintenance run, in CloudWatch embedded metric
 * format (EMF): Lambda sends the line to CloudWatch Logs, which turns its
 * metrics into CloudWatch metrics (namespace `CdkVectorDbLayer/Maintenance`,
 * dimension `Table`) without a PutMetricData call; the other fields stay in
 * the log line, searchable with Logs Insights.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { TableReport } from './maintenance';

/** The metrics' namespace. */
export const METRICS_NAMESPACE = 'CdkVectorDbLayer/Maintenance';

type Unit = 'Count' | 'Bytes' | 'Milliseconds';

/** The EMF line of one table's report (a JSON object on one line). */
export function emfLine(report: TableReport, timestamp: number = Date.now()): string {
  const metrics: Array<[string, number | undefined, Unit]> = [
    ['FragmentsBefore', report.before?.fragments, 'Count'],
    ['FragmentsAfter', report.after?.fragments, 'Count'],
    ['VersionsBefore', report.before?.versions, 'Count'],
    ['VersionsAfter', report.after?.versions, 'Count'],
    ['Rows', report.after?.rows ?? report.before?.rows, 'Count'],
    ['BytesBefore', report.before?.bytes, 'Bytes'],
    ['BytesAfter', report.after?.bytes, 'Bytes'],
    ['UnindexedRows', report.after?.unindexedRows ?? report.before?.unindexedRows, 'Count'],
    ['VersionsRemoved', report.prune?.oldVersionsRemoved, 'Count'],
    ['IndexBuildMs', report.index.buildMs, 'Milliseconds'],
    ['DurationMs', report.durationMs, 'Milliseconds'],
    ['Failed', report.status === 'failed' ? 1 : 0, 'Count'],
  ];
  const present = metrics.filter(([, v]) => typeof v === 'number' && Number.isFinite(v)) as Array<[string, number, Unit]>;
  const line: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['Table']],
        Metrics: present.map(([Name, , Unit]) => ({ Name, Unit })),
      }],
    },
    Table: report.table,
    ...Object.fromEntries(present.map(([name, value]) => [name, value])),
    status: report.status,
    sdk: report.sdk,
    indexState: report.index.state,
    ...(report.index.column !== undefined ? { indexColumn: report.index.column } : {}),
    ...(report.index.numPartitions !== undefined ? { numPartitions: report.index.numPartitions, numSubVectors: report.index.numSubVectors } : {}),
    ...(report.index.reason ? { indexReason: report.index.reason } : {}),
    ...(report.skipped.length > 0 ? { skipped: report.skipped } : {}),
    ...(report.error ? { error: report.error } : {}),
  };
  return JSON.stringify(line);
}
