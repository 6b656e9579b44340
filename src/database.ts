import { Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { propError } from './private/common/errors';
import { SHELL_META } from './private/common/messages';
import { DYNAMODB_ACTIONS, EFS_ACTIONS, READ_ONLY_DATABASES, resolveAccess, S3_OBJECT_ACTIONS } from './private/function/database-access';
import { ENV } from './runtime/settings';

/**
 * What a function may do to a `VectorDatabase`: each level grants exactly the
 * actions LanceDB calls for it (recorded against a local S3 server with both
 * SDKs), and goes to the function as `VECTORDB_ACCESS`.
 *
 * | level | S3 objects | DynamoDB commit table | EFS |
 * | --- | --- | --- | --- |
 * | `READ` | GetObject | DescribeTable, GetItem, Query | ClientMount |
 * | `APPEND` | + PutObject | + PutItem | + ClientWrite |
 * | `MAINTAIN` | + DeleteObject | + DeleteItem | + ClientWrite (EFS cannot tell append from delete) |
 *
 * Every level gets `s3:ListBucket` limited to the prefix, and the bucket's KMS
 * key (decrypt to read; encrypt too to write). A `tmp()` or `cloud()` database
 * grants nothing per level (a folder in /tmp; LanceDB Cloud's API key allows
 * everything): the level is only passed on.
 */
export enum DatabaseAccess {
  /** Open tables, count, search, list versions: no write of any kind. */
  READ = 'READ',
  /**
   * Read, add rows and create tables: never deletes an object or drops a
   * version (no `s3:DeleteObject`, no `dynamodb:DeleteItem`). What a writer
   * (an ingest function) needs.
   */
  APPEND = 'APPEND',
  /**
   * Append, and also compact (`optimize`), prune old versions, build indexes
   * and drop tables: the only level with `s3:DeleteObject` and
   * `dynamodb:DeleteItem`. Give it to one maintenance function
   * (`VectorDbMaintenance`), not to every writer.
   */
  MAINTAIN = 'MAINTAIN',
}

/**
 * Options of `VectorDatabase.bind`.
 */
export interface VectorDatabaseBindOptions {
  /**
   * What the function may do to the database.
   *
   * @default - `DatabaseAccess.APPEND`; `DatabaseAccess.READ` when the database was made with `readOnly: true` (which refuses anything else)
   */
  readonly access?: DatabaseAccess;
}

/**
 * Options of `VectorDatabase.s3`.
 */
export interface S3DatabaseOptions {
  /**
   * The key prefix (folder) the database lives under, without leading or
   * trailing `/`: letters, digits, `.`, `_` and `-` in `/`-separated segments.
   * The function may read and write only below it. An empty string puts the
   * database at the root of the bucket and grants the whole bucket.
   *
   * Functions that share a database must use the same prefix, so the default
   * does not depend on the function.
   *
   * @default 'vectordb'
   */
  readonly prefix?: string;

  /**
   * Grant only what reading and searching need: `s3:GetObject` and a
   * prefix-scoped `s3:ListBucket`, no write, no delete. Every function bound
   * to it gets `DatabaseAccess.READ`; asking for more is refused.
   *
   * @default false
   */
  readonly readOnly?: boolean;

  /**
   * A DynamoDB table LanceDB uses as its commit store, for concurrent writers
   * on S3 (`s3+ddb://bucket/prefix?ddbTableName=...`).
   *
   * Its key schema must be: partition key `base_uri` (String), sort key
   * `version` (Number). Lance checks it with `DescribeTable` on first use.
   * The function gets `dynamodb:DescribeTable`, `GetItem` and `Query`, plus
   * `PutItem` with `DatabaseAccess.APPEND`, and `DeleteItem` too with
   * `DatabaseAccess.MAINTAIN`, on this table only. A writer (`APPEND`) also
   * gets `s3:DeleteObject` on the commit store's staging manifests only
   * (`<prefix>/<table>.lance/_versions/<n>.manifest-<uuid>`), which each commit writes, copies and deletes.
   *
   * @see https://lancedb.github.io/lancedb/guides/storage/#dynamodb-commit-store-for-concurrent-writes
   * @default - no commit store: `s3://bucket/prefix`; recent Lance versions commit with S3 conditional writes instead
   */
  readonly commitTable?: dynamodb.ITable;
}

/**
 * Options of `VectorDatabase.efs`.
 */
export interface EfsDatabaseOptions {
  /**
   * Where the access point is mounted in the function, and so the database's
   * URI: a folder directly under `/mnt/` (Lambda's rule).
   *
   * @default '/mnt/vectordb'
   */
  readonly mountPath?: string;

  /**
   * Mount without `elasticfilesystem:ClientWrite`: LanceDB can read and search,
   * not write. Every function bound to it gets `DatabaseAccess.READ`.
   *
   * @default false
   */
  readonly readOnly?: boolean;
}

/**
 * Options of `VectorDatabase.cloud`.
 */
export interface CloudDatabaseOptions {
  /**
   * The LanceDB Cloud region of the database.
   *
   * @default 'us-east-1' (the SDKs' default)
   */
  readonly region?: string;
}

/**
 * What a function needs to reach a `VectorDatabase`.
 */
export interface VectorDatabaseConfig {
  /**
   * The URI LanceDB connects to (also in `environment` as `VECTORDB_URI`).
   */
  readonly uri: string;

  /**
   * Environment variables for the function: `VECTORDB_URI` and whatever the
   * runtime helper (`cdk-vectordb-layer/runtime`) needs besides.
   */
  readonly environment: { [key: string]: string };
}

/**
 * Where a function's LanceDB database lives, with exactly the permissions
 * LanceDB needs there.
 *
 * | location | URI | shared between invocations | concurrent writers |
 * | --- | --- | --- | --- |
 * | `tmp()` | `/tmp/vectordb` | one execution environment only | no |
 * | `s3(bucket)` | `s3://bucket/vectordb` | yes | yes (see `commitTable`) |
 * | `efs(accessPoint)` | `/mnt/vectordb` | yes | within one file system |
 * | `cloud(uri, secret)` | `db://name` | yes | yes |
 *
 * Handlers connect with `connect()` from `cdk-vectordb-layer/runtime`,
 * which reads the environment variables set here.
 *
 * @example
 * import { VectorDatabase, VectorDbFunction } from 'cdk-vectordb-layer';
 *
 * new VectorDbFunction(this, 'Search', {
 *   entry: 'src/search.ts',
 *   database: VectorDatabase.s3(bucket, { prefix: 'vectors', readOnly: true }),
 * });
 */
export abstract class VectorDatabase {
  /**
   * A folder under `/tmp`: Lambda's only writable local storage (512 MB to
   * 10 GB of ephemeral storage). Nothing to grant; the data lives as long as
   * the execution environment and is not shared between environments.
   *
   * @param subfolder the folder below /tmp: letters, digits, `.`, `_` and `-` in `/`-separated segments. Default: `vectordb`
   */
  public static tmp(subfolder?: string): VectorDatabase {
    const folder = subfolder ?? DEFAULT_FOLDER;
    checkPath('VectorDatabase.tmp', 'subfolder', folder, { example: 'vectordb', allowEmpty: false });
    return new TmpDatabase(`/tmp/${stripSlashes(folder)}`);
  }

  /**
   * A prefix in an S3 bucket. The function gets the object actions of its
   * access (`DatabaseAccess`: read; append adds write; maintain adds delete)
   * below the prefix, `s3:ListBucket` limited to the prefix, and the bucket's
   * KMS key if it has one.
   */
  public static s3(bucket: s3.IBucket, options: S3DatabaseOptions = {}): VectorDatabase {
    return new S3Database(bucket, options);
  }

  /**
   * An EFS access point, mounted by the function. The function must be in a
   * VPC that reaches the file system's mount targets (`vpc` prop): the VPC
   * stays yours.
   */
  public static efs(accessPoint: efs.IAccessPoint, options: EfsDatabaseOptions = {}): VectorDatabase {
    return new EfsDatabase(accessPoint, options);
  }

  /**
   * A LanceDB Cloud database. The API key stays in Secrets Manager: the
   * function gets read access to the secret and its ARN in
   * `VECTORDB_API_KEY_SECRET_ARN`, and the runtime helper fetches the key at
   * run time. The key is never in an environment variable or the template.
   *
   * @param uri the database URI, `db://<name>`
   * @param apiKeySecret the secret whose value is the API key (plain, or JSON with an `apiKey` field)
   */
  public static cloud(uri: string, apiKeySecret: secretsmanager.ISecret, options: CloudDatabaseOptions = {}): VectorDatabase {
    return new CloudDatabase(uri, apiKeySecret, options);
  }

  /**
   * The URI LanceDB connects to.
   */
  public abstract readonly uri: string;

  /**
   * The file system a function must mount (its `filesystem` prop) to reach
   * the database. `VectorDbFunction` mounts it.
   *
   * @default - none
   */
  public abstract readonly fileSystem?: lambda.FileSystem;

  /**
   * Grants a function what it needs here, for the access asked for, and
   * returns its environment (`VECTORDB_ACCESS` names the access).
   * `VectorDbFunction` calls it; call it yourself for another function
   * (and pass `fileSystem` as that function's `filesystem`).
   */
  public abstract bind(fn: lambda.Function, options?: VectorDatabaseBindOptions): VectorDatabaseConfig;
}

const DEFAULT_FOLDER = 'vectordb';
/** The staging manifests of Lance's external commit store, below the database's prefix. */
const STAGING_MANIFESTS = '*/_versions/*.manifest-*';
const DEFAULT_PREFIX = 'vectordb';
const DEFAULT_MOUNT_PATH = '/mnt/vectordb';

class TmpDatabase extends VectorDatabase {
  public readonly fileSystem?: lambda.FileSystem = undefined;

  constructor(public readonly uri: string) {
    super();
  }

  public bind(fn: lambda.Function, options: VectorDatabaseBindOptions = {}): VectorDatabaseConfig {
    const access = resolveAccess(fn.node.path, 'access', options.access, this);
    return { uri: this.uri, environment: { [ENV.URI]: this.uri, [ENV.ACCESS]: access } };
  }
}

class S3Database extends VectorDatabase {
  public readonly uri: string;
  public readonly fileSystem?: lambda.FileSystem = undefined;
  private readonly prefix: string;

  constructor(private readonly bucket: s3.IBucket, private readonly options: S3DatabaseOptions) {
    super();
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    checkPath('VectorDatabase.s3', 'prefix', prefix, { example: 'vectordb', allowEmpty: true });
    this.prefix = stripSlashes(prefix);
    if (options.readOnly) READ_ONLY_DATABASES.add(this);
    const path = this.prefix ? `/${this.prefix}` : '';
    const table = options.commitTable;
    // LanceDB's documented form: s3+ddb://bucket/path?ddbTableName=my-dynamodb-table
    this.uri = table
      ? `s3+ddb://${bucket.bucketName}${path}?ddbTableName=${table.tableName}`
      : `s3://${bucket.bucketName}${path}`;
  }

  public bind(fn: lambda.Function, options: VectorDatabaseBindOptions = {}): VectorDatabaseConfig {
    const access = resolveAccess(fn.node.path, 'access', options.access, this);
    const reader = access === DatabaseAccess.READ;
    // The policies LanceDB documents for a bucket and prefix (guides/storage,
    // "AWS IAM Permissions"): object actions on <prefix>/*, ListBucket on the
    // bucket limited by s3:prefix, split by access level from the requests both
    // SDKs were recorded sending (private/function/database-access.ts). Left out:
    // s3:GetBucketLocation (LanceDB's example pairs it with an s3:prefix
    // condition, which GetBucketLocation requests never carry, so it grants
    // nothing; the region is given to LanceDB, from AWS_REGION or
    // VECTORDB_STORAGE_OPTIONS, not looked up).
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: S3_OBJECT_ACTIONS[access],
      resources: [this.bucket.arnForObjects(this.prefix ? `${this.prefix}/*` : '*')],
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      ...(this.prefix ? { conditions: { StringLike: { 's3:prefix': [`${this.prefix}/*`, this.prefix] } } } : {}),
    }));
    // SSE-KMS: reading needs kms:Decrypt; writing also GenerateDataKey (multipart uploads decrypt too).
    if (reader) {
      this.bucket.encryptionKey?.grantDecrypt(fn);
    } else {
      this.bucket.encryptionKey?.grantEncryptDecrypt(fn);
    }

    const table = this.options.commitTable;
    if (table) {
      // What Lance's DynamoDB commit store calls, by access level, as recorded
      // against a local DynamoDB with both SDKs (private/function/database-access.ts):
      // DescribeTable, GetItem and Query to read, PutItem to commit, DeleteItem
      // when a table is dropped (maintenance).
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: DYNAMODB_ACTIONS[access],
        resources: [table.tableArn],
      }));
      if (access === DatabaseAccess.APPEND) {
        // With a commit store every commit writes a staging manifest
        // (_versions/<n>.manifest-<uuid>), copies it to its final name and
        // deletes it (recorded with both SDKs; Lance's finalize_manifest, which
        // in older versions fails the commit when that delete is denied): a
        // writer may delete those, and nothing else.
        fn.addToRolePolicy(new iam.PolicyStatement({
          actions: ['s3:DeleteObject'],
          resources: [this.bucket.arnForObjects(`${this.prefix ? `${this.prefix}/` : ''}${STAGING_MANIFESTS}`)],
        }));
      }
      if (reader) {
        table.encryptionKey?.grantDecrypt(fn);
      } else {
        table.encryptionKey?.grantEncryptDecrypt(fn);
      }
    }

    // LanceDB needs the bucket's region. The runtime helper falls back to the
    // function's AWS_REGION, so only a bucket in another region is spelled out.
    const environment: { [key: string]: string } = { [ENV.URI]: this.uri, [ENV.ACCESS]: access };
    const region = this.bucket.env.region;
    if (region !== Stack.of(fn).region) {
      environment[ENV.STORAGE_OPTIONS] = Stack.of(fn).toJsonString({ aws_region: region });
    }
    return { uri: this.uri, environment };
  }
}

class EfsDatabase extends VectorDatabase {
  public readonly uri: string;
  public readonly fileSystem?: lambda.FileSystem;
  private readonly fsArn: string;
  private readonly viaAccessPoint: { [key: string]: unknown };

  constructor(accessPoint: efs.IAccessPoint, options: EfsDatabaseOptions) {
    super();
    const mountPath = options.mountPath ?? DEFAULT_MOUNT_PATH;
    if (!Token.isUnresolved(mountPath)) {
      if (!/^\/mnt\/[a-zA-Z0-9._-]+$/.test(mountPath)) {
        const hint = mountPath.startsWith('/mnt/') ? 'one folder directly under /mnt/ (letters, digits, ., _ and -)' : 'a folder directly under /mnt/, where Lambda mounts file systems';
        throw propError('VectorDatabase.efs', { prop: 'mountPath', problem: `must be ${hint}, such as '${DEFAULT_MOUNT_PATH}'`, value: mountPath, fix: `use a folder such as '${DEFAULT_MOUNT_PATH}'` });
      }
      if (mountPath.length > 160) {
        throw propError('VectorDatabase.efs', { prop: 'mountPath', problem: 'must be at most 160 characters', value: mountPath.length, fix: 'use a shorter folder name' });
      }
    }
    this.uri = mountPath;
    let fileSystem: efs.IFileSystem;
    try {
      fileSystem = accessPoint.fileSystem;
    } catch {
      throw propError('VectorDatabase.efs', {
        prop: 'accessPoint',
        problem: 'must know its file system (its id, security group and mount targets)',
        fix: 'import it with efs.AccessPoint.fromAccessPointAttributes({ accessPointId, fileSystem }), not fromAccessPointId',
      });
    }
    if (options.readOnly) READ_ONLY_DATABASES.add(this);
    const fsArn = Stack.of(accessPoint).formatArn({
      service: 'elasticfilesystem',
      resource: 'file-system',
      resourceName: fileSystem.fileSystemId,
    });
    // lambda.FileSystem.fromEfsAccessPoint grants ClientMount on "*"; the
    // same mount, on this file system through this access point only. The
    // mount carries what every function needs (ClientMount); bind adds
    // ClientWrite for the functions that write.
    const viaAccessPoint = { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.accessPointArn } };
    this.fsArn = fsArn;
    this.viaAccessPoint = viaAccessPoint;
    this.fileSystem = new AccessPointMount({
      localMountPath: mountPath,
      arn: accessPoint.accessPointArn,
      dependency: [fileSystem.mountTargetsAvailable],
      connections: fileSystem.connections,
      policies: [new iam.PolicyStatement({
        actions: EFS_ACTIONS.READ,
        resources: [fsArn],
        conditions: viaAccessPoint,
      })],
    });
  }

  public bind(fn: lambda.Function, options: VectorDatabaseBindOptions = {}): VectorDatabaseConfig {
    const access = resolveAccess(fn.node.path, 'access', options.access, this);
    if (!fn.isBoundToVpc) {
      throw propError(fn, { prop: 'vpc', problem: 'is not set but database is VectorDatabase.efs(...)', fix: 'set vpc to the VPC of the file system\'s mount targets' });
    }
    // EFS cannot separate an append from a delete: ClientWrite allows both, so
    // APPEND and MAINTAIN get the same grant here.
    const write = EFS_ACTIONS[access].filter((a) => !EFS_ACTIONS.READ.includes(a));
    if (write.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: write, resources: [this.fsArn], conditions: this.viaAccessPoint }));
    }
    return { uri: this.uri, environment: { [ENV.URI]: this.uri, [ENV.ACCESS]: access } };
  }
}

/** A Lambda file system config with our own policies (lambda.FileSystem's constructor is protected). */
class AccessPointMount extends lambda.FileSystem {
  constructor(config: lambda.FileSystemConfig) {
    super(config);
  }
}

class CloudDatabase extends VectorDatabase {
  public readonly fileSystem?: lambda.FileSystem = undefined;
  private readonly region: string;

  constructor(public readonly uri: string, private readonly secret: secretsmanager.ISecret, options: CloudDatabaseOptions) {
    super();
    if (!Token.isUnresolved(uri)) {
      if (!uri.startsWith('db://')) {
        throw propError('VectorDatabase.cloud', { prop: 'uri', problem: 'must be a LanceDB Cloud URI such as \'db://my-database\'', value: uri, fix: 'for S3 or a folder use VectorDatabase.s3 or VectorDatabase.tmp' });
      }
      if (uri.length > 512) {
        throw propError('VectorDatabase.cloud', { prop: 'uri', problem: 'must be at most 512 characters (it goes into the function\'s environment, 4 KB in all)', value: uri.length, fix: 'use a shorter database name' });
      }
      if (!/^db:\/\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(uri)) {
        const why = SHELL_META.test(uri.slice(5)) ? 'it holds characters a shell would act on' : undefined;
        throw propError('VectorDatabase.cloud', { prop: 'uri', problem: 'must be db:// followed by the database name (letters, digits, ., _ and -)', value: uri, why, fix: 'write the database name as LanceDB Cloud shows it' });
      }
    }
    this.region = options.region ?? 'us-east-1';
    if (!Token.isUnresolved(this.region) && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(this.region)) {
      throw propError('VectorDatabase.cloud', { prop: 'region', problem: 'must be a region name such as \'us-east-1\'', value: this.region, fix: 'use the region LanceDB Cloud shows for the database' });
    }
  }

  public bind(fn: lambda.Function, options: VectorDatabaseBindOptions = {}): VectorDatabaseConfig {
    // LanceDB Cloud's API key allows everything: the level is only passed on.
    const access = resolveAccess(fn.node.path, 'access', options.access, this);
    // secretsmanager:GetSecretValue and DescribeSecret on this secret (and kms:Decrypt on its key, if any).
    this.secret.grantRead(fn);
    return {
      uri: this.uri,
      environment: {
        [ENV.URI]: this.uri,
        [ENV.API_KEY_SECRET_ARN]: this.secret.secretArn,
        [ENV.CLOUD_REGION]: this.region,
        [ENV.ACCESS]: access,
      },
    };
  }
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;


function stripSlashes(p: string): string {
  return p.replace(/\/+$/, '');
}

/**
 * Refuses a relative path (a prefix or subfolder) that would escape its parent,
 * widen an IAM resource or confuse a URI: the prop, the value and the fix.
 */
function checkPath(where: string, prop: string, value: string, opts: { example: string; allowEmpty: boolean }) {
  if (Token.isUnresolved(value)) return;
  const fail = (why: string): never => {
    throw propError(where, { prop, problem: why, value, fix: `use a path such as '${opts.example}'` });
  };
  if (value === '') {
    if (opts.allowEmpty) return;
    fail('must not be empty');
  }
  if (value.startsWith('/')) fail('must be relative (no leading /)');
  const trimmed = stripSlashes(value);
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '..' || s === '.')) fail('must not contain . or .. segments');
  if (SHELL_META.test(trimmed)) fail('must not contain characters a shell, a URI or an IAM resource would act on (spaces, * ? $ ; & | ` quotes, brackets...)');
  if (segments.some((s) => s === '')) fail('must not contain empty segments (//)');
  if (segments.some((s) => !SEGMENT.test(s))) fail('may hold only letters, digits, ., _ and - in /-separated segments');
  if (trimmed.length > 512) fail('must be at most 512 characters');
}
