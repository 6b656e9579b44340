'use strict';
// Runs npm as an argument vector, never through a shell: no value given to the
// recipe is ever parsed by /bin/sh or cmd.exe.

const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

/** npm >= 10.4 honours --os, --cpu and --libc, so it can install another platform's native package. */
const MIN_CROSS_PLATFORM_NPM = [10, 4, 0];

let cachedCommand;

/**
 * How to start npm without a shell: node + npm-cli.js where it can be found
 * beside the running node, else an `npm` executable on PATH.
 * @returns {{ file: string, args: string[] }}
 */
function npmCommand() {
  if (cachedCommand) return cachedCommand;
  const nodeDir = path.dirname(process.execPath);
  const candidates = [
    process.env.npm_execpath && path.basename(process.env.npm_execpath) === 'npm-cli.js' ? process.env.npm_execpath : undefined,
    path.join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.join(nodeDir, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ].filter(Boolean);
  const cli = candidates.find((c) => fs.existsSync(c));
  cachedCommand = cli ? { file: process.execPath, args: [cli] } : { file: 'npm', args: [] };
  return cachedCommand;
}

/** The environment npm runs with: the caller's, less what an outer npm script injected. */
function npmEnv(extra) {
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
 * Runs `npm <args>` in `cwd` and returns its status and combined output.
 * @param {string[]} args
 * @param {{ cwd?: string, env?: Record<string,string>, timeoutMs?: number }} [options]
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
  const output = `${proc.stdout ?? ''}${proc.stderr ?? ''}`;
  return { status: proc.error ? -1 : proc.status, signal: proc.signal, error: proc.error, stdout: proc.stdout ?? '', output };
}

/**
 * The last `n` lines of a command's output that say something: without blank
 * lines, npm's JavaScript stack frames (`npm error     at ...`), its pointer to
 * its debug log, and its warnings about this machine's npmrc.
 */
function tail(output, n = 15) {
  return output.split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !/^npm (error|ERR!)\s*$/.test(l.trim()))
    .filter((l) => !/Unknown (user|env|cli) config/.test(l) && !/^npm (error|ERR!)\s+at\s/.test(l) && !/A complete log of this run/.test(l))
    .slice(-n).join('\n');
}

/** The installed npm's version as [major, minor, patch], or undefined when npm cannot be run. */
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

/** The registry npm uses, for error messages. */
function registryUrl() {
  const r = runNpm(['config', 'get', 'registry'], { timeoutMs: 60 * 1000 });
  const line = r.stdout.split(/\r?\n/).find((l) => /^https?:\/\//.test(l.trim()));
  return line ? line.trim() : 'https://registry.npmjs.org/';
}

/**
 * Published versions of a package, `[]` when the registry has no such package.
 * Throws when the registry cannot be asked.
 * @param {string} pkg
 * @returns {string[]}
 */
function publishedVersions(pkg) {
  const r = runNpm(['view', pkg, 'versions', '--json'], { timeoutMs: 3 * 60 * 1000 });
  if (r.status === 0) {
    const parsed = JSON.parse(r.stdout.trim() || '[]');
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  if (/E404|404 Not Found/.test(r.output)) return [];
  // With --json npm also prints its error as JSON on stdout: one line says it all.
  let said;
  try {
    const e = JSON.parse(r.stdout.trim()).error;
    if (e && e.summary) said = `${e.code ? `${e.code}: ` : ''}${e.summary}`;
  } catch {
    // not JSON: fall back to the end of its output
  }
  const err = new Error(`could not ask the npm registry (${registryUrl()}, npm's \`registry\` setting) for the versions of ${pkg}: ${said ?? `\n${tail(r.output, 8)}`}`);
  err.code = 'REGISTRY';
  throw err;
}

module.exports = { npmCommand, runNpm, tail, npmVersion, canInstallCrossPlatform, registryUrl, publishedVersions, MIN_CROSS_PLATFORM_NPM };
