/**
 * `cdk-vectordb-layer build` and `versions` for real: the CLI in a child
 * process (bin/cdk-vectordb-layer on src/ through ts-node), the npm registry,
 * real builds. Slow tier; the argument errors and the zip writer are in test/cli.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DOS_DATE, DOS_TIME, readZipEntries } from '../../src/cli/zip';
import { sha256, tempDir, unzipTo } from '../support/files';
import { searchWith } from '../support/search';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'cdk-vectordb-layer');

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

function expectNoStackTrace(text: string) {
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/^\s+at /m);
}

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
      nodeEngines: null,
      nativePackageVersion: '0.4.2',
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
    expect(json.compatibleRuntimes).toEqual(['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x']);
    // Every fact VectorDbLayer.fromLayerArn takes.
    expect(json.neededLibraries).toEqual(expect.arrayContaining(['libc.so.6']));
    expect(typeof json.unzippedBytes).toBe('number');

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
    const r = searchWith({ layerDir: dir, sdk: 'vectordb' });
    expect(r.ids).toEqual([42, 43, 41]);
    expect(r.version).toBe('0.4.2');
    expect(r.resolvedFrom.startsWith(path.join(dir, 'nodejs', 'node_modules', 'vectordb'))).toBe(true);
  });

  test('a version that is not published exits 2 with the nearest published ones, one line, nothing written', () => {
    const out = tempDir('build-nover');
    const r = cli(['build', '--version', '0.21.3', '--out', path.join(out, 'l.zip')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('[vectordb-layer]'));
    expect(lines).toEqual([expect.stringMatching(/^cdk-vectordb-layer build: --version 0\.21\.3 is not a published version of vectordb, got "0\.21\.3": .*; set --version to a published one \(nearest: .*0\.21\.2\)$/)]);
    expectNoStackTrace(r.stderr);
    expect(fs.readdirSync(out)).toEqual([]);
    expect(leftovers(r.tmp)).toEqual([]);
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
    expect(row('0.4.2')).toMatchObject({ x86_64: { version: '0.4.2', published: true }, arm64: { version: '0.4.2', published: true }, default: false, pinned: ['x86_64', 'arm64'] });
    expect(row('0.21.2')).toMatchObject({ x86_64: { version: '0.21.2', published: true }, arm64: { version: '0.21.2', published: false }, default: true, pinned: ['x86_64'] });
    // The native package comes from the version's own optionalDependencies, not its number.
    expect(row('0.9.0')).toMatchObject({ x86_64: { version: '0.4.20', published: true }, arm64: { version: '0.4.20', published: false } });
    expect(row('0.21.2').runtimes.x86_64).toEqual(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']);
  });

  test('a table on stdout: native builds named by each version (yes, missing here, or none), and the runtimes each binary can load', () => {
    const r = cli(['versions', '--sdk', 'vectordb']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vectordb: \d+ versions/);
    expect(r.stdout).toMatch(/^0\.4\.2 +yes +yes +pinned x86_64, arm64; x86_64: nodejs18\.x nodejs20\.x nodejs22\.x nodejs24\.x; arm64: nodejs18\.x/m);
    expect(r.stdout).toMatch(/^0\.21\.2 +yes +missing +default; pinned x86_64; x86_64: nodejs20\.x nodejs22\.x nodejs24\.x$/m);
    expect(r.stdout).toMatch(/^0\.9\.0 +yes \(0\.4\.20\) +missing +/m);
    // declared builds this registry lacks are named as such, with what a synth then does
    expect(r.stdout).toMatch(/^missing: the version declares that build and this registry \(.*\) does not serve it; a synth fetches it from the registry npm uses/m);
  });
});
