/**
 * Container mode: the same execution environment in a Linux container, for a
 * host that cannot load the function's Linux binaries (macOS, Windows) or
 * when asked (`container: true`, CLI --container):
 *
 *   <engine> run --rm --name <generated> --platform linux/<amd64|arm64> --read-only
 *     --network host                              (Linux; elsewhere the engine's host alias)
 *     --tmpfs /tmp:rw,exec,mode=1777              (the environment's own, empty /tmp)
 *     -v <task>:/var/task:ro -v <opt>:/opt:ro -v <layout>:/var/cdk-vectordb-layer:ro
 *     -v <shared>:<shared>                        (each shared folder, writable)
 *     -u <uid>:<gid> -w /var/task -e K=V ...      (Lambda's variables)
 *     --entrypoint <node in the image> <image> <the invoker's node arguments>
 *
 * The engine is `CDK_DOCKER`, else docker, else podman (the first that
 * answers); the image is the runtime's Lambda base image
 * (public.ecr.aws/lambda/nodejs:<major>, whose node is /var/lang/bin/node and
 * whose /var/runtime holds the runtime's own modules) unless `image` names
 * another with a `node` on its PATH. The function's architecture is the
 * container's platform: another architecture runs through the engine's
 * emulation (binfmt on Linux, Docker Desktop's or podman machine's on macOS).
 * The Runtime API stays on the host's 127.0.0.1: on Linux the container shares
 * the host's network; on macOS and Windows it reaches the host as
 * host.docker.internal (docker) or host.containers.internal (podman), which
 * Docker Desktop and podman machine forward to the host's loopback.
 * Only argument vectors: no value reaches a shell.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { EMULATION_TIME_FACTOR, lambdaArchOf } from './emulation';
import { ASKED_FLAGS, hostNodeMajor, NodeInfo, nodeMajorOf } from './environment';
import { Layout } from './layout';
import { FunctionInfo, HostPlatform, LocalInvokeError } from './types';
import { anyEngine, EngineProbe } from '../private/common/container-engine';
import { isImageReference } from '../private/layer/docker';

/** Where the layout is mounted in the container. */
export const CONTAINER_LAYOUT: Layout = {
  root: '/var/cdk-vectordb-layer',
  task: '/var/task',
  opt: '/opt',
  tmp: '/tmp',
  runtime: '/var/cdk-vectordb-layer/runtime',
};

/**
 * LD_LIBRARY_PATH as Lambda's Node.js images set it: the image's own
 * libraries (/var/lang/lib) first, then the task's and the layers'.
 */
export const CONTAINER_LD_LIBRARY_PATH = '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib';

/** The invoker's own LD_LIBRARY_PATH for a run on the host, as the container's paths give it. */
const HOST_LD_LIBRARY_PATH = '/var/task:/var/task/lib:/opt/lib';

/** Lambda's runtime folder in the container (the base image's: its modules are on NODE_PATH, as on Lambda). */
export const CONTAINER_RUNTIME_DIR = '/var/runtime';

/** What a run in a container used; the result's `container`. */
export interface ContainerInfo {
  /** The engine's executable. */
  readonly engine: string;
  /** Its server's version. */
  readonly engineVersion: string;
  readonly image: string;
  /** `linux/amd64` or `linux/arm64`. */
  readonly platform: string;
  /** The image's node. */
  readonly node: string;
  /** `host` (the host's network) or the host alias the container reaches the Runtime API by. */
  readonly network: string;
  /** Why the run is in a container: asked, or this host cannot load the function's Linux binaries. */
  readonly why: string;
  /** How much the default timeouts are stretched (the engine's emulation of another architecture). */
  readonly timeFactor: number;
}

/** An engine executable and its arguments. */
export interface EngineCommand {
  readonly file: string;
  readonly args: string[];
}

/** A decided container run. */
export interface ContainerPlan {
  readonly info: ContainerInfo;
  /** The image's Node.js, as asked in a container. */
  readonly node: NodeInfo;
  /** The first line: that it runs in a container, why, and with what. */
  readonly note: string;
  /** The Runtime API's address as the container reaches it, for a server on the host's `127.0.0.1:<port>`. */
  runtimeApi(hostAddress: string): string;
  /** The engine command that runs `node args` with `env` in the container over the layout. */
  command(layout: Layout, args: readonly string[], env: Readonly<Record<string, string>>, sharedDirs: readonly string[]): EngineCommand;
  /** Removes the container (after a timeout killed the engine's client), if it is still there. */
  remove(): void;
}

/** What decides a container run. The host and the engine lookup default to this process's (tests give others). */
export interface ContainerRequest {
  readonly fn: FunctionInfo;
  /** true: in a container; false: never; undefined: where the host cannot load Linux binaries. */
  readonly container?: boolean;
  /** Another image (it implies `container`). */
  readonly image?: string;
  /** The host. @default this process's */
  readonly host?: HostPlatform;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Finds an engine that answers. @default CDK_DOCKER, else docker, else podman */
  readonly engine?: (env: NodeJS.ProcessEnv) => EngineProbe;
}

const DOCKER_PLATFORM: Record<string, string> = { x86_64: 'linux/amd64', arm64: 'linux/arm64' };

/** `function <construct path>`, as the other first lines name it. */
function fnName(fn: FunctionInfo): string {
  return `function ${fn.path ?? `${fn.stackId}/${fn.logicalId}`}`;
}

/** The Lambda base image of a runtime. */
export function lambdaBaseImage(fn: FunctionInfo): string {
  return `public.ecr.aws/lambda/nodejs:${nodeMajorOf(fn.runtime) ?? hostNodeMajor()}`;
}

/** The line a Linux function gets on a host that is not Linux and runs it natively (container: false). */
export function osMismatchWarning(fn: FunctionInfo, platform: string): string | undefined {
  if (platform === 'linux') return undefined;
  return `${fnName(fn)} runs on Linux on Lambda and this host is ${platform}: its layers' Linux binaries (LanceDB's native module) do not load here; run it in a container (container: true, CLI --container) with Docker or podman, or on a Linux host`;
}

/**
 * The container run a function gets on this host, or undefined when it runs
 * natively. Throws a LocalInvokeError (NO_CONTAINER_ENGINE) when it must run
 * in a container and no engine answers, naming both ways out.
 */
export function containerFor(request: ContainerRequest): ContainerPlan | undefined {
  const host = request.host ?? { platform: process.platform, arch: process.arch };
  const asked = request.container === true || (request.image !== undefined && request.container !== false);
  if (request.container === false && request.image !== undefined) {
    throw new LocalInvokeError('image is set but container is false: the image runs only in a container; remove one of them', 'BAD_INPUT');
  }
  if (!asked && (request.container === false || host.platform === 'linux')) return undefined;
  if (request.image !== undefined && !isImageReference(request.image)) {
    throw new LocalInvokeError(`image (CLI: --image) must be an image reference such as public.ecr.aws/lambda/nodejs:22 ([registry/]name[:tag][@digest], lower-case name), got ${JSON.stringify(String(request.image).slice(0, 200))}`, 'BAD_INPUT');
  }
  const fn = request.fn;
  const platform = DOCKER_PLATFORM[fn.architecture];
  if (!platform) throw new LocalInvokeError(`${fnName(fn)} is ${fn.architecture}; the local invoker runs x86_64 and arm64 functions only`, 'UNSUPPORTED');
  const env = request.env ?? process.env;
  const why = asked
    ? `${fnName(fn)}: ${request.container === true ? 'container (CLI --container)' : 'image (CLI --image)'} is set`
    : `${fnName(fn)} runs on Linux on Lambda and this host is ${host.platform}, where its Linux binaries do not load`;
  const engine = (request.engine ?? anyEngine)(env);
  if (engine.version === undefined || engine.executable === undefined) {
    const ways = asked
      ? 'install Docker or podman and start it'
      : 'install Docker or podman and start it, and the function runs in a Linux container; or invoke it on a Linux host';
    throw new LocalInvokeError(`${why}, so it must run in a Linux container, but no Docker-compatible engine answers (${engine.why}); ${ways}`, 'NO_CONTAINER_ENGINE');
  }
  const image = request.image ?? lambdaBaseImage(fn);
  const linux = host.platform === 'linux';
  const alias = /podman/.test(path.basename(engine.executable)) ? 'host.containers.internal' : 'host.docker.internal';
  const hostArch = lambdaArchOf(host.arch);
  const emulated = fn.architecture !== hostArch;
  const node = askImageNode({ engine: engine.executable, image, platform, env, fn });
  const info: ContainerInfo = {
    engine: engine.executable,
    engineVersion: engine.version,
    image,
    platform,
    node: node.path,
    network: linux ? 'host' : alias,
    why,
    timeFactor: emulated ? EMULATION_TIME_FACTOR : 1,
  };
  const name = `cdk-vectordb-layer-invoke-${process.pid}-${randomBytes(4).toString('hex')}`;
  return {
    info,
    node,
    note: `${why}: it runs in a Linux container, ${path.basename(engine.executable)} ${engine.version} with ${image} (${platform}${emulated ? `, through the engine's emulation on this ${hostArch} host; timeouts x${EMULATION_TIME_FACTOR}` : ''}) `
      + `on Node.js ${node.version} (${node.path}); task and layers read-only at /var/task and /opt, its own /tmp`,
    runtimeApi: (hostAddress) => (linux ? hostAddress : `${alias}:${hostAddress.slice(hostAddress.lastIndexOf(':') + 1)}`),
    command: (layout, args, childEnv, sharedDirs) => ({
      file: engine.executable!,
      args: runArgs({ name, platform, network: linux ? ['--network', 'host'] : [], layout, sharedDirs, env: childEnv, node: node.path, image, args }),
    }),
    remove: () => {
      spawnSync(engine.executable!, ['rm', '--force', name], { env, stdio: 'ignore', shell: false, windowsHide: true, timeout: 30_000 });
    },
  };
}

interface RunArgs {
  readonly name: string;
  readonly platform: string;
  readonly network: readonly string[];
  readonly layout: Layout;
  readonly sharedDirs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly node: string;
  readonly image: string;
  readonly args: readonly string[];
}

/** A bind mount's `-v` value; a host path with a ':' (other than a Windows drive's) or a ',' cannot be given to the engine. */
function volume(hostPath: string, containerPath: string, readOnly: boolean): string {
  const rest = /^[A-Za-z]:[\\/]/.test(hostPath) ? hostPath.slice(2) : hostPath;
  if (rest.includes(':') || hostPath.includes(',')) {
    throw new LocalInvokeError(`the folder ${hostPath} holds a ':' or ',' and cannot be mounted into the container; give a work folder (CLI: --work-dir) or shared folder without one`, 'BAD_INPUT');
  }
  return `${hostPath}:${containerPath}${readOnly ? ':ro' : ''}`;
}

/** `run` and its options, then the image and node's arguments. */
function runArgs(r: RunArgs): string[] {
  const user = os.userInfo();
  return [
    'run', '--rm', '--name', r.name,
    '--platform', r.platform,
    '--read-only',
    ...r.network,
    '--tmpfs', '/tmp:rw,exec,mode=1777',
    '-v', volume(r.layout.task, CONTAINER_LAYOUT.task, true),
    '-v', volume(r.layout.opt, CONTAINER_LAYOUT.opt, true),
    '-v', volume(r.layout.root, CONTAINER_LAYOUT.root, true),
    ...r.sharedDirs.flatMap((d) => ['-v', volume(d, d, false)]),
    ...(user.uid >= 0 ? ['--user', `${user.uid}:${user.gid}`] : []),
    '-w', CONTAINER_LAYOUT.task,
    // Lambda's LD_LIBRARY_PATH, unless the function sets its own.
    ...Object.entries({ ...r.env, ...(r.env.LD_LIBRARY_PATH === HOST_LD_LIBRARY_PATH ? { LD_LIBRARY_PATH: CONTAINER_LD_LIBRARY_PATH } : {}) })
      .flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    '--entrypoint', r.node,
    r.image,
    ...r.args,
  ];
}

interface AskImage {
  readonly engine: string;
  readonly image: string;
  readonly platform: string;
  readonly env: NodeJS.ProcessEnv;
  readonly fn: FunctionInfo;
}

/** The image's node (the first `node` on its PATH), asked in a container for its path, version and the flags it knows. */
function askImageNode(a: AskImage): NodeInfo {
  const script = `process.stdout.write(JSON.stringify({ path: process.execPath, version: process.versions.node, flags: ${JSON.stringify(ASKED_FLAGS)}.filter((f) => process.allowedNodeEnvironmentFlags.has(f)) }))`;
  const args = ['run', '--rm', '--platform', a.platform, '--network', 'none', '--entrypoint', 'node', a.image, '-e', script];
  const r = spawnSync(a.engine, args, { env: a.env, encoding: 'utf-8', shell: false, windowsHide: true, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  let answer: { path?: unknown; version?: unknown; flags?: unknown } = {};
  try {
    answer = JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '');
  } catch {
    // refused below
  }
  if (r.error || r.status !== 0 || typeof answer.path !== 'string' || typeof answer.version !== 'string' || !Array.isArray(answer.flags)) {
    const said = (r.error?.message ?? `${r.stderr ?? ''}`).trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? `exit ${r.status}`;
    throw new LocalInvokeError(`${fnName(a.fn)}: the image ${a.image} does not run node on ${a.platform} with ${path.basename(a.engine)} (\`${path.basename(a.engine)} run --platform ${a.platform} --entrypoint node ${a.image}\`: ${said.slice(0, 300)}); `
      + `pull it (${path.basename(a.engine)} pull --platform ${a.platform} ${a.image}), let the engine run ${a.platform} (emulation), or give image (CLI: --image) one with node on its PATH`, 'NO_CONTAINER_IMAGE');
  }
  const flags = new Set(answer.flags.map(String));
  return { path: answer.path, version: answer.version, major: Number(answer.version.split('.')[0]), knows: (f) => flags.has(f) };
}
