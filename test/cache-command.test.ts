/**
 * `cdk-vectordb-layer cache [list|prune|clear]`: its parsing (bad input is one
 * line naming the option, the value and the fix, exit 2) and what it prints on
 * a cache folder filled with small entries stored by the real cache code
 * (test/support/fake-layer.ts). Runs main.run in this process. Fast tier: no build.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cliInProcess } from './support/cli';
import { fakeHash, storeFake } from './support/fake-layer';
import { tempDir } from './support/files';
import { formatAge, formatBytes, parseCacheArgs } from '../src/cli/cache';
import { LayerCache } from '../src/private/layer/cache';

const A = fakeHash('a');
const B = fakeHash('b');
const C = fakeHash('c');
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** `cdk-vectordb-layer <argv>` in this process, with the environment given. */
const cli = (argv: string[], env: Record<string, string | undefined> = {}) => cliInProcess(argv, { env });

/** A cache folder: A (vectordb 0.4.2 not stripped, used 3 days ago), B (@lancedb/lancedb 0.39.0 compressed, 2 h ago), C (vectordb 0.21.2, 5 min ago). */
function filledCache(): { dir: string; entryBytes: Record<string, number> } {
  const dir = tempDir('cache');
  const cache = new LayerCache(dir);
  storeFake(cache, A, { padBytes: 300_000, notStripped: true, usedAt: minutesAgo(3 * 24 * 60) });
  storeFake(cache, B, { sdk: '@lancedb/lancedb', version: '0.39.0', padBytes: 200_000, compressed: true, usedAt: minutesAgo(120) });
  storeFake(cache, C, { version: '0.21.2', padBytes: 100_000, usedAt: minutesAgo(5) });
  return { dir, entryBytes: Object.fromEntries(cache.entries().map((e) => [e.hash, e.bytes])) };
}

describe('parsing', () => {
  test('no subcommand is list; prune takes --max-bytes as bytes or 500MB / 5GB', () => {
    expect(parseCacheArgs([])).toMatchObject({ sub: 'list', json: false });
    expect(parseCacheArgs(['--json'])).toMatchObject({ sub: 'list', json: true });
    expect(parseCacheArgs(['prune', '--max-bytes', '500MB']).maxBytes).toBe(500_000_000);
    expect(parseCacheArgs(['prune', '--max-bytes=5GB']).maxBytes).toBe(5_000_000_000);
    expect(parseCacheArgs(['--max-bytes', '123', 'prune']).maxBytes).toBe(123);
    expect(parseCacheArgs(['clear', '--json'])).toMatchObject({ sub: 'clear', json: true });
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['an unknown subcommand', ['purge'], /^cdk-vectordb-layer cache: the subcommand must be one of list, prune, clear, got "purge"; for example cdk-vectordb-layer cache prune$/],
    ['two subcommands', ['prune', 'clear'], /^cdk-vectordb-layer cache: unexpected argument "clear"; give one subcommand: list, prune, clear$/],
    ['a size that is not one', ['prune', '--max-bytes', '5 gigs'], /^cdk-vectordb-layer cache: --max-bytes must be a size in bytes or with a unit, got "5 gigs"; for example --max-bytes 500MB or --max-bytes 5GB$/],
    ['--max-bytes for clear', ['clear', '--max-bytes', '1GB'], /^cdk-vectordb-layer cache: --max-bytes is for prune, not clear, got "1GB"; write cdk-vectordb-layer cache prune --max-bytes 1GB$/],
    ['--max-bytes without a value', ['prune', '--max-bytes'], /^cdk-vectordb-layer cache: --max-bytes needs a value; run cdk-vectordb-layer cache --help for the options$/],
    ['--max-bytes twice', ['prune', '--max-bytes', '1GB', '--max-bytes', '2GB'], /^cdk-vectordb-layer cache: --max-bytes is given twice, got "2GB"; give --max-bytes once$/],
    ['an unknown option', ['--all'], /^cdk-vectordb-layer cache: unknown option "--all"; run cdk-vectordb-layer cache --help for the options$/],
    ['a flag given a value', ['--json=yes'], /^cdk-vectordb-layer cache: --json takes no value; write --json alone$/],
  ];
  test.each(bad)('%s: one line on stderr, nothing on stdout, exit 2, nothing removed', async (_name, argv, said) => {
    const { dir } = filledCache();
    const r = await cli(['cache', ...argv], { CDK_VECTORDB_LAYER_CACHE: dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(said);
    expect(new LayerCache(dir).entries()).toHaveLength(3);
  });

  test('--help names the subcommands, the variables and the exit codes', async () => {
    const r = await cli(['cache', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: cdk-vectordb-layer cache \[list\|prune\|clear\] \[--max-bytes <size>\] \[--json\]/);
    expect(r.stdout).toMatch(/CDK_VECTORDB_LAYER_CACHE_MAX_BYTES \(default 2GB\)/);
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 the cache could not be read or changed, 2 bad usage or input/);
  });

  test('the command list names it', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toMatch(/^ {2}cache {5}show the machine-wide layer cache/m);
  });
});

describe('list', () => {
  test('the folder, the total and the bound, then one row per layer, most recently used first', async () => {
    const { dir, entryBytes } = filledCache();
    const total = entryBytes[A] + entryBytes[B] + entryBytes[C];
    const r = await cli(['cache'], { CDK_VECTORDB_LAYER_CACHE: dir, CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: '5GB' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`layer cache ${dir}: 3 layers, ${formatBytes(total)} of its 5.0 GB bound (CDK_VECTORDB_LAYER_CACHE_MAX_BYTES)`);
    expect(lines[1].split(/\s{2,}/)).toEqual(['SDK', 'VERSION', 'ARCH', 'BINARY', 'SIZE', 'LAST USED', 'HASH']);
    expect(lines.slice(2).map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['vectordb', '0.21.2', 'x86_64', 'stripped', formatBytes(entryBytes[C]), '5 min ago', C.slice(0, 12)],
      ['@lancedb/lancedb', '0.39.0', 'x86_64', 'compressed', formatBytes(entryBytes[B]), '2 h ago', B.slice(0, 12)],
      ['vectordb', '0.4.2', 'x86_64', 'not stripped', formatBytes(entryBytes[A]), '3 days ago', A.slice(0, 12)],
    ]);
    expect(lines).toHaveLength(5);
  });

  test('--json: the folder, the bound, the total and every entry with its manifest facts', async () => {
    const { dir, entryBytes } = filledCache();
    const r = await cli(['cache', 'list', '--json'], { CDK_VECTORDB_LAYER_CACHE: dir, CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: undefined });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ dir, exists: true, maxBytes: 2_000_000_000, totalBytes: entryBytes[A] + entryBytes[B] + entryBytes[C] });
    expect(j.entries.map((e: { hash: string }) => e.hash)).toEqual([C, B, A]);
    expect(j.entries[1]).toEqual({
      hash: B, sdk: '@lancedb/lancedb', version: '0.39.0', architecture: 'x86_64', compressed: true, stripped: true, bytes: entryBytes[B], lastUsed: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), sealed: true,
    });
  });

  test('the Node.js builds of invokes under emulation are listed apart (outside the bound), and clear removes them', async () => {
    const { dir } = filledCache();
    const build = path.join(dir, 'node', 'v22-arm64', 'bin');
    fs.mkdirSync(build, { recursive: true });
    fs.writeFileSync(path.join(build, 'node'), Buffer.alloc(3 * 1024 * 1024));
    const listedRun = await cli(['cache'], { CDK_VECTORDB_LAYER_CACHE: dir });
    expect(listedRun.stdout.trimEnd().split('\n').pop()).toBe(`Node.js builds for invokes under emulation (${path.join(dir, 'node')}, not in the bound; clear removes them): v22-arm64 ${formatBytes(3 * 1024 * 1024)}`);
    expect(JSON.parse((await cli(['cache', '--json'], { CDK_VECTORDB_LAYER_CACHE: dir })).stdout).nodeBuilds).toEqual([{ name: 'v22-arm64', bytes: 3 * 1024 * 1024 }]);
    const cleared = await cli(['cache', 'clear'], { CDK_VECTORDB_LAYER_CACHE: dir });
    expect(cleared.status).toBe(0);
    expect(cleared.stdout).toMatch(/\n {2}removed the Node\.js builds for invokes under emulation: v22-arm64 /);
    expect(fs.existsSync(path.join(dir, 'node'))).toBe(false);
  });

  test('clear also removes the answers kept for warm synths (answers/), prune keeps them', async () => {
    const { dir } = filledCache();
    const answer = path.join(dir, 'answers', 'npm-version', 'a.json');
    fs.mkdirSync(path.dirname(answer), { recursive: true });
    fs.writeFileSync(answer, '{}');
    expect((await cli(['cache', 'prune'], { CDK_VECTORDB_LAYER_CACHE: dir })).status).toBe(0);
    expect(fs.existsSync(answer)).toBe(true);
    expect((await cli(['cache', 'clear'], { CDK_VECTORDB_LAYER_CACHE: dir })).status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'answers'))).toBe(false);
  });

  test('a bound that is not a size is named, with the default used', async () => {
    const { dir } = filledCache();
    const r = await cli(['cache'], { CDK_VECTORDB_LAYER_CACHE: dir, CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: 'lots' });
    expect(r.stdout.split('\n')[0]).toMatch(/of its 2\.0 GB bound \(the default: CDK_VECTORDB_LAYER_CACHE_MAX_BYTES "lots" is not a size such as 500MB or 5GB\)$/);
  });

  test('the cache off: one line, exit 0; prune and clear refuse with the fix, exit 2', async () => {
    const home = tempDir('home');
    const r = await cli(['cache'], { CDK_VECTORDB_LAYER_CACHE: 'off', XDG_CACHE_HOME: home });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('the layer cache is off (CDK_VECTORDB_LAYER_CACHE=off): each synth builds its layers into its own cdk.out\n');
    const c = await cli(['cache', 'clear'], { CDK_VECTORDB_LAYER_CACHE: 'off', XDG_CACHE_HOME: home });
    expect([c.status, c.stdout]).toEqual([2, '']);
    expect(c.stderr).toMatch(/^cdk-vectordb-layer cache clear: the layer cache is off .*; to clear the cache folder, unset CDK_VECTORDB_LAYER_CACHE or set it to that folder\n$/);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  test('a folder that does not exist: one line, exit 0, nothing made', async () => {
    const dir = path.join(tempDir('parent'), 'cache');
    for (const sub of ['list', 'prune', 'clear']) {
      const r = await cli(['cache', sub], { CDK_VECTORDB_LAYER_CACHE: dir });
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stdout).toMatch(new RegExp(`^layer cache ${dir}: (empty, the folder does not exist yet|nothing to remove, the folder does not exist)`));
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('the default folder is the user cache folder', async () => {
    const home = tempDir('xdg');
    const r = await cli(['cache'], { CDK_VECTORDB_LAYER_CACHE: undefined, XDG_CACHE_HOME: home });
    expect(r.stdout).toMatch(new RegExp(`^layer cache ${path.join(home, 'cdk-vectordb-layer')}: `));
  });
});

describe('prune and clear', () => {
  test('prune --max-bytes removes the least recently used until within, and says what and how much', async () => {
    const { dir, entryBytes } = filledCache();
    const bound = entryBytes[C] + 10;
    const r = await cli(['cache', 'prune', '--max-bytes', String(bound)], { CDK_VECTORDB_LAYER_CACHE: dir });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    const removedBytes = entryBytes[A] + entryBytes[B];
    expect(lines[0]).toBe(`layer cache ${dir}: removed 2 layers (${formatBytes(removedBytes)}), freed ${formatBytes(removedBytes)} of disk; ${formatBytes(entryBytes[C])} left of the bound ${formatBytes(bound)}`);
    expect(lines.slice(1)).toEqual([
      `  removed vectordb 0.4.2 x86_64 not stripped, ${formatBytes(entryBytes[A])}, last used 3 days ago (${A.slice(0, 12)})`,
      `  removed @lancedb/lancedb 0.39.0 x86_64 compressed, ${formatBytes(entryBytes[B])}, last used 2 h ago (${B.slice(0, 12)})`,
    ]);
    expect(new LayerCache(dir).entries().map((e) => e.hash)).toEqual([C]);
  });

  test('prune without --max-bytes trims to CDK_VECTORDB_LAYER_CACHE_MAX_BYTES; within it, nothing goes', async () => {
    const { dir, entryBytes } = filledCache();
    const within = await cli(['cache', 'prune'], { CDK_VECTORDB_LAYER_CACHE: dir, CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: '500MB' });
    expect(within.stdout).toBe(`layer cache ${dir}: nothing removed; ${formatBytes(entryBytes[A] + entryBytes[B] + entryBytes[C])}, within the bound 500.0 MB\n`);
    const two = entryBytes[C] + entryBytes[B];
    const over = await cli(['cache', 'prune', '--json'], { CDK_VECTORDB_LAYER_CACHE: dir, CDK_VECTORDB_LAYER_CACHE_MAX_BYTES: String(two) });
    const j = JSON.parse(over.stdout);
    expect(j.removed.map((e: { hash: string }) => e.hash)).toEqual([A]);
    expect(j).toMatchObject({ maxBytes: two, freedBytes: entryBytes[A], bytesAfter: two, locked: [] });
  });

  test('clear removes every layer but the one a running synth holds, and names it', async () => {
    const { dir, entryBytes } = filledCache();
    fs.mkdirSync(path.join(dir, 'locks'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'locks', `${B}.lock`), JSON.stringify({ pid: process.ppid, host: os.hostname(), started: new Date().toISOString() }));
    const r = await cli(['cache', 'clear'], { CDK_VECTORDB_LAYER_CACHE: dir });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    const gone = formatBytes(entryBytes[A] + entryBytes[C]);
    expect(lines[0]).toBe(`layer cache ${dir}: removed 2 layers (${gone}), freed ${gone} of disk; ${formatBytes(entryBytes[B])} left`);
    expect(lines.slice(1, 3)).toEqual([
      `  removed vectordb 0.4.2 x86_64 not stripped, ${formatBytes(entryBytes[A])}, last used 3 days ago (${A.slice(0, 12)})`,
      `  removed vectordb 0.21.2 x86_64 stripped, ${formatBytes(entryBytes[C])}, last used 5 min ago (${C.slice(0, 12)})`,
    ]);
    expect(lines[3]).toBe(`  kept @lancedb/lancedb 0.39.0 x86_64 compressed, ${formatBytes(entryBytes[B])}, last used 2 h ago (${B.slice(0, 12)}): a running synth holds it (building or linking it); run clear again when it is done`);
    expect(lines).toHaveLength(4);
    expect(new LayerCache(dir).entries().map((e) => e.hash)).toEqual([B]);
  });

  test('clear says how much stays on disk because a cdk.out still links the files', async () => {
    const { dir, entryBytes } = filledCache();
    const out = tempDir('cdk-out');
    fs.linkSync(path.join(dir, 'layers', A, 'nodejs', 'node_modules', 'vectordb', 'padding.bin'), path.join(out, 'padding.bin'));
    const r = await cli(['cache', 'clear'], { CDK_VECTORDB_LAYER_CACHE: dir });
    const all = entryBytes[A] + entryBytes[B] + entryBytes[C];
    expect(r.stdout.split('\n')[0]).toBe(`layer cache ${dir}: removed 3 layers (${formatBytes(all)}), freed ${formatBytes(all - 300_000)} of disk; 0 B left`);
    expect(r.stdout).toMatch(/\n {2}300\.0 kB of their files are still linked from cdk\.out folders: that disk is freed with the last cdk\.out holding them\n/);
    expect(fs.readdirSync(path.join(dir, 'layers'))).toEqual([]);
  });

  test('a cache folder that cannot be changed: exit 1, one line naming it and the fix', async () => {
    const { dir } = filledCache();
    // The folder replaced by a file (permissions would not stop root, which CI may be).
    const moved = `${dir}-moved`;
    fs.renameSync(dir, moved);
    fs.writeFileSync(dir, 'not a folder');
    const r = await cli(['cache', 'clear'], { CDK_VECTORDB_LAYER_CACHE: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^cdk-vectordb-layer cache clear: the layer cache ${dir} could not be changed \\(ENOTDIR\\); check its permissions, or point CDK_VECTORDB_LAYER_CACHE at another folder\\n$`));
    fs.rmSync(dir);
    fs.rmSync(moved, { recursive: true, force: true });
  });
});

describe('formats', () => {
  test('sizes in decimal units, as the bound is read; ages in the largest unit that fits', () => {
    expect([formatBytes(999), formatBytes(64_297_928), formatBytes(2e9)]).toEqual(['999 B', '64.3 MB', '2.0 GB']);
    const now = Date.parse('2026-12-07T12:00:00Z');
    expect(['2026-12-07T11:59:30Z', '2026-12-07T11:55:00Z', '2026-12-07T09:00:00Z', '2026-12-06T11:00:00Z', '2026-11-07T12:00:00Z'].map((t) => formatAge(t, now)))
      .toEqual(['just now', '5 min ago', '3 h ago', '1 day ago', '30 days ago']);
  });
});
