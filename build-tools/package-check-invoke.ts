/**
 * Part of `npx projen package:check`: the packed tarball (dist/js, from
 * `package:js`) works as installed. It is unpacked into a scratch app under
 * .tmp/ (aws-cdk-lib and constructs linked from this checkout's node_modules,
 * so no registry is needed), a VectorDbFunction is synthesized with the
 * unpacked package (its layer built by the packed recipe, from the layer
 * cache when it is there), and the package's own `invoke` runs the function:
 * a tarball missing a file `invoke` needs (lib/invoke/scripts/task-root.cjs
 * when `package:js` ran after `compile` without its copy step) fails here.
 *
 *   ts-node --transpile-only --project tsconfig.dev.json build-tools/package-check-invoke.ts [<tarball>]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

/** What the check saw: the command's answer, or why it failed. */
export interface PackedInvokeResult {
  readonly ok: boolean;
  /** One line per step, for the log. */
  readonly lines: string[];
  /** Why it failed (the step, its exit and the end of its output). */
  readonly failure?: string;
}

/** The tarball `package:js` wrote (dist/js/cdk-vectordb-layer@<version>.jsii.tgz). */
export function packedTarball(): string | undefined {
  const dir = path.join(root, 'dist', 'js');
  const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^cdk-vectordb-layer[-@].*\.tgz$/.test(f)) : [];
  return found.length > 0 ? path.join(dir, found.sort().pop()!) : undefined;
}

const HANDLER = `exports.handler = async (event) => {
  const sdk = require(process.env.VECTORDB_SDK);
  return { echo: event, sdk: process.env.VECTORDB_SDK, connect: typeof sdk.connect };
};
`;

const APP = `const path = require('path');
const { App, Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const { VectorDbFunction } = require('cdk-vectordb-layer');
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'PackCheck');
new VectorDbFunction(stack, 'Fn', { code: lambda.Code.fromAsset(path.join(__dirname, 'handler')), handler: 'index.handler' });
app.synth();
`;

/**
 * Unpacks `tarball` into `work`/node_modules/cdk-vectordb-layer, synthesizes a
 * VectorDbFunction with it and runs the package's `invoke` on it.
 */
export function checkPackedInvoke(tarball: string, work: string): PackedInvokeResult {
  const lines: string[] = [];
  const step = (what: string, file: string, args: string[], cwd: string, timeout = 300_000) => {
    const started = Date.now();
    const r = spawnSync(file, args, { cwd, encoding: 'utf-8', shell: false, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } });
    const ms = Date.now() - started;
    if (r.error || r.status !== 0) {
      const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n    ');
      return { ok: false as const, failure: `${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n    ${out}` };
    }
    lines.push(`${what} in ${(ms / 1000).toFixed(1)} s`);
    return { ok: true as const, stdout: r.stdout };
  };
  fs.rmSync(work, { recursive: true, force: true });
  const pkgDir = path.join(work, 'node_modules', 'cdk-vectordb-layer');
  fs.mkdirSync(pkgDir, { recursive: true });
  const untar = step(`unpack ${path.basename(tarball)}`, 'tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1', '--no-same-owner'], work);
  if (!untar.ok) return { ok: false, lines, failure: untar.failure };
  // The peers, as an app has them: this checkout's copies (no registry).
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(root, 'node_modules', peer), path.join(work, 'node_modules', peer), 'dir');
  }
  fs.mkdirSync(path.join(work, 'handler'));
  fs.writeFileSync(path.join(work, 'handler', 'index.js'), HANDLER);
  fs.writeFileSync(path.join(work, 'app.js'), APP);
  fs.writeFileSync(path.join(work, 'package.json'), '{ "private": true }\n');
  const cdkOut = path.join(work, 'cdk.out');
  const synth = step('synth of a VectorDbFunction with the unpacked package', process.execPath, ['app.js', cdkOut], work);
  if (!synth.ok) return { ok: false, lines, failure: synth.failure };
  const event = { ping: 'package:check' };
  const invoke = step('its invoke', process.execPath, [path.join(pkgDir, 'bin', 'cdk-vectordb-layer'), 'invoke', cdkOut, 'PackCheck/Fn',
    '--event-json', JSON.stringify(event), '--json', '--quiet', '--timeout', '60', '--work-dir', path.join(work, 'invoke')], work, 120_000);
  if (!invoke.ok) return { ok: false, lines, failure: invoke.failure };
  let answer: { result?: unknown; error?: unknown };
  try {
    answer = JSON.parse(invoke.stdout);
  } catch {
    return { ok: false, lines, failure: `its invoke printed no JSON answer: ${invoke.stdout.slice(-500)}` };
  }
  const expected = { echo: event, sdk: 'vectordb', connect: 'function' };
  if (JSON.stringify(answer.result) !== JSON.stringify(expected)) {
    return { ok: false, lines, failure: `its invoke answered ${JSON.stringify(answer.result ?? answer.error).slice(0, 500)}, expected ${JSON.stringify(expected)}` };
  }
  lines.push(`invoke answered ${JSON.stringify(answer.result)}`);
  return { ok: true, lines };
}

if (require.main === module) {
  const tarball = process.argv[2] ?? packedTarball();
  if (!tarball) {
    process.stderr.write('package-check-invoke: no dist/js/cdk-vectordb-layer@*.tgz: run `npx projen package:js` first\n');
    process.exit(1);
  }
  const result = checkPackedInvoke(tarball, path.join(root, '.tmp', 'package-check-invoke'));
  for (const line of result.lines) process.stdout.write(`packed invoke: ${line}\n`);
  if (!result.ok) {
    process.stderr.write(`packed invoke: ${result.failure}\n`);
    process.exit(1);
  }
}
