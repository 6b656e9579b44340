import * as path from 'path';
import { CfnParameter, Lazy, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseAccess, IVectorDbLayer, VectorDatabase, VectorDbFunction, VectorDbFunctionProps, VectorDbLayer, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';

// A handler per SDK: VectorDbFunction refuses a layer that does not hold the SDK its handler imports.
const ENTRY = {
  [VectorDbSdk.VECTORDB.packageName]: path.join(__dirname, 'fixtures', 'fn', 'handler.js'),
  [VectorDbSdk.LANCEDB.packageName]: path.join(__dirname, 'fixtures', 'fn', 'lancedb-handler.js'),
};
const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:7';
const S3_WRITE = /^s3:(Put|Delete|Abort|Restore|Replicate|Create|Update)|^s3:\*$/;

/** A stack whose functions are not bundled (no esbuild, no layer build): templates only. */
function newStack(): Stack {
  const { stack } = appAt(tempDir('db'), { 'aws:cdk:bundling-stacks': [] });
  return stack;
}

function fn(stack: Stack, props: VectorDbFunctionProps = {}, id = 'Fn', sdk = VectorDbSdk.VECTORDB): VectorDbFunction {
  const layer = stack.node.tryFindChild('Layer') as IVectorDbLayer | undefined
    ?? VectorDbLayer.fromLayerArn(stack, 'Layer', ARN, { sdk, version: sdk === VectorDbSdk.VECTORDB ? '0.21.2' : '0.39.0' });
  return new VectorDbFunction(stack, id, { entry: ENTRY[layer.sdk.packageName], layer, ...props });
}

/** Every statement of every IAM policy in the stack. */
function statements(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (s: any): string[] => ([] as string[]).concat(s.Action);
const resourcesOf = (s: any): any[] => ([] as any[]).concat(s.Resource);

function envOf(stack: Stack, id = 'Fn'): Record<string, unknown> {
  const resources = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const logicalId = stack.getLogicalId((stack.node.findChild(id) as lambda.Function).node.defaultChild as lambda.CfnFunction);
  return resources[logicalId].Properties.Environment.Variables;
}

/** A resource as text: Fn::Join flattened, Ref and Fn::GetAtt as <Name> and <Name.Attr>. */
function flat(r: any): string {
  if (typeof r === 'string') return r;
  if (r.Ref) return `<${r.Ref}>`;
  if (r['Fn::GetAtt']) return `<${r['Fn::GetAtt'].join('.')}>`;
  if (r['Fn::Join']) return r['Fn::Join'][1].map(flat).join(r['Fn::Join'][0]);
  return JSON.stringify(r);
}

/** No s3:*, and no object write on the whole bucket (`<bucket arn>/*`). */
function expectNoBucketWideWrite(stack: Stack) {
  for (const s of statements(stack)) {
    expect(actionsOf(s)).not.toContain('s3:*');
    if (!actionsOf(s).some((a) => S3_WRITE.test(a))) continue;
    for (const r of resourcesOf(s)) {
      expect(flat(r)).not.toMatch(/^(<[^>]+\.Arn>|arn:[^/]*:s3:::[^/]+)\/\*$/);
    }
  }
}

function error(make: (stack: Stack) => void): string {
  try {
    make(newStack());
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('tmp (the default)', () => {
  test('a function without database gets /tmp/vectordb, its SDK\'s name, and no policy', () => {
    const stack = newStack();
    fn(stack);
    expect(envOf(stack)).toEqual({ VECTORDB_URI: '/tmp/vectordb', VECTORDB_ACCESS: 'APPEND', VECTORDB_SDK: 'vectordb' });
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('VectorDatabase.tmp(subfolder) and the @lancedb/lancedb SDK name', () => {
    const stack = newStack();
    const f = fn(stack, { database: VectorDatabase.tmp('data/v1/') }, 'Fn', VectorDbSdk.LANCEDB);
    expect(f.database.uri).toBe('/tmp/data/v1');
    expect(envOf(stack)).toEqual({ VECTORDB_URI: '/tmp/data/v1', VECTORDB_ACCESS: 'APPEND', VECTORDB_SDK: '@lancedb/lancedb' });
  });

  test('a VECTORDB_URI given in environment is kept when no database is given', () => {
    const stack = newStack();
    fn(stack, { environment: { VECTORDB_URI: '/tmp/mine', VECTORDB_TABLE: 't' } });
    expect(envOf(stack)).toEqual({ VECTORDB_URI: '/tmp/mine', VECTORDB_TABLE: 't', VECTORDB_ACCESS: 'APPEND', VECTORDB_SDK: 'vectordb' });
  });
});

describe('S3', () => {
  const objectResource = (bucketId: string, prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}/*`]] });

  test('writable (APPEND by default): object read and write, no delete, under the prefix, ListBucket limited to the prefix, exactly', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const f = fn(stack, { database: VectorDatabase.s3(bucket) });
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: objectResource(bucketId, 'vectordb') },
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
            Condition: { StringLike: { 's3:prefix': ['vectordb/*', 'vectordb'] } },
          },
        ],
        Version: '2012-10-17',
      },
      Roles: [{ Ref: stack.getLogicalId((f.role!.node.defaultChild) as any) }],
    });
    expect(statements(stack)).toHaveLength(2);
    expectNoBucketWideWrite(stack);
    expect(envOf(stack)).toEqual({
      VECTORDB_URI: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/vectordb']] },
      VECTORDB_ACCESS: 'APPEND',
      VECTORDB_SDK: 'vectordb',
    });
  });

  test('readOnly: GetObject and the limited ListBucket, no write action at all', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    fn(stack, { database: VectorDatabase.s3(bucket, { prefix: 'tenants/a', readOnly: true }) });
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: objectResource(bucketId, 'tenants/a') },
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
            Condition: { StringLike: { 's3:prefix': ['tenants/a/*', 'tenants/a'] } },
          },
        ],
      },
    });
    const actions = statements(stack).flatMap(actionsOf);
    expect(actions.filter((a) => S3_WRITE.test(a) || /Write|Put|Delete|Encrypt|GenerateDataKey/.test(a))).toEqual([]);
  });

  test('the prefix is the same for every function (ingest and search share one database)', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const a = fn(stack, { database: VectorDatabase.s3(bucket) }, 'Ingest');
    const b = fn(stack, { database: VectorDatabase.s3(bucket, { readOnly: true }) }, 'Search');
    expect(stack.resolve(a.database.uri)).toEqual(stack.resolve(b.database.uri));
    expect(envOf(stack, 'Ingest').VECTORDB_URI).toEqual(envOf(stack, 'Search').VECTORDB_URI);
  });

  test('an empty prefix is the whole bucket, said so by the policy', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    fn(stack, { database: VectorDatabase.s3(bucket, { prefix: '' }) });
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] } },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
        ],
      },
    });
    expect(envOf(stack).VECTORDB_URI).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucketId }]] });
    // the bucket-wide check used by the other tests sees it
    expect(() => expectNoBucketWideWrite(stack)).toThrow();
  });

  test('a KMS-encrypted bucket: decrypt for readers, encrypt and decrypt for writers, on that key only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { removalPolicy: RemovalPolicy.DESTROY });
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    fn(stack, { database: VectorDatabase.s3(bucket) }, 'Writer');
    fn(stack, { database: VectorDatabase.s3(bucket, { readOnly: true }) }, 'Reader');
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    const kmsStatements = statements(stack).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kmsStatements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Resource: keyArn },
    ]));
    expect(kmsStatements).toHaveLength(2);
    expectNoBucketWideWrite(stack);
  });

  test('a bucket in another region: its region goes to LanceDB in VECTORDB_STORAGE_OPTIONS', () => {
    const { stack } = appAt(tempDir('db'), { 'aws:cdk:bundling-stacks': [] });
    const pinned = new Stack(stack.node.root as any, 'Pinned', { env: { account: '123456789012', region: 'us-east-1' } });
    const bucket = s3.Bucket.fromBucketAttributes(pinned, 'Bucket', { bucketName: 'vectors-eu', region: 'eu-west-1' });
    const f = fn(pinned, { database: VectorDatabase.s3(bucket, { prefix: 'db' }) });
    expect(f.database.uri).toBe('s3://vectors-eu/db');
    expect(envOf(pinned)).toEqual({
      VECTORDB_URI: 's3://vectors-eu/db',
      VECTORDB_ACCESS: 'APPEND',
      VECTORDB_STORAGE_OPTIONS: '{"aws_region":"eu-west-1"}',
      VECTORDB_SDK: 'vectordb',
    });
    Template.fromStack(pinned).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::vectors-eu/db/*']] } },
          {
            Action: 's3:ListBucket',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::vectors-eu']] },
            Condition: { StringLike: { 's3:prefix': ['db/*', 'db'] } },
          },
        ],
      },
    });
    expectNoBucketWideWrite(pinned);
  });

  describe('a DynamoDB commit table for concurrent writers', () => {
    const commitTable = (stack: Stack) => new dynamodb.Table(stack, 'Commits', {
      partitionKey: { name: 'base_uri', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'version', type: dynamodb.AttributeType.NUMBER },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });

    test.each([VectorDbSdk.VECTORDB, VectorDbSdk.LANCEDB])('%s, MAINTAIN: s3+ddb:// URI and exactly the item actions Lance calls, on that table only', (sdk) => {
      const stack = newStack();
      const bucket = new s3.Bucket(stack, 'Bucket');
      const table = commitTable(stack);
      fn(stack, { database: VectorDatabase.s3(bucket, { commitTable: table }), databaseAccess: DatabaseAccess.MAINTAIN }, 'Fn', sdk);
      const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
      const tableId = stack.getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
      expect(envOf(stack).VECTORDB_URI).toEqual({ 'Fn::Join': ['', ['s3+ddb://', { Ref: bucketId }, '/vectordb?ddbTableName=', { Ref: tableId }]] });
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: objectResource(bucketId, 'vectordb') },
            { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['vectordb/*', 'vectordb'] } } },
            {
              Effect: 'Allow',
              Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
              Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
            },
          ],
        },
      });
      expect(statements(stack).flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'))).not.toContain('dynamodb:*');
    });

    test('readOnly: DescribeTable, GetItem and Query only', () => {
      const stack = newStack();
      const bucket = new s3.Bucket(stack, 'Bucket');
      const table = commitTable(stack);
      fn(stack, { database: VectorDatabase.s3(bucket, { commitTable: table, readOnly: true }) });
      const tableId = stack.getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query'], Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
          ]),
        },
      });
      const actions = statements(stack).flatMap(actionsOf);
      expect(actions.filter((a) => /Put|Delete|Update|Write/.test(a))).toEqual([]);
    });

    test('a customer-managed table key is granted too', () => {
      const stack = newStack();
      const bucket = new s3.Bucket(stack, 'Bucket');
      const key = new kms.Key(stack, 'TableKey', { removalPolicy: RemovalPolicy.DESTROY });
      const table = new dynamodb.Table(stack, 'Commits', {
        partitionKey: { name: 'base_uri', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'version', type: dynamodb.AttributeType.NUMBER },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: key,
      });
      fn(stack, { database: VectorDatabase.s3(bucket, { commitTable: table }) });
      const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Resource: keyArn }]) },
      });
    });
  });
});

describe('EFS', () => {
  function efsStack() {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const fileSystem = new efs.FileSystem(stack, 'Fs', { vpc, removalPolicy: RemovalPolicy.DESTROY });
    const accessPoint = fileSystem.addAccessPoint('Ap', { path: '/vectordb', posixUser: { uid: '1001', gid: '1001' }, createAcl: { ownerUid: '1001', ownerGid: '1001', permissions: '750' } });
    return { stack, vpc, fileSystem, accessPoint };
  }

  test('mounts the access point at /mnt/vectordb, grants mount and write through it on that file system, and opens the SG', () => {
    const { stack, vpc, fileSystem, accessPoint } = efsStack();
    const f = fn(stack, { vpc, database: VectorDatabase.efs(accessPoint) });
    const t = Template.fromStack(stack);
    const apArn = stack.resolve(accessPoint.accessPointArn);
    const fsId = stack.getLogicalId(fileSystem.node.defaultChild as efs.CfnFileSystem);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FileSystemConfigs: [{ Arn: apArn, LocalMountPath: '/mnt/vectordb' }],
      Environment: { Variables: { VECTORDB_URI: '/mnt/vectordb', VECTORDB_ACCESS: 'APPEND', VECTORDB_SDK: 'vectordb' } },
    });
    const fsArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':elasticfilesystem:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':file-system/', { Ref: fsId }]] };
    const condition = { StringEquals: { 'elasticfilesystem:AccessPointArn': apArn } };
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'elasticfilesystem:ClientMount', Resource: fsArn, Condition: condition },
          { Effect: 'Allow', Action: 'elasticfilesystem:ClientWrite', Resource: fsArn, Condition: condition },
        ],
      },
    });
    // no ClientMount on "*" (what lambda.FileSystem.fromEfsAccessPoint would grant)
    for (const s of statements(stack)) expect(resourcesOf(s)).not.toContain('*');
    // NFS from the function's security group to the file system's
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FnSecurityGroup'), 'GroupId'] },
    });
    // the function waits for the mount targets
    const fnResource = t.findResources('AWS::Lambda::Function')[stack.getLogicalId(f.node.defaultChild as lambda.CfnFunction)];
    expect(fnResource.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^FsEfsMountTarget/)]));
  });

  test('readOnly: ClientMount only', () => {
    const { stack, vpc, accessPoint } = efsStack();
    fn(stack, { vpc, database: VectorDatabase.efs(accessPoint, { readOnly: true, mountPath: '/mnt/vectors' }) });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'elasticfilesystem:ClientMount' })] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      FileSystemConfigs: [Match.objectLike({ LocalMountPath: '/mnt/vectors' })],
      Environment: { Variables: Match.objectLike({ VECTORDB_URI: '/mnt/vectors' }) },
    });
  });

  test('without a vpc: a synth-time error naming the prop and the fix', () => {
    const { stack, accessPoint } = efsStack();
    expect(() => fn(stack, { database: VectorDatabase.efs(accessPoint) }))
      .toThrow(/^Stack\/Fn: vpc is not set, and database is VectorDatabase\.efs\(\.\.\.\), which mounts an EFS access point at \/mnt\/vectordb: Lambda reaches EFS only from inside a VPC; set vpc \(and vpcSubnets\) to the VPC of the file system's mount targets$/);
  });

  test('with filesystem set too: refused', () => {
    const { stack, vpc, accessPoint } = efsStack();
    expect(() => fn(stack, { vpc, filesystem: lambda.FileSystem.fromEfsAccessPoint(accessPoint, '/mnt/other'), database: VectorDatabase.efs(accessPoint) }))
      .toThrow(/^Stack\/Fn: filesystem is set, and database is VectorDatabase\.efs\(\.\.\.\), which mounts its own access point: a function mounts one file system; remove filesystem, or use VectorDatabase\.efs with that access point$/);
  });
});

describe('LanceDB Cloud', () => {
  const KEY = 'sk_live_do-not-leak-4242';

  test('the secret\'s ARN (never its value) in the environment, and read access to that secret only', () => {
    const stack = newStack();
    const secret = new secretsmanager.Secret(stack, 'ApiKey', { secretStringValue: SecretValue.unsafePlainText(KEY) });
    fn(stack, { database: VectorDatabase.cloud('db://my-db', secret, { region: 'eu-west-1' }) });
    const secretId = stack.getLogicalId(secret.node.defaultChild as secretsmanager.CfnSecret);
    const env = envOf(stack);
    expect(env).toEqual({
      VECTORDB_URI: 'db://my-db',
      VECTORDB_API_KEY_SECRET_ARN: { Ref: secretId },
      VECTORDB_CLOUD_REGION: 'eu-west-1',
      VECTORDB_ACCESS: 'APPEND',
      VECTORDB_SDK: 'vectordb',
    });
    const envText = JSON.stringify(env);
    expect(envText).not.toContain(KEY);
    expect(envText).not.toMatch(/resolve:secretsmanager|SecretString|LANCEDB_API_KEY/);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: secretId } }],
      },
    });
  });

  test('the default region is us-east-1', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'ApiKey', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lancedb-AbCdEf');
    fn(stack, { database: VectorDatabase.cloud('db://my-db', secret) });
    expect(envOf(stack)).toMatchObject({ VECTORDB_CLOUD_REGION: 'us-east-1', VECTORDB_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lancedb-AbCdEf' });
  });
});

describe('conflicts with environment', () => {
  test('an explicit database and another VECTORDB_URI in environment', () => {
    expect(error((s) => fn(s, { database: VectorDatabase.tmp('a'), environment: { VECTORDB_URI: '/tmp/b' } })))
      .toMatch(/^Stack\/Fn: environment\.VECTORDB_URI conflicts with database, which sets it to "\/tmp\/a", got "\/tmp\/b"; remove VECTORDB_URI from environment \(database owns it\)$/);
  });

  test('a VECTORDB_SDK that is not the layer\'s', () => {
    expect(error((s) => fn(s, { environment: { VECTORDB_SDK: '@lancedb/lancedb' } })))
      .toMatch(/^Stack\/Fn: environment\.VECTORDB_SDK conflicts with the layer, which holds vectordb, got "@lancedb\/lancedb"; remove VECTORDB_SDK from environment \(the function sets it from its layer\)$/);
  });
});

describe('validation: the prop, the value and the fix', () => {
  const bucket = (s: Stack) => new s3.Bucket(s, 'B');
  const secret = (s: Stack) => new secretsmanager.Secret(s, 'S');
  const ap = (s: Stack) => efs.AccessPoint.fromAccessPointAttributes(s, 'Ap', {
    accessPointId: 'fsap-1', fileSystem: efs.FileSystem.fromFileSystemAttributes(s, 'Fs', { fileSystemId: 'fs-1', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s, 'Sg', 'sg-1') }),
  });
  const cases: Array<[string, (s: Stack) => unknown, RegExp]> = [
    ['s3 prefix with ..', (s) => VectorDatabase.s3(bucket(s), { prefix: 'a/../b' }),
      /VectorDatabase\.s3: prefix must not contain \. or \.\. segments, got "a\/\.\.\/b"; use a path such as 'vectordb'/],
    ['s3 prefix with a leading /', (s) => VectorDatabase.s3(bucket(s), { prefix: '/vectors' }),
      /VectorDatabase\.s3: prefix must be relative \(no leading \/\), got "\/vectors"/],
    ['s3 prefix with shell metacharacters', (s) => VectorDatabase.s3(bucket(s), { prefix: 'v;rm -rf' }),
      /VectorDatabase\.s3: prefix must not contain characters a shell, a URI or an IAM resource would act on .*got "v;rm -rf"/],
    ['s3 prefix with an IAM wildcard', (s) => VectorDatabase.s3(bucket(s), { prefix: 'v*' }),
      /prefix must not contain characters a shell, a URI or an IAM resource would act on .*got "v\*"/],
    ['s3 prefix with an empty segment', (s) => VectorDatabase.s3(bucket(s), { prefix: 'a//b' }),
      /prefix must not contain empty segments \(\/\/\), got "a\/\/b"/],
    ['s3 prefix with other characters', (s) => VectorDatabase.s3(bucket(s), { prefix: 'vé=1' }),
      /prefix may hold only letters, digits, \., _ and - in \/-separated segments, got "vé=1"/],
    ['tmp subfolder ..', () => VectorDatabase.tmp('..'),
      /VectorDatabase\.tmp: subfolder must not contain \. or \.\. segments, got "\.\."/],
    ['tmp subfolder absolute', () => VectorDatabase.tmp('/var/task'),
      /VectorDatabase\.tmp: subfolder must be relative \(no leading \/\), got "\/var\/task"/],
    ['tmp subfolder with $', () => VectorDatabase.tmp('db$(id)'),
      /VectorDatabase\.tmp: subfolder must not contain characters a shell/],
    ['tmp subfolder empty', () => VectorDatabase.tmp(''),
      /VectorDatabase\.tmp: subfolder must not be empty, got ""/],
    ['efs mountPath outside /mnt', (s) => VectorDatabase.efs(ap(s), { mountPath: '/tmp/vectordb' }),
      /VectorDatabase\.efs: mountPath must be a folder directly under \/mnt\/, where Lambda mounts file systems, such as '\/mnt\/vectordb', got "\/tmp\/vectordb"/],
    ['efs mountPath nested under /mnt', (s) => VectorDatabase.efs(ap(s), { mountPath: '/mnt/a/b' }),
      /VectorDatabase\.efs: mountPath must be one folder directly under \/mnt\/ .*got "\/mnt\/a\/b"/],
    ['efs access point imported without its file system', (s) => VectorDatabase.efs(efs.AccessPoint.fromAccessPointId(s, 'Bare', 'fsap-2')),
      /^VectorDatabase\.efs: accessPoint must know its file system \(its id, security group and mount targets\); import it with efs\.AccessPoint\.fromAccessPointAttributes\(\{ accessPointId, fileSystem \}\), not fromAccessPointId$/],
    ['cloud uri not db://', (s) => VectorDatabase.cloud('s3://bucket/db', secret(s)),
      /VectorDatabase\.cloud: uri must be a LanceDB Cloud URI such as 'db:\/\/my-database', got "s3:\/\/bucket\/db"; for S3 or a folder use VectorDatabase\.s3 or VectorDatabase\.tmp/],
    ['cloud uri with shell metacharacters', (s) => VectorDatabase.cloud('db://x;curl', secret(s)),
      // A known gap in src/database.ts (fails until closed): why the value is refused follows the
      // value (propError's `got <value>: <why>`); in the fix it reads as if the name LanceDB Cloud shows held them.
      /^VectorDatabase\.cloud: uri must be db:\/\/ followed by the database name \(letters, digits, \., _ and -\), got "db:\/\/x;curl": it holds characters a shell would act on; write the database name as LanceDB Cloud shows it$/],
    ['cloud uri without a name', (s) => VectorDatabase.cloud('db://', secret(s)),
      /uri must be db:\/\/ followed by the database name/],
    ['cloud region', (s) => VectorDatabase.cloud('db://x', secret(s), { region: 'moon' }),
      /VectorDatabase\.cloud: region must be a region name such as 'us-east-1', got "moon"/],
  ];
  test.each(cases)('%s', (_, make, expected) => {
    expect(error(make)).toMatch(expected);
  });

  test('unresolved tokens are not checked (they resolve on deploy)', () => {
    const stack = newStack();
    const prefix = new CfnParameter(stack, 'Prefix').valueAsString;
    const uri = new CfnParameter(stack, 'Uri').valueAsString;
    expect(() => VectorDatabase.s3(new s3.Bucket(stack, 'B'), { prefix })).not.toThrow();
    expect(() => VectorDatabase.tmp(Lazy.string({ produce: () => 'x' }))).not.toThrow();
    expect(() => VectorDatabase.cloud(uri, new secretsmanager.Secret(stack, 'S'))).not.toThrow();
    const fs = efs.FileSystem.fromFileSystemAttributes(stack, 'Fs', { fileSystemId: 'fs-1', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1') });
    const accessPoint = efs.AccessPoint.fromAccessPointAttributes(stack, 'Ap', { accessPointId: 'fsap-1', fileSystem: fs });
    expect(() => VectorDatabase.efs(accessPoint, { mountPath: new CfnParameter(stack, 'Mount').valueAsString })).not.toThrow();
  });
});

describe('access levels per role (DatabaseAccess)', () => {
  /** One function per level on one KMS-encrypted bucket with a commit table. */
  function roles() {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { removalPolicy: RemovalPolicy.DESTROY });
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    const table = new dynamodb.Table(stack, 'Commits', {
      partitionKey: { name: 'base_uri', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'version', type: dynamodb.AttributeType.NUMBER },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });
    const database = VectorDatabase.s3(bucket, { commitTable: table });
    const fns = {
      READ: fn(stack, { database, databaseAccess: DatabaseAccess.READ }, 'Reader'),
      APPEND: fn(stack, { database }, 'Writer'),
      MAINTAIN: fn(stack, { database, databaseAccess: DatabaseAccess.MAINTAIN }, 'Maintainer'),
    };
    return { stack, fns };
  }

  /** The actions of one function's role, by service. */
  function actionsOfRole(stack: Stack, f: lambda.Function): Record<string, string[]> {
    const roleRef = { Ref: stack.getLogicalId(f.role!.node.defaultChild as any) };
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]));
    const all = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap(actionsOf);
    const by = (service: string) => all.filter((a) => a.startsWith(`${service}:`)).sort();
    return { s3: by('s3'), dynamodb: by('dynamodb'), kms: by('kms') };
  }

  test('READ reads, APPEND also writes, only MAINTAIN deletes (S3 objects, ListBucket, DynamoDB, KMS), each function exactly', () => {
    const { stack, fns } = roles();
    expect(actionsOfRole(stack, fns.READ)).toEqual({
      s3: ['s3:GetObject', 's3:ListBucket'],
      dynamodb: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query'],
      kms: ['kms:Decrypt'],
    });
    expect(actionsOfRole(stack, fns.APPEND)).toEqual({
      // DeleteObject on the commit store's staging manifests only (below)
      s3: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
      dynamodb: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      kms: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
    });
    expect(actionsOfRole(stack, fns.MAINTAIN)).toEqual({
      s3: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
      dynamodb: ['dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      kms: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
    });
    // A writer's only delete: the staging manifests each commit through the commit table writes, copies and deletes.
    const deletes = statements(stack).filter((s) => actionsOf(s).includes('s3:DeleteObject'));
    expect(deletes.map((s) => flat(resourcesOf(s)[0])).sort()).toEqual([
      '<Bucket83908E77.Arn>/vectordb/*',
      '<Bucket83908E77.Arn>/vectordb/*/_versions/*.manifest-*',
    ]);
    expect(envOf(stack, 'Reader').VECTORDB_ACCESS).toBe('READ');
    expect(envOf(stack, 'Writer').VECTORDB_ACCESS).toBe('APPEND');
    expect(envOf(stack, 'Maintainer').VECTORDB_ACCESS).toBe('MAINTAIN');
    expectNoBucketWideWrite(stack);
  });

  test('EFS: READ mounts, APPEND and MAINTAIN also write (EFS has one write action for adding and deleting)', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const fileSystem = new efs.FileSystem(stack, 'Fs', { vpc, removalPolicy: RemovalPolicy.DESTROY });
    const database = VectorDatabase.efs(fileSystem.addAccessPoint('Ap', { path: '/vectordb' }));
    const efsActions = (id: string, access?: DatabaseAccess) => {
      const f = fn(stack, { vpc, database, databaseAccess: access }, id);
      const roleRef = JSON.stringify([{ Ref: stack.getLogicalId(f.role!.node.defaultChild as any) }]);
      return () => Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === roleRef)
        .flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap(actionsOf).sort();
    };
    const reader = efsActions('Reader', DatabaseAccess.READ);
    const writer = efsActions('Writer');
    const maintainer = efsActions('Maintainer', DatabaseAccess.MAINTAIN);
    expect(reader()).toEqual(['elasticfilesystem:ClientMount']);
    expect(writer()).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(maintainer()).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
  });

  test('a readOnly database gives READ by default, and refuses APPEND and MAINTAIN naming the prop, the value and the fix', () => {
    const stack = newStack();
    const database = VectorDatabase.s3(new s3.Bucket(stack, 'Bucket'), { readOnly: true });
    fn(stack, { database });
    expect(envOf(stack).VECTORDB_ACCESS).toBe('READ');
    expect(() => fn(stack, { database, databaseAccess: DatabaseAccess.MAINTAIN }, 'Maintainer'))
      .toThrow(/^Stack\/Maintainer: databaseAccess is DatabaseAccess\.MAINTAIN, but the database was made with readOnly: true, got "MAINTAIN": maintenance writes to the database, and a read-only database grants no write; set databaseAccess to DatabaseAccess\.READ, or make the database without readOnly \(readOnly limits every function bound to it\)$/);
    expect(() => fn(stack, { database, databaseAccess: DatabaseAccess.APPEND }, 'Writer')).toThrow(/^Stack\/Writer: databaseAccess is DatabaseAccess\.APPEND, but the database was made with readOnly: true/);
  });

  test('anything but a DatabaseAccess value is refused (plain JavaScript)', () => {
    expect(error((s) => fn(s, { databaseAccess: 'write' as any })))
      .toMatch(/^Stack\/Fn: databaseAccess must be DatabaseAccess\.READ, DatabaseAccess\.APPEND or DatabaseAccess\.MAINTAIN, got "write"; use the constant/);
  });

  test('bind(fn, { access }) on any lambda.Function; bind(fn) keeps its old form', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const database = VectorDatabase.s3(bucket);
    const plainFn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1') });
    const a = plainFn('Plain');
    expect(database.bind(a).environment.VECTORDB_ACCESS).toBe('APPEND');
    const m = plainFn('PlainMaintainer');
    expect(database.bind(m, { access: DatabaseAccess.MAINTAIN }).environment.VECTORDB_ACCESS).toBe('MAINTAIN');
    expect(actionsOfRole(stack, a).s3).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(actionsOfRole(stack, m).s3).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(() => VectorDatabase.s3(bucket, { readOnly: true }).bind(plainFn('Ro'), { access: DatabaseAccess.APPEND }))
      .toThrow(/^Stack\/Ro: access is DatabaseAccess\.APPEND, but the database was made with readOnly: true/);
  });
});
