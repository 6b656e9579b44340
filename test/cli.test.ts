/**
 * The commands without a build: the zip writer, and `build` / `versions`
 * refusing bad input with one line and exit 2, in one process (test/fixtures/cli-batch.js
 * runs main.run for each command line). Fast tier: no network.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { sha256, tempDir, unzipTo } from './support/files';
import { DOS_DATE, DOS_TIME, FILE_MODE, readZipEntries, SYMLINK_MODE, zipFolder, ZipError } from '../src/cli/zip';

const UNZIP = '/usr/bin/unzip';

interface BatchResult {
  readonly status: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawned: Array<{ fn: string; file: string; args: string[] }>;
}

/** Runs command lines of the CLI in one child process. */
function cliBatch(cases: string[][], env: Record<string, string> = {}): BatchResult[] {
  const file = path.join(tempDir('batch'), 'cases.json');
  fs.writeFileSync(file, JSON.stringify(cases));
  const r = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'cli-batch.js'), file], {
    cwd: tempDir('cwd'), encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`cli-batch failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function expectNoStackTrace(text: string) {
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/^\s+at /m);
}

describe('zip writer', () => {
  function sampleFolder(): string {
    const dir = tempDir('zip-src');
    fs.mkdirSync(path.join(dir, 'nodejs', 'node_modules', 'pkg', 'lib'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'nodejs', 'node_modules', 'pkg-b'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'nodejs', 'empty'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'nodejs', 'node_modules', 'pkg', 'index.js'), 'module.exports = 42;\n'.repeat(2000));
    fs.writeFileSync(path.join(dir, 'nodejs', 'node_modules', 'pkg', 'lib', 'random.bin'), crypto.randomBytes(50000));
    fs.writeFileSync(path.join(dir, 'nodejs', 'node_modules', 'pkg', 'empty.txt'), '');
    fs.writeFileSync(path.join(dir, 'nodejs', 'node_modules', 'pkg-b', 'ünïcode.json'), '{"a":1}');
    fs.writeFileSync(path.join(dir, 'nodejs', 'package.json'), '{}', { mode: 0o600 });
    fs.symlinkSync('pkg/index.js', path.join(dir, 'nodejs', 'node_modules', 'link.js'));
    return dir;
  }

  test('the same folder gives the same bytes, with 1980 times and fixed modes, and unzip accepts it', () => {
    const src = sampleFolder();
    const out = tempDir('zip-out');
    const first = zipFolder(src, path.join(out, 'one.zip'));
    // New times and modes on every file must not change a byte.
    const later = new Date('2031-05-06T07:08:09Z');
    for (const f of ['nodejs/package.json', 'nodejs/node_modules/pkg/index.js']) {
      fs.utimesSync(path.join(src, f), later, later);
      fs.chmodSync(path.join(src, f), 0o755);
    }
    const second = zipFolder(src, path.join(out, 'two.zip'));
    expect(fs.readFileSync(first.file).equals(fs.readFileSync(second.file))).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    expect(first.sha256).toBe(sha256(first.file));
    expect(first.zippedBytes).toBe(fs.statSync(first.file).size);
    expect(fs.readdirSync(out).sort()).toEqual(['one.zip', 'two.zip']);

    const entries = readZipEntries(first.file);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual([
      'nodejs/node_modules/link.js',
      'nodejs/node_modules/pkg-b/ünïcode.json',
      'nodejs/node_modules/pkg/empty.txt',
      'nodejs/node_modules/pkg/index.js',
      'nodejs/node_modules/pkg/lib/random.bin',
      'nodejs/package.json',
    ]);
    expect(first.entries).toBe(6);
    for (const e of entries) {
      expect([e.dosDate, e.dosTime]).toEqual([DOS_DATE, DOS_TIME]);
      expect(e.extraLength).toBe(0);
      expect(e.mode).toBe(e.name.endsWith('link.js') ? SYMLINK_MODE : FILE_MODE);
    }
    expect(entries.find((e) => e.name.endsWith('index.js'))!.method).toBe(8);
    expect(entries.find((e) => e.name.endsWith('random.bin'))!.method).toBe(0);

    const test = spawnSync(UNZIP, ['-t', first.file], { encoding: 'utf-8' });
    expect(test.status).toBe(0);
    expect(test.stdout).toMatch(/No errors detected/);
    const info = spawnSync(UNZIP, ['-Z', '-T', first.file], { encoding: 'utf-8' });
    expect(info.stdout.split('\n').filter((l) => /^[-l]r/.test(l)).every((l) => l.includes(' 19800101.000000 '))).toBe(true);

    const back = unzipTo(first.file);
    for (const f of ['nodejs/node_modules/pkg/index.js', 'nodejs/node_modules/pkg/lib/random.bin', 'nodejs/node_modules/pkg-b/ünïcode.json']) {
      expect(fs.readFileSync(path.join(back, f)).equals(fs.readFileSync(path.join(src, f)))).toBe(true);
    }
    expect(fs.readlinkSync(path.join(back, 'nodejs/node_modules/link.js'))).toBe('pkg/index.js');
  });

  test('a zip over the limit is refused and leaves neither the zip nor its .partial', () => {
    const src = sampleFolder();
    const out = tempDir('zip-out');
    expect(() => zipFolder(src, path.join(out, 'big.zip'), { maxBytes: 1000 })).toThrow(ZipError);
    expect(() => zipFolder(src, path.join(out, 'big.zip'), { maxBytes: 1000 })).toThrow(/larger than 1000 bytes/);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

describe('cdk-vectordb-layer build refuses bad input: exit 2, one line, nothing written', () => {
  const out = tempDir('build-bad');
  fs.mkdirSync(path.join(out, 'dir.zip'));
  const bad: Array<[string, string[], RegExp]> = [
    ['a version that is not exact', ['--version', '0.21'], /--version must be an exact version.*got "0\.21"/],
    ['a version with shell syntax', ['--version', '0.21.2;rm -rf /'], /--version must be an exact version.*got "0\.21\.2;rm -rf \/"/],
    ['an unknown sdk', ['--sdk', 'lancedb'], /--sdk must be one of vectordb, @lancedb\/lancedb, got "lancedb"/],
    ['an unknown architecture', ['--arch', 'amd64'], /--arch must be x86_64 or arm64, got "amd64"; .*--arch x86_64/],
    ['an out that is not a .zip', ['--out', path.join(out, 'layer.tar.gz')], /--out must be a file name ending in \.zip/],
    ['an out that is a folder', ['--out', path.join(out, 'dir.zip')], /--out is an existing folder/],
    ['an unknown option', ['--bogus'], /unknown option "--bogus"; run cdk-vectordb-layer build --help/],
    ['a flag given a value', ['--docker=yes'], /--docker takes no value; write --docker alone/],
    ['a value given twice', ['--version', '0.4.2', '--version', '0.21.2'], /--version is given twice, got "0\.21\.2"; give --version once/],
    ['--image without --docker', ['--image', 'node:22'], /--image is for --docker builds, got "node:22"/],
    ['an image with shell syntax', ['--docker', '--image', 'node:22;id'], /--image must be an image reference .*got "node:22;id"/],
    ['an architecture the version declares no native build for (known before any build)', ['--version', '0.1.8', '--arch', 'arm64'],
      /--arch has no native build for vectordb 0\.1\.8, got "arm64": it names no linux-gnu native package for arm64; set --version to one that has \(nearest: .*0\.1\.19.*\), or --arch to x86_64/],
    ['a version whose binary no Lambda OS can load', ['--version', '0.1.8'], /--version 0\.1\.8 ships its native binary inside the SDK package.*GLIBC|glibc 2\.35/],
  ];
  let results: BatchResult[] = [];
  beforeAll(() => {
    results = cliBatch(bad.map(([, args]) => ['build', ...args]));
  });

  test.each(bad.map((b, i) => [b[0], i] as const))('%s', (_name, i) => {
    const r = results[i];
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cdk-vectordb-layer build: /);
    expect(lines[0]).toMatch(bad[i][2]);
    expectNoStackTrace(r.stderr);
    expect(r.spawned.filter((s) => s.args.includes('build-layer.js') || s.args.some((a) => a.endsWith('build-layer.js')))).toEqual([]);
    expect(fs.readdirSync(out)).toEqual(['dir.zip']);
  });
});

describe('cdk-vectordb-layer build and versions, no build', () => {
  test('--help prints the usage, naming --docker and --image', () => {
    const [r] = cliBatch([['build', '--help']]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: cdk-vectordb-layer build/);
    expect(r.stdout).toMatch(/--image <ref> +the image --docker builds in \(default public\.ecr\.aws\/sam\/build-nodejs\d+\.x\)/);
  });

  test('--docker without a Docker engine exits 1, says so, and leaves nothing', () => {
    const out = tempDir('build-nodocker');
    const [r] = cliBatch([['build', '--version', '0.4.2', '--docker', '--out', path.join(out, 'layer.zip')]], { CDK_DOCKER: path.join(out, 'no-such-docker') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cdk-vectordb-layer build: --docker: could not start ".*no-such-docker" \(from CDK_DOCKER\) \(ENOENT\): install Docker \(or podman\), or point CDK_DOCKER at its command, or build without --docker$/m);
    expectNoStackTrace(r.stderr);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test('versions: a bad --sdk is one line and exit 2', () => {
    const [bad] = cliBatch([['versions', '--sdk', 'nope']]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--sdk must be one of/);
  });
});
