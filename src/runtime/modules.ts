/**
 * Loading the SDK (from the layer) and the AWS SDK (from the Lambda runtime)
 * at run time, from any bundle.
 *
 * This file has no static imports: esbuild turns a `require` in an ES module
 * bundle into a shim that throws `Dynamic require of "..." is not supported`
 * (and `typeof require` is "function" there all the same). So Node's `module`
 * API comes from `process.getBuiltinModule` (Node >= 20.16 / 22.3), else from
 * `require` where it really exists (CommonJS: a CommonJS bundle, or this file
 * unbundled), else from `import('node:module')` (an ES module bundle on an
 * older Node.js, nodejs18.x included). With it, `createRequire(<task root>/)`
 * resolves a package as the function's own `require` would: node_modules
 * from the task root up, then NODE_PATH, where Lambda puts
 * /opt/nodejs/node_modules (the layer) and /var/runtime/node_modules (the
 * AWS SDK).
 */
import { SDKS } from './settings';

/** The part of Node's `module` API used here. */
interface ModuleApi {
  createRequire(filename: string): NodeJS.Require;
}

/** Loads a module by name (the default, or a test's stand-in). */
export type ModuleLoader = (moduleName: string) => unknown;

/** `module` without waiting, or undefined in an ES module bundle on Node.js < 20.16 / 22.3. */
function moduleApiSync(): ModuleApi | undefined {
  const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltinModule === 'function') return getBuiltinModule('node:module') as ModuleApi;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node:module') as ModuleApi;
  } catch {
    return undefined; // esbuild's require shim in an ES module bundle
  }
}

async function moduleApi(): Promise<ModuleApi> {
  return moduleApiSync() ?? (await import('node:module'));
}

/** The folder packages resolve from: the task root on Lambda (/var/task), else the working folder. */
export function resolveBase(): string {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  return root.endsWith('/') ? root : `${root}/`;
}

/** A require that resolves from the task root, then NODE_PATH. */
export async function taskRequire(): Promise<NodeJS.Require> {
  return (await moduleApi()).createRequire(resolveBase());
}

/** The default loader: `require` from the task root. */
export async function defaultLoader(): Promise<ModuleLoader> {
  const req = await taskRequire();
  return (name) => req(name);
}

/**
 * The SDK the function can load, without waiting: the first of `vectordb`,
 * `@lancedb/lancedb` that resolves. Undefined when neither resolves, or when
 * this cannot be known without waiting (an ES module bundle on Node.js < 20.16).
 */
export function detectSdkSync(): string | undefined {
  const api = moduleApiSync();
  return api ? firstResolvable(api.createRequire(resolveBase())) : undefined;
}

/** The SDK the function can load: the first of `vectordb`, `@lancedb/lancedb` (that `which` accepts) that resolves. */
export async function detectSdk(which: (name: string) => boolean = () => true): Promise<string | undefined> {
  return firstResolvable(await taskRequire(), which);
}

function firstResolvable(req: NodeJS.Require, which: (name: string) => boolean = () => true): string | undefined {
  return SDKS.filter(which).find((name) => {
    try {
      req.resolve(name);
      return true;
    } catch {
      return false;
    }
  });
}

/** Where the SDK was looked for, for messages. */
function searched(): string {
  const nodePath = process.env.NODE_PATH;
  return `from ${resolveBase()} and NODE_PATH ${nodePath ? JSON.stringify(nodePath) : '(not set)'}`;
}

/**
 * Why `sdk` did not load, and what fixes it: the layer is not attached (or
 * holds the other SDK), the function is not on Lambda, or the native binary
 * cannot load here.
 */
export function loadFailure(sdk: string, error: unknown, other: string | undefined): string {
  const e = error as NodeJS.ErrnoException;
  const message = String(e?.message ?? error).split('\n')[0];
  if (e?.code === 'MODULE_NOT_FOUND' && message.includes(`'${sdk}'`)) {
    const onLambda = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
    if (other) {
      return `cannot load ${sdk}: it is not installed ${searched()}, but ${other} is: the function's layer holds ${other}. Set VECTORDB_SDK to ${other} (VectorDbFunction sets it from its layer), or attach a VectorDbLayer with sdk ${sdk}`;
    }
    const where = onLambda
      ? 'the function has no VectorDbLayer (a layer puts it in /opt/nodejs/node_modules, on NODE_PATH): attach one (VectorDbFunction does), or give VectorDbFunction the layer'
      : 'outside Lambda the layer is not there: run the function with `cdk-vectordb-layer invoke` (it lays out the layers as Lambda does), or install the SDK where it runs';
    return `cannot load ${sdk}: it is not installed ${searched()}; ${where}`;
  }
  if (/GLIBC_|ELF|wrong ELF class|cannot open shared object|invalid ELF header|\.node/.test(message)) {
    return `cannot load ${sdk}: its native binary does not load here (${message}); the layer's architecture and glibc must match the function's (VectorDbFunction checks both at synth)`;
  }
  return `cannot load ${sdk}: ${message}`;
}
