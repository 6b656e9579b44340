/**
 * VectorDbMaintenance at synth: what it creates (function, schedule,
 * reserved concurrency, alarm, the settings the handler reads), which role
 * may delete, cdk-nag, and every refusal with its message. Fast tier: no
 * layer build, no esbuild run (bundling is skipped).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { tempDir } from './support/files';
import { readmeSnippet } from './support/readme';
import { appAt, FIXTURES } from './support/synth';
import { ExampleStack } from '../examples/app';
import {
  VectorDatabase, VectorDbFunction, VectorDbLayer, VectorDbMaintenance, VectorDbMaintenanceProps, VectorDbSdk, VectorIndexMode,
} from '../src';
import { maintenanceEntry } from '../src/private/function/maintenance-props';

const APPS = path.join(FIXTURES, 'fn', 'apps');
/** An app whose lock file resolves @lancedb/lancedb 0.39.0. */
const LANCEDB_APP = path.join(APPS, 'lancedb-039');
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** A stack (bundling skipped: no layer build, no esbuild run) with a bucket. */
function stackWithBucket(): { app: ReturnType<typeof appAt>['app']; stack: Stack; bucket: s3.Bucket } {
  const { app, stack } = appAt(tempDir('maint'), NO_BUNDLING);
  const bucket = new s3.Bucket(stack, 'Vectors');
  return { app, stack, bucket };
}

/** The props of a maintenance on `bucket`, for the app of LANCEDB_APP. */
function props(bucket: s3.IBucket, more: Partial<VectorDbMaintenanceProps> = {}): VectorDbMaintenanceProps {
  return { database: VectorDatabase.s3(bucket), depsLockFilePath: path.join(LANCEDB_APP, 'package-lock.json'), ...more };
}

/** The maintenance function's settings, as the template gives them. */
function settingsOf(template: Template): unknown {
  const fns = Object.values(template.findResources('AWS::Lambda::Function'))
    .map((r) => r.Properties.Environment?.Variables?.VECTORDB_MAINTENANCE)
    .filter((v) => v !== undefined);
  expect(fns).toHaveLength(1);
  return JSON.parse(fns[0]);
}

/** An EFS database in `stack`. */
function efsDatabase(stack: Stack): VectorDatabase {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  return VectorDatabase.efs(new efs.FileSystem(stack, 'Fs', { vpc }).addAccessPoint('Ap'));
}

function synthError(make: (stack: Stack, bucket: s3.Bucket) => void): string {
  const { app, stack, bucket } = stackWithBucket();
  try {
    make(stack, bucket);
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('what it creates', () => {
  let template: Template;
  let maintenance: VectorDbMaintenance;
  let stack: Stack;

  beforeAll(() => {
    const made = stackWithBucket();
    stack = made.stack;
    maintenance = new VectorDbMaintenance(stack, 'Maintenance', props(made.bucket));
    made.app.synth();
    template = Template.fromStack(stack);
  });

  test('a function of 3008 MB and 15 minutes, one run at a time, no retry of a failed run', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 3008,
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ VECTORDB_SDK: '@lancedb/lancedb', VECTORDB_ACCESS: 'MAINTAIN' }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, Qualifier: '$LATEST' });
    expect(maintenance.function.vectorDbLayer.sdk.packageName).toBe('@lancedb/lancedb');
    expect(maintenance.function.vectorDbLayer.version).toBe('0.39.0');
  });

  test('the settings the handler reads: LanceDB\'s 7 days, the index on, a lock as long as a run plus a minute', () => {
    expect(settingsOf(template)).toEqual({ cleanupOlderThanSeconds: 604800, vectorIndex: { mode: 'auto' }, lockTtlSeconds: 960 });
  });

  test('a daily EventBridge rule that invokes the function', () => {
    const fnId = stack.getLogicalId(maintenance.function.node.defaultChild as lambda.CfnFunction);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    expect(maintenance.rule).toBeInstanceOf(events.Rule);
  });

  test('an alarm on the function\'s errors: any error in 5 minutes, no data is fine', () => {
    const fnId = stack.getLogicalId(maintenance.function.node.defaultChild as lambda.CfnFunction);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(maintenance.alarm.alarmArn).toBeDefined();
  });

  test('runs the package\'s own maintenance handler', () => {
    expect(maintenanceEntry('x')).toBe(path.join(__dirname, '..', 'src', 'maintenance-handler', 'index.ts'));
  });
});

test('tables, schedule, cleanupOlderThan, vectorIndex, memorySize and timeout go where they belong', () => {
  const { app, stack, bucket } = stackWithBucket();
  new VectorDbMaintenance(stack, 'Maintenance', props(bucket, {
    tables: ['docs', 'faq.v2'],
    schedule: events.Schedule.cron({ hour: '3', minute: '0' }),
    cleanupOlderThan: Duration.hours(2),
    vectorIndex: { mode: VectorIndexMode.OFF, column: 'embedding' },
    memorySize: 10240,
    timeout: Duration.minutes(5),
  }));
  app.synth();
  const template = Template.fromStack(stack);
  expect(settingsOf(template)).toEqual({
    tables: ['docs', 'faq.v2'],
    cleanupOlderThanSeconds: 7200,
    vectorIndex: { mode: 'off', column: 'embedding' },
    lockTtlSeconds: 360,
  });
  template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
  template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 10240, Timeout: 300 });
});

test('an EFS database: the function mounts the access point in the VPC given', () => {
  const { app, stack, bucket } = stackWithBucket();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const accessPoint = new efs.FileSystem(stack, 'Fs', { vpc }).addAccessPoint('Ap');
  new VectorDbMaintenance(stack, 'Maintenance', props(bucket, { database: VectorDatabase.efs(accessPoint), vpc }));
  app.synth();
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
    FileSystemConfigs: [Match.objectLike({ LocalMountPath: '/mnt/vectordb' })],
    VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    Environment: { Variables: Match.objectLike({ VECTORDB_URI: '/mnt/vectordb', VECTORDB_ACCESS: 'MAINTAIN' }) },
  });
});

test('reserveConcurrency: false leaves the concurrency unreserved (accounts whose quota allows no reservation)', () => {
  const { app, stack, bucket } = stackWithBucket();
  new VectorDbMaintenance(stack, 'Maintenance', props(bucket, { reserveConcurrency: false }));
  app.synth();
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { MemorySize: 3008, ReservedConcurrentExecutions: Match.absent() });
});

test('a schedule more frequent than a run may last is a warning', () => {
  const { app, stack, bucket } = stackWithBucket();
  new VectorDbMaintenance(stack, 'Maintenance', props(bucket, { schedule: events.Schedule.rate(Duration.minutes(5)) }));
  app.synth();
  Annotations.fromStack(stack).hasWarning('/Stack/Maintenance', Match.stringLikeRegexp('every 300 seconds, more often than a run may last \\(timeout 900 seconds\\)'));
});

test('the README snippet synthesizes, in an app whose lock file resolves @lancedb/lancedb 0.39.0', () => {
  const code = readmeSnippet('## Keeping tables healthy', /new VectorDbMaintenance\(this, 'Maintenance'/)
    .split('\n').filter((l) => !l.startsWith('import ')).join('\n');
  const { app, stack, bucket } = stackWithBucket();
  const cwd = process.cwd();
  process.chdir(LANCEDB_APP);
  try {
    new Function('Duration', 'events', 'VectorDatabase', 'VectorDbMaintenance', 'bucket', code).call(stack, Duration, events, VectorDatabase, VectorDbMaintenance, bucket);
  } finally {
    process.chdir(cwd);
  }
  app.synth();
  const maintenance = stack.node.findChild('Maintenance') as VectorDbMaintenance;
  expect([maintenance.function.vectorDbLayer.sdk.packageName, maintenance.function.vectorDbLayer.version]).toEqual(['@lancedb/lancedb', '0.39.0']);
  Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
});

describe('the layer', () => {
  test('shares the app functions\' layer by default: one layer for the SDK and version the app resolves', () => {
    const { app, stack, bucket } = stackWithBucket();
    const writer = new VectorDbFunction(stack, 'Ingest', {
      entry: path.join(LANCEDB_APP, 'src', 'search.mts'),
      depsLockFilePath: path.join(LANCEDB_APP, 'package-lock.json'),
      database: VectorDatabase.s3(bucket),
    });
    const maintenance = new VectorDbMaintenance(stack, 'Maintenance', props(bucket));
    app.synth();
    expect(maintenance.function.vectorDbLayer).toBe(writer.vectorDbLayer);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::LayerVersion', 1);
  });

  test('takes the layer given, with its architecture', () => {
    const { app, stack, bucket } = stackWithBucket();
    const layer = new VectorDbLayer(stack, 'Layer', { sdk: VectorDbSdk.VECTORDB, version: '0.4.2', architecture: lambda.Architecture.ARM_64 });
    const maintenance = new VectorDbMaintenance(stack, 'Maintenance', props(bucket, { layer }));
    app.synth();
    expect(maintenance.function.vectorDbLayer).toBe(layer);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'], Environment: { Variables: Match.objectLike({ VECTORDB_SDK: 'vectordb' }) } });
  });
});

describe('least privilege: only the maintenance function may delete table files', () => {
  /** Each function's granted (action, resource) pairs, the resource as the template's JSON, by function id. */
  function grantsByFunction(stack: Stack, ids: string[]): Record<string, string[]> {
    const template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const out: Record<string, string[]> = {};
    for (const id of ids) {
      const fn = stack.node.findChild(id) as VectorDbFunction | VectorDbMaintenance;
      const role = (fn instanceof VectorDbMaintenance ? fn.function : fn).role!.node.defaultChild as any;
      const roleId = stack.getLogicalId(role);
      out[id] = policies
        .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()
          .flatMap((a: string) => [st.Resource].flat().map((r: unknown) => `${a} ${JSON.stringify(r)}`))));
    }
    return out;
  }
  /** A delete of anything below the database prefix, or of the commit table's items. */
  const DELETES_TABLE_FILES = /^(s3:DeleteObject .*\/vectordb\/\*"\]\]\}|dynamodb:DeleteItem |s3:\*|dynamodb:\*)/;
  /** A delete the commit store's writers need: their own staging manifests. */
  const DELETES_STAGING = /^s3:DeleteObject .*\/vectordb\/\*\/_versions\/\*\.manifest-\*"\]\]\}$/;

  test.each([
    ['an S3 prefix', (b: s3.IBucket) => ({ writer: VectorDatabase.s3(b), reader: VectorDatabase.s3(b, { readOnly: true }) })],
    ['an S3 prefix with a DynamoDB commit table', (b: s3.IBucket, s: Stack) => {
      const commitTable = new dynamodb.Table(s, 'Commits', {
        partitionKey: { name: 'base_uri', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'version', type: dynamodb.AttributeType.NUMBER },
      });
      return { writer: VectorDatabase.s3(b, { commitTable }), reader: VectorDatabase.s3(b, { commitTable, readOnly: true }) };
    }],
  ])('%s: a writer, a reader and the maintenance', (name, databases) => {
    const { app, stack, bucket } = stackWithBucket();
    const { writer, reader } = databases(bucket, stack);
    const entry = path.join(LANCEDB_APP, 'src', 'search.mts');
    const depsLockFilePath = path.join(LANCEDB_APP, 'package-lock.json');
    new VectorDbFunction(stack, 'Ingest', { entry, depsLockFilePath, database: writer });
    new VectorDbFunction(stack, 'Search', { entry, depsLockFilePath, database: reader });
    new VectorDbMaintenance(stack, 'Maintenance', props(bucket, { database: writer }));
    app.synth();
    const grants = grantsByFunction(stack, ['Ingest', 'Search', 'Maintenance']);
    const deletes = (id: string) => grants[id].filter((g) => /Delete|:\*/.test(g));
    expect(deletes('Search')).toEqual([]);
    // A writer deletes nothing of a table; with a commit table, only the staging manifests it wrote itself.
    expect(deletes('Ingest').filter((g) => !DELETES_STAGING.test(g))).toEqual([]);
    expect(deletes('Ingest')).toHaveLength(name.includes('DynamoDB') ? 1 : 0);
    expect(deletes('Maintenance').filter((g) => DELETES_TABLE_FILES.test(g)).map((g) => g.split(' ')[0]).sort())
      .toEqual(name.includes('DynamoDB') ? ['dynamodb:DeleteItem', 's3:DeleteObject'] : ['s3:DeleteObject']);
    expect(grants.Maintenance.map((g) => g.split(' ')[0])).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:ListBucket']));
  });
});

describe('cdk-nag', () => {
  test('the example stack with a maintenance has no unsuppressed AwsSolutions finding in the maintenance', () => {
    const { app } = appAt(tempDir('maintnag'), NO_BUNDLING);
    const stack = new ExampleStack(app, 'Example', { location: 's3' });
    const maintenance = new VectorDbMaintenance(stack, 'Maintenance', { database: VectorDatabase.s3(stack.bucket!), layer: stack.layer });
    NagSuppressions.addResourceSuppressions(maintenance, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; it is the Lambda default and grants nothing on the vector data',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'LanceDB names its data, manifest and index objects itself (e.g. <table>.lance/data/<uuid>.lance), so object access needs a wildcard; it is bounded to the database prefix (vectordb/*), never the whole bucket',
        appliesTo: [{ regex: '/^Resource::<Vectors[0-9A-F]{8}\\.Arn>\\/vectordb\\/\\*$/g' }],
      },
    ], true);
    Aspects.of(stack).add(new AwsSolutionsChecks());
    app.synth();
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ].filter((f) => f.id.startsWith('/Example/Maintenance'));
    expect(findings.map((e) => `${e.id}: ${String(e.entry.data).split('\n')[0]}`)).toEqual([]);
  });
});

describe('refuses at synth what a run could not do', () => {
  const secret = (s: Stack) => new secretsmanager.Secret(s, 'Key');
  const cases: Array<[string, (s: Stack, b: s3.Bucket) => Partial<VectorDbMaintenanceProps>, string]> = [
    ['LanceDB Cloud', (s) => ({ database: VectorDatabase.cloud('db://docs', secret(s)) }),
      'Stack/Maintenance: database is a LanceDB Cloud database (VectorDatabase.cloud), got "db://docs": LanceDB Cloud compacts, prunes and indexes its tables itself, and its tables refuse optimize from a client; remove the VectorDbMaintenance: LanceDB Cloud needs none'],
    ['a /tmp database', () => ({ database: VectorDatabase.tmp() }),
      'Stack/Maintenance: database is VectorDatabase.tmp(), a folder in each execution environment\'s own /tmp, got "/tmp/vectordb": the maintenance function would see an empty /tmp of its own, never the tables your functions write; keep the tables where functions share them (VectorDatabase.s3 or VectorDatabase.efs) and give that database here'],
    ['a read-only database', (_s, b) => ({ database: VectorDatabase.s3(b, { readOnly: true }) }),
      'Stack/Maintenance: database was made with readOnly: true: maintenance rewrites and deletes files (compaction, version cleanup), which a read-only database grants no function; give the maintenance a database made without readOnly, with the same bucket and prefix (or access point)'],
    ['an empty table list', () => ({ tables: [] }),
      'Stack/Maintenance: tables must list at least one table, got []; leave tables out to maintain every table of the database'],
    ['a table name LanceDB refuses', () => ({ tables: ['docs', 'my docs'] }),
      'Stack/Maintenance: tables[1] must be a LanceDB table name: letters, digits, _, - and . (not only dots), got "my docs": LanceDB refuses it (Table names can only contain alphanumeric characters, underscores, hyphens, and periods); write the name your handlers pass to openTable, or leave tables out to maintain every table'],
    ['a table named ..', () => ({ tables: ['..'] }),
      'Stack/Maintenance: tables[0] must be a LanceDB table name: letters, digits, _, - and . (not only dots), got "..": '],
    ['more tables than the environment holds', () => ({ tables: Array.from({ length: 80 }, (_, i) => `table_with_a_long_name_${String(i).padStart(3, '0')}`) }),
      'Stack/Maintenance: tables makes the settings 2416 characters long, more than the 2048 this construct allows in VECTORDB_MAINTENANCE: Lambda allows 4 KB for all of a function\'s environment variables; leave tables out to maintain every table, or split the tables over two VectorDbMaintenance constructs'],
    ['a table twice', () => ({ tables: ['docs', 'faq', 'docs'] }),
      'Stack/Maintenance: tables[2] repeats tables[0], got "docs"; list each table once'],
    ['cleanupOlderThan under an hour', () => ({ cleanupOlderThan: Duration.minutes(30) }),
      'Stack/Maintenance: cleanupOlderThan must be at least 1 hour, got "30 minutes": a younger version may still be in use (a search, a commit or a run that started on it: an invocation lasts up to 15 minutes), and its files would be deleted under it; use Duration.hours(1) or more, such as Duration.days(7) (LanceDB\'s default)'],
    ['cleanupOlderThan in fractions of a second', () => ({ cleanupOlderThan: Duration.millis(7200500) }),
      'Stack/Maintenance: cleanupOlderThan must be a whole number of seconds, got "2 hours 500 millis"; give it in whole seconds, minutes, hours or days'],
    ['a timeout over Lambda\'s 15 minutes', () => ({ timeout: Duration.minutes(20) }),
      'Stack/Maintenance: timeout must be a whole number of seconds from 1 minute to 15 minutes (Lambda\'s maximum), got "20 minutes": Lambda stops every invocation at 15 minutes; leave timeout out (15 minutes: the run stops cleanly before it and the next run goes on), or give Duration.minutes(1) to Duration.minutes(15)'],
    ['a timeout under a minute', () => ({ timeout: Duration.seconds(30) }),
      'Stack/Maintenance: timeout must be a whole number of seconds from 1 minute to 15 minutes (Lambda\'s maximum), got "30 seconds"; leave timeout out'],
    ['memory outside Lambda\'s range', () => ({ memorySize: 64 }),
      'Stack/Maintenance: memorySize must be a whole number of MB from 128 to 10240 (Lambda\'s range), got 64; leave memorySize out (3008 MB), or give more for tables that compaction runs out of memory on'],
    ['a vector index mode as a string', () => ({ vectorIndex: { mode: 'auto' as VectorIndexMode } }),
      'Stack/Maintenance: vectorIndex.mode must be VectorIndexMode.AUTO or VectorIndexMode.OFF, got "auto"; use the constant: const { VectorIndexMode } = require(\'cdk-vectordb-layer\')'],
    ['a vector column that is no column name', () => ({ vectorIndex: { column: '1 vector' } }),
      'Stack/Maintenance: vectorIndex.column must be a column name: letters, digits and _, not starting with a digit (a.b for a nested field), at most 128 characters, got "1 vector"; give the name of the table\'s vector column, or leave column out for the handler\'s choice'],
    ['vectordb before compactFiles', () => ({ sdk: VectorDbSdk.VECTORDB, sdkVersion: '0.2.6' }),
      'Stack/Maintenance: sdkVersion is vectordb 0.2.6, which has no compactFiles and cleanupOldVersions: compactFiles and cleanupOldVersions arrive in vectordb 0.3.11: every run would fail; use vectordb 0.3.11 or newer (the default is 0.21.2), or @lancedb/lancedb (sdk: VectorDbSdk.LANCEDB)'],
    ['@lancedb/lancedb before optimize', () => ({ sdk: VectorDbSdk.LANCEDB, sdkVersion: '0.4.20' }),
      'Stack/Maintenance: sdkVersion is @lancedb/lancedb 0.4.20, which has no optimize: optimize arrives in @lancedb/lancedb 0.5.1: every run would fail; use @lancedb/lancedb 0.5.1 or newer'],
    ['a layer before compactFiles', (s) => ({ layer: VectorDbLayer.fromLayerArn(s, 'Old', 'arn:aws:lambda:us-east-1:123456789012:layer:old:1', { version: '0.2.6', glibcVersion: '2.17' }) }),
      'Stack/Maintenance: layer holds vectordb 0.2.6, which has no compactFiles and cleanupOldVersions: '],
    ['an EFS database without a VPC', (s) => ({ database: efsDatabase(s) }),
      'Stack/Maintenance/Function: vpc is not set, and database is VectorDatabase.efs(...)'],
  ];
  test.each(cases)('%s', (_name, more, message) => {
    const error = synthError((s, b) => new VectorDbMaintenance(s, 'Maintenance', props(b, more(s, b))));
    expect(error.slice(0, message.length)).toBe(message);
  });

  test('the version the app\'s lock file resolves is checked too: vectordb 0.2.6 refused, 0.3.11 taken', () => {
    const lockWith = (version: string) => {
      const dir = tempDir('applock');
      const deps = { vectordb: version };
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: deps }));
      fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'app', version: '1.0.0', dependencies: deps }, 'node_modules/vectordb': { version } },
      }));
      return path.join(dir, 'package-lock.json');
    };
    const error = synthError((s, b) => new VectorDbMaintenance(s, 'Maintenance', props(b, { depsLockFilePath: lockWith('0.2.6') })));
    expect(error).toBe('Stack/Maintenance: sdkVersion is not set, and the app resolves vectordb 0.2.6, which has no compactFiles and cleanupOldVersions: compactFiles and cleanupOldVersions arrive in vectordb 0.3.11: every run would fail; use vectordb 0.3.11 or newer (the default is 0.21.2), or @lancedb/lancedb (sdk: VectorDbSdk.LANCEDB)');
    const { app, stack, bucket } = stackWithBucket();
    const ok = new VectorDbMaintenance(stack, 'Maintenance', props(bucket, { depsLockFilePath: lockWith('0.3.11') }));
    app.synth();
    expect([ok.function.vectorDbLayer.sdk.packageName, ok.function.vectorDbLayer.version]).toEqual(['vectordb', '0.3.11']);
  });
});
