/**
 * CDK's local bundling of a layer: the recipe's command (`node build-layer.js
 * ...`) run on the host as a child process, the same command a container runs.
 * Its progress goes straight to our stderr (a terminal sees a live line).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ILocalBundling } from 'aws-cdk-lib';
import { hostNpmCanInstallCrossPlatform, hostNpmVersion } from './npm-version';
import { ASSETS_DIR, BuildResult, RECIPE_ENTRY, recipeManifest, recipeNpm } from './recipe';
import { hashedFlags, LayerRequest, recipeArgs } from './request';

/** Whether the host's npm can install another platform's native package (npm >= 10.4); npm is asked once per npm (./npm-version.ts). */
export function hostCanBuildWithoutDocker(): boolean {
  return hostNpmCanInstallCrossPlatform();
}

/** A failed build's report: what the recipe wrote into its error file. */
export interface RecipeFailure {
  readonly message: string;
  readonly code?: string;
  readonly details?: Record<string, unknown>;
}

/** Reads the recipe's error file from an output folder, if it wrote one. */
export function readRecipeFailure(outDir: string): RecipeFailure | undefined {
  const file = path.join(outDir, recipeManifest.ERROR_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf-8'));
    return typeof parsed?.message === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The failure the recipe printed on stdout (it does when it cannot write its error file: a full disk). */
function failureOnStdout(stdout: string): RecipeFailure | undefined {
  for (const line of stdout.split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line);
      if (typeof parsed?.failure?.message === 'string') return parsed.failure;
    } catch {
      // not the report line
    }
  }
  return undefined;
}

/** Thrown when the recipe reported a failure. */
export class RecipeError extends Error {
  constructor(public readonly failure: RecipeFailure) {
    super(failure.message);
    this.name = 'RecipeError';
  }
}

/** A host build: the request, and what to do when the host cannot build. */
export interface LocalLayerBuildOptions extends LayerRequest {
  /** Fall back to Docker (return false) when the host cannot build; else throw. */
  readonly dockerFallback: boolean;
}

let builds = 0;

/** How many layer builds this process has run on the host (for tests and the bench). */
export function localBuildCount(): number {
  return builds;
}

/**
 * Runs the recipe's command on the host into `outDir`; returns its result or
 * throws a RecipeError with its report.
 */
export function runRecipe(request: LayerRequest, outDir: string, env: NodeJS.ProcessEnv = process.env): BuildResult {
  builds += 1;
  const [, script, ...args] = recipeArgs(request, ASSETS_DIR, outDir);
  const r = spawnSync(process.execPath, [script, ...args], {
    env,
    encoding: 'utf-8',
    shell: false,
    windowsHide: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status === 0) return JSON.parse(r.stdout) as BuildResult;
  const failure = readRecipeFailure(outDir) ?? failureOnStdout(r.stdout)
    ?? { message: `the layer build (${process.execPath} ${path.join(ASSETS_DIR, RECIPE_ENTRY)}) ${r.error ? `could not start: ${r.error.message}` : `exited ${r.status ?? r.signal} without a report`}`, code: 'INTERNAL' };
  throw new RecipeError(failure);
}

/**
 * CDK's local bundling of a layer. It is the same recipe command the
 * container runs, with host paths.
 */
export class LocalLayerBuild implements ILocalBundling {
  /** The recipe's report of the last failed build, for the construct to translate. */
  public lastFailure?: RecipeFailure;
  /** The result of the last build. */
  public lastResult?: BuildResult;
  /** Whether the last call left the build to Docker (the host's npm is too old). */
  public deferredToDocker = false;

  constructor(private readonly options: LocalLayerBuildOptions) {}

  public tryBundle(outputDir: string): boolean {
    this.deferredToDocker = false;
    this.lastFailure = undefined;
    if (!hostCanBuildWithoutDocker()) {
      if (this.options.dockerFallback) {
        this.deferredToDocker = true;
        return false;
      }
      const v = hostNpmVersion();
      this.lastFailure = {
        code: 'NPM_TOO_OLD',
        message: `buildMethod is LayerBuildMethod.LOCAL but the host's npm (${v ? v.join('.') : 'not found'}) cannot install another platform's native package: it needs npm >= ${recipeNpm.MIN_CROSS_PLATFORM_NPM.join('.')} for --cpu/--libc. Upgrade npm (npm install -g npm@latest), or set buildMethod to LayerBuildMethod.DOCKER`,
      };
      throw new RecipeError(this.lastFailure);
    }
    try {
      this.lastResult = runRecipe(this.options, outputDir);
    } catch (e) {
      if (e instanceof RecipeError) this.lastFailure = e.failure;
      throw e;
    }
    return true;
  }

  /** What enters CDK's staged-asset hash: only what changes the output (no host paths). */
  public toJSON() {
    const { sdk, version, architecture, strip, dockerFallback } = this.options;
    return { recipe: `layer-assets/${RECIPE_ENTRY}`, sdk, version, architecture, strip, dockerFallback, ...hashedFlags(this.options) };
  }
}
