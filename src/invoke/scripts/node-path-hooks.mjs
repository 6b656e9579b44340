// @ts-check
/**
 * cdk-vectordb-layer local invoker: ES module resolution through NODE_PATH,
 * as Lambda's Node.js 18 and later runtimes do it.
 *
 * Plain Node.js never searches NODE_PATH for `import`; Lambda's Node.js 18+
 * runtimes do, so an ES module handler's `import ... from '@lancedb/lancedb'`
 * finds the layer in /opt/nodejs/node_modules. This resolve hook does the same
 * and nothing more:
 * - only for bare specifiers (`pkg`, `@scope/pkg/sub`), never for relative,
 *   absolute or URL specifiers, `#imports` or builtins;
 * - only for imports (ESM resolution), not `require`, which already searches
 *   NODE_PATH;
 * - only after Node's own lookup failed because no `node_modules/<pkg>` folder
 *   exists above the importing file (a package that is there but broken keeps
 *   its own error);
 * - NODE_PATH entries in order; the first entry that holds a `<pkg>` folder
 *   resolves the specifier with Node's own ES resolver (the package's
 *   `exports` and `import` conditions, or its `main`), and its errors stand.
 *
 * Node's resolver looks for `<dir>/node_modules/<pkg>` from the parent's
 * folder up. For an entry `E` that ends in `node_modules`, a parent inside
 * `dirname(E)` makes the first candidate `E/<pkg>`; for any other entry (the
 * task root), the invoker gives a folder whose `node_modules` is a symlink to
 * `E` (`links`). Node resolves the result to its real path.
 *
 * Loaded by register-node-path.mjs: with `module.registerHooks` (synchronous,
 * Node >= 22.15 / 23.5) when it exists, else `module.register` (Node >= 20.6 /
 * 18.19), which calls `initialize` and the async `resolve`.
 */
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where to resolve from for each NODE_PATH entry, in order.
 * @type {{ dir: string, parentURL: string }[]}
 */
let bases = [];

/**
 * @typedef {{ nodePath?: string, links?: Record<string, string> }} HookData
 * `nodePath`: the NODE_PATH the process started with; `links`: per entry that
 * does not end in node_modules, a folder whose `node_modules` links to it.
 */

/**
 * Reads NODE_PATH (and the invoker's links) once, as Node reads NODE_PATH for
 * `require` once at startup.
 * @param {HookData} [data]
 */
export function initialize(data) {
  const links = data?.links ?? {};
  bases = [];
  for (const entry of (data?.nodePath ?? '').split(path.delimiter)) {
    if (entry === '') continue;
    const dir = path.resolve(entry);
    const linkParent = path.basename(dir) === 'node_modules' ? path.dirname(dir) : links[dir];
    if (linkParent === undefined) continue;
    bases.push({ dir, parentURL: pathToFileURL(path.join(linkParent, 'node-path-import.mjs')).href });
  }
}

/**
 * The package name of a bare specifier, or undefined for any other specifier.
 * @param {string} specifier
 */
export function bareName(specifier) {
  if (specifier === '' || specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return undefined;
  if (/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier) || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name.startsWith('@') && !name.includes('/') ? undefined : name;
}

/** @param {string} p */
function isDirectory(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Whether Node's own lookup could see the package: a `node_modules/<name>`
 * folder in the parent's folder or above.
 * @param {string} name
 * @param {string | undefined} parentURL
 */
function inNodeModules(name, parentURL) {
  if (parentURL === undefined || !parentURL.startsWith('file:')) return false;
  let dir = path.dirname(fileURLToPath(parentURL));
  for (;;) {
    if (isDirectory(path.join(dir, 'node_modules', name))) return true;
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

/**
 * The parent URL to resolve `specifier` from again when Node's own lookup
 * failed with `error`, or undefined when NODE_PATH does not apply.
 * @param {string} specifier
 * @param {{ parentURL?: string, conditions?: readonly string[] }} context
 * @param {unknown} error
 */
export function retryParent(specifier, context, error) {
  if (/** @type {NodeJS.ErrnoException} */ (error)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  if (context.conditions && !context.conditions.includes('import')) return undefined;
  const name = bareName(specifier);
  if (name === undefined || inNodeModules(name, context.parentURL)) return undefined;
  return bases.find((b) => isDirectory(path.join(b.dir, name)))?.parentURL;
}

/**
 * The `module.register` resolve hook.
 * @param {string} specifier
 * @param {{ parentURL?: string, conditions: string[] }} context
 * @param {(specifier: string, context?: object) => Promise<object>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const parentURL = retryParent(specifier, context, error);
    if (parentURL === undefined) throw error;
    return nextResolve(specifier, { ...context, parentURL });
  }
}

/**
 * The `module.registerHooks` resolve hook (synchronous).
 * @param {string} specifier
 * @param {{ parentURL?: string, conditions: string[] }} context
 * @param {(specifier: string, context?: object) => object} nextResolve
 */
export function resolveSync(specifier, context, nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    const parentURL = retryParent(specifier, context, error);
    if (parentURL === undefined) throw error;
    return nextResolve(specifier, { ...context, parentURL });
  }
}
