/**
 * The handler side of `VectorDatabase`: opens the location a `VectorDbFunction`
 * was given, with whichever LanceDB SDK its layer holds.
 *
 *   import { connect } from 'cdk-vectordb-layer/lib/runtime';
 *   const db = await connect();
 *
 * This module is plain Node.js with no imports at all: esbuild bundles it into
 * the handler (a few kilobytes) without pulling in aws-cdk-lib, the SDK or the
 * AWS SDK. The SDK is `require`d at run time by the name in `VECTORDB_SDK`, so
 * it always comes from the layer (`/opt/nodejs/node_modules`), and the Secrets
 * Manager client from the AWS SDK v3 that the Node.js 18+ Lambda runtimes ship.
 * Both `require`s take a variable, which esbuild leaves alone whatever the
 * function's `externalModules` say. The bundle must be CommonJS (the
 * `NodejsFunction` default).
 *
 * It is not part of the construct library's jsii API (it is never exported from
 * the package's index): it is for JavaScript and TypeScript handlers only.
 */

/** Names of the environment variables a `VectorDatabase` sets on a function. */
export const ENV = {
  /** Where the database is: a folder, `s3://bucket/prefix`, `s3+ddb://bucket/prefix?ddbTableName=...` or `db://name`. */
  URI: 'VECTORDB_URI',
  /** The SDK's package name: `vectordb` or `@lancedb/lancedb`. Set by `VectorDbFunction` from its layer. */
  SDK: 'VECTORDB_SDK',
  /** LanceDB storage options as a JSON object of strings, e.g. `{"aws_region":"eu-west-1"}`. */
  STORAGE_OPTIONS: 'VECTORDB_STORAGE_OPTIONS',
  /** ARN of the Secrets Manager secret holding the LanceDB Cloud API key (never the key itself). */
  API_KEY_SECRET_ARN: 'VECTORDB_API_KEY_SECRET_ARN',
  /** The LanceDB Cloud region. */
  CLOUD_REGION: 'VECTORDB_CLOUD_REGION',
} as const;

/** The SDKs the helper knows how to call. */
export const SDKS = ['vectordb', '@lancedb/lancedb'] as const;

/** What the environment says about the database. */
export interface VectorDbSettings {
  /** The SDK package to load. */
  readonly sdk: string;
  /** The URI to connect to. */
  readonly uri: string;
  /** LanceDB storage options (object store settings). */
  readonly storageOptions: Record<string, string>;
  /** The ARN of the secret with the LanceDB Cloud API key, for `db://` URIs. */
  readonly apiKeySecretArn?: string;
  /** The LanceDB Cloud region, for `db://` URIs. */
  readonly cloudRegion?: string;
}

/** Options of `connect`. */
export interface ConnectOptions {
  /** The environment to read. Default: `process.env`. */
  readonly env?: Record<string, string | undefined>;
  /** Storage options merged over `VECTORDB_STORAGE_OPTIONS` (e.g. an endpoint for a local S3 server). */
  readonly storageOptions?: Record<string, string>;
  /** Loads a module by name. Default: `require`. For tests. */
  readonly load?: (moduleName: string) => any;
}

const DEFAULT_URI = '/tmp/vectordb';

/** Reads the database settings from the environment (default `process.env`). */
export function settings(env: Record<string, string | undefined> = process.env): VectorDbSettings {
  const uri = env[ENV.URI]?.trim() || DEFAULT_URI;
  const sdk = env[ENV.SDK]?.trim() || defaultSdk();
  if (!(SDKS as readonly string[]).includes(sdk)) {
    throw new Error(`cdk-vectordb-layer: ${ENV.SDK} must be ${SDKS.join(' or ')}, got ${JSON.stringify(sdk)}`);
  }
  const storageOptions = parseStorageOptions(env[ENV.STORAGE_OPTIONS]);
  if (isS3(uri) && storageOptions.aws_region === undefined && storageOptions.region === undefined) {
    // The bucket's region, when the construct could not know it: the function's own.
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (region) storageOptions.aws_region = region;
  }
  return {
    sdk,
    uri,
    storageOptions,
    apiKeySecretArn: env[ENV.API_KEY_SECRET_ARN]?.trim() || undefined,
    cloudRegion: env[ENV.CLOUD_REGION]?.trim() || undefined,
  };
}

/**
 * Loads the SDK named by `VECTORDB_SDK` from the layer (it is never in the
 * function's bundle).
 */
export function loadSdk<T = any>(sdk: string = settings().sdk, load: (moduleName: string) => any = requireModule): T {
  try {
    return load(sdk);
  } catch (e) {
    throw new Error(`cdk-vectordb-layer: cannot load ${sdk} (${(e as Error).message}). It comes from the function's VectorDbLayer at /opt/nodejs/node_modules: attach the layer, and keep ${sdk} out of the bundle`);
  }
}

/**
 * Connects to the configured database: a local folder, S3, EFS or LanceDB
 * Cloud, with either SDK. For LanceDB Cloud the API key is read from Secrets
 * Manager at run time, once per execution environment.
 *
 * Reuse the returned connection across invocations (keep the promise in a
 * module-level variable).
 */
export async function connect<T = any>(options: ConnectOptions = {}): Promise<T> {
  const s = settings(options.env ?? process.env);
  const load = options.load ?? requireModule;
  const sdk = loadSdk<any>(s.sdk, load);
  const legacy = s.sdk === 'vectordb';

  if (s.uri.startsWith('db://')) {
    if (!s.apiKeySecretArn) {
      throw new Error(`cdk-vectordb-layer: ${ENV.URI} is a LanceDB Cloud URI (${s.uri}) but ${ENV.API_KEY_SECRET_ARN} is not set; use VectorDatabase.cloud(uri, secret)`);
    }
    const key = await apiKey(s.apiKeySecretArn, { load });
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
  return sdk.connect(s.uri, { storageOptions });
}

const apiKeys = new Map<string, Promise<string>>();

/**
 * The LanceDB Cloud API key in a Secrets Manager secret: its SecretString, or
 * the `apiKey` (or `api_key`, `LANCEDB_API_KEY`) field when the string is a
 * JSON object. Fetched with `@aws-sdk/client-secrets-manager` from the Lambda
 * runtime, once per ARN per execution environment.
 */
export function apiKey(secretArn: string, options: { load?: (moduleName: string) => any } = {}): Promise<string> {
  let pending = apiKeys.get(secretArn);
  if (!pending) {
    pending = fetchApiKey(secretArn, options.load ?? requireModule);
    // A failure is not cached: the next invocation tries again.
    pending.catch(() => apiKeys.delete(secretArn));
    apiKeys.set(secretArn, pending);
  }
  return pending;
}

async function fetchApiKey(secretArn: string, load: (moduleName: string) => any): Promise<string> {
  let client: any;
  try {
    client = load('@aws-sdk/client-secrets-manager');
  } catch (e) {
    throw new Error(`cdk-vectordb-layer: cannot load @aws-sdk/client-secrets-manager (${(e as Error).message}); the Node.js 18+ Lambda runtimes include it, elsewhere install it`);
  }
  // The secret's own region (from its ARN), else the function's.
  const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
  const sm = new client.SecretsManagerClient(region ? { region } : {});
  const out = await sm.send(new client.GetSecretValueCommand({ SecretId: secretArn }));
  const raw: unknown = out.SecretString;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new Error(`cdk-vectordb-layer: the secret ${secretArn} has no SecretString; store the LanceDB Cloud API key as its value`);
  }
  const text = raw.trim();
  if (text.startsWith('{')) {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed) {
      const key = parsed.apiKey ?? parsed.api_key ?? parsed.LANCEDB_API_KEY;
      if (typeof key !== 'string' || key === '') {
        throw new Error(`cdk-vectordb-layer: the secret ${secretArn} is a JSON object without an apiKey field; store the key as the plain value or as {"apiKey": "..."}`);
      }
      return key;
    }
  }
  return text;
}

/** Forgets cached API keys (for tests, or after a rotation). */
export function clearApiKeyCache(): void {
  apiKeys.clear();
}

function parseStorageOptions(json: string | undefined): Record<string, string> {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`cdk-vectordb-layer: ${ENV.STORAGE_OPTIONS} must be a JSON object of strings, got ${JSON.stringify(json)} (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`cdk-vectordb-layer: ${ENV.STORAGE_OPTIONS} must be a JSON object of strings, got ${JSON.stringify(json)}`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    out[k] = String(v);
  }
  return out;
}

function isS3(uri: string): boolean {
  return uri.startsWith('s3://') || uri.startsWith('s3+ddb://');
}

/** The SDK when `VECTORDB_SDK` is not set: whichever the layer holds. */
function defaultSdk(): string {
  for (const name of SDKS) {
    try {
      require.resolve(name);
      return name;
    } catch {
      // try the next one
    }
  }
  return SDKS[0];
}

function requireModule(moduleName: string): any {
  // A variable, not a literal: bundlers leave this require to run time, where
  // the SDK comes from the layer and the AWS SDK from the Lambda runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(moduleName);
}
