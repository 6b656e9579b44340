// @ts-check
/**
 * cdk-vectordb-layer local invoker: `node --import` entry that installs the
 * NODE_PATH resolve hook for ES modules (node-path-hooks.mjs), as Lambda's
 * Node.js 18+ runtimes resolve ES imports.
 *
 * `module.registerHooks` (Node >= 22.15 / 23.5: synchronous, in this thread)
 * when it exists; else `module.register` (Node >= 20.6 / 18.19: the hooks run
 * on a loader thread). Older Node.js has neither: the handler then resolves
 * ES imports as plain Node.js does, and says so on stderr.
 */
import * as module from 'node:module';
import { initialize, resolveSync } from './node-path-hooks.mjs';

const LINKS_ENV = '__CDK_VECTORDB_LAYER_NODE_PATH_LINKS';

/** @type {import('./node-path-hooks.mjs').HookData} */
const data = { nodePath: process.env.NODE_PATH ?? '', links: JSON.parse(process.env[LINKS_ENV] || '{}') };
delete process.env[LINKS_ENV];

/** @type {any} */
const api = module;
if (typeof api.registerHooks === 'function') {
  initialize(data);
  api.registerHooks({ resolve: resolveSync });
} else if (typeof api.register === 'function') {
  api.register('./node-path-hooks.mjs', import.meta.url, { data });
} else {
  process.stderr.write(`cdk-vectordb-layer: Node.js ${process.versions.node} has no module.register: ES imports do not search NODE_PATH here as they do on Lambda\n`);
}
