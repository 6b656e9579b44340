import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DatabaseAccess, VectorDatabase } from './database';
import { pathOf } from './private/common/errors';
import {
  checkDatabase, checkMaintainable, checkMemory, checkTables, cleanupSeconds, MAINTENANCE_ENV,
  maintenanceEntry, projectRootFor, rateSeconds, settingsJson, timeoutSeconds, vectorIndexSettings,
} from './private/function/maintenance-props';
import { VectorDbSdk } from './sdk';
import { VectorDbFunction } from './vector-db-function';
import { IVectorDbLayer } from './vector-db-layer';

/**
 * Whether a maintenance run builds the vector index.
 */
export enum VectorIndexMode {
  /**
   * Build an IVF_PQ index on a table once it has at least 256 rows (fewer
   * cannot train it), and refresh it as rows are added: √rows partitions
   * (at most 4096), and the divisor of the dimension nearest dimension / 8
   * as sub-vectors.
   */
  AUTO = 'AUTO',
  /** Never build or touch a vector index: compaction and version cleanup only. */
  OFF = 'OFF',
}

/**
 * The vector index a maintenance run keeps.
 */
export interface VectorIndexOptions {
  /**
   * Build and refresh the index, or leave it alone.
   *
   * @default VectorIndexMode.AUTO
   */
  readonly mode?: VectorIndexMode;

  /**
   * The vector column to index.
   *
   * @default - the table's first fixed-size list column (where LanceDB keeps vectors)
   */
  readonly column?: string;
}

/**
 * Properties of a `VectorDbMaintenance`.
 */
export interface VectorDbMaintenanceProps {
  /**
   * The database whose tables to keep healthy: the one your functions write
   * to, `VectorDatabase.s3(...)` or `VectorDatabase.efs(...)` (made without
   * `readOnly`). LanceDB Cloud maintains its tables itself and a `tmp()`
   * database is private to each execution environment: both are refused.
   * The maintenance function is the only one that gets
   * `DatabaseAccess.MAINTAIN` (it alone may delete objects).
   */
  readonly database: VectorDatabase;

  /**
   * The tables to maintain, as your handlers name them.
   *
   * @default - every table of the database, listed at each run
   */
  readonly tables?: string[];

  /**
   * When a run starts. A run compacts what the writers appended since the
   * last one; a run with nothing to do costs a cold start and a few reads.
   *
   * @default - `Schedule.rate(Duration.days(1))`: once a day, which keeps a table written once a minute under about 1,500 fragments and costs a few seconds of Lambda a day when there is nothing to do
   */
  readonly schedule?: events.Schedule;

  /**
   * How old a table version must be before a run prunes it (and deletes the
   * files only it uses). Time travel (`checkout`) reaches back this far. At
   * least 1 hour, in whole seconds. A handler that keeps a table open across
   * invocations reads the version it opened until it reopens it, and Lambda
   * recycles execution environments only every few hours: below a day,
   * reopen tables (or set a read consistency interval) in such handlers.
   *
   * @default Duration.days(7) (LanceDB's own default)
   */
  readonly cleanupOlderThan?: Duration;

  /**
   * The vector index a run builds and refreshes.
   *
   * @default - `{ mode: VectorIndexMode.AUTO }`: IVF_PQ on the vector column once a table has 256 rows
   */
  readonly vectorIndex?: VectorIndexOptions;

  /**
   * The layer with the LanceDB SDK: give the layer your functions use, so
   * maintenance runs the same SDK and version.
   *
   * @default - the stack's shared layer (`VectorDbLayer.getOrCreate`) for the SDK and version the app resolves: the layer functions whose handlers use the runtime helper get
   */
  readonly layer?: IVectorDbLayer;

  /**
   * The SDK of the function's layer. Refused together with `layer`.
   *
   * @default - the SDK the app depends on (`@lancedb/lancedb` when it depends on both, `vectordb` when neither)
   */
  readonly sdk?: VectorDbSdk;

  /**
   * The exact SDK version of the function's layer. Refused together with
   * `layer`. vectordb before 0.3.11 and @lancedb/lancedb before 0.5.1 lack
   * compaction and are refused.
   *
   * @default - the version the app's lock file resolves
   */
  readonly sdkVersion?: string;

  /**
   * The function's architecture.
   *
   * @default - the layer's, else `Architecture.X86_64`
   */
  readonly architecture?: lambda.Architecture;

  /**
   * The function's memory (MB). Compaction holds a batch of rows of each
   * table in memory and LanceDB's Node.js `optimize` can run out of it on
   * large tables (lancedb/lancedb#2325); Lambda also gives CPU in proportion
   * (1,769 MB is one vCPU), which index training uses.
   *
   * @default 3008
   */
  readonly memorySize?: number;

  /**
   * How long one run may take, from 1 to 15 minutes. A run stops cleanly
   * before it (it leaves the table consistent and says what it left), and the
   * next run goes on from there.
   *
   * @default Duration.minutes(15) (Lambda's maximum)
   */
  readonly timeout?: Duration;

  /**
   * Reserve a concurrency of 1 for the function, so that runs never
   * overlap. Lambda keeps at least 100 executions unreserved (10 in accounts
   * whose quota is 10, as some new accounts have), where any reservation
   * fails the deployment: there, turn this off. Runs then keep apart by a
   * lock on EFS; on S3, overlapping runs on one table meet as LanceDB
   * commit conflicts (each commit is atomic: the table stays readable; a run
   * may fail, and the alarm goes off).
   *
   * @default true
   */
  readonly reserveConcurrency?: boolean;

  /**
   * The VPC of the function: needed with `VectorDatabase.efs`, whose mount
   * targets it must reach.
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` the function runs.
   *
   * @default - the VPC's default subnets (private)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The function's security groups in `vpc`.
   *
   * @default - a new security group
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The app's lock file, which says which SDK version the layer holds (as
   * for `VectorDbFunction`).
   *
   * @default - the lock file found from the folder the synth runs in, up
   */
  readonly depsLockFilePath?: string;
}

/** How often the errors alarm looks at the function's Errors metric. */
const ALARM_PERIOD = Duration.minutes(5);

/**
 * Keeps the tables of a `VectorDatabase` healthy on a schedule: each run
 * compacts the fragments every append leaves (`optimize`), prunes versions
 * older than `cleanupOlderThan`, and builds or refreshes the vector index
 * once a table is large enough for one; it writes one log line per table in
 * CloudWatch embedded metric format (fragments, versions, rows, bytes, index,
 * duration).
 *
 * What it creates: a `VectorDbFunction` running this package's maintenance
 * handler on the app's layer, with `DatabaseAccess.MAINTAIN` (the only role
 * that deletes) and reserved concurrency 1 (one run at a time; a run that
 * finds another's lock leaves); an EventBridge rule that starts it; and an
 * alarm on its errors (add your actions to `alarm`).
 *
 * @example
 * import { VectorDatabase, VectorDbMaintenance } from 'cdk-vectordb-layer';
 *
 * new VectorDbMaintenance(this, 'Maintenance', {
 *   database: VectorDatabase.s3(bucket),
 * });
 */
export class VectorDbMaintenance extends Construct {
  /** The function a run executes in. */
  public readonly function: VectorDbFunction;

  /** The EventBridge rule that starts a run. */
  public readonly rule: events.Rule;

  /** In alarm when a run fails (its function reports an error, a timeout included). */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: VectorDbMaintenanceProps) {
    const where = pathOf(scope, id);
    // Every check of the props, before anything is built.
    checkDatabase(where, props?.database);
    const tables = checkTables(where, props.tables);
    const cleanupOlderThanSeconds = cleanupSeconds(where, props.cleanupOlderThan ?? Duration.days(7));
    const timeout = props.timeout ?? Duration.minutes(15);
    const runSeconds = timeoutSeconds(where, timeout);
    const memorySize = props.memorySize ?? 3008;
    checkMemory(where, memorySize);
    const settings = settingsJson(where, {
      ...(tables ? { tables } : {}),
      cleanupOlderThanSeconds,
      vectorIndex: vectorIndexSettings(where, props.vectorIndex),
      // A lock older than a run can last belongs to a run that died; a minute for clocks that differ.
      lockTtlSeconds: runSeconds + 60,
    });
    if (props.layer) checkMaintainable(where, 'layer', 'holds', props.layer.sdk.packageName, props.layer.version);
    else if (props.sdk && props.sdkVersion) checkMaintainable(where, 'sdkVersion', 'is', props.sdk.packageName, props.sdkVersion);
    const entry = maintenanceEntry(where);
    const projectRoot = projectRootFor(where, entry, props.depsLockFilePath);
    super(scope, id);

    this.function = new VectorDbFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: 'LanceDB table maintenance (cdk-vectordb-layer VectorDbMaintenance): compaction, version cleanup, vector index',
      database: props.database,
      databaseAccess: DatabaseAccess.MAINTAIN,
      layer: props.layer,
      sdk: props.sdk,
      sdkVersion: props.sdkVersion,
      architecture: props.architecture,
      memorySize,
      timeout,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      depsLockFilePath: props.depsLockFilePath,
      ...(projectRoot ? { projectRoot } : {}),
      // One run at a time: a second would only meet the first's lock or commits.
      reservedConcurrentExecutions: props.reserveConcurrency === false ? undefined : 1,
      // A failed run raises the alarm; an immediate retry would meet the same failure, and the next scheduled run goes on.
      retryAttempts: 0,
      environment: { [MAINTENANCE_ENV]: settings },
    });
    if (!props.layer) {
      const layer = this.function.vectorDbLayer;
      checkMaintainable(where, 'sdkVersion', props.sdkVersion ? 'is' : 'is not set, and the app resolves', layer.sdk.packageName, layer.version);
    }

    const schedule = props.schedule ?? events.Schedule.rate(Duration.days(1));
    this.rule = new events.Rule(this, 'Schedule', {
      schedule,
      description: 'Starts a LanceDB table maintenance run (cdk-vectordb-layer VectorDbMaintenance)',
      targets: [new targets.LambdaFunction(this.function)],
    });
    const every = rateSeconds(schedule.expressionString);
    if (every !== undefined && every < runSeconds) {
      Annotations.of(this).addWarningV2('cdk-vectordb-layer:maintenance-schedule', `the schedule starts a run every ${every} seconds, more often than a run may last (timeout ${runSeconds} seconds): a run that takes its whole time makes the next ones wait (one at a time). Give a schedule at least as long as the timeout`);
    }

    this.alarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription: `A LanceDB table maintenance run failed (${this.node.path}): see the function's logs`,
      metric: this.function.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
