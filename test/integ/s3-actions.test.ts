/**
 * Which S3 and DynamoDB actions LanceDB really calls, per operation and SDK:
 * each operation runs in its own process with the SDK from a real layer (the
 * layer cache), against s3rver behind a recording proxy, and with a commit
 * table against dynalite (a local DynamoDB) behind another; every request is
 * mapped to the IAM action AWS checks for it. The test fails when an access
 * level (`DatabaseAccess`, the grants of src/private/function/database-access.ts)
 * lacks an action one of its operations called, and when READ or APPEND
 * would need a delete (with a commit table: a delete of anything but the
 * commit store's staging manifests).
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { VectorDbLayer, VectorDbSdk } from '../../src';
import { DYNAMODB_ACTIONS, S3_OBJECT_ACTIONS } from '../../src/private/function/database-access';
import { tempDir } from '../support/files';
import { RecordingDynamoDb, startRecordingDynamoDb } from '../support/local-dynamodb';
import { deletedKeys, describeRequest, RecordingS3, s3Actions, startRecordingS3 } from '../support/s3-recorder';
import { appAt, stagedLayerDir } from '../support/synth';

const BUCKET = 'vectors';
const OPS = path.join(__dirname, 'fixtures', 'lance-ops.js');

/** Each operation and the access level that must allow it. */
const OPERATIONS: Array<[string, 'READ' | 'APPEND' | 'MAINTAIN']> = [
  ['create', 'APPEND'],
  ['add', 'APPEND'],
  ['search', 'READ'],
  ['compact', 'MAINTAIN'],
  ['cleanup', 'MAINTAIN'],
  ['index', 'MAINTAIN'],
  ['drop', 'MAINTAIN'],
];

/** A DELETE of an object, or a DeleteObjects request (POST /bucket?delete), as describeRequest shows it. */
const isDelete = (r: string) => /^DELETE |^POST [^ ?]*\?(.*&)?delete\b/.test(r);

/** What each level grants in S3: its object actions and the prefix-limited ListBucket. */
const granted = (level: 'READ' | 'APPEND' | 'MAINTAIN') => new Set([...S3_OBJECT_ACTIONS[level], 's3:ListBucket']);

let s3: RecordingS3;
let ddb: RecordingDynamoDb;
const COMMIT_TABLE = 'commits';
const layers: Record<string, string> = {};

beforeAll(async () => {
  // Both SDKs' layers at their default versions, from the layer cache when it has them.
  const outdir = tempDir('s3-actions');
  const { app, stack } = appAt(outdir);
  new VectorDbLayer(stack, 'Legacy', { sdk: VectorDbSdk.VECTORDB });
  app.synth();
  layers.vectordb = stagedLayerDir(outdir);
  const second = tempDir('s3-actions');
  const current = appAt(second);
  new VectorDbLayer(current.stack, 'Current', { sdk: VectorDbSdk.LANCEDB });
  current.app.synth();
  layers['@lancedb/lancedb'] = stagedLayerDir(second);
  s3 = await startRecordingS3(BUCKET);
  ddb = await startRecordingDynamoDb(COMMIT_TABLE);
}, 600_000);

afterAll(async () => {
  await s3?.close();
  await ddb?.close();
});

/** Runs one operation in a child process (with the commit table: `s3+ddb://`); the requests it sent. */
async function run(sdk: string, prefix: string, op: string, commitTable = false) {
  const from = s3.requests.length;
  const fromDdb = ddb.operations.length;
  const storage = JSON.stringify({
    aws_endpoint: s3.endpoint,
    allow_http: 'true',
    aws_region: 'us-east-1',
    aws_access_key_id: 'S3RVER',
    aws_secret_access_key: 'S3RVER',
    ...(commitTable ? { dynamodb_endpoint: ddb.endpoint } : {}),
  });
  const uri = commitTable ? `s3+ddb://${BUCKET}/${prefix}?ddbTableName=${COMMIT_TABLE}` : `s3://${BUCKET}/${prefix}`;
  const work = tempDir('ops');
  // spawnSync would block the event loop the proxy runs on: spawn and wait.
  const child = spawn(process.execPath, [OPS, sdk, uri, op, storage], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', HOME: work, NODE_PATH: path.join(layers[sdk], 'nodejs', 'node_modules') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (status !== 0) throw new Error(`${sdk} ${op} failed (${status}): ${stderr.slice(-2000)}`);
  return { result: JSON.parse(stdout), requests: s3.requests.slice(from), dynamodb: ddb.operations.slice(fromDdb) };
}

describe.each([
  [VectorDbSdk.VECTORDB.packageName, 'legacy'],
  [VectorDbSdk.LANCEDB.packageName, 'current'],
])('%s', (sdk, prefix) => {
  const seen: Record<string, string[]> = {};

  test.each(OPERATIONS)('%s calls only what %s grants', async (op, level) => {
    const { requests } = await run(sdk, prefix, op);
    expect(requests.length).toBeGreaterThan(0);
    // Every request stays under the database's prefix (the IAM resource and the ListBucket condition);
    // a DeleteObjects request (POST /bucket?delete) is authorized per key, as s3:DeleteObject.
    const outside = requests.filter((r) => !(r.path.startsWith(`/${BUCKET}/${prefix}/`)
      || (r.listPrefix !== undefined && (r.listPrefix === prefix || r.listPrefix.startsWith(`${prefix}/`)))
      || (r.method === 'POST' && r.query.includes('delete'))));
    expect(outside.map(describeRequest)).toEqual([]);
    const actions = [...new Set(requests.flatMap(s3Actions))].sort();
    seen[op] = requests.map(describeRequest);
    // eslint-disable-next-line no-console
    console.log(`${sdk} ${op} (${level}): ${actions.join(', ')}\n  ${[...new Set(requests.map((r) => `${r.method} ${r.query.join('&')} ${Object.keys(r.headers).join(',')} ${r.status}`))].join('\n  ')}`);
    const missing = actions.filter((a) => !granted(level).has(a));
    expect({ op, level, missing }).toEqual({ op, level, missing: [] });
  }, 120_000);

  test('an append never deletes: READ and APPEND operations sent no DELETE', () => {
    for (const [op, level] of OPERATIONS) {
      if (level === 'MAINTAIN') continue;
      expect({ op, deletes: (seen[op] ?? ['not run']).filter(isDelete) }).toEqual({ op, deletes: [] });
    }
  });

  test('cleanup and drop delete (DeleteObjects), compaction and index building do not: the old files stay until cleanup', () => {
    const deletes = (op: string) => (seen[op] ?? ['not run']).filter(isDelete).length;
    expect({ cleanup: deletes('cleanup') > 0, drop: deletes('drop') > 0, compact: deletes('compact'), index: deletes('index') })
      .toEqual({ cleanup: true, drop: true, compact: 0, index: 0 });
    expect(granted('APPEND').has('s3:DeleteObject')).toBe(false);
    expect(granted('MAINTAIN').has('s3:DeleteObject')).toBe(true);
  });
});

describe.each([
  [VectorDbSdk.VECTORDB.packageName, 'legacy-ddb'],
  [VectorDbSdk.LANCEDB.packageName, 'current-ddb'],
])('%s with a DynamoDB commit table', (sdk, prefix) => {
  /** The commit store's staging manifests: the only objects a writer deletes. */
  const staging = new RegExp(`^${prefix}/[^/]+\\.lance/_versions/\\d+\\.manifest-[0-9a-f-]{36}$`);

  test.each(OPERATIONS)('%s calls only what %s grants', async (op, level) => {
    const { requests, dynamodb } = await run(sdk, prefix, op, true);
    const ddbActions = [...new Set(dynamodb.map((d) => `dynamodb:${d.operation}`))].sort();
    const deleted = requests.flatMap((r) => deletedKeys(r, BUCKET));
    // eslint-disable-next-line no-console
    console.log(`${sdk} + commit table ${op} (${level}): ${ddbActions.join(', ')}; deletes ${deleted.length} (${deleted.filter((k) => staging.test(k)).length} staging manifests)`);
    expect(dynamodb.every((d) => d.status === 200)).toBe(true);
    expect({ op, level, missing: ddbActions.filter((a) => !DYNAMODB_ACTIONS[level].includes(a)) }).toEqual({ op, level, missing: [] });
    const s3Missing = [...new Set(requests.flatMap(s3Actions))].filter((a) => !granted(level).has(a) && a !== 's3:DeleteObject');
    expect({ op, level, s3Missing }).toEqual({ op, level, s3Missing: [] });
    // A writer deletes only staging manifests (the grant it gets with a commit table); maintenance deletes more.
    if (level === 'READ') expect({ op, deleted }).toEqual({ op, deleted: [] });
    if (level === 'APPEND') expect({ op, others: deleted.filter((k) => !staging.test(k)) }).toEqual({ op, others: [] });
    // Every commit writes a staging manifest, copies it to its final name and deletes it.
    if (level === 'APPEND') expect(deleted.filter((k) => staging.test(k)).length).toBeGreaterThan(0);
  }, 120_000);
});
