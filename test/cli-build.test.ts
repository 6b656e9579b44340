/**
 * `cdk-vectordb-layer build` and `versions`: the real CLI in a child process
 * (bin/cdk-vectordb-layer on src/ through ts-node), and the zip writer.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dockerStub, searchWithLayer, tempDir } from './helpers';
import { DOS_DATE, DOS_TIME, FILE_MODE, readZipEntries, SYMLINK_MODE, zipFolder, ZipError } from '../src/cli/zip';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'cdk-vectordb-layer');
const UNZIP = '/usr/bin/unzip';

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The child's TMPDIR: staging folders go there, and must be gone afterwards. */
  readonly tmp: string;
}

function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const tmp = tempDir('cli-tmp');
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, CDK_VECTORDB_LAYER_FROM_SOURCE: '1', TMPDIR: tmp, ...options.env },
    encoding: 'utf-8',
    timeout: 5 * 60 * 1000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, tmp };
}

/** Staging and scratch folders of the CLI and the recipe left in a TMPDIR (npm's v8-compile-cache may stay). */
function leftovers(tmp: string): string[] {
  return fs.readdirSync(tmp).filter((n) => /vectordb-layer/.test(n));
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function unzipTo(zip: string): string {
  const dir = tempDir('unzipped');
  const r = spawnSync(UNZIP, ['-q', zip, '-d', dir], { encoding: 'utf-8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return dir;
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

describe('cdk-vectordb-layer build', () => {
  let first: { zip: string; json: any; result: CliResult };

  test('vectordb 0.4.2 x86_64 twice: the same sha256, byte-identical zips, no staging left', () => {
    const outA = tempDir('build-a');
    const zipA = path.join(outA, 'layer.zip');
    const a = cli(['build', '--sdk', 'vectordb', '--version', '0.4.2', '--arch', 'x86_64', '--out', zipA, '--json']);
    expect(a.stderr).not.toMatch(/cdk-vectordb-layer build:/);
    expect(a.status).toBe(0);
    const json = JSON.parse(a.stdout);
    first = { zip: zipA, json, result: a };

    // The second build: default --sdk, --arch and --out, from another folder, text report.
    const outB = tempDir('build-b');
    const b = cli(['build', '--version', '0.4.2'], { cwd: outB });
    expect(b.status).toBe(0);
    const zipB = path.join(outB, 'vectordb-layer-0.4.2-x86_64.zip');
    expect(fs.readdirSync(outB)).toEqual(['vectordb-layer-0.4.2-x86_64.zip']);
    expect(b.stdout).toBe(`${json.sha256}  vectordb-layer-0.4.2-x86_64.zip\n`);
    expect(b.stderr).toContain(`sha256          ${json.sha256}`);
    expect(b.stderr).toContain('Ref: VectordbLambdaLayer');

    expect(json.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(zipA)).toBe(json.sha256);
    expect(sha256(zipB)).toBe(json.sha256);
    expect(fs.readFileSync(zipA).equals(fs.readFileSync(zipB))).toBe(true);
    expect(fs.readdirSync(outA)).toEqual(['layer.zip']);
    expect(leftovers(a.tmp)).toEqual([]);
    expect(leftovers(b.tmp)).toEqual([]);
  });

  test('--json has the sizes, glibc, runtimes and three snippets naming the zip and the externals', () => {
    const { json, zip } = first;
    expect(json).toMatchObject({
      sdk: 'vectordb',
      version: '0.4.2',
      architecture: 'x86_64',
      zip,
      glibc: '2.15',
      externalModules: ['vectordb', 'apache-arrow'],
      compatibleArchitectures: ['x86_64'],
      pinned: true,
      loadChecked: true,
    });
    expect(json.zippedBytes).toBe(fs.statSync(zip).size);
    expect(json.unzippedBytes).toBeGreaterThan(json.zippedBytes);
    expect(json.unzippedBytes).toBeLessThan(json.lambdaUnzippedLimitBytes);
    const entries = readZipEntries(zip);
    expect(json.fileCount).toBe(entries.length);
    expect(json.unzippedBytes).toBe(entries.reduce((n, e) => n + e.size, 0));
    expect(entries.every((e) => e.name.startsWith('nodejs/') && e.dosDate === DOS_DATE && e.dosTime === DOS_TIME)).toBe(true);
    expect(entries.map((e) => e.name)).toContain('nodejs/node_modules/@lancedb/vectordb-linux-x64-gnu/index.node');
    expect(json.compatibleRuntimes).toEqual(expect.arrayContaining(['nodejs18.x', 'nodejs20.x', 'nodejs22.x']));

    const { serverless, sam, awsCli } = json.snippets;
    for (const snippet of [serverless, sam, awsCli]) {
      expect(snippet).toContain(zip);
      expect(snippet).toContain('vectordb');
      expect(snippet).toContain('apache-arrow');
      expect(snippet).toContain('nodejs18.x');
    }
    expect(serverless).toContain(`artifact: ${zip}`);
    expect(serverless).toContain('- Ref: VectordbLambdaLayer');
    expect(serverless).toMatch(/external:\n\s+- vectordb\n\s+- apache-arrow/);
    expect(serverless).toMatch(/exclude:\n\s+- vectordb\n\s+- apache-arrow/);
    expect(serverless).toMatch(/compatibleArchitectures:\n\s+- x86_64/);
    expect(sam).toContain('Type: AWS::Serverless::LayerVersion');
    expect(sam).toContain(`ContentUri: ${zip}`);
    expect(sam).toMatch(/BuildMethod: esbuild/);
    expect(sam).toMatch(/External:\n\s+- vectordb\n\s+- apache-arrow/);
    expect(awsCli).toContain('aws lambda publish-layer-version');
    expect(awsCli).toContain(`--zip-file fileb://${zip}`);
    expect(awsCli).toMatch(/--compatible-architectures x86_64/);
    expect(json.snippets.terraform).toContain('aws_lambda_layer_version');
  });

  test('the unzipped layer serves a vector search with only its nodejs/node_modules on NODE_PATH', () => {
    const dir = unzipTo(first.zip);
    expect(fs.readdirSync(dir)).toEqual(['nodejs']);
    const r = searchWithLayer(dir, 'vectordb');
    expect(r.ids).toEqual([42, 43, 41]);
    expect(r.version).toBe('0.4.2');
    expect(r.resolvedFrom.startsWith(path.join(dir, 'nodejs', 'node_modules', 'vectordb'))).toBe(true);
  });

  test('--docker runs the recipe in the build image (a CDK_DOCKER stand-in here) and gives the same zip', () => {
    const stub = dockerStub();
    // The stand-in maps the container's /tmp to its own folder; give it the host's npm cache there.
    fs.symlinkSync(path.join(os.homedir(), '.npm'), path.join(path.dirname(stub.executable), 'tmp', '.npm'));
    const out = tempDir('build-docker');
    const zip = path.join(out, 'docker.zip');
    const r = cli(['build', '--version', '0.4.2', '--docker', '--out', zip, '--json'], { env: { CDK_DOCKER: stub.executable } });
    expect(r.stderr).not.toMatch(/cdk-vectordb-layer build:/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).sha256).toBe(first.json.sha256);
    expect(leftovers(r.tmp)).toEqual([]);
    const run = stub.calls().find((c) => Array.isArray(c) && c[0] === 'run');
    expect(run).toEqual(expect.arrayContaining(['--platform', 'linux/amd64', 'public.ecr.aws/sam/build-nodejs24.x', 'node', '/asset-input/build-layer.js', '--version', '0.4.2', '--architecture', 'x86_64']));
  });

  test('--docker without a Docker engine exits 1, says so, and leaves nothing', () => {
    const out = tempDir('build-nodocker');
    const r = cli(['build', '--version', '0.4.2', '--docker', '--out', path.join(out, 'layer.zip')], {
      env: { CDK_DOCKER: path.join(out, 'no-such-docker') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cdk-vectordb-layer build: .*Docker/);
    expectNoStackTrace(r.stderr);
    expect(fs.readdirSync(out)).toEqual([]);
    expect(leftovers(r.tmp)).toEqual([]);
  });

  const bad: Array<[string, (out: string) => string[], RegExp]> = [
    ['a version that is not exact', (o) => ['--version', '0.21', '--out', path.join(o, 'l.zip')], /--version must be an exact version.*got "0\.21"/],
    ['a version with shell syntax', (o) => ['--version', '0.21.2;rm -rf /', '--out', path.join(o, 'l.zip')], /--version must be an exact version.*got "0\.21\.2;rm -rf \/"/],
    ['an unknown sdk', (o) => ['--sdk', 'lancedb', '--out', path.join(o, 'l.zip')], /--sdk must be one of vectordb, @lancedb\/lancedb, got "lancedb"/],
    ['an unknown architecture', (o) => ['--arch', 'amd64', '--out', path.join(o, 'l.zip')], /--arch must be x86_64 or arm64, got "amd64"; .*--arch x86_64/],
    ['an out that is not a .zip', (o) => ['--out', path.join(o, 'layer.tar.gz')], /--out must be a file name ending in \.zip/],
    ['an out that is a folder', (o) => {
      fs.mkdirSync(path.join(o, 'dir.zip'));
      return ['--out', path.join(o, 'dir.zip')];
    }, /--out is an existing folder/],
    ['a version not on the registry', (o) => ['--version', '0.21.3', '--out', path.join(o, 'l.zip')], /--version is not a published version of vectordb, got "0\.21\.3"; nearest published: .*0\.21\.2/],
    ['an architecture without a native build', (o) => ['--version', '0.21.2', '--arch', 'arm64', '--out', path.join(o, 'l.zip')], /--arch has no native build for vectordb 0\.21\.2.*got "arm64"; versions of vectordb with one: .*0\.4\.2/],
  ];
  test.each(bad)('%s: exit 2, one line on stderr, no zip', (_name, args, message) => {
    const out = tempDir('build-bad');
    const argv = ['build', ...args(out)];
    const before = fs.readdirSync(out);
    const r = cli(argv);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cdk-vectordb-layer build: /);
    expect(lines[0]).toMatch(message);
    expectNoStackTrace(r.stderr);
    expect(fs.readdirSync(out)).toEqual(before);
    expect(leftovers(r.tmp)).toEqual([]);
  });

  test('--help prints the usage', () => {
    const r = cli(['build', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: cdk-vectordb-layer build/);
    expect(r.stdout).toContain('--no-strip');
  });
});

describe('cdk-vectordb-layer versions', () => {
  test('--json: 0.4.2 has an arm64 build, 0.21.2 (the default) has not', () => {
    const r = cli(['versions', '--sdk', 'vectordb', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.sdks).toHaveLength(1);
    const [s] = json.sdks;
    expect(s.nativePackages).toEqual({ x86_64: '@lancedb/vectordb-linux-x64-gnu', arm64: '@lancedb/vectordb-linux-arm64-gnu' });
    const row = (v: string) => s.versions.find((x: any) => x.version === v);
    expect(row('0.4.2')).toMatchObject({ x86_64: true, arm64: true, default: false, pinned: ['x86_64', 'arm64'] });
    expect(row('0.21.2')).toMatchObject({ x86_64: true, arm64: false, default: true, pinned: ['x86_64'] });
  });

  test('a table on stdout; a bad --sdk is one line and exit 2', () => {
    const r = cli(['versions', '--sdk', 'vectordb']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vectordb: \d+ versions/);
    expect(r.stdout).toMatch(/^0\.4\.2 +yes +yes +pinned x86_64 \(glibc 2\.15\), arm64 \(glibc 2\.17\)$/m);
    expect(r.stdout).toMatch(/^0\.21\.2 +yes +- +default; pinned x86_64/m);
    const bad = cli(['versions', '--sdk', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--sdk must be one of/);
  });
});
