/**
 * LanceDB's caches sized for a Lambda function, not a server.
 *
 * `@lancedb/lancedb`'s `Session` holds the index cache (IVF partitions, PQ
 * codebooks, scalar index pages) and the metadata cache (manifests, fragment
 * and file metadata) that every table of a connection shares. Its defaults
 * are 6 GiB and 1 GiB: on a 512 MB function a busy table fills memory until
 * Lambda ends the environment. The helper gives each connection a Session
 * sized from the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`):
 *
 * - index cache: 1/8 of the memory, at least 16 MiB (64 MiB at 512 MB, 1.25 GiB at 10,240 MB);
 * - metadata cache: 1/16, at least 8 MiB (32 MiB at 512 MB, 640 MiB at 10,240 MB);
 * - never more than LanceDB's own defaults.
 *
 * Together 3/16 of the memory: the rest is for Node.js (~50-80 MB), the SDK's
 * native code, the Arrow buffers of query results and of rows being written,
 * which a cache must not crowd out. A table whose index outgrows its share is
 * read again from the store (slower, never a crash); give the function more
 * memory, or set the sizes.
 *
 * Overrides, first wins: `ConnectOptions` (`indexCacheBytes`,
 * `metadataCacheBytes`), then `VECTORDB_INDEX_CACHE_BYTES` and
 * `VECTORDB_METADATA_CACHE_BYTES`, then the memory. Outside Lambda (no
 * memory size) and without overrides, LanceDB's defaults stay.
 *
 * Which SDKs: `Session` and the connection option `session` exist from
 * `@lancedb/lancedb` 0.21.2; older versions, and `vectordb` (no Session at
 * all: Lance's built-in cache defaults of its version), connect as before.
 * LanceDB Cloud (`db://`) has no local caches.
 */
import { ENV } from './settings';

const MIB = 1024 * 1024;

/** The share of the function's memory each cache gets, and its floor. */
export const CACHE_SHARES = {
  index: { fraction: 1 / 8, minBytes: 16 * MIB },
  metadata: { fraction: 1 / 16, minBytes: 8 * MIB },
} as const;

/** LanceDB's own defaults (upstream nodejs/src/session.rs): the ceiling. */
export const LANCEDB_DEFAULT_CACHE_BYTES = { index: 6 * 1024 * MIB, metadata: 1024 * MIB } as const;

/** Sizes given by the caller (`ConnectOptions`). */
export interface CacheOverrides {
  readonly indexCacheBytes?: number;
  readonly metadataCacheBytes?: number;
}

/** The cache sizes a connection gets, and where each came from. */
export interface CacheSizes {
  readonly indexCacheBytes: number;
  readonly metadataCacheBytes: number;
  /** `options`, `env` or `memory` for each size. */
  readonly from: { readonly index: string; readonly metadata: string };
}

/**
 * The cache sizes for this function, or undefined when nothing sizes them
 * (not on Lambda, no override): LanceDB's defaults then stay.
 */
export function cacheSizes(env: Record<string, string | undefined>, overrides: CacheOverrides = {}): CacheSizes | undefined {
  const memoryMb = positive(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
  const pick = (kind: 'index' | 'metadata', given: number | undefined, envName: string): [number | undefined, string] => {
    if (given !== undefined) return [positive(given, `ConnectOptions.${kind}CacheBytes`), 'options'];
    const fromEnv = positive(env[envName], envName);
    if (fromEnv !== undefined) return [fromEnv, 'env'];
    if (memoryMb === undefined) return [undefined, 'default'];
    const share = CACHE_SHARES[kind];
    const bytes = Math.max(share.minBytes, Math.floor(memoryMb * MIB * share.fraction));
    return [Math.min(bytes, LANCEDB_DEFAULT_CACHE_BYTES[kind]), 'memory'];
  };
  const [index, indexFrom] = pick('index', overrides.indexCacheBytes, ENV.INDEX_CACHE_BYTES);
  const [metadata, metadataFrom] = pick('metadata', overrides.metadataCacheBytes, ENV.METADATA_CACHE_BYTES);
  if (index === undefined && metadata === undefined) return undefined;
  return {
    indexCacheBytes: index ?? LANCEDB_DEFAULT_CACHE_BYTES.index,
    metadataCacheBytes: metadata ?? LANCEDB_DEFAULT_CACHE_BYTES.metadata,
    from: { index: indexFrom, metadata: metadataFrom },
  };
}

/** A whole number of bytes (or MB) > 0, or undefined when not given; anything else is an error naming it. */
function positive(value: string | number | undefined, name: string): number | undefined {
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) return undefined;
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new Error(`cdk-vectordb-layer: ${name} must be a whole number greater than 0, got ${JSON.stringify(String(value).slice(0, 60))}`);
  }
  return n;
}

/** Sessions made so far, one per size pair: connections of one environment share their caches. */
const sessions = new Map<string, unknown>();

/**
 * A `Session` of `sdk` with these sizes (made once per environment), or
 * undefined when the SDK has none (`vectordb`, `@lancedb/lancedb` < 0.21.2).
 */
export function sessionFor(sdk: { Session?: unknown }, sizes: CacheSizes): unknown {
  const Session = sdk.Session as (new (index?: bigint, metadata?: bigint) => unknown) | undefined;
  if (typeof Session !== 'function') return undefined;
  const key = `${sizes.indexCacheBytes}/${sizes.metadataCacheBytes}`;
  let session = sessions.get(key);
  if (!session) {
    session = new Session(BigInt(sizes.indexCacheBytes), BigInt(sizes.metadataCacheBytes));
    sessions.set(key, session);
  }
  return session;
}

/** Forgets the sessions made (for tests). */
export function clearSessions(): void {
  sessions.clear();
}
