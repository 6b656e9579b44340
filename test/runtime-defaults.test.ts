import { append, cacheSizes, clearSessions, CommitConflictError, connect, isCommitConflict, withCommitRetry } from '../src/runtime';

const MiB = 1024 * 1024;
// The text Lance 12 (@lancedb/lancedb 0.39.0) and Lance 0.32 (vectordb 0.21.2) gave for a compaction racing a delete.
const CONFLICT = 'lance error: Retryable commit conflict for version 69: This Rewrite transaction was preempted by concurrent transaction Delete at version 69. Please retry., /usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-12.0.0/src/io/commit/conflict_resolver.rs:969:34';
const EXHAUSTED = 'Commit conflict for version 12: Failed to commit the transaction after 20 retries.';

describe('cache sizes from the function\'s memory', () => {
  test.each([
    [128, 16 * MiB, 8 * MiB],
    [512, 64 * MiB, 32 * MiB],
    [1769, Math.floor(1769 * MiB / 8), Math.floor(1769 * MiB / 16)],
    [10240, 1280 * MiB, 640 * MiB],
  ])('%i MB: index 1/8 (at least 16 MiB), metadata 1/16 (at least 8 MiB)', (memory, index, metadata) => {
    expect(cacheSizes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory) })).toEqual({
      indexCacheBytes: index, metadataCacheBytes: metadata, from: { index: 'memory', metadata: 'memory' },
    });
  });

  test('environment variables, then ConnectOptions, override the memory', () => {
    const env = { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', VECTORDB_INDEX_CACHE_BYTES: '1000000' };
    expect(cacheSizes(env)).toEqual({ indexCacheBytes: 1_000_000, metadataCacheBytes: 32 * MiB, from: { index: 'env', metadata: 'memory' } });
    expect(cacheSizes(env, { indexCacheBytes: 5, metadataCacheBytes: 7 })).toEqual({ indexCacheBytes: 5, metadataCacheBytes: 7, from: { index: 'options', metadata: 'options' } });
  });

  test('outside Lambda without overrides: nothing (LanceDB\'s defaults); one override alone keeps the other default', () => {
    expect(cacheSizes({})).toBeUndefined();
    expect(cacheSizes({ VECTORDB_METADATA_CACHE_BYTES: '4096' })).toEqual({ indexCacheBytes: 6 * 1024 * MiB, metadataCacheBytes: 4096, from: { index: 'default', metadata: 'env' } });
  });

  test('a malformed size names the variable and the value', () => {
    expect(() => cacheSizes({ VECTORDB_INDEX_CACHE_BYTES: '64MB' })).toThrow(/^cdk-vectordb-layer: VECTORDB_INDEX_CACHE_BYTES must be a whole number greater than 0, got "64MB"$/);
    expect(() => cacheSizes({}, { metadataCacheBytes: -1 })).toThrow(/^cdk-vectordb-layer: ConnectOptions\.metadataCacheBytes must be a whole number greater than 0, got "-1"$/);
    expect(() => cacheSizes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' })).toThrow(/AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be a whole number/);
  });
});

describe('connect() gives @lancedb/lancedb a sized Session, in the options', () => {
  function fakeSdks() {
    const calls: Array<{ sdk: string; args: any[] }> = [];
    const sessions: Array<[bigint, bigint]> = [];
    class Session {
      constructor(public readonly index: bigint, public readonly metadata: bigint) {
        sessions.push([index, metadata]);
      }
    }
    const lancedb = { Session, connect: async (...args: any[]) => { calls.push({ sdk: 'lancedb', args }); return {}; } };
    const vectordb = { connect: async (...args: any[]) => { calls.push({ sdk: 'vectordb', args }); return {}; } };
    const load = (name: string): any => (name === '@lancedb/lancedb' ? lancedb : name === 'vectordb' ? vectordb : (() => { throw new Error(`Cannot find module '${name}'`); })());
    return { calls, sessions, load };
  }
  beforeEach(() => clearSessions());

  test('512 MB: a Session of 64 MiB and 32 MiB, made once and shared by every connection of the environment', async () => {
    const { calls, sessions, load } = fakeSdks();
    const env = { VECTORDB_URI: '/tmp/db', VECTORDB_SDK: '@lancedb/lancedb', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' };
    await connect({ env, load });
    await connect({ env, load });
    expect(sessions).toEqual([[BigInt(64 * MiB), BigInt(32 * MiB)]]);
    expect(calls).toHaveLength(2);
    expect(calls[0].args[0]).toBe('/tmp/db');
    expect(calls[0].args[1].session).toBeDefined();
    expect(calls[1].args[1].session).toBe(calls[0].args[1].session);
    expect(calls[0].args).toHaveLength(2);
  });

  test('ConnectOptions sizes win; vectordb (no Session) and LanceDB outside Lambda connect as before', async () => {
    const { calls, sessions, load } = fakeSdks();
    await connect({ env: { VECTORDB_URI: '/tmp/db', VECTORDB_SDK: '@lancedb/lancedb', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }, load, indexCacheBytes: 1000, metadataCacheBytes: 2000 });
    expect(sessions).toEqual([[1000n, 2000n]]);
    await connect({ env: { VECTORDB_URI: '/tmp/db', VECTORDB_SDK: '@lancedb/lancedb' }, load });
    expect(calls[1].args[1]).toEqual({ storageOptions: {} });
    await connect({ env: { VECTORDB_URI: '/tmp/db', VECTORDB_SDK: 'vectordb', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }, load });
    expect(calls[2].args).toEqual([{ uri: '/tmp/db', storageOptions: {} }]);
  });
});

describe('writes retry a commit conflict', () => {
  const noWait = { sleep: async () => undefined, random: () => 0.5 };

  test('recognises Lance\'s conflict texts, and nothing else', () => {
    expect(isCommitConflict(new Error(CONFLICT))).toBe(true);
    expect(isCommitConflict(new Error(EXHAUSTED))).toBe(true);
    expect(isCommitConflict(new Error('lance error: Not found: s3://b/p/docs.lance'))).toBe(false);
    expect(isCommitConflict(undefined)).toBe(false);
  });

  test('retries conflicts with full-jitter exponential backoff, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withCommitRetry(async (attempt) => {
      calls++;
      if (attempt < 4) throw new Error(CONFLICT);
      return 'done';
    }, { random: () => 0.999, sleep: async (ms) => { delays.push(ms); }, baseDelayMs: 100, maxDelayMs: 300 });
    expect(result).toBe('done');
    expect(calls).toBe(4);
    // below 100, 200, then the 300 ceiling
    expect(delays).toEqual([99, 199, 299]);
  });

  test('after every attempt: an error naming the conflict, the table, the operation and the attempts', async () => {
    const add = jest.fn(async () => { throw new Error(CONFLICT); });
    const error = await append({ name: 'docs', add }, [{ id: 1 }, { id: 2 }], { attempts: 3, ...noWait }).catch((e) => e);
    expect(error).toBeInstanceOf(CommitConflictError);
    expect(error.message).toMatch(/^cdk-vectordb-layer: commit conflict on table "docs" \(add of 2 rows\) after 3 attempts: lance error: Retryable commit conflict for version 69: .*Please retry\..*; other writers kept committing first: run fewer writers at once on this table \(reserved concurrency\), batch rows into fewer, larger appends, or raise attempts$/);
    expect(error.table).toBe('docs');
    expect(error.attempts).toBe(3);
    expect(add).toHaveBeenCalledTimes(3);
  });

  test('any other error is thrown at once, as it is', async () => {
    const add = jest.fn(async () => { throw new Error('lance error: Append with different schema'); });
    await expect(append({ name: 'docs', add }, [{ id: 1 }], noWait)).rejects.toThrow(/^lance error: Append with different schema$/);
    expect(add).toHaveBeenCalledTimes(1);
  });

  test('append reports the attempts it took and the retries to onRetry', async () => {
    const retries: number[] = [];
    let n = 0;
    const table = { name: 'docs', add: async () => { if (n++ === 0) throw new Error(EXHAUSTED); } };
    expect(await append(table, [{ id: 1 }], { ...noWait, onRetry: (r) => retries.push(r.attempt) })).toEqual({ rows: 1, attempts: 2 });
    expect(retries).toEqual([1]);
  });
});
