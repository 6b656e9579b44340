/**
 * Apps synthesized by the tests and the layers they stage: an app with CDK's
 * asset cache cleared, the staged layer folder and its manifest, a real layer
 * build through the construct, a synth in a process of its own, and a
 * CDK_DOCKER stub. Every child process is an argument-vector spawn (no shell).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { withEnv } from './env';
import { removeDir, tempDir } from './files';
import type { LayerManifest } from '../../layer-assets/types/recipe/manifest';
import { VectorDbLayer, VectorDbLayerProps } from '../../src';
import { localBuildCount } from '../../src/private/layer/local-build';

/** test/fixtures: handlers, scripts and stubs the tests run. */
export const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** The manifest a built layer carries (`nodejs/vectordb-layer.json`). */
export const MANIFEST_FILE = path.join('nodejs', 'vectordb-layer.json');

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

/** The manifest of a built layer (the folder holding `nodejs/`), as the recipe wrote it. */
export function readManifest(layerDir: string): LayerManifest {
  return JSON.parse(fs.readFileSync(path.join(layerDir, MANIFEST_FILE), 'utf-8'));
}

/** The staged folder of a layer built into `outdir` (of that manifest version, when given). */
export function stagedLayerDir(outdir: string, manifestVersion?: string): string {
  const dirs = assetDirs(outdir).map((n) => path.join(outdir, n))
    .filter((d) => fs.existsSync(path.join(d, MANIFEST_FILE)))
    .filter((d) => !manifestVersion || readManifest(d).version === manifestVersion);
  if (dirs.length !== 1) throw new Error(`expected one built layer in ${outdir}, found ${dirs.length}`);
  return dirs[0];
}

/** A layer built for real by `buildWithConstruct`. */
export interface BuiltLayer {
  readonly layer: VectorDbLayer;
  readonly stack: Stack;
  /** The staged layer folder (holding `nodejs/`). */
  readonly dir: string;
  /** The cloud assembly folder: remove it when done. */
  readonly outdir: string;
  readonly manifest: LayerManifest;
  /** Wall time of the construct and the synth (the build is most of it). */
  readonly ms: number;
  /** How many times the recipe ran on this host meanwhile (1 for a local build, 0 in Docker). */
  readonly hostBuilds: number;
}

/**
 * The environment of a real build: the machine-wide layer cache off
 * (src/private/layer/cache.ts; on by default), so a layer is built, never
 * linked from an earlier build.
 */
export const REAL_BUILD_ENV: Readonly<Record<string, string>> = Object.freeze({ CDK_VECTORDB_LAYER_CACHE: 'off' });

/**
 * Builds a layer for real through the construct, in a fresh cloud assembly
 * with the layer cache off (so nothing is reused from an earlier build), and
 * returns its staged folder.
 */
export function buildWithConstruct(props: VectorDbLayerProps): BuiltLayer {
  const outdir = tempDir('cdkout');
  const { app, stack } = appAt(outdir);
  const before = localBuildCount();
  const started = Date.now();
  let layer: VectorDbLayer;
  try {
    layer = withEnv(REAL_BUILD_ENV, () => {
      const made = new VectorDbLayer(stack, 'Layer', props);
      app.synth();
      return made;
    });
  } catch (e) {
    removeDir(outdir);
    throw e;
  }
  const ms = Date.now() - started;
  const hostBuilds = localBuildCount() - before;
  const staging = layer.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  const dir = staging.absoluteStagedPath;
  if (!fs.existsSync(path.join(dir, MANIFEST_FILE))) throw new Error(`no layer in ${dir}`);
  return { layer, stack, dir, outdir, manifest: readManifest(dir), ms, hostBuilds };
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
