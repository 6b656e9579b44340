// @ts-check
'use strict';
/**
 * cdk-vectordb-layer local invoker: starts the runtime in the task root, as
 * Lambda starts it in /var/task. Loaded first with `node --require`.
 *
 * Inside the invoker's mount namespace the process starts in the namespace's
 * `/` (nsenter is not given a working folder: one it opened before entering
 * would stay on the host's writable mount, and writes relative to it would
 * escape the read-only one). Resolving the path here, inside, lands on the
 * namespace's read-only mount.
 */
const { isMainThread } = require('worker_threads');

// Preloads also run in module.register's loader thread (Node.js 20), where chdir is not allowed.
const root = process.env.LAMBDA_TASK_ROOT;
if (root && isMainThread) process.chdir(root);
