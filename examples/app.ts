/**
 * The CDK twin of the classic Serverless "LanceDB on Lambda" example: one
 * layer with a LanceDB SDK shared by an `ingest` function (creates or appends
 * a table of vectors) and a `search` function (nearest neighbours of a query
 * vector). `location` says where the vectors live:
 *
 * - `tmp` (default): /tmp/vectordb in each execution environment;
 * - `s3`: a prefix in a new, locked-down bucket (search gets read-only access);
 * - `efs`: an EFS access point in a new VPC with isolated subnets;
 * - `cloud`: LanceDB Cloud, its API key in a new Secrets Manager secret.
 *
 *   npx cdk synth --app "npx ts-node examples/app.ts"            # tmp
 *   VECTORDB_LOCATION=s3 npx cdk synth --app "npx ts-node examples/app.ts"
 */
import * as path from 'path';
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { VectorDatabase, VectorDbFunction, VectorDbFunctionProps, VectorDbLayer, VectorDbSdk } from '../src';

/** Where the example keeps its vectors. (A union is fine here: examples are not jsii API.) */
export type ExampleLocation = 'tmp' | 's3' | 'efs' | 'cloud';

export const EXAMPLE_LOCATIONS: readonly ExampleLocation[] = ['tmp', 's3', 'efs', 'cloud'];

export interface ExampleStackProps extends StackProps {
  /**
   * Where the vectors live.
   * @default 'tmp'
   */
  readonly location?: ExampleLocation;

  /**
   * For `tmp` only: the URI to put in VECTORDB_URI instead of /tmp/vectordb
   * (a folder, or an s3:// URI whose access you grant yourself).
   * @default '/tmp/vectordb'
   */
  readonly databaseUri?: string;

  /**
   * The SDK the layer holds.
   * @default VectorDbSdk.VECTORDB
   */
  readonly sdk?: VectorDbSdk;

  /**
   * For `s3`: the prefix the table lives under.
   * @default 'vectordb'
   */
  readonly prefix?: string;

  /**
   * For `cloud`: the LanceDB Cloud database URI.
   * @default 'db://vectordb-example'
   */
  readonly cloudUri?: string;
}

export class ExampleStack extends Stack {
  public readonly location: ExampleLocation;
  public readonly layer: VectorDbLayer;
  public readonly ingest: VectorDbFunction;
  public readonly search: VectorDbFunction;
  /** The bucket of the `s3` location. */
  public readonly bucket?: s3.Bucket;
  /** The VPC and file system of the `efs` location. */
  public readonly vpc?: ec2.Vpc;
  public readonly fileSystem?: efs.FileSystem;
  /** The secret holding the LanceDB Cloud API key (`cloud` location); set its value after deploying. */
  public readonly apiKey?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id, props);
    this.location = props.location ?? 'tmp';
    if (!EXAMPLE_LOCATIONS.includes(this.location)) {
      throw new Error(`location must be one of ${EXAMPLE_LOCATIONS.join(', ')}, got ${JSON.stringify(this.location)}`);
    }
    if (props.databaseUri !== undefined && this.location !== 'tmp') {
      throw new Error(`databaseUri is for location 'tmp' only; location '${this.location}' sets VECTORDB_URI itself`);
    }
    this.layer = new VectorDbLayer(this, 'VectorDb', { sdk: props.sdk });

    let ingestDb: VectorDatabase | undefined;
    let searchDb: VectorDatabase | undefined;
    let placement: Partial<VectorDbFunctionProps> = {};
    switch (this.location) {
      case 'tmp':
        break;
      case 's3': {
        const logs = new s3.Bucket(this, 'AccessLogs', {
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          enforceSSL: true,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        });
        this.bucket = new s3.Bucket(this, 'Vectors', {
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          enforceSSL: true,
          serverAccessLogsBucket: logs,
          serverAccessLogsPrefix: 'vectors/',
          // LanceDB writes with multipart uploads; a crashed writer can leave parts behind.
          lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
        });
        ingestDb = VectorDatabase.s3(this.bucket, { prefix: props.prefix });
        searchDb = VectorDatabase.s3(this.bucket, { prefix: props.prefix, readOnly: true });
        break;
      }
      case 'efs': {
        this.vpc = new ec2.Vpc(this, 'Vpc', {
          maxAzs: 2,
          natGateways: 0,
          subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
          flowLogs: { all: {} },
        });
        this.fileSystem = new efs.FileSystem(this, 'Vectors', {
          vpc: this.vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          encrypted: true,
        });
        const accessPoint = this.fileSystem.addAccessPoint('VectorDb', {
          path: '/vectordb',
          createAcl: { ownerUid: '1001', ownerGid: '1001', permissions: '750' },
          posixUser: { uid: '1001', gid: '1001' },
        });
        ingestDb = VectorDatabase.efs(accessPoint);
        searchDb = VectorDatabase.efs(accessPoint, { readOnly: true });
        placement = { vpc: this.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } };
        break;
      }
      case 'cloud': {
        this.apiKey = new secretsmanager.Secret(this, 'LanceDbApiKey', {
          description: 'LanceDB Cloud API key of the vectordb example: put the key from the LanceDB Cloud console here',
        });
        ingestDb = searchDb = VectorDatabase.cloud(props.cloudUri ?? 'db://vectordb-example', this.apiKey);
        break;
      }
    }

    const common = {
      layer: this.layer,
      memorySize: 1024,
      timeout: Duration.seconds(30),
      environment: {
        VECTORDB_TABLE: 'vectors',
        ...(props.databaseUri !== undefined ? { VECTORDB_URI: props.databaseUri } : {}),
      },
      ...placement,
    };
    this.ingest = new VectorDbFunction(this, 'ingest', { ...common, database: ingestDb, entry: path.join(__dirname, 'handlers', 'ingest.ts') });
    this.search = new VectorDbFunction(this, 'search', { ...common, database: searchDb, entry: path.join(__dirname, 'handlers', 'search.ts') });
  }
}

if (require.main === module) {
  const app = new App();
  const location = (process.env.VECTORDB_LOCATION ?? 'tmp') as ExampleLocation;
  new ExampleStack(app, 'VectorDbExample', {
    location,
    databaseUri: location === 'tmp' ? process.env.VECTORDB_URI : undefined,
    sdk: process.env.VECTORDB_SDK ? VectorDbSdk.of(process.env.VECTORDB_SDK) : undefined,
  });
  app.synth();
}
