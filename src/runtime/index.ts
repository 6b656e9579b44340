/**
 * The handler side of `VectorDatabase`: opens the location a `VectorDbFunction`
 * was given, with whichever LanceDB SDK its layer holds, and runs the query
 * path both SDKs share with the same result.
 *
 *   import { connect, openOrCreateTable, search } from 'cdk-vectordb-layer/runtime';
 *   const db = await connect();
 *   const table = await openOrCreateTable(db, 'docs', rows);
 *   const hits = await search(table, vector, { limit: 5, filter: "kind = 'faq'" });
 *
 * Works from a CommonJS bundle and from an ES module bundle (`OutputFormat.ESM`,
 * top-level await), on every Node.js Lambda runtime from nodejs18.x: the SDK
 * is loaded at run time from the layer (/opt/nodejs/node_modules, on
 * NODE_PATH), never bundled, and the Secrets Manager client from the AWS SDK
 * the Lambda runtime ships (see modules.ts for how, without a `require` that
 * an ES module bundle cannot run).
 *
 * esbuild bundles it into the handler (a few kilobytes) without pulling in
 * aws-cdk-lib, the SDK or the AWS SDK. It is not part of the construct
 * library's jsii API (never exported from the package's index): it is for
 * JavaScript and TypeScript handlers only.
 */
import { defaultLoader, detectSdk, detectSdkSync, loadFailure, ModuleLoader } from './modules';
import { cacheSizes, sessionFor } from './session';
import { ENV, readSdk, readSettings, SDKS, VectorDbSettings } from './settings';

export { ENV, SDKS } from './settings';
export type { VectorDbSettings } from './settings';
export { openOrCreateTable, plain, search } from './query';
export type { LanceConnection, LanceQuery, LanceTable, Row, SearchOptions } from './query';
export { DEFAULT_CLEANUP_OLDER_THAN_SECONDS, maintain } from './maintenance';
export type { MaintainOptions, MaintenanceReport, TableFigures, TableReport, VectorIndexOptions, VectorIndexReport } from './maintenance';
export { indexParameters } from './maintenance-index';
export type { IndexParameters } from './maintenance-index';
export { CACHE_SHARES, cacheSizes, clearSessions, LANCEDB_DEFAULT_CACHE_BYTES } from './session';
export type { CacheSizes } from './session';
export { append, CommitConflictError, isCommitConflict, withCommitRetry } from './retry';
export type { AppendResult, RetryOptions } from './retry';

/** Options of `connect`. */
export interface ConnectOptions {
  /** The environment to read. Default: `process.env`. */
  readonly env?: Record<string, string | undefined>;
  /** Storage options merged over `VECTORDB_STORAGE_OPTIONS` (e.g. an endpoint for a local S3 server). */
  readonly storageOptions?: Record<string, string>;
  /** Loads a module by name. Default: `require` from the task root (then NODE_PATH). For tests. */
  readonly load?: ModuleLoader;
  /**
   * Bytes of `@lancedb/lancedb`'s index cache. Default: `VECTORDB_INDEX_CACHE_BYTES`,
   * else 1/8 of the function's memory (at least 16 MiB); outside Lambda, LanceDB's 6 GiB.
   */
  readonly indexCacheBytes?: number;
  /**
   * Bytes of `@lancedb/lancedb`'s metadata cache. Default: `VECTORDB_METADATA_CACHE_BYTES`,
   * else 1/16 of the function's memory (at least 8 MiB); outside Lambda, LanceDB's 1 GiB.
   */
  readonly metadataCacheBytes?: number;
}

/**
 * Reads the database settings from the environment (default `process.env`).
 * Without `VECTORDB_SDK`, the SDK is the one the function can load; in an ES
 * module bundle on Node.js < 20.16 that needs `connect()` (or VECTORDB_SDK,
 * which VectorDbFunction sets).
 */
export function settings(env: Record<string, string | undefined> = process.env): VectorDbSettings {
  return readSettings(env, () => {
    const found = detectSdkSync();
    if (found) return found;
    throw new Error(`cdk-vectordb-layer: ${ENV.SDK} is not set and neither ${SDKS.join(' nor ')} can be found here without waiting; set ${ENV.SDK} (VectorDbFunction sets it from its layer), or use connect()`);
  });
}

/** The SDK `VECTORDB_SDK` names; without it, the one the loader can load (found without blocking). */
async function sdkFor(env: Record<string, string | undefined>, load?: ModuleLoader): Promise<string> {
  if (env[ENV.SDK]?.trim()) return readSdk(env, () => SDKS[0]);
  const found = load ? SDKS.find((name) => canLoad(load, name)) : await detectSdk();
  return readSdk(env, () => found ?? SDKS[0]);
}

function canLoad(load: ModuleLoader, name: string): boolean {
  try {
    load(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads an SDK (default: the one `VECTORDB_SDK` names) from the layer; it is
 * never in the function's bundle. The error says what is wrong: no layer, the
 * other SDK's layer, not on Lambda, or a native binary that cannot load here.
 */
export async function loadSdk<T = any>(sdk?: string, load?: ModuleLoader): Promise<T> {
  const name = sdk ?? await sdkFor(process.env, load);
  try {
    return await (load ?? await defaultLoader())(name) as T;
  } catch (e) {
    const other = load ? undefined : await detectSdk((s) => s !== name);
    throw new Error(`cdk-vectordb-layer: ${loadFailure(name, e, other)}`);
  }
}

/**
 * Connects to the configured database: a local folder, S3, EFS or LanceDB
 * Cloud, with either SDK. For LanceDB Cloud the API key is read from Secrets
 * Manager at run time, once per execution environment.
 *
 * With `@lancedb/lancedb` (0.21.2 and later) the connection gets a `Session`
 * whose caches are sized from the function's memory (see session.ts:
 * index 1/8, metadata 1/16), not LanceDB's server defaults of 6 GiB and
 * 1 GiB; `indexCacheBytes`, `metadataCacheBytes` or the environment variables
 * `VECTORDB_INDEX_CACHE_BYTES` and `VECTORDB_METADATA_CACHE_BYTES` override it.
 * `vectordb` has no Session: its caches are Lance's defaults of its version.
 *
 * Reuse the returned connection across invocations (keep the promise in a
 * module-level variable).
 */
export async function connect<T = any>(options: ConnectOptions = {}): Promise<T> {
  const env = options.env ?? process.env;
  // The SDK first: a function without the layer says so before anything about its settings.
  const name = await sdkFor(env, options.load);
  const sdk = await loadSdk<any>(name, options.load);
  const s = readSettings(env, () => name);
  const legacy = s.sdk === 'vectordb';

  if (s.uri.startsWith('db://')) {
    if (!s.apiKeySecretArn) {
      throw new Error(`cdk-vectordb-layer: ${ENV.URI} is a LanceDB Cloud URI (${s.uri}) but ${ENV.API_KEY_SECRET_ARN} is not set; use VectorDatabase.cloud(uri, secret)`);
    }
    const key = await apiKey(s.apiKeySecretArn, { load: options.load });
    const cloud: Record<string, string> = { apiKey: key };
    if (s.cloudRegion) cloud.region = s.cloudRegion;
    return legacy ? sdk.connect({ uri: s.uri, ...cloud }) : sdk.connect(s.uri, cloud);
  }

  const storageOptions = { ...s.storageOptions, ...options.storageOptions };
  if (legacy) {
    // vectordb copies `awsRegion` (default: AWS_REGION) over the storage options' region.
    const awsRegion = storageOptions.aws_region ?? storageOptions.region;
    return sdk.connect({ uri: s.uri, storageOptions, ...(awsRegion ? { awsRegion } : {}) });
  }
  // The session goes in the options: @lancedb/lancedb 0.22.3 to 0.39.0 take a
  // session as connect's third argument too, but drop it (measured: a session
  // passed that way stays empty; in the options it fills).
  const sizes = cacheSizes(env, options);
  const session = sizes ? sessionFor(sdk, sizes) : undefined;
  return sdk.connect(s.uri, { storageOptions, ...(session ? { session } : {}) });
}

const apiKeys = new Map<string, Promise<string>>();

/**
 * The LanceDB Cloud API key in a Secrets Manager secret: its SecretString, or
 * the `apiKey` (or `api_key`, `LANCEDB_API_KEY`) field when the string is a
 * JSON object. Fetched with `@aws-sdk/client-secrets-manager` from the Lambda
 * runtime, once per ARN per execution environment.
 */
export function apiKey(secretArn: string, options: { load?: ModuleLoader } = {}): Promise<string> {
  let pending = apiKeys.get(secretArn);
  if (!pending) {
    pending = fetchApiKey(secretArn, options.load);
    // A failure is not cached: the next invocation tries again.
    pending.catch(() => apiKeys.delete(secretArn));
    apiKeys.set(secretArn, pending);
  }
  return pending;
}

async function fetchApiKey(secretArn: string, load: ModuleLoader | undefined): Promise<string> {
  let client: any;
  try {
    client = await (load ?? await defaultLoader())('@aws-sdk/client-secrets-manager');
  } catch (e) {
    throw new Error(`cdk-vectordb-layer: cannot load @aws-sdk/client-secrets-manager (${(e as Error).message.split('\n')[0]}); the Node.js 18+ Lambda runtimes include it, elsewhere install it`);
  }
  // The secret's own region (from its ARN), else the function's.
  const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
  const sm = new client.SecretsManagerClient(region ? { region } : {});
  const out = await sm.send(new client.GetSecretValueCommand({ SecretId: secretArn }));
  return keyFromSecret(secretArn, out.SecretString);
}

function keyFromSecret(secretArn: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new Error(`cdk-vectordb-layer: the secret ${secretArn} has no SecretString; store the LanceDB Cloud API key as its value`);
  }
  const text = raw.trim();
  if (!text.startsWith('{')) return text;
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const key = parsed?.apiKey ?? parsed?.api_key ?? parsed?.LANCEDB_API_KEY;
  if (typeof key !== 'string' || key === '') {
    throw new Error(`cdk-vectordb-layer: the secret ${secretArn} is a JSON object without an apiKey field; store the key as the plain value or as {"apiKey": "..."}`);
  }
  return key;
}

/** Forgets cached API keys (for tests, or after a rotation). */
export function clearApiKeyCache(): void {
  apiKeys.clear();
}
