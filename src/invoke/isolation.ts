/**
 * Lambda's /tmp for the child: a private mount namespace in which /tmp is the
 * execution environment's own empty folder and the rest of the host is
 * read-only, for native code as much as for JavaScript.
 *
 * With util-linux, and only argv spawns (no shell):
 *   unshare --user --map-root-user --mount --propagation private sleep infinity   (the holder, pid P)
 *   nsenter --target P --user --mount --preserve-credentials -- mount --bind <env>/tmp /tmp
 *   nsenter ... -- mount --bind <shared> <shared>             (each shared folder, writable)
 *   nsenter ... -- mount -o remount,bind,ro <mount point>     (of / and of the layout)
 *   nsenter ... -- <node> --require task-root.cjs ...          (the child; it changes to its task root itself)
 * and the holder is killed after the child. As root, `--user --map-root-user`
 * is dropped when user namespaces are off. Where none of this is possible
 * (not Linux, no util-linux, no namespaces, a folder the child needs under
 * /tmp), `none` says why: TMPDIR is then the environment's own folder, but a
 * literal /tmp is the host's.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { IsolationInfo, IsolationMode, LocalInvokeError } from './types';

/** What the child needs to see, and may write. */
export interface IsolationRequest {
  readonly mode: IsolationMode;
  /** The environment's tmp/ folder: the child's /tmp. */
  readonly tmp: string;
  /** Folders the child may write that every environment shares (EFS-like). */
  readonly shared: readonly string[];
  /** The layout's root: read-only for the child. */
  readonly layoutRoot: string;
  /** Files and folders the child must reach (node, the runtime client): none may be under /tmp. */
  readonly needed: readonly string[];
}

/** A set-up isolation: how to run a command inside it, and its end. */
export interface Isolation {
  readonly info: IsolationInfo;
  /** The command that runs `file args` inside the namespace (or as is, when not isolated); it starts in the namespace's `/`. */
  command(file: string, args: readonly string[]): { file: string; args: string[] };
  /** Ends the namespace (kills its holder). */
  close(): void;
}

const TOOLS = ['unshare', 'nsenter', 'mount'];
/** How long the holder may take to enter its namespaces. */
const READY_TIMEOUT_MS = 5000;

/** Sets up the isolation the request asks for; `auto` falls back to `none` with the reason. */
export async function isolate(request: IsolationRequest): Promise<Isolation> {
  if (request.mode === 'none') return notIsolated(request, 'isolation is off (isolation: none)');
  const started = performance.now();
  const why = cannotIsolate(request);
  if (why === undefined) {
    const made = await namespace(request);
    if (made.isolation) return made.isolation.withSetup(performance.now() - started);
    if (request.mode === 'namespace') throw new LocalInvokeError(`isolation is namespace but ${made.why}`, 'NO_ISOLATION');
    return notIsolated(request, made.why);
  }
  if (request.mode === 'namespace') throw new LocalInvokeError(`isolation is namespace but ${why}`, 'NO_ISOLATION');
  return notIsolated(request, why);
}

/** The warning for a run that is not isolated: said first, before any output of the function. */
export function notIsolatedWarning(info: IsolationInfo): string | undefined {
  if (info.mode !== 'none') return undefined;
  return `/tmp is not isolated here: ${info.reason}. The handler's TMPDIR is its own folder (${info.tmpdir}), but a literal /tmp is the host's /tmp, shared with every invoke, function and app, and native code can write outside it (on Lambda each execution environment has its own empty /tmp and nothing else is writable)`;
}

function notIsolated(request: IsolationRequest, reason: string): Isolation {
  return {
    info: { mode: 'none', reason, tmpdir: request.tmp, setupMs: 0 },
    command: (file, args) => ({ file, args: [...args] }),
    close: () => undefined,
  };
}

/** Why the host cannot isolate, checked without starting anything; undefined when it may. */
function cannotIsolate(request: IsolationRequest): string | undefined {
  if (process.platform !== 'linux') return `mount namespaces need Linux, this host is ${process.platform}`;
  const missing = TOOLS.filter((t) => which(t) === undefined);
  if (missing.length > 0) return `${missing.join(', ')} not found on PATH (util-linux)`;
  const underTmp = (p: string) => p === '/tmp' || p.startsWith('/tmp/');
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  if (underTmp(real(request.layoutRoot))) return `the work folder ${path.dirname(request.layoutRoot)} is under /tmp, which the handler's own /tmp would hide; give a workDir (CLI: --work-dir) outside /tmp`;
  const sharedInTmp = request.shared.find((d) => underTmp(real(d)));
  if (sharedInTmp) return `the shared folder ${sharedInTmp} is under /tmp (Lambda never shares /tmp); give one outside /tmp`;
  const neededInTmp = request.needed.find((d) => underTmp(real(d)));
  if (neededInTmp) return `${neededInTmp}, which the child needs, is under /tmp, which the handler's own /tmp would hide`;
  return undefined;
}

/** The executable's path on PATH, or undefined. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/bin', '/usr/sbin', '/sbin'])) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Made {
  readonly isolation?: { withSetup(ms: number): Isolation };
  readonly why: string;
}

/** Starts the holder (with a user namespace, else as root without), then mounts. */
async function namespace(request: IsolationRequest): Promise<Made> {
  const attempts: Array<{ userns: boolean }> = [{ userns: true }];
  if (process.getuid?.() === 0) attempts.push({ userns: false });
  const failures: string[] = [];
  for (const { userns } of attempts) {
    const holder = await startHolder(userns);
    if (typeof holder === 'string') {
      failures.push(holder);
      continue;
    }
    const enter = ['--target', String(holder.pid), ...(userns ? ['--user', '--preserve-credentials'] : []), '--mount'];
    const mounted = mountAll(enter, request);
    if (mounted !== undefined) {
      holder.kill('SIGKILL');
      return { why: mounted };
    }
    return {
      why: '',
      isolation: {
        withSetup: (setupMs) => ({
          info: { mode: 'namespace', tmpdir: '/tmp', setupMs: Math.round(setupMs * 100) / 100 },
          // No --wd: a folder nsenter opens before entering stays on the host's writable mount
          // (relative writes would escape); the child changes to its task root itself (scripts/task-root.cjs).
          command: (file, args) => ({ file: which('nsenter')!, args: [...enter, '--', file, ...args] }),
          close: () => {
            holder.kill('SIGKILL');
          },
        }),
      },
    };
  }
  return { why: `no mount namespace could be made (${failures.join('; ')})` };
}

/**
 * Starts `unshare ... sleep infinity` and waits until it is in its own mount
 * namespace; the process, or why it failed.
 */
async function startHolder(userns: boolean): Promise<ChildProcess | string> {
  const args = [...(userns ? ['--user', '--map-root-user'] : []), '--mount', '--propagation', 'private', 'sleep', 'infinity'];
  const holder = spawn(which('unshare')!, args, { stdio: ['ignore', 'ignore', 'pipe'], shell: false, windowsHide: true });
  let stderr = '';
  holder.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf-8');
  });
  let exited = false;
  holder.once('exit', () => {
    exited = true;
  });
  holder.once('error', () => {
    exited = true;
  });
  const ours = fs.readlinkSync('/proc/self/ns/mnt');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!exited && Date.now() < deadline) {
    try {
      if (holder.pid !== undefined && fs.readlinkSync(`/proc/${holder.pid}/ns/mnt`) !== ours) return holder;
    } catch {
      // not started yet, or gone
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  holder.kill('SIGKILL');
  const what = `unshare ${args.slice(0, -2).join(' ')}`;
  return exited ? `${what}: ${stderr.trim() || 'exited'}` : `${what}: no namespace after ${READY_TIMEOUT_MS} ms`;
}

/**
 * The mounts, in order: tmp/ over /tmp, each shared folder on itself
 * (writable), then the mount points of / and of the layout read-only. Why
 * one failed, or undefined.
 */
function mountAll(enter: readonly string[], request: IsolationRequest): string | undefined {
  const steps: string[][] = [['--bind', request.tmp, '/tmp']];
  for (const dir of request.shared) steps.push(['--bind', dir, dir]);
  for (const point of new Set(['/', mountPointOf(request.layoutRoot)])) steps.push(['-o', 'remount,bind,ro', point]);
  for (const step of steps) {
    const r = spawnSync(which('nsenter')!, [...enter, '--', 'mount', ...step], { encoding: 'utf-8', shell: false, windowsHide: true });
    if (r.error || r.status !== 0) return `mount ${step.join(' ')} failed: ${(r.error?.message ?? r.stderr).trim() || `exit ${r.status}`}`;
  }
  return undefined;
}

/** The mount point of the file system that holds `p` (the deepest ancestor on the same device). */
function mountPointOf(p: string): string {
  let dir = fs.realpathSync(p);
  const dev = fs.statSync(dir).dev;
  while (dir !== '/' && fs.statSync(path.dirname(dir)).dev === dev) dir = path.dirname(dir);
  return dir;
}
