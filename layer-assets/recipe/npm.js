// @ts-check
'use strict';
// Runs npm as an argument vector, never through a shell: no value given to the
// recipe is ever parsed by /bin/sh or cmd.exe.

const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

/** npm >= 10.4 honours --os, --cpu and --libc, so it can install another platform's native package. */
const MIN_CROSS_PLATFORM_NPM = [10, 4, 0];

/**
 * @typedef {object} NpmResult
 * @property {number | null} status the exit status (-1 when npm could not start)
 * @property {NodeJS.Signals | null} signal
 * @property {Error | undefined} error
 * @property {string} stdout
 * @property {string} output stdout then stderr
 */

/**
 * @typedef {object} NpmOptions
 * @property {string} [cwd]
 * @property {Record<string, string>} [env] added to the environment
 * @property {number} [timeoutMs]
 */

/** @type {{ file: string, args: string[] } | undefined} */
let cachedCommand;

/**
 * How to start npm without a shell: node + npm-cli.js where it can be found
 * beside the running node, else an `npm` executable on PATH.
 * @returns {{ file: string, args: string[] }}
 */
function npmCommand() {
  if (cachedCommand) return cachedCommand;
  const nodeDir = path.dirname(process.execPath);
  const execpath = process.env.npm_execpath;
  const candidates = [
    execpath && path.basename(execpath) === 'npm-cli.js' ? execpath : undefined,
    path.join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.join(nodeDir, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  const cli = candidates.find((c) => c !== undefined && fs.existsSync(c));
  cachedCommand = cli ? { file: process.execPath, args: [cli] } : { file: 'npm', args: [] };
  return cachedCommand;
}

/**
 * The environment npm runs with: the caller's, less what an outer npm script injected.
 * @param {Record<string, string>} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
function npmEnv(extra) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package|command|execpath|node_execpath)/i.test(k)) continue;
    env[k] = v;
  }
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return { ...env, ...extra };
}

/**
 * Runs `npm <args>` and waits for it.
 * @param {string[]} args
 * @param {NpmOptions} [options]
 * @returns {NpmResult}
 */
function runNpm(args, options = {}) {
  const cmd = npmCommand();
  const proc = childProcess.spawnSync(cmd.file, [...cmd.args, ...args], {
    cwd: options.cwd,
    env: npmEnv(options.env),
    encoding: 'utf-8',
    shell: false,
    windowsHide: true,
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 15 * 60 * 1000,
  });
  const stdout = proc.stdout ?? '';
  return { status: proc.error ? -1 : proc.status, signal: proc.signal, error: proc.error, stdout, output: `${stdout}${proc.stderr ?? ''}` };
}

/**
 * Runs `npm <args>` without blocking, calling `onTick` every `tickMs` while it runs
 * (for progress lines).
 * @param {string[]} args
 * @param {NpmOptions & { onTick?: () => void, tickMs?: number }} [options]
 * @returns {Promise<NpmResult>}
 */
function runNpmAsync(args, options = {}) {
  const cmd = npmCommand();
  return new Promise((resolve) => {
    const child = childProcess.spawn(cmd.file, [...cmd.args, ...args], {
      cwd: options.cwd,
      env: npmEnv(options.env),
      shell: false,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (c) => {
      stdout += c;
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    const tick = options.onTick ? setInterval(options.onTick, options.tickMs ?? 1000) : undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15 * 60 * 1000);
    /** @param {number | null} status @param {NodeJS.Signals | null} signal @param {Error} [error] */
    const done = (status, signal, error) => {
      if (tick) clearInterval(tick);
      clearTimeout(timer);
      resolve({ status: error ? -1 : status, signal, error, stdout, output });
    };
    child.once('error', (e) => done(null, null, e));
    child.once('close', (status, signal) => done(status, signal));
  });
}

/**
 * The last `n` lines of a command's output that say something: without blank
 * lines, npm's JavaScript stack frames, its pointer to its debug log, and its
 * warnings about this machine's npmrc.
 * @param {string} output
 * @param {number} [n]
 */
function tail(output, n = 15) {
  return output.split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !/^npm (error|ERR!)\s*$/.test(l.trim()))
    .filter((l) => !/Unknown (user|env|cli) config/.test(l) && !/^npm (error|ERR!)\s+at\s/.test(l) && !/A complete log of this run/.test(l))
    .slice(-n).join('\n');
}

/**
 * The installed npm's version as [major, minor, patch], or undefined when npm cannot be run.
 * @returns {number[] | undefined}
 */
function npmVersion() {
  const r = runNpm(['--version'], { timeoutMs: 60 * 1000 });
  const m = r.status === 0 ? /(\d+)\.(\d+)\.(\d+)/.exec(r.stdout) : null;
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether the host's npm installs linux-gnu native packages for any cpu. */
function canInstallCrossPlatform() {
  const v = npmVersion();
  if (!v) return false;
  for (let i = 0; i < 3; i++) {
    if (v[i] !== MIN_CROSS_PLATFORM_NPM[i]) return v[i] > MIN_CROSS_PLATFORM_NPM[i];
  }
  return true;
}

/** @type {Record<string, unknown> | undefined} */
let cachedConfig;

/**
 * npm's effective configuration (`npm config ls --json`), read once per process.
 * @returns {Record<string, unknown>}
 */
function npmConfigAll() {
  if (cachedConfig) return cachedConfig;
  const r = runNpm(['config', 'ls', '--json'], { timeoutMs: 60 * 1000 });
  try {
    cachedConfig = r.status === 0 ? JSON.parse(r.stdout) : {};
  } catch {
    cachedConfig = {};
  }
  return /** @type {Record<string, unknown>} */ (cachedConfig);
}

/**
 * One npm setting, or undefined when unset.
 * @param {string} key
 * @returns {string | undefined}
 */
function npmConfig(key) {
  const value = npmConfigAll()[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The registry npm uses. */
function registryUrl() {
  const v = npmConfig('registry');
  return v && /^https?:\/\//.test(v) ? v : 'https://registry.npmjs.org/';
}

module.exports = { npmCommand, runNpm, runNpmAsync, tail, npmVersion, canInstallCrossPlatform, npmConfig, registryUrl, MIN_CROSS_PLATFORM_NPM };
