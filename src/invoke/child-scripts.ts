/**
 * Scripts the local invoker writes next to the layout it builds (the stand-in
 * for Lambda's /var/runtime) and runs in the child process. They are strings so
 * they reach lib/ through the TypeScript compile alone, with no copy step.
 *
 * Both are CommonJS files written with the `.cjs` extension, so a
 * `package.json` with `"type": "module"` above the temp folder cannot change
 * how they load.
 */

/**
 * Name of the environment variable that tells the preload which folders are
 * writable (JSON `{ writable, layout, hostTmp }`; removed from the handler's env).
 */
export const WRITABLE_ENV = '__CDK_VECTORDB_LAYER_WRITABLE';

/**
 * `node --require` preload: makes the fs module behave as on Lambda, where every
 * path except /tmp is on a read-only file system. Running as root here, file
 * modes would not stop a write, so write operations outside the writable
 * folder fail with EROFS, as they would on Lambda (sync: throw; callback: the
 * callback's error; promise: a rejection; streams: an 'error' event).
 */
export const READ_ONLY_PRELOAD = String.raw`'use strict';
// cdk-vectordb-layer local invoker: Lambda's read-only file system, in the fs module.
const fs = require('fs');
const path = require('path');
const { fileURLToPath } = require('url');
const { syncBuiltinESMExports } = require('module');

// JSON: { writable: the layout's tmp folder, layout: the layout root (task/, opt/: read-only), hostTmp: the host's /tmp }
const CONFIG = process.env.${WRITABLE_ENV};
delete process.env.${WRITABLE_ENV};

if (CONFIG) {
  const realpathSync = fs.realpathSync.native;
  const existsSync = fs.existsSync;
  const lstatSync = fs.lstatSync;
  const config = JSON.parse(CONFIG);
  const real = (p) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const tmp = real(config.writable);
  const layout = real(config.layout);
  // Lambda's /tmp is writable; handlers that write to a literal /tmp write to the host's, outside the layout.
  const hostTmp = config.hostTmp ? real(config.hostTmp) : undefined;
  const ALWAYS_WRITABLE = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty', '/proc/self/fd/1', '/proc/self/fd/2']);

  const asPath = (p) => {
    if (typeof p === 'string') return p;
    if (Buffer.isBuffer(p)) return p.toString();
    if (p instanceof URL) return fileURLToPath(p);
    return undefined; // a file descriptor or FileHandle: already open, the open was checked
  };

  const exists = (p) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  };

  // The real location: the deepest existing ancestor resolved through symlinks.
  const realLocation = (abs) => {
    let dir = abs;
    const rest = [];
    while (!existsSync(dir) && path.dirname(dir) !== dir) {
      rest.unshift(path.basename(dir));
      dir = path.dirname(dir);
    }
    const r = real(dir);
    return r === undefined ? abs : path.join(r, ...rest);
  };

  const within = (p, dir) => dir !== undefined && (p === dir || p.startsWith(dir + path.sep));
  const writable = (abs) => {
    if (ALWAYS_WRITABLE.has(abs)) return true;
    const r = realLocation(abs);
    if (ALWAYS_WRITABLE.has(r) || within(r, tmp)) return true;
    if (within(r, layout)) return false;
    return within(r, hostTmp);
  };

  const erofs = (syscall, p) => {
    const e = new Error("EROFS: read-only file system, " + syscall + " '" + p + "'");
    e.errno = -30;
    e.code = 'EROFS';
    e.syscall = syscall;
    e.path = p;
    return e;
  };

  const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;
  const opensForWrite = (flags) => {
    if (flags === undefined || flags === null) return false;
    if (typeof flags === 'number') return (flags & WRITE_FLAGS) !== 0;
    return /[wa+]/.test(String(flags));
  };

  // name -> { args: which arguments are written-to paths, when: extra condition, missingOk: let ENOENT/EEXIST win as on a real read-only mount }
  const OPS = {
    writeFile: { args: [0] },
    appendFile: { args: [0] },
    mkdir: { args: [0], existingOk: true },
    mkdtemp: { args: [0] },
    rm: { args: [0], missingOk: true },
    rmdir: { args: [0], missingOk: true },
    unlink: { args: [0], missingOk: true },
    rename: { args: [0, 1] },
    copyFile: { args: [1] },
    cp: { args: [1] },
    symlink: { args: [1] },
    link: { args: [1] },
    truncate: { args: [0] },
    chmod: { args: [0] },
    lchmod: { args: [0] },
    chown: { args: [0] },
    lchown: { args: [0] },
    utimes: { args: [0] },
    lutimes: { args: [0] },
    open: { args: [0], when: (a) => opensForWrite(a[1]) },
  };
  const SYSCALL = { writeFile: 'open', appendFile: 'open', copyFile: 'copyfile', cp: 'copyfile', rm: 'rm', truncate: 'open' };

  // The first written-to path outside the writable folder, or undefined.
  const refused = (name, op, a) => {
    if (op.when && !op.when(a)) return undefined;
    for (const i of op.args) {
      const p = asPath(a[i]);
      if (p === undefined) continue;
      const abs = path.resolve(p);
      if (writable(abs)) continue;
      if (op.missingOk && !exists(abs)) continue;
      if (op.existingOk && exists(abs)) continue;
      return erofs(SYSCALL[name] || name, p);
    }
    return undefined;
  };

  for (const [name, op] of Object.entries(OPS)) {
    const sync = fs[name + 'Sync'];
    if (typeof sync === 'function') {
      fs[name + 'Sync'] = function (...a) {
        const e = refused(name, op, a);
        if (e) throw e;
        return sync.apply(this, a);
      };
    }
    const callback = fs[name];
    if (typeof callback === 'function') {
      fs[name] = function (...a) {
        const e = refused(name, op, a);
        if (e) {
          const cb = a[a.length - 1];
          if (typeof cb !== 'function') throw e;
          process.nextTick(cb, e);
          return undefined;
        }
        return callback.apply(this, a);
      };
    }
    const promised = fs.promises[name];
    if (typeof promised === 'function') {
      fs.promises[name] = function (...a) {
        const e = refused(name, op, a);
        if (e) return Promise.reject(e);
        return promised.apply(this, a);
      };
    }
  }

  // fs.createWriteStream opens through fs.open, patched above: its 'error' event carries EROFS.
  syncBuiltinESMExports();
}
`;

/**
 * A small Lambda runtime for when `aws-lambda-ric` cannot be found or loaded:
 * the Runtime API loop (next, response, error, init error) and Lambda's
 * handler loading (`dir/file.export` from LAMBDA_TASK_ROOT, `.js`, `.mjs`,
 * `.cjs`, then a module name resolved from the task root), with errors shaped
 * as the Node.js runtime reports them.
 */
export const BOOTSTRAP = String.raw`'use strict';
// cdk-vectordb-layer local invoker: a minimal Lambda Node.js runtime (used when aws-lambda-ric is unavailable).
const fs = require('fs');
const http = require('http');
const path = require('path');
const { pathToFileURL } = require('url');

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const colon = api.lastIndexOf(':');
const HOST = api.slice(0, colon);
const PORT = Number(api.slice(colon + 1));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: '/2018-06-01' + urlPath, agent, headers: { ...(headers || {}), ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) } }, (res) => {
      let data = '';
      res.setEncoding('utf-8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function named(name, error) {
  const e = error instanceof Error ? error : new Error(String(error));
  const wrapped = new Error(e.message);
  wrapped.name = name;
  wrapped.stack = name + ': ' + e.message + (e.stack ? '\n' + e.stack.split('\n').slice(1).join('\n') : '');
  return wrapped;
}

function formatError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack ? error.stack.split('\n') : [] };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

async function loadHandler() {
  const full = process.env._HANDLER;
  const taskRoot = process.env.LAMBDA_TASK_ROOT;
  if (full.includes('..')) {
    throw named('Runtime.MalformedHandlerName', new Error("'" + full + "' is not a valid handler name. Use absolute paths when specifying root directories in handler names."));
  }
  const base = path.basename(full);
  const moduleRoot = full.substring(0, full.indexOf(base)).replace(/\/$/, '');
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (!match) throw named('Runtime.MalformedHandlerName', new Error('Bad handler'));
  const [, moduleName, handlerName] = match;
  const withoutExt = path.resolve(taskRoot, moduleRoot, moduleName);
  let mod;
  try {
    for (const ext of ['', '.js', '.mjs', '.cjs']) {
      const file = withoutExt + ext;
      if (fs.existsSync(file) && fs.statSync(file).isFile()) {
        mod = await import(pathToFileURL(file).href);
        break;
      }
    }
    if (mod === undefined) {
      mod = require(require.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] }));
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw named('Runtime.UserCodeSyntaxError', e);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) throw named('Runtime.ImportModuleError', e);
    throw e;
  }
  const find = (m) => handlerName.split('.').reduce((o, k) => (o && (typeof o === 'object' || typeof o === 'function') ? o[k] : undefined), m);
  let handler = find(mod);
  if (!handler && mod && typeof mod === 'object' && 'default' in mod) handler = find(mod.default);
  if (!handler) throw named('Runtime.HandlerNotFound', new Error(full + ' is undefined or not exported'));
  if (typeof handler !== 'function') throw named('Runtime.HandlerNotFound', new Error(full + ' is not a function'));
  return handler;
}

function invokeHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, value) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(value);
    };
    try {
      const out = handler(event, context, done);
      if (out && typeof out.then === 'function') out.then((v) => done(null, v), (e) => done(e === undefined || e === null ? new Error(String(e)) : e));
      else if (handler.length < 3) done(null, out);
    } catch (e) {
      done(e);
    }
  });
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
  for (;;) {
    const next = await call('GET', '/runtime/invocation/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
    if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
    const context = {
      awsRequestId: id,
      invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    let event;
    try {
      event = JSON.parse(next.body);
    } catch (e) {
      event = next.body;
    }
    try {
      const result = await invokeHandler(handler, event, context);
      await call('POST', '/runtime/invocation/' + encodeURIComponent(id) + '/response', JSON.stringify(result === undefined ? null : result));
    } catch (e) {
      const body = formatError(e);
      console.error('Invoke Error', JSON.stringify(body));
      await call('POST', '/runtime/invocation/' + encodeURIComponent(id) + '/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
    }
  }
}

main().catch((e) => {
  console.error('Runtime error', e);
  process.exit(1);
});
`;
