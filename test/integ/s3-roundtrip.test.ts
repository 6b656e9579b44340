/**
 * A real S3 round trip: the example synthesized with `location: 's3'` (real
 * layers, real esbuild bundles), its ingest and search functions run by the
 * local invoker against s3rver, a real S3-compatible server on 127.0.0.1.
 * LanceDB reads and writes the table through the S3 API; nothing is faked but
 * the credentials.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { ExampleStack } from '../../examples/app';
import { syntheticRows } from '../../examples/handlers/ingest';
import { VectorDbSdk } from '../../src';
import { findFunction, localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { S3rverServer, startS3rver } from '../support/s3rver';
import { appAt } from '../support/synth';

const BUCKET = 'vectors';
const DIMENSIONS = 8;
const COUNT = 300;
const SEED = 7;
const QUERY = [0.42, 0.17, 0.93, 0.5, 0.08, 0.61, 0.33, 0.77];

/** The k nearest rows by squared L2 distance (LanceDB's default metric), computed here. */
function bruteForce(rows: Array<{ id: number; vector: number[] }>, query: number[], k: number) {
  return rows
    .map((r) => ({ id: r.id, distance: r.vector.reduce((sum, v, i) => sum + (v - query[i]) ** 2, 0) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

let server: S3rverServer;
let storeDir: string;
let endpoint: string;

beforeAll(async () => {
  storeDir = tempDir('s3rver');
  // s3rver with the delimiter-listing fix LanceDB needs (test/support/s3rver.ts)
  ({ server, endpoint } = await startS3rver(storeDir, BUCKET));
});

afterAll(async () => {
  await server?.close();
});

describe.each([
  [VectorDbSdk.VECTORDB, 'legacy'],
  [VectorDbSdk.LANCEDB, 'current'],
])('%s through s3rver', (sdk, prefix) => {
  const cdkOut = tempDir('s3rt');
  let stack: ExampleStack;
  let env: Record<string, string>;

  beforeAll(() => {
    const { app } = appAt(cdkOut);
    stack = new ExampleStack(app, 'Example', { location: 's3', sdk, prefix });
    app.synth();
    env = {
      // The template's VECTORDB_URI names the deployed bucket (a Ref); here it is s3rver's.
      VECTORDB_URI: `s3://${BUCKET}/${prefix}`,
      VECTORDB_STORAGE_OPTIONS: JSON.stringify({ aws_endpoint: endpoint, allow_http: 'true' }),
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
  });

  test('the functions are set up for S3: the prefix in the URI, the SDK named, the SDK not bundled', () => {
    const t = Template.fromStack(stack);
    const bucketId = stack.getLogicalId(stack.bucket!.node.defaultChild as any);
    t.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          VECTORDB_TABLE: 'vectors',
          VECTORDB_URI: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, `/${prefix}`]] },
          VECTORDB_SDK: sdk.packageName,
        },
      },
    });
    for (const id of ['Example/ingest', 'Example/search']) {
      const code = fs.readFileSync(path.join(findFunction(cdkOut, id).codeAssetPath!, 'index.js'), 'utf-8');
      expect(code).not.toMatch(/require\("(vectordb|@lancedb\/lancedb|apache-arrow|@aws-sdk\/client-secrets-manager)"\)/);
      expect(code.length).toBeLessThan(20_000);
    }
  });

  test('ingest writes the table to the bucket, search finds the nearest neighbours', async () => {
    const ingest = await localInvoke({
      cdkOut,
      functionId: 'Example/ingest',
      events: [
        { generate: { count: COUNT, dimensions: DIMENSIONS, seed: SEED } },
        { rows: [{ id: 1000, vector: QUERY }] },
      ],
      env,
      timeoutSeconds: 60,
    });
    expect(ingest.error).toBeUndefined();
    expect(ingest.invocations.map((i) => i.result)).toEqual([
      { table: 'vectors', added: COUNT, total: COUNT },
      { table: 'vectors', added: 1, total: COUNT + 1 },
    ]);

    // The table is in the bucket, under the prefix: data, versions (one per commit) and transactions.
    const table = path.join(storeDir, BUCKET, prefix, 'vectors.lance');
    expect(fs.readdirSync(table).sort()).toEqual(expect.arrayContaining(['_transactions', '_versions', 'data']));

    const search = await localInvoke({ cdkOut, functionId: 'Example/search', event: { vector: QUERY, k: 4 }, invocations: 2, env, timeoutSeconds: 60 });
    expect(search.error).toBeUndefined();
    const expected = [{ id: 1000, distance: 0 }, ...bruteForce(syntheticRows(COUNT, DIMENSIONS, SEED), QUERY, 3)];
    for (const invocation of search.invocations) {
      const neighbours = (invocation.result as { neighbours: Array<{ id: number; distance: number }> }).neighbours;
      expect(neighbours.map((n) => n.id)).toEqual(expected.map((n) => n.id));
      neighbours.forEach((n, i) => expect(n.distance).toBeCloseTo(expected[i].distance, 4));
    }
  });
});
