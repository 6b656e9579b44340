/**
 * A local DynamoDB (dynalite, DynamoDB's API on LevelDB, from npm) behind a
 * recording proxy that keeps each request's operation (`X-Amz-Target`): how
 * the commit store's actions of each access level were found
 * (test/integ/s3-actions.test.ts). dynalite is installed once into the tests'
 * cache (CDK_VECTORDB_LAYER_TEST_CACHE) with `npm install --ignore-scripts`;
 * its LevelDB binding ships prebuilt binaries.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { forward } from './forward';
import { cacheDir } from './platforms';

const DYNALITE = 'dynalite@4.0.0';

/** dynalite's folder in the tests' cache, installed on first use. */
function dynaliteDir(): string {
  const dest = path.join(cacheDir(), DYNALITE.replace('@', '-'));
  if (fs.existsSync(path.join(dest, 'node_modules', 'dynalite', 'package.json'))) return dest;
  fs.mkdirSync(cacheDir(), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir(), '.tmp-dynalite-'));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), '{"private":true}\n');
    const r = spawnSync('npm', ['install', DYNALITE, '--ignore-scripts', '--no-audit', '--no-fund', '--no-save'], {
      cwd: tmp, encoding: 'utf-8', timeout: 300_000, shell: false,
    });
    if (r.error || r.status !== 0) throw new Error(`npm install ${DYNALITE} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').slice(-2000)}`);
    try {
      fs.renameSync(tmp, dest);
    } catch (e) {
      // Another process installed it first: use that one.
      if (!fs.existsSync(path.join(dest, 'node_modules', 'dynalite'))) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dest;
}

/** A running local DynamoDB and the operations it was asked for. */
export interface RecordingDynamoDb {
  /** The endpoint to give LanceDB (`dynamodb_endpoint`): the recording proxy. */
  readonly endpoint: string;
  /** Each request's operation (`PutItem`, `Query`...) and status, in order. */
  readonly operations: Array<{ readonly operation: string; readonly status: number }>;
  close(): Promise<void>;
}

/** Starts dynalite on a free loopback port with the table `tableName` (Lance's commit store key schema), and the proxy. */
export async function startRecordingDynamoDb(tableName: string): Promise<RecordingDynamoDb> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require(path.join(dynaliteDir(), 'node_modules', 'dynalite')) as (o: Record<string, unknown>) => http.Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const operations: Array<{ operation: string; status: number }> = [];
  const proxy = http.createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    forward(req, res, port, (r) => {
      operations.push({ operation: target.replace(/^DynamoDB_\d+\./, ''), status: r.statusCode ?? 0 });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  await createTable(port, tableName);
  return {
    endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    operations,
    close: async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** CreateTable with the key schema Lance's commit store checks (dynalite reads the signature's shape, not its value). */
function createTable(port: number, tableName: string): Promise<void> {
  const body = JSON.stringify({
    TableName: tableName,
    KeySchema: [{ AttributeName: 'base_uri', KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'base_uri', AttributeType: 'S' }, { AttributeName: 'version', AttributeType: 'N' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.CreateTable',
        'x-amz-date': '20261207T000000Z',
        'authorization': 'AWS4-HMAC-SHA256 Credential=LOCAL/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
    }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => (r.statusCode === 200 ? resolve() : reject(new Error(`CreateTable ${tableName}: ${r.statusCode} ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
