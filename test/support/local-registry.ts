/**
 * A real npm registry on loopback for tests: verdaccio, installed once into the
 * test cache (`$CDK_VECTORDB_LAYER_TEST_CACHE/verdaccio-<version>`, not a
 * devDependency: `npm ci` stays lean), started on a free port with its own
 * storage, uplinked to the registry npm uses here for every package it does not
 * hold itself, and stopped by the test. Packages are published to it from
 * folders with `npm publish`, under a user it creates.
 *
 * Every child process is an argument-vector spawn (no shell).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { cacheDir } from './platforms';

/** verdaccio 6.8.0: the newest that runs on Node.js 20 (6.10 wants 22). */
export const VERDACCIO_VERSION = '6.8.0';

/** A running registry. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** npm flags that publish to it as its user. */
  readonly authFlags: string[];
  /** What verdaccio printed (warnings and errors). */
  readonly log: () => string;
  /** Stops it and deletes its storage. */
  stop(): Promise<void>;
}

function run(file: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(file, args, { cwd: options.cwd, encoding: 'utf-8', timeout: options.timeoutMs ?? 300_000, shell: false, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    throw new Error(`${path.basename(file)} ${args.slice(0, 3).join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  }
  return r.stdout;
}

/** verdaccio's entry script, installed into the test cache on first use; with what the install took. */
export function installVerdaccio(): { bin: string; installMs?: number; bytes?: number } {
  const prefix = path.join(cacheDir(), `verdaccio-${VERDACCIO_VERSION}`);
  const bin = path.join(prefix, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  if (fs.existsSync(bin)) return { bin };
  fs.mkdirSync(cacheDir(), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir(), '.tmp-verdaccio-'));
  const started = Date.now();
  try {
    run('npm', ['install', '--prefix', tmp, `verdaccio@${VERDACCIO_VERSION}`, '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', '--no-save']);
    try {
      fs.renameSync(tmp, prefix);
    } catch (e) {
      if (!fs.existsSync(bin)) throw e; // another process installed it first
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const du = spawnSync('du', ['-sb', prefix], { encoding: 'utf-8', shell: false });
  return { bin, installMs: Date.now() - started, bytes: Number(du.stdout?.split('\t')[0]) || undefined };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited ${child.exitCode}: ${log().slice(-2000)}`);
    try {
      const r = await fetch(`${url}-/ping`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`verdaccio did not answer ${url}-/ping within ${timeoutMs / 1000} s: ${log().slice(-2000)}`);
}

/**
 * Starts verdaccio on a free loopback port. `uplink` (default: npm's
 * `registry` setting) serves every package it does not hold; packages it holds
 * (published to it) are merged with the uplink's versions.
 */
export async function startLocalRegistry(options: { uplink?: string } = {}): Promise<LocalRegistry> {
  const { bin } = installVerdaccio();
  const uplink = options.uplink ?? run('npm', ['config', 'get', 'registry']).trim();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdaccio-'));
  fs.writeFileSync(path.join(dir, 'config.yaml'), [
    `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
    '    max_users: 10',
    'uplinks:',
    '  here:',
    `    url: ${JSON.stringify(uplink)}`,
    '    timeout: 60s',
    '    maxage: 30m',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    proxy: here',
    'max_body_size: 500mb',
    'server:',
    '  keepAliveTimeout: 60',
    'logs: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n'));
  const child = spawn(process.execPath, [bin, '--config', path.join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], shell: false,
  });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const log = () => output;
  const stop = async () => {
    if (child.exitCode === null) {
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 5000); })]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(url, child, log, 60_000);
    // a user to publish as (verdaccio's htpasswd sign-up: answers a token)
    const res = await fetch(`${url}-/user/org.couchdb.user:ci`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', password: 'ci-password' }),
    });
    const body = await res.json() as { token?: string };
    if (!res.ok || !body.token) throw new Error(`verdaccio refused the sign-up (${res.status}): ${JSON.stringify(body)}`);
    const authFlags = [`--//127.0.0.1:${port}/:_authToken=${body.token}`];
    return { url, authFlags, log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Republishes a real package tarball (`tgz`, e.g. from `npm pack`) to
 * `registry` as `version`, with nothing else changed: the same files, the
 * same binary. For a build an SDK version declares that the registry here lacks.
 * The repacked tarball is kept beside `tgz` (packing a 150 MB binary takes
 * a while), and `npm publish` sends it as it is.
 */
export function republish(registry: LocalRegistry, tgz: string, version: string): void {
  const repacked = tgz.replace(/\.tgz$/, `.as-${version}.tgz`);
  if (!fs.existsSync(repacked)) {
    const work = fs.mkdtempSync(path.join(path.dirname(tgz), '.republish-'));
    try {
      run('tar', ['-xzf', tgz, '-C', work, '--no-same-owner']);
      const pkgDir = path.join(work, 'package');
      const pkgFile = path.join(pkgDir, 'package.json');
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf-8'));
      pkg.version = version;
      delete pkg.publishConfig;
      delete pkg.scripts;
      fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
      const packed = JSON.parse(run('npm', ['pack', pkgDir, '--json', '--ignore-scripts', '--pack-destination', work], { cwd: work })) as Array<{ filename: string }>;
      fs.renameSync(path.join(work, packed[0].filename), repacked);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  run('npm', ['publish', repacked, '--registry', registry.url, '--ignore-scripts', '--tag', 'republished', '--no-provenance', ...registry.authFlags], { cwd: os.tmpdir() });
}
