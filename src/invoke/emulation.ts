/**
 * A function built for another architecture than the host's (an arm64
 * function on an x86_64 host, or the other way) runs under qemu-user:
 *
 *   qemu-aarch64-static -L <sysroot> <arm64 node> <the invoker's node arguments>
 *
 * with the same layout, environment, NODE_PATH and isolation as a native run.
 * What it needs, found before anything runs (else one line naming what is
 * missing and the fix, code NO_EMULATION):
 * - qemu: `qemu-<cpu>-static`, else `qemu-<cpu>`, on PATH (no binfmt registration needed);
 * - the sysroot, the function architecture's libc, libgcc and libstdc++ that
 *   `qemu -L` resolves the loader and libraries in: `sysroot` (CLI --sysroot),
 *   else QEMU_LD_PREFIX, else Debian's cross folder (libc6-arm64-cross:
 *   /usr/aarch64-linux-gnu; libc6-amd64-cross: /usr/x86_64-linux-gnu);
 * - a Node.js build for the function's architecture: `node` (CLI --node),
 *   checked by its ELF machine, else the official build of the runtime's
 *   major from the npm registry (`npm pack node-linux-<cpu>@<major>` through
 *   the user's npm), fetched once into the layer cache's node/ folder and reused.
 * aws-lambda-ric's native client is built for the host, so the built-in
 * bootstrap runs the handler (local-invoke.ts says so).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ASKED_FLAGS, hostNodeMajor, NodeInfo, nodeMajorOf } from './environment';
import { FunctionInfo, HostPlatform, LocalInvokeError } from './types';
import { LayerArchitecture } from '../private/common/architecture';
import { onPath } from '../private/common/on-path';
import { cacheConfig } from '../private/layer/cache';
import { recipeElf } from '../private/layer/recipe';

/** Lambda's architectures. */
export type LambdaArch = LayerArchitecture;

/**
 * How much longer than Lambda's the timeouts are under emulation (the
 * function's Timeout and the 10 s init, when not given): qemu-user runs
 * LanceDB's native code several times slower (a layer load and search: 4-17 s).
 */
export const EMULATION_TIME_FACTOR = 10;

/** What differs per architecture. */
interface ArchFacts {
  /** qemu-user executables, in order of preference. */
  readonly qemu: readonly string[];
  /** The ELF loader the official Node.js build names, relative to the sysroot. */
  readonly loader: string;
  /** The GNU triplet (multiarch folder names). */
  readonly triplet: string;
  /** Debian's cross libc folder. */
  readonly crossDir: string;
  /** Debian's packages that fill it. */
  readonly crossPackages: string;
  /** The cpu in the npm package name of the official Node.js build (node-linux-<cpu>). */
  readonly npmCpu: string;
  /** ELF e_machine. */
  readonly machine: number;
}

const ARCHES: Record<LambdaArch, ArchFacts> = {
  arm64: {
    qemu: ['qemu-aarch64-static', 'qemu-aarch64'],
    loader: 'lib/ld-linux-aarch64.so.1',
    triplet: 'aarch64-linux-gnu',
    crossDir: '/usr/aarch64-linux-gnu',
    crossPackages: 'libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross',
    npmCpu: 'arm64',
    machine: recipeElf().MACHINE_BY_ARCHITECTURE.arm64,
  },
  x86_64: {
    qemu: ['qemu-x86_64-static', 'qemu-x86_64'],
    loader: 'lib64/ld-linux-x86-64.so.2',
    triplet: 'x86_64-linux-gnu',
    crossDir: '/usr/x86_64-linux-gnu',
    crossPackages: 'libc6-amd64-cross libstdc++6-amd64-cross libatomic1-amd64-cross',
    npmCpu: 'x64',
    machine: recipeElf().MACHINE_BY_ARCHITECTURE.x86_64,
  },
};

/** The libraries the official Node.js build needs besides the loader (libc6, libgcc-s1, libstdc++6). */
const NODE_LIBRARIES = ['libc.so.6', 'libgcc_s.so.1', 'libstdc++.so.6'];

/** What a run under emulation uses; the result's `emulation`. */
export interface EmulationInfo {
  /** The function's architecture. */
  readonly arch: LambdaArch;
  /** The host's architecture, in Lambda's words where it is one of them. */
  readonly hostArch: string;
  /** The qemu-user executable. */
  readonly qemu: string;
  /** The folder given to `qemu -L`. */
  readonly sysroot: string;
  /** Where the sysroot came from: `sysroot`, `QEMU_LD_PREFIX` or the Debian cross folder. */
  readonly sysrootFrom: string;
  /** The Node.js build that runs the handler (for the function's architecture). */
  readonly node: string;
  /** Where that build came from: `node`, the cache, or fetched now with npm. */
  readonly nodeFrom: string;
  /** How much the default timeouts are stretched. */
  readonly timeFactor: number;
}

/** A decided emulation: what it uses, the Node.js it runs, and its first line. */
export interface Emulation {
  readonly info: EmulationInfo;
  /** The Node.js for the function's architecture, as asked under qemu. */
  readonly node: NodeInfo;
  /** The line said first: that the function runs under emulation, with what. */
  readonly note: string;
  /** Why aws-lambda-ric cannot run here. */
  readonly ricWhy: string;
  /** `qemu -L <sysroot> <node> args...`. */
  command(args: readonly string[]): { file: string; args: string[] };
}

/** What decides an emulation. The host and environment default to this process's (tests give others). */
export interface EmulationRequest {
  readonly fn: FunctionInfo;
  /** The Node.js build to run (CLI --node). */
  readonly node?: string;
  /** The sysroot (CLI --sysroot). */
  readonly sysroot?: string;
  /** The host. @default this process's */
  readonly host?: HostPlatform;
  /** PATH, QEMU_LD_PREFIX and the layer cache's variables. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Debian's cross folder to look in. @default /usr/aarch64-linux-gnu or /usr/x86_64-linux-gnu */
  readonly crossDir?: string;
}

/** `process.arch` in Lambda's words (x64 -> x86_64), else as is. */
export function lambdaArchOf(nodeArch: string): string {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch;
}

/**
 * The emulation a function needs on this host, or undefined when it runs
 * natively. Throws a LocalInvokeError (NO_EMULATION), one line, when it
 * cannot run here: what is missing (qemu, the sysroot, the Node.js build)
 * and what to install or give.
 */
export function emulationFor(request: EmulationRequest): Emulation | undefined {
  const host = request.host ?? { arch: process.arch, platform: process.platform };
  const hostArch = lambdaArchOf(host.arch);
  const arch = request.fn.architecture;
  if (arch === hostArch) return undefined;
  const where = `${label(request.fn)} is ${arch} and this host is ${hostArch}`;
  const refuse = (why: string) => new LocalInvokeError(`${where}: ${why}`, 'NO_EMULATION');
  if (arch !== 'x86_64' && arch !== 'arm64') throw refuse('the local invoker runs x86_64 and arm64 functions only');
  if (host.platform !== 'linux') throw refuse(`qemu-user runs Linux executables on a Linux host only, this one is ${host.platform}; invoke it on a Linux ${arch} host, or a Linux host with qemu-user`);
  const facts = ARCHES[arch];
  const c: Context = { arch, facts, request, env: request.env ?? process.env, refuse, install: `apt-get install qemu-user-static ${facts.crossPackages}` };

  const qemu = facts.qemu.map((name) => onPath(name, { PATH: c.env.PATH ?? '' })).find((p) => p !== undefined);
  if (!qemu) throw refuse(`${facts.qemu.join(' or ')} is not on PATH to run it under emulation; install qemu-user and an ${arch} libc (Debian/Ubuntu: ${c.install})`);
  const sysroot = findSysroot(c);
  const node = nodeBuild(c);
  const missing = neededLibraries(node.path).filter((lib) => findLibrary(arch, sysroot.dir, lib) === undefined);
  if (missing.length > 0) {
    throw refuse(`the sysroot ${sysroot.dir} (${sysroot.from}) has no ${missing.join(', ')}, which ${node.path} needs; `
      + `install them (Debian/Ubuntu: ${c.install}) or give sysroot (CLI: --sysroot DIR) a folder that holds them`);
  }
  const info: EmulationInfo = {
    arch, hostArch, qemu, sysroot: sysroot.dir, sysrootFrom: sysroot.from, node: node.path, nodeFrom: node.from, timeFactor: EMULATION_TIME_FACTOR,
  };
  const asked = askNode(info, c);
  return {
    info,
    node: asked,
    note: emulationNote(request.fn, info, asked.version),
    ricWhy: `aws-lambda-ric's native client is built for this ${hostArch} host and the function runs under ${arch} emulation`,
    command: (args) => ({ file: qemu, args: ['-L', sysroot.dir, node.path, ...args] }),
  };
}

/** The first line of a run under emulation: the qemu, the sysroot and the Node.js build it uses. */
export function emulationNote(fn: FunctionInfo, info: EmulationInfo, nodeVersion: string): string {
  return `${label(fn)} is ${info.arch} and this host is ${info.hostArch}: it runs under emulation, ${info.qemu} -L ${info.sysroot} (${info.sysrootFrom}) `
    + `on Node.js ${nodeVersion} ${info.arch} (${info.node}, ${info.nodeFrom}); timeouts x${info.timeFactor}, and times are not Lambda's`;
}

/** What every step of the decision reads. */
interface Context {
  readonly arch: LambdaArch;
  readonly facts: ArchFacts;
  readonly request: EmulationRequest;
  readonly env: NodeJS.ProcessEnv;
  /** The one-line refusal: `<function> is <arch> and this host is <arch>: <why>`. */
  readonly refuse: (why: string) => Error;
  /** The apt-get line that installs qemu and the sysroot's libraries. */
  readonly install: string;
}

function label(fn: FunctionInfo): string {
  return `function ${fn.path ?? `${fn.stackId}/${fn.logicalId}`}`;
}

/**
 * The sysroot: given, else QEMU_LD_PREFIX, else Debian's cross folder when it
 * holds the loader; with the libraries the official Node.js build needs
 * (checked before any build is fetched).
 */
function findSysroot(c: Context): { dir: string; from: string } {
  const { arch, facts, request, env, refuse } = c;
  const install = `Debian/Ubuntu: apt-get install ${facts.crossPackages}`;
  // [value, as the message names it, as the first line names its origin]
  const given: Array<[string | undefined, string, string]> = [
    [request.sysroot, 'sysroot (CLI: --sysroot)', '--sysroot'],
    [env.QEMU_LD_PREFIX, 'QEMU_LD_PREFIX', 'QEMU_LD_PREFIX'],
  ];
  let found: { dir: string; from: string; name: string } | undefined;
  for (const [dir, name, from] of given) {
    if (dir === undefined || dir === '') continue;
    const abs = path.resolve(dir);
    if (!fs.existsSync(path.join(abs, facts.loader))) {
      throw refuse(`${name} is ${JSON.stringify(dir)}, which has no ${facts.loader}; give a folder that holds the ${arch} libc, libgcc and libstdc++ (${install}, then ${facts.crossDir})`);
    }
    found = { dir: abs, from, name: `${name} ${JSON.stringify(dir)}` };
    break;
  }
  const cross = request.crossDir ?? facts.crossDir;
  if (!found && fs.existsSync(path.join(cross, facts.loader))) found = { dir: cross, from: facts.crossPackages.split(' ')[0], name: `the cross libc folder ${cross}` };
  if (!found) {
    throw refuse(`no ${arch} sysroot for qemu: no sysroot (CLI: --sysroot DIR) given, QEMU_LD_PREFIX not set, and ${cross} has no ${facts.loader}; `
      + `install the ${arch} libc (${install}) or give sysroot (CLI: --sysroot DIR)`);
  }
  const missing = NODE_LIBRARIES.filter((lib) => findLibrary(arch, found.dir, lib) === undefined);
  if (missing.length > 0) {
    throw refuse(`${found.name} has no ${missing.join(', ')}, which Node.js needs (libc6, libgcc-s1, libstdc++6 for ${arch}); install them (${install}) or give sysroot (CLI: --sysroot DIR) a folder that holds them`);
  }
  return { dir: found.dir, from: found.from };
}

/** A library in the sysroot's folders where the loader looks (lib, usr/lib, their multiarch and lib64 folders). */
function findLibrary(arch: LambdaArch, sysroot: string, name: string): string | undefined {
  const triplet = ARCHES[arch].triplet;
  const dirs = ['lib', `lib/${triplet}`, 'usr/lib', `usr/lib/${triplet}`, 'lib64', 'usr/lib64'];
  return dirs.map((d) => path.join(sysroot, d, name)).find((f) => fs.existsSync(f));
}

/** The libraries an executable needs, loader aside; NODE_LIBRARIES when its ELF cannot be read. */
function neededLibraries(file: string): string[] {
  try {
    return recipeElf().readElf(file).neededLibraries.filter((l) => !l.startsWith('ld-linux'));
  } catch {
    return NODE_LIBRARIES;
  }
}

/** The ELF machine of a file, or why it has none. */
function machineOf(file: string): number | string {
  try {
    return recipeElf().readElf(file).machine;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The Node.js build: given (its ELF machine checked), else the cached or fetched official build of the runtime's major. */
function nodeBuild(c: Context): { path: string; from: string } {
  const { arch, facts, request, env, refuse } = c;
  const major = nodeMajorOf(request.fn.runtime) ?? hostNodeMajor();
  const spec = `node-linux-${facts.npmCpu}@${major}`;
  if (request.node !== undefined) {
    const file = path.resolve(request.node);
    if (!fs.existsSync(file)) throw refuse(`node (CLI: --node) is ${JSON.stringify(request.node)}, which does not exist; give an ${arch} Node.js build (\`npm pack ${spec}\` holds one in package/bin/node), or leave --node out to fetch that one`);
    const machine = machineOf(file);
    if (machine !== facts.machine) {
      const what = typeof machine === 'number' ? `it is for ${recipeElf().MACHINE_NAMES[machine] ?? `ELF machine ${machine}`}` : machine.replace(`${file} is `, '');
      throw refuse(`node (CLI: --node) is ${JSON.stringify(request.node)}, which is not an ${arch} executable (${what}); `
        + `give an ${arch} Node.js build (\`npm pack ${spec}\` holds one in package/bin/node), or leave --node out to fetch that one`);
    }
    return { path: file, from: 'given' };
  }
  const cache = cacheConfig(env);
  if (!cache.dir) throw refuse(`no ${arch} Node.js build is fetched because ${cache.off}; give node (CLI: --node PATH) an ${arch} Node.js build (\`npm pack ${spec}\` holds one in package/bin/node)`);
  const dest = path.join(cache.dir, 'node', `v${major}-${arch}`);
  const bin = path.join(dest, 'bin', 'node');
  if (fs.existsSync(bin) && machineOf(bin) === facts.machine) return { path: bin, from: 'cached' };
  fetchNode({ spec, cacheDir: cache.dir, dest, env, refuse, arch });
  return { path: bin, from: `fetched now: npm pack ${spec}` };
}

interface Fetch {
  readonly spec: string;
  readonly cacheDir: string;
  readonly dest: string;
  readonly arch: LambdaArch;
  readonly env: NodeJS.ProcessEnv;
  readonly refuse: (why: string) => Error;
}

/**
 * `npm pack <spec>` with the user's npm into the cache's tmp/, bin/node
 * extracted, then renamed into place (an entry is complete or absent; the
 * first of two processes to rename wins).
 */
function fetchNode(f: Fetch): void {
  const fix = `or give node (CLI: --node PATH) an ${f.arch} Node.js build`;
  const tmpRoot = path.join(f.cacheDir, 'tmp');
  fs.mkdirSync(tmpRoot, { recursive: true });
  fs.mkdirSync(path.dirname(f.dest), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(tmpRoot, `node-${path.basename(f.dest)}-`));
  try {
    const run = (file: string, args: string[]) => spawnSync(file, args, { cwd: tmp, env: f.env, encoding: 'utf-8', shell: false, windowsHide: true, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    const pack = run('npm', ['pack', f.spec, '--json', '--ignore-scripts', '--pack-destination', tmp]);
    if (pack.error || pack.status !== 0) {
      throw f.refuse(`no ${f.arch} Node.js build: \`npm pack ${f.spec}\` failed (${pack.error?.message ?? `exit ${pack.status}`}: ${lastLine(pack.stderr)}); fix npm's access to the registry, ${fix}`);
    }
    let packed: { filename: string; version: string };
    try {
      packed = (JSON.parse(pack.stdout) as Array<{ filename: string; version: string }>)[0];
    } catch {
      throw f.refuse(`no ${f.arch} Node.js build: \`npm pack ${f.spec}\` printed no JSON (${lastLine(pack.stdout)}); ${fix}`);
    }
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    const untar = run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', out, '--strip-components=1', '--no-same-owner', 'package/bin/node', 'package/LICENSE']);
    if (untar.error || untar.status !== 0) {
      throw f.refuse(`no ${f.arch} Node.js build: tar could not extract package/bin/node from ${packed.filename} (${untar.error?.message ?? `exit ${untar.status}`}: ${lastLine(untar.stderr)}); ${fix}`);
    }
    if (machineOf(path.join(out, 'bin', 'node')) !== ARCHES[f.arch].machine) throw f.refuse(`${f.spec} holds no ${f.arch} bin/node; ${fix}`);
    fs.writeFileSync(path.join(out, 'VERSION'), `v${packed.version}\n`);
    try {
      fs.renameSync(out, f.dest);
    } catch (e) {
      // Another process renamed its copy first: use that one.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !fs.existsSync(path.join(f.dest, 'bin', 'node'))) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function lastLine(text: string | undefined): string {
  const lines = (text ?? '').trim().split('\n').filter((l) => l.trim() !== '' && !/^npm (error|ERR!) (A complete log|\s*$)/.test(l));
  return (lines[lines.length - 1] ?? '').replace(/\s+/g, ' ').slice(0, 300);
}

/** The Node.js build asked, under qemu, for its version and the flags it knows (what nodeInfo asks a native one). */
function askNode(info: EmulationInfo, c: Context): NodeInfo {
  const script = `process.stdout.write(JSON.stringify({ version: process.versions.node, arch: process.arch, flags: ${JSON.stringify(ASKED_FLAGS)}.filter((f) => process.allowedNodeEnvironmentFlags.has(f)) }))`;
  const r = spawnSync(info.qemu, ['-L', info.sysroot, info.node, '-e', script], { encoding: 'utf-8', shell: false, windowsHide: true, timeout: 120_000, env: {} });
  let answer: { version?: unknown; arch?: unknown; flags?: unknown } = {};
  try {
    answer = JSON.parse(r.stdout);
  } catch {
    // refused below
  }
  if (r.error || r.status !== 0 || typeof answer.version !== 'string' || !Array.isArray(answer.flags)) {
    const why = r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`);
    throw c.refuse(`${info.qemu} -L ${info.sysroot} ${info.node} does not start Node.js (${why}: ${lastLine(r.stderr) || 'no output'}); `
      + `the sysroot needs the ${info.arch} libc6, libgcc-s1 and libstdc++6 (Debian/Ubuntu: ${c.install}), or give node (CLI: --node PATH) another ${info.arch} Node.js build`);
  }
  const flags = new Set(answer.flags.map(String));
  return { path: info.node, version: answer.version, major: Number(answer.version.split('.')[0]), knows: (f) => flags.has(f) };
}
