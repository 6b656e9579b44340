/**
 * The README's local S3 part, run as written: s3rver started from the
 * README's command line (its argument vector, no shell), a small app whose
 * VectorDbFunction (the README's search.js) keeps its database in
 * `VectorDatabase.s3(bucket)`, the README's invoke line against it (its
 * argument vector, through the CLI), rows back from the bucket. Without the
 * `--env` settings the same invoke stops: its first line says where the data
 * is, exit 2. Real layer, real esbuild, real s3rver, real LanceDB.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { VectorDatabase, VectorDbFunction } from '../../src';
import { cliInProcess } from '../support/cli';
import { tempDir } from '../support/files';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');
const HEADING = '### A database that is not on this machine: S3, EFS, LanceDB Cloud';

/** The ```bash blocks of the README's local S3 part (from its heading to the next heading). */
function localS3Blocks(): string[] {
  const from = README.indexOf(HEADING);
  if (from < 0) throw new Error(`no "${HEADING}" in README.md`);
  const end = README.indexOf('\n#', from + HEADING.length);
  const part = README.slice(from, end < 0 ? undefined : end);
  return [...part.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/**
 * A command line as a POSIX shell splits it, for the little the README uses:
 * words, '...' and "..." quotes, a backslash before a newline. Anything else
 * a shell would act on ($, `, globs, ;, |) is refused, so the test never
 * runs a line differently from a shell.
 */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  const text = line.replace(/\\\n/g, ' ');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === '\'' || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unclosed ${c} in ${line}`);
      const quoted = text.slice(i + 1, close);
      if (c === '"' && /[$`\\]/.test(quoted)) throw new Error(`"${quoted}" needs a shell`);
      word = (word ?? '') + quoted;
      i = close;
    } else if (/[$`*?[\];|&<>()\\#~]/.test(c)) {
      throw new Error(`${c} in ${line} needs a shell`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts s3rver's CLI with `args` in `cwd`; resolves once it listens. */
function startS3rver(args: string[], cwd: string): Promise<ChildProcess> {
  const bin = path.join(ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start in 20 s: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf-8');
      if (/S3rver listening on /.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}): ${output}`));
    });
  });
}


describe('the README\'s local S3 server, as a new user runs it', () => {
  const app = tempDir('local-s3-app');
  let server: ChildProcess | undefined;
  let startLine: string[];
  let invokeLine: string[];
  let port: number;

  beforeAll(async () => {
    const blocks = localS3Blocks();
    expect(blocks).toHaveLength(2);
    [startLine, invokeLine] = blocks.map((b) => words(b.trim()));
    // A free port in place of the README's 4568 (the same in both lines), so that a running server cannot answer instead.
    port = await freePort();
    const swap = (w: string) => w.replace(/\b4568\b/g, String(port));
    expect(startLine.filter((w) => w === '4568')).toHaveLength(1);
    expect(invokeLine.filter((w) => w.includes('127.0.0.1:4568'))).toHaveLength(1);
    startLine = startLine.map(swap);
    invokeLine = invokeLine.map(swap);

    // A new user's app: MyStack/Search, the README's search.js, its database in a bucket; cdk.out in the app's folder.
    fs.copyFileSync(path.join(ROOT, 'examples', 'readme', 'search.js'), path.join(app, 'search.js'));
    // `cdk-vectordb-layer/runtime` as installed: this checkout's src/ as the package's lib/ (esbuild compiles the
    // TypeScript), the package's own exports pointed at the sources.
    const pkg = path.join(app, 'node_modules', 'cdk-vectordb-layer');
    fs.mkdirSync(pkg, { recursive: true });
    const { exports } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf-8'));
    const toSource = (target: unknown): unknown => typeof target === 'string'
      ? target.replace(/\.js$/, '.ts')
      : Object.fromEntries(Object.entries(target as Record<string, unknown>).map(([k, v]) => [k, toSource(v)]));
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'cdk-vectordb-layer', version: '0.0.0', main: 'lib/index.js', exports: toSource(exports) }));
    fs.symlinkSync(path.join(ROOT, 'src'), path.join(pkg, 'lib'), 'dir');
    const cdkApp = new App({ outdir: path.join(app, 'cdk.out') });
    const stack = new Stack(cdkApp, 'MyStack');
    new VectorDbFunction(stack, 'Search', { entry: path.join(app, 'search.js'), database: VectorDatabase.s3(new s3.Bucket(stack, 'Vectors')) });
    cdkApp.synth();
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  test('the start line is `npx s3rver@3` with the major this repository tests', () => {
    expect(startLine.slice(0, 2)).toEqual(['npx', 's3rver@3']);
    const installed = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 's3rver', 'package.json'), 'utf-8')).version;
    expect(installed).toMatch(/^3\./);
    expect(startLine).toEqual(expect.arrayContaining(['--directory', '--port', '--configure-bucket']));
  });

  test('without the --env settings the invoke stops: the first line says where the data is, exit 2', async () => {
    const bare = invokeLine.slice(2).filter((w, i, all) => w !== '--env' && all[i - 1] !== '--env');
    const r = await cliInProcess(bare, { cwd: app });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const first = r.stderr.split('\n')[0];
    expect(first).toMatch(/^cdk-vectordb-layer invoke: function MyStack\/Search: on Lambda its database is in S3 \(VECTORDB_URI=s3:\/\/\$\{Vectors[0-9A-F]{8}\}\/vectordb\), which the invoker cannot reach without AWS and does not fake; give VECTORDB_URI with --env \(CLI\) or env: a folder \(--env VECTORDB_URI=DIR --shared-dir DIR/);
    expect(first).toContain('--env AWS_ACCESS_KEY_ID=S3RVER --env AWS_SECRET_ACCESS_KEY=S3RVER');
    process.stderr.write(`[readme-local-s3] without --env: ${first}\n`);
  });

  test('s3rver from the README\'s line, then the README\'s invoke: the nearest rows come back from the bucket', async () => {
    server = await startS3rver(startLine.slice(2), app);
    expect(invokeLine.slice(0, 2)).toEqual(['npx', 'cdk-vectordb-layer']);
    const r = await cliInProcess(invokeLine.slice(2), { cwd: app });
    process.stderr.write(`[readme-local-s3] the README's invoke (exit ${r.status}):\n${r.stderr}`);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ id: number; kind: string; _distance: number }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.id)).toEqual([3, 4]);
    expect(rows.every((row) => row.kind === 'faq')).toBe(true);
    // The table is in s3rver's folder, under the bucket and the prefix.
    expect(fs.readdirSync(path.join(app, 's3-data', 'vectors', 'vectordb'))).toEqual(['docs.lance']);

    // A second invoke (a new execution environment) opens the table the first one made.
    const again = await cliInProcess(invokeLine.slice(2), { cwd: app });
    expect(again.status).toBe(0);
    expect((JSON.parse(again.stdout) as Array<{ id: number }>).map((row) => row.id)).toEqual([3, 4]);
  });
});
