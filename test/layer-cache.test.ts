/**
 * The machine-wide layer cache's bound, on small entries stored, sealed and
 * found by the real cache code (test/support/fake-layer.ts): the least
 * recently used go first, a hit marks its entry used and trims the cache too,
 * never removing the entry just used nor one another process holds the lock
 * of. Fast tier: no build (the real-layer case is in test/integ/layer-cache.test.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fakeHash, storeFake } from './support/fake-layer';
import { tempDir } from './support/files';
import { LayerCache } from '../src/private/layer/cache';

const A = fakeHash('a');
const B = fakeHash('b');
const C = fakeHash('c');
const PAD = 100_000;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** A cache holding A (used 30 min ago), B (20) and C (10), each a little over 100 kB. */
function filled(maxBytes: number): { cache: LayerCache; expected: ReturnType<typeof storeFake>; entryBytes: number } {
  const dir = tempDir('cache');
  const filler = new LayerCache(dir);
  const expected = storeFake(filler, A, { padBytes: PAD, usedAt: minutesAgo(30) });
  storeFake(filler, B, { padBytes: PAD, usedAt: minutesAgo(20) });
  storeFake(filler, C, { padBytes: PAD, usedAt: minutesAgo(10) });
  const entryBytes = filler.entries()[0].bytes;
  return { cache: new LayerCache(dir, maxBytes), expected, entryBytes };
}

/** A hit as a synth makes it: the hash's lock held around find(). */
function hit(cache: LayerCache, hash: string, expected: ReturnType<typeof storeFake>): string | undefined {
  const release = cache.lock(hash, 'test');
  try {
    return cache.find(hash, expected, 'test');
  } finally {
    release();
  }
}

/** A lock file of `hash` owned by a process that is alive (this test's parent), as a running synth leaves it. */
function holdLock(cache: LayerCache, hash: string, pid = process.ppid) {
  fs.mkdirSync(path.join(cache.dir, 'locks'), { recursive: true });
  fs.writeFileSync(path.join(cache.dir, 'locks', `${hash}.lock`), JSON.stringify({ pid, host: os.hostname(), started: new Date().toISOString() }));
}

const hashes = (cache: LayerCache) => cache.entries().map((e) => e.hash);

describe('entries', () => {
  test('most recently used first, each with the bytes of its files', () => {
    const { cache, entryBytes } = filled(10_000_000);
    expect(hashes(cache)).toEqual([C, B, A]);
    expect(entryBytes).toBeGreaterThan(PAD + 35_000);
    expect(cache.entries().every((e) => e.bytes === entryBytes && e.sealed)).toBe(true);
  });

  test('a folder that does not exist has none', () => {
    expect(new LayerCache(path.join(tempDir('none'), 'cache')).entries()).toEqual([]);
  });
});

describe('a hit keeps the bound', () => {
  test('a hit within the bound marks its entry used and removes nothing', () => {
    const { cache, expected } = filled(10_000_000);
    expect(hit(cache, A, expected)).toBe(path.join(cache.dir, 'layers', A));
    expect(hashes(cache)).toEqual([A, C, B]);
  });

  test('a hit on a cache over its bound removes the least recently used first, after marking its own entry used', () => {
    const { cache, expected, entryBytes } = filled(0);
    const bounded = new LayerCache(cache.dir, 2 * entryBytes + 10);
    // A was the oldest; the hit makes it the newest, so B (now the oldest) goes.
    expect(hit(bounded, A, expected)).toBeDefined();
    expect(hashes(bounded)).toEqual([A, C]);
    expect(fs.existsSync(path.join(cache.dir, 'layers', B))).toBe(false);
    expect(fs.existsSync(path.join(cache.dir, 'layers', `${B}.json`))).toBe(false);
  });

  test('the entry just used stays even when it alone is over the bound', () => {
    const { cache, expected } = filled(0);
    const tiny = new LayerCache(cache.dir, 1);
    expect(hit(tiny, B, expected)).toBeDefined();
    expect(hashes(tiny)).toEqual([B]);
  });

  test('an entry whose lock a live process holds stays; one whose owner died is taken over and removed', () => {
    const { cache, expected } = filled(0);
    const tiny = new LayerCache(cache.dir, 1);
    holdLock(tiny, A);
    const dead = spawnSync('true').pid!;
    holdLock(tiny, B, dead);
    expect(hit(tiny, C, expected)).toBeDefined();
    expect(hashes(tiny)).toEqual([C, A]);
    // The held lock is left as it was; the dead owner's is gone.
    expect(JSON.parse(fs.readFileSync(path.join(tiny.dir, 'locks', `${A}.lock`), 'utf-8')).pid).toBe(process.ppid);
    expect(fs.existsSync(path.join(tiny.dir, 'locks', `${B}.lock`))).toBe(false);
  });
});

describe('trim and clear', () => {
  test('trim to a given bound says what it removed, what it kept and the bytes freed', () => {
    const { cache, entryBytes } = filled(10_000_000);
    holdLock(cache, A);
    const r = cache.trim({ maxBytes: 2 * entryBytes });
    expect(r.removed.map((e) => e.hash)).toEqual([B]);
    expect(r.locked.map((e) => e.hash)).toEqual([A]);
    expect([r.bytesBefore, r.bytesAfter, r.maxBytes]).toEqual([3 * entryBytes, 2 * entryBytes, 2 * entryBytes]);
    // B's files were linked from nowhere else: all of them freed.
    expect(r.freedBytes).toBe(entryBytes);
    expect(hashes(cache)).toEqual([C, A]);
  });

  test('files still linked from a cdk.out are not counted as freed', () => {
    const { cache, entryBytes } = filled(10_000_000);
    const out = path.join(tempDir('cdk-out'), 'asset.x');
    fs.mkdirSync(out);
    for (const f of ['padding.bin', 'native.node']) fs.linkSync(path.join(cache.dir, 'layers', C, 'nodejs', 'node_modules', 'vectordb', f), path.join(out, f));
    const r = cache.clear();
    expect(r.removed.map((e) => e.hash)).toEqual([A, B, C]);
    expect(r.freedBytes).toBe(3 * entryBytes - PAD - fs.statSync('/bin/true').size);
    expect(fs.readdirSync(path.join(cache.dir, 'layers'))).toEqual([]);
  });

  test('clear removes seals left without their entry', () => {
    const { cache } = filled(10_000_000);
    fs.rmSync(path.join(cache.dir, 'layers', B), { recursive: true, force: true });
    cache.clear();
    expect(fs.readdirSync(path.join(cache.dir, 'layers'))).toEqual([]);
  });
});
