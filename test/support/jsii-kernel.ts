/**
 * The jsii kernel as the Python, Java, .NET and Go runtimes start it: the
 * self-contained bundle of `@jsii/runtime` (`webpack/bin/jsii-runtime.js`),
 * one JSON request per line on its stdin, one answer per line on its stdout
 * (`{"hello":...}` first, then `{"ok":...}`, `{"error":...}` or
 * `{"callback":...}`), the JavaScript side's own output relayed on its stderr
 * as `{"stderr":"<base64>"}` lines.
 *
 * The packages it loads are npm tarballs (`npm pack`), dependencies first, as
 * each language's package loads its own and its dependencies' tarballs.
 *
 * Only Node.js built-ins; every child process is an argument-vector spawn (no shell).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cacheDir, REPO_DIR } from './platforms';

/** A reference to an object in the kernel, as the runtimes pass it. */
export interface ObjRef {
  readonly '$jsii.byref': string;
}

/** An error the kernel answered with: `name` is `@jsii/kernel.Fault` or `@jsii/kernel.RuntimeError`. */
export class KernelError extends Error {
  constructor(message: string, public readonly errorName: string, public readonly jsStack: string) {
    super(message);
    this.name = 'KernelError';
  }
}

/** A struct argument, as Java and Python pass one: `{"$jsii.struct":{"fqn","data"}}`. */
export function struct(fqn: string, data: Record<string, unknown>): unknown {
  return { '$jsii.struct': { fqn, data } };
}

/** The version of the jsii runtime the generated language packages require: jsii-pacmak's own. */
export function jsiiRuntimeVersion(): string {
  return readJson(path.join(REPO_DIR, 'node_modules', 'jsii-pacmak', 'package.json')).version;
}

/**
 * The kernel bundle of `@jsii/runtime@<version>`, from its npm tarball (kept
 * in the tests' cache): the file Python's `jsii` package embeds and runs.
 */
export function jsiiRuntimeScript(version = jsiiRuntimeVersion()): string {
  const dir = path.join(cacheDir(), 'jsii-runtime', version);
  const script = path.join(dir, 'package', 'webpack', 'bin', 'jsii-runtime.js');
  if (fs.existsSync(script)) return script;
  const staging = `${dir}.${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const [tarball] = npmPack([`@jsii/runtime@${version}`], staging);
  run('tar', ['-xzf', tarball, '-C', staging]);
  if (!fs.existsSync(path.join(staging, 'package', 'webpack', 'bin', 'jsii-runtime.js'))) {
    throw new Error(`@jsii/runtime@${version} has no webpack/bin/jsii-runtime.js`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return script;
}

/** One package for the kernel's `load`. */
export interface Assembly {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
}

/**
 * `name` and every jsii package it depends on (not bundled), dependencies
 * first, at the versions installed in this checkout, packed into `dir`
 * (from npm's cache when it holds them).
 */
export function packInstalledAssemblies(name: string, dir: string): Assembly[] {
  const order: Array<{ name: string; version: string }> = [];
  const visit = (pkg: string, from: string) => {
    if (order.some((a) => a.name === pkg)) return;
    const pkgDir = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [from] }));
    const manifest = readJson(path.join(pkgDir, 'package.json'));
    const bundled: string[] = manifest.bundledDependencies ?? manifest.bundleDependencies ?? [];
    const deps = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const dep of Object.keys(deps)) {
      if (bundled.includes(dep)) continue;
      let depDir: string;
      try {
        depDir = path.dirname(require.resolve(`${dep}/package.json`, { paths: [pkgDir] }));
      } catch {
        continue;
      }
      if (fs.existsSync(path.join(depDir, '.jsii'))) visit(dep, pkgDir);
    }
    order.push({ name: pkg, version: manifest.version });
  };
  visit(name, REPO_DIR);
  const files = npmPack(order.map((a) => `${a.name}@${a.version}`), dir);
  return order.map((a, i) => ({ ...a, tarball: files[i] }));
}

/**
 * This package as its users get it: `dist/js/*.jsii.tgz` when `package:js` made
 * one after the last compile, else `npm pack` of the compiled checkout (lib/
 * and .jsii from `npx projen compile`) into `dir`.
 */
export function packThisPackage(dir: string): Assembly {
  const manifest = readJson(path.join(REPO_DIR, 'package.json'));
  const assembly = path.join(REPO_DIR, '.jsii');
  if (!fs.existsSync(assembly)) throw new Error(`${assembly} is missing: run npx projen compile first`);
  const distDir = path.join(REPO_DIR, 'dist', 'js');
  const dist = fs.existsSync(distDir)
    ? fs.readdirSync(distDir).filter((f) => f.endsWith('.jsii.tgz')).map((f) => path.join(distDir, f))
    : [];
  const fresh = dist.find((f) => fs.statSync(f).mtimeMs >= fs.statSync(assembly).mtimeMs);
  const tarball = fresh ?? npmPack([REPO_DIR], dir, ['--ignore-scripts'])[0];
  return { name: manifest.name, version: manifest.version, tarball };
}

/** What the kernel process was started with. */
export interface KernelOptions {
  /** The kernel bundle. @default jsiiRuntimeScript() */
  readonly script?: string;
  /** The folder the host app runs in (the kernel inherits it). */
  readonly cwd: string;
  /** The environment; the runtimes pass their own plus `JSII_AGENT`. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A running kernel: requests are answered in order, one at a time, as each
 * language runtime sends them.
 */
export class JsiiKernel {
  /** Starts `node <script>` as Python's `jsii` package does (`--max-old-space-size=4069`) and reads its hello. */
  static async start(options: KernelOptions): Promise<JsiiKernel> {
    const script = options.script ?? jsiiRuntimeScript();
    const child = spawn(process.execPath, ['--max-old-space-size=4069', script], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    });
    const kernel = new JsiiKernel(child);
    kernel.hello = await kernel.next();
    return kernel;
  }

  /** The first line the kernel printed, e.g. `{"hello":"@jsii/runtime@1.140.0"}`. */
  public hello: any;
  /** Every request sent and answer read, in order (for the report of a failure). */
  public readonly transcript: string[] = [];
  /** What the JavaScript side wrote to stderr, decoded. */
  public stderr = '';
  /** What the JavaScript side wrote to stdout, decoded. */
  public stdout = '';

  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    let out = '';
    child.stdout!.setEncoding('utf-8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        this.push(out.slice(0, nl));
        out = out.slice(nl + 1);
      }
    });
    let err = '';
    child.stderr!.setEncoding('utf-8');
    child.stderr!.on('data', (chunk: string) => {
      err += chunk;
      let nl: number;
      while ((nl = err.indexOf('\n')) >= 0) {
        this.relay(err.slice(0, nl));
        err = err.slice(nl + 1);
      }
    });
    child.on('exit', () => {
      this.exited = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  /** `load`: a package's tarball. */
  async load(assembly: Assembly): Promise<{ assembly: string; types: number }> {
    return this.request({ api: 'load', name: assembly.name, version: assembly.version, tarball: assembly.tarball });
  }

  /** `create`: `new fqn(...args)`. */
  async create(fqn: string, args: unknown[] = []): Promise<ObjRef> {
    return this.request({ api: 'create', fqn, args, overrides: [], interfaces: [] });
  }

  /** `invoke`: `objref.method(...args)`. */
  async invoke(objref: ObjRef, method: string, args: unknown[] = []): Promise<unknown> {
    return (await this.request({ api: 'invoke', objref, method, args })).result;
  }

  /** `sinvoke`: `fqn.method(...args)`. */
  async sinvoke(fqn: string, method: string, args: unknown[] = []): Promise<unknown> {
    return (await this.request({ api: 'sinvoke', fqn, method, args })).result;
  }

  /** `get`: `objref.property`. */
  async get(objref: ObjRef, property: string): Promise<unknown> {
    return (await this.request({ api: 'get', objref, property })).value;
  }

  /** `sget`: `fqn.property`. */
  async sget(fqn: string, property: string): Promise<unknown> {
    return (await this.request({ api: 'sget', fqn, property })).value;
  }

  /**
   * One request, one answer: `ok` is returned, `error` thrown as a
   * `KernelError`. A `callback` (an override the host implements) is refused:
   * these tests override nothing.
   */
  async request(req: Record<string, unknown>): Promise<any> {
    const line = JSON.stringify(req);
    this.transcript.push(`> ${line}`);
    this.child.stdin!.write(`${line}\n`);
    for (;;) {
      const answer = await this.next();
      if ('ok' in answer) return answer.ok;
      if ('error' in answer) throw new KernelError(answer.error, answer.name, answer.stack);
      if ('callback' in answer) {
        const complete = { complete: { cbid: answer.callback.cbid, err: 'this host implements no callbacks' } };
        this.transcript.push(`> ${JSON.stringify(complete)}`);
        this.child.stdin!.write(`${JSON.stringify(complete)}\n`);
        continue;
      }
      throw new Error(`unexpected kernel answer: ${JSON.stringify(answer).slice(0, 300)}`);
    }
  }

  /** Ends the kernel as the runtimes do (`{"exit":0}`, then stdin closed) and waits for it. */
  async close(): Promise<number | null> {
    if (!this.exited) {
      const done = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
      this.child.stdin!.end('{"exit":0}\n');
      const timer = setTimeout(() => this.child.kill('SIGTERM'), 10000);
      const code = await done;
      clearTimeout(timer);
      return code;
    }
    return this.child.exitCode;
  }

  private push(line: string) {
    if (!line.trim()) return;
    this.transcript.push(`< ${line.length > 400 ? `${line.slice(0, 400)}...` : line}`);
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(line);
    } else {
      this.lines.push(line);
    }
  }

  private relay(line: string) {
    try {
      const msg = JSON.parse(line);
      if (typeof msg.stderr === 'string') this.stderr += Buffer.from(msg.stderr, 'base64').toString('utf-8');
      if (typeof msg.stdout === 'string') this.stdout += Buffer.from(msg.stdout, 'base64').toString('utf-8');
    } catch {
      this.stderr += `${line}\n`;
    }
  }

  private async next(): Promise<any> {
    const line = this.lines.shift() ?? (this.exited ? undefined : await new Promise<string | undefined>((resolve) => { this.waiting = resolve; }));
    if (line === undefined) {
      throw new Error(`the jsii kernel exited (code ${this.child.exitCode}); its stderr: ${this.stderr.slice(-2000)}`);
    }
    return JSON.parse(line);
  }
}

/** `npm pack` of each spec (one npm process), from npm's cache when it holds them: the tarballs, in order. */
function npmPack(specs: string[], dir: string, extra: string[] = []): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const r = run('npm', ['pack', ...specs, '--pack-destination', dir, '--prefer-offline', '--json', ...extra], { cwd: dir });
  const infos: Array<{ filename: string }> = JSON.parse(r.stdout);
  if (infos.length !== specs.length) throw new Error(`npm pack ${specs.join(' ')} made ${infos.length} tarballs`);
  return infos.map((info) => path.join(dir, info.filename));
}

function run(command: string, args: string[], options: { cwd?: string } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf-8', shell: false, timeout: 5 * 60 * 1000, maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error || r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  }
  return r;
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf-8'));
}
