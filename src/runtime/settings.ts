/**
 * What the environment says about the database: the variables a
 * `VectorDatabase` (and `VectorDbFunction`) set on a function.
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
  /** What the function may do to the database (`DatabaseAccess`): `READ`, `APPEND` or `MAINTAIN`. */
  ACCESS: 'VECTORDB_ACCESS',
  /** Bytes of `@lancedb/lancedb`'s index cache (default: 1/8 of the function's memory; see session.ts). */
  INDEX_CACHE_BYTES: 'VECTORDB_INDEX_CACHE_BYTES',
  /** Bytes of `@lancedb/lancedb`'s metadata cache (default: 1/16 of the function's memory). */
  METADATA_CACHE_BYTES: 'VECTORDB_METADATA_CACHE_BYTES',
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

/**
 * The SDK `env` names in `VECTORDB_SDK`, else the one `detectSdk` finds (the
 * one the layer holds).
 */
export function readSdk(env: Record<string, string | undefined>, detectSdk: () => string): string {
  const sdk = env[ENV.SDK]?.trim() || detectSdk();
  if (!(SDKS as readonly string[]).includes(sdk)) {
    throw new Error(`cdk-vectordb-layer: ${ENV.SDK} must be ${SDKS.join(' or ')}, got ${JSON.stringify(sdk.slice(0, 120))}`);
  }
  return sdk;
}

/**
 * Reads the settings from `env`; `detectSdk` names the SDK when `VECTORDB_SDK`
 * is not set (the one the layer holds). `VECTORDB_URI` must be set: a
 * `VectorDatabase` always sets it (on Lambda, and so in the local invoker), so
 * a missing one is a function set up by hand or an override that was lost,
 * never a reason to open some default folder (which another app may share
 * where /tmp is not private).
 */
export function readSettings(env: Record<string, string | undefined>, detectSdk: () => string): VectorDbSettings {
  const sdk = readSdk(env, detectSdk);
  const uri = env[ENV.URI]?.trim();
  if (!uri) {
    throw new Error(`cdk-vectordb-layer: ${ENV.URI} is not set; VectorDbFunction sets it from its database (VectorDatabase.tmp() is /tmp/vectordb): on another function set ${ENV.URI} to the database's folder or URI (e.g. /tmp/vectordb, s3://bucket/prefix), with the local invoker --env ${ENV.URI}=DIR`);
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

function parseStorageOptions(json: string | undefined): Record<string, string> {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`cdk-vectordb-layer: ${ENV.STORAGE_OPTIONS} must be a JSON object of strings, got ${JSON.stringify(json.slice(0, 120))} (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`cdk-vectordb-layer: ${ENV.STORAGE_OPTIONS} must be a JSON object of strings, got ${JSON.stringify(json.slice(0, 120))}`);
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
