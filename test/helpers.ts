import { spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { run } from '../src/cli/main';
import type { FunctionInfo } from '../src/invoke/types';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** A fresh temp folder, removed after the test file. */
const made: string[] = [];
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vdbl-${prefix}-`));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs `fn` with environment variables set (undefined: removed), then restores them. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(before);
  }
}

/**
 * The first fenced block of the README after `heading` whose code matches
 * `pattern`: the text a user copies, which the tests run.
 */
export function readmeSnippet(heading: string, pattern: RegExp): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf-8');
  const from = readme.indexOf(heading);
  if (from < 0) throw new Error(`no ${heading} in README.md`);
  const block = [...readme.slice(from).matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].find((m) => pattern.test(m[2]));
  if (!block) throw new Error(`no block matching ${pattern} after ${heading}`);
  return block[2];
}

/** What a CLI run did: its exit status and what it wrote. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where `cliInProcess` runs the CLI: environment variables (undefined: unset) and folder. */
export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

/**
 * `cdk-vectordb-layer <argv>` in this process (no ts-node start-up), its output
 * captured; `env` set for the run (undefined: unset) and `cwd` the folder it
 * runs in, both restored after.
 */
export async function cliInProcess(argv: string[], options: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const env = options.env ?? {};
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => Object.entries(values).forEach(([k, v]) => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
  const cwd = process.cwd();
  try {
    apply(env);
    if (options.cwd) process.chdir(options.cwd);
    const status = await run(argv);
    return { status, stdout, stderr };
  } finally {
    process.chdir(cwd);
    apply(before);
    out.mockRestore();
    err.mockRestore();
  }
}

/** An app writing to `outdir`, with CDK's in-process asset cache cleared so only cdk.out can cache. */
export function appAt(outdir: string, context?: Record<string, unknown>): { app: App; stack: Stack } {
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir, context });
  const stack = new Stack(app, 'Stack');
  return { app, stack };
}

/** Folders CDK left in a cloud assembly for assets. */
export function assetDirs(outdir: string): string[] {
  return fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((n) => n.startsWith('asset.') || n.startsWith('bundling-temp')) : [];
}

/** The staged folder of a layer built into `outdir`. */
export function stagedLayerDir(outdir: string, manifestVersion?: string): string {
  const dirs = assetDirs(outdir).map((n) => path.join(outdir, n))
    .filter((d) => fs.existsSync(path.join(d, 'nodejs', 'vectordb-layer.json')))
    .filter((d) => !manifestVersion || JSON.parse(fs.readFileSync(path.join(d, 'nodejs', 'vectordb-layer.json'), 'utf-8')).version === manifestVersion);
  if (dirs.length !== 1) throw new Error(`expected one built layer in ${outdir}, found ${dirs.length}`);
  return dirs[0];
}

/**
 * Runs test/fixtures/search.js from an empty folder with NODE_PATH at the layer's
 * node_modules and nothing else: the SDK can only come from the layer.
 */
export function searchWithLayer(layerDir: string, sdk: string): { ids: number[]; version: string; resolvedFrom: string } {
  const work = tempDir('search');
  fs.copyFileSync(path.join(FIXTURES, 'search.js'), path.join(work, 'search.js'));
  const nodeModules = path.join(layerDir, 'nodejs', 'node_modules');
  const r = spawnSync(process.execPath, ['search.js', sdk, path.join(work, 'db')], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', HOME: work, NODE_PATH: nodeModules },
    encoding: 'utf-8',
    timeout: 120000,
  });
  if (r.status !== 0) throw new Error(`search failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Files below a folder with their sizes, sorted: a fingerprint of a build's result. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${st.size}`);
    }
  };
  walk(dir);
  return out;
}

/**
 * A CDK_DOCKER executable: test/fixtures/docker-stub.js with its call log, its
 * /tmp stand-in and the command's PATH fixed in a wrapper (jest's process.env
 * does not reach children that aws-cdk-lib spawns).
 */
export function dockerStub(options: { path?: string } = {}): { executable: string; calls: () => any[] } {
  const dir = tempDir('docker-stub');
  const log = path.join(dir, 'calls.jsonl');
  const executable = path.join(dir, 'docker');
  fs.mkdirSync(path.join(dir, 'tmp'));
  fs.writeFileSync(executable, [
    `#!${process.execPath}`,
    `process.env.DOCKER_STUB_LOG = ${JSON.stringify(log)};`,
    `process.env.DOCKER_STUB_TMP = ${JSON.stringify(path.join(dir, 'tmp'))};`,
    ...(options.path ? [`process.env.DOCKER_STUB_PATH = ${JSON.stringify(options.path)};`] : []),
    `require(${JSON.stringify(path.join(FIXTURES, 'docker-stub.js'))});`,
    '',
  ].join('\n'), { mode: 0o755 });
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf-8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  return { executable, calls };
}

/** What a synth process printed, and how it ended. */
export interface SynthRun { status: number | null; stdout: string; stderr: string }

/**
 * Synthesizes one VectorDbLayer (test/fixtures/synth-layer.js, `props` as
 * JSON) into `outdir` in a process of its own, with `env` added.
 */
export function runSynthLayer(outdir: string, env: Record<string, string>, props = '{"version":"0.4.2"}'): Promise<SynthRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(FIXTURES, 'synth-layer.js'), outdir, props], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A file's sha256, hex. */
export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Unpacks a zip with Info-ZIP's unzip (an independent reader), which must say nothing and exit 0. */
export function unzipTo(zip: string): string {
  const dir = tempDir('unzipped');
  const r = spawnSync('/usr/bin/unzip', ['-q', zip, '-d', dir], { encoding: 'utf-8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return dir;
}

/** A function as the invoker reads it from a template, with nothing on disk: for the invoker's decisions (emulation, container). */
export function fakeFunction(architecture: 'x86_64' | 'arm64', runtime = 'nodejs22.x'): FunctionInfo {
  return {
    stackId: 'Stack',
    stackName: 'Stack',
    logicalId: 'Fn',
    path: 'Stack/Fn',
    templateFile: '/nowhere/Stack.template.json',
    handler: 'index.handler',
    runtime,
    architecture,
    environment: {},
    memorySize: 128,
    layers: [],
  };
}
