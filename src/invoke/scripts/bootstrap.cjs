// @ts-check
'use strict';
/**
 * cdk-vectordb-layer local invoker: a minimal Lambda Node.js runtime, run when
 * aws-lambda-ric cannot be found or loaded (or cannot run the handler).
 *
 * The Runtime API loop (next, response, error, init error) and Lambda's
 * handler loading (`dir/file.export` from LAMBDA_TASK_ROOT, then `.js`, `.mjs`,
 * `.cjs`, then a module name resolved from the task root), with errors shaped
 * as the Node.js runtime reports them.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');
const { pathToFileURL } = require('url');

const API = String(process.env.AWS_LAMBDA_RUNTIME_API);
const HOST = API.slice(0, API.lastIndexOf(':'));
const PORT = Number(API.slice(API.lastIndexOf(':') + 1));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One Runtime API request.
 * @param {string} method
 * @param {string} urlPath below /2018-06-01
 * @param {string} [body]
 * @param {Record<string, string>} [headers]
 * @returns {Promise<{ status?: number, headers: import('http').IncomingHttpHeaders, body: string }>}
 */
function call(method, urlPath, body, headers) {
  const sent = { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: `/2018-06-01${urlPath}`, agent, headers: sent }, (res) => {
      let data = '';
      res.setEncoding('utf-8');
      res.on('data', (c) => {
        data += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The error with Lambda's error type as its name.
 * @param {string} name
 * @param {unknown} error
 */
function named(name, error) {
  const e = error instanceof Error ? error : new Error(String(error));
  const wrapped = new Error(e.message);
  wrapped.name = name;
  wrapped.stack = `${name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1).join('\n')}` : ''}`;
  return wrapped;
}

/** @param {unknown} error */
function formatError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack ? error.stack.split('\n') : [] };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/**
 * `dir/file.export` split as Lambda splits it.
 * @param {string} full
 */
function parseHandler(full) {
  if (full.includes('..')) {
    throw named('Runtime.MalformedHandlerName', new Error(`'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`));
  }
  const base = path.basename(full);
  const moduleRoot = full.substring(0, full.indexOf(base)).replace(/\/$/, '');
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (!match) throw named('Runtime.MalformedHandlerName', new Error('Bad handler'));
  return { moduleRoot, moduleName: match[1], handlerName: match[2] };
}

/**
 * The handler's module: the first of `<name>`, `.js`, `.mjs`, `.cjs` that is a
 * file (imported, so ES modules and CommonJS both load), else a module name
 * resolved from the task root.
 * @param {string} taskRoot
 * @param {string} moduleRoot
 * @param {string} moduleName
 * @returns {Promise<unknown>}
 */
async function loadModule(taskRoot, moduleRoot, moduleName) {
  const withoutExt = path.resolve(taskRoot, moduleRoot, moduleName);
  try {
    for (const ext of ['', '.js', '.mjs', '.cjs']) {
      const file = withoutExt + ext;
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return await import(pathToFileURL(file).href);
    }
    return require(require.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] }));
  } catch (e) {
    if (e instanceof SyntaxError) throw named('Runtime.UserCodeSyntaxError', e);
    const code = /** @type {NodeJS.ErrnoException} */ (e)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw named('Runtime.ImportModuleError', e);
    throw e;
  }
}

/** @returns {Promise<Function>} */
async function loadHandler() {
  const full = String(process.env._HANDLER);
  const { moduleRoot, moduleName, handlerName } = parseHandler(full);
  const mod = await loadModule(String(process.env.LAMBDA_TASK_ROOT), moduleRoot, moduleName);
  /** @param {unknown} m */
  const find = (m) => handlerName.split('.').reduce((/** @type {any} */ o, k) => (o && (typeof o === 'object' || typeof o === 'function') ? o[k] : undefined), m);
  let handler = find(mod);
  if (!handler && mod && typeof mod === 'object' && 'default' in mod) handler = find(mod.default);
  if (!handler) throw named('Runtime.HandlerNotFound', new Error(`${full} is undefined or not exported`));
  if (typeof handler !== 'function') throw named('Runtime.HandlerNotFound', new Error(`${full} is not a function`));
  return handler;
}

/**
 * Runs the handler once: a promise, a value, or a callback (handlers with three parameters).
 * @param {Function} handler
 * @param {unknown} event
 * @param {object} context
 */
function invokeHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    /** @param {unknown} err @param {unknown} [value] */
    const done = (err, value) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(value);
    };
    try {
      const out = handler(event, context, done);
      if (out && typeof out.then === 'function') out.then((/** @type {unknown} */ v) => done(null, v), (/** @type {unknown} */ e) => done(e ?? new Error(String(e))));
      else if (handler.length < 3) done(null, out);
    } catch (e) {
      done(e);
    }
  });
}

/**
 * The context object of one invocation, from the headers of GET /next.
 * @param {import('http').IncomingHttpHeaders} headers
 */
function contextOf(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

/** @param {string} body */
function parseEvent(body) {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/**
 * Takes one event, runs the handler, posts its response or error.
 * @param {Function} handler
 */
async function iteration(handler) {
  const next = await call('GET', '/runtime/invocation/next');
  const id = encodeURIComponent(String(next.headers['lambda-runtime-aws-request-id']));
  const trace = next.headers['lambda-runtime-trace-id'];
  if (typeof trace === 'string') process.env._X_AMZN_TRACE_ID = trace;
  try {
    const result = await invokeHandler(handler, parseEvent(next.body), contextOf(next.headers));
    await call('POST', `/runtime/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result));
  } catch (e) {
    const body = formatError(e);
    console.error('Invoke Error', JSON.stringify(body));
    await call('POST', `/runtime/invocation/${id}/error`, JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
  }
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const body = formatError(e);
    console.error('Init Error', JSON.stringify(body));
    await call('POST', '/runtime/init/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
    process.exit(1);
  }
  for (;;) await iteration(handler);
}

main().catch((e) => {
  console.error('Runtime error', e);
  process.exit(1);
});
