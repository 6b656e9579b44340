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
import { PlainKeeper, PlainLayer } from './plain-layer';
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
  const file = path.join(outDir, recipeManifest().ERROR_FILE);
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
  /**
   * For a compressed layer: its plain layer, when one is built (this synth or
   * the machine cache), to make it from without an install.
   */
  readonly plainLayer?: () => PlainLayer | undefined;
  /** For a compressed layer built in full: where its plain layer is kept, for a plain layer asked for later. */
  readonly plainKeeper?: () => PlainKeeper | undefined;
}

/** Extra recipe arguments of a compressed layer: made from a plain layer, or keeping its plain layer. */
export interface PlainArgs {
  /** `--from-plain`: the plain layer's folder. */
  readonly fromPlain?: string;
  /** `--keep-plain`: an empty folder for the plain layer. */
  readonly keepPlain?: string;
}

let builds = 0;
let installs = 0;

/** How many layer builds this process has run on the host (for tests and the bench). */
export function localBuildCount(): number {
  return builds;
}

/** How many of those builds ran npm install (the others made a compressed layer from a plain one). */
export function localInstallCount(): number {
  return installs;
}

/**
 * Runs the recipe's command on the host into `outDir`; returns its result or
 * throws a RecipeError with its report. `plain.fromPlain`: a compressed layer
 * made from that plain layer's folder (`--from-plain`), without an install;
 * `plain.keepPlain`: the plain layer written there too (`--keep-plain`).
 */
export function runRecipe(request: LayerRequest, outDir: string, env: NodeJS.ProcessEnv = process.env, plain: PlainArgs = {}): BuildResult {
  builds += 1;
  const [, script, ...args] = recipeArgs(request, ASSETS_DIR, outDir);
  if (plain.fromPlain !== undefined) args.push('--from-plain', plain.fromPlain);
  if (plain.keepPlain !== undefined) args.push('--keep-plain', plain.keepPlain);
  const r = spawnSync(process.execPath, [script, ...args], {
    env,
    encoding: 'utf-8',
    shell: false,
    windowsHide: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status === 0) {
    const result = JSON.parse(r.stdout) as BuildResult;
    if (result.installed) installs += 1;
    return result;
  }
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
        message: `buildMethod is LayerBuildMethod.LOCAL but the host's npm (${v ? v.join('.') : 'not found'}) cannot install another platform's native package: it needs npm >= ${recipeNpm().MIN_CROSS_PLATFORM_NPM.join('.')} for --cpu/--libc. Upgrade npm (npm install -g npm@latest), or set buildMethod to LayerBuildMethod.DOCKER`,
      };
      throw new RecipeError(this.lastFailure);
    }
    try {
      this.lastResult = this.build(outputDir);
    } catch (e) {
      if (e instanceof RecipeError) this.lastFailure = e.failure;
      throw e;
    }
    return true;
  }

  /**
   * Builds into `outputDir` (the host's npm able to): a compressed layer from
   * its plain layer when one is built, else in full (a compressed one keeping
   * its plain layer in the machine cache).
   */
  public build(outputDir: string): BuildResult {
    return this.fromPlain(outputDir) ?? this.full(outputDir);
  }

  /**
   * A compressed layer made from its plain layer when one is built; undefined
   * when there is none, or when the recipe finds it unusable (said on stderr;
   * the full build follows).
   */
  private fromPlain(outputDir: string): BuildResult | undefined {
    if (this.options.compressBinary !== true || !this.options.plainLayer) return undefined;
    const plain = this.options.plainLayer();
    if (!plain) return undefined;
    try {
      return runRecipe(this.options, outputDir, process.env, { fromPlain: plain.dir });
    } catch (e) {
      if (!(e instanceof RecipeError) || e.failure.code !== 'PLAIN_UNUSABLE') throw e;
      process.stderr.write(`[vectordb-layer] ${plain.where}: ${e.failure.message} (found in ${plain.source}); building the compressed layer in full\n`);
      fs.rmSync(path.join(outputDir, recipeManifest().ERROR_FILE), { force: true });
      return undefined;
    } finally {
      plain.release();
    }
  }

  /** The full build; a compressed one keeps its plain layer in the machine cache too. */
  private full(outputDir: string): BuildResult {
    const keeper = this.options.compressBinary === true ? this.options.plainKeeper?.() : undefined;
    if (!keeper) return runRecipe(this.options, outputDir);
    let result: BuildResult | undefined;
    try {
      result = runRecipe(this.options, outputDir, process.env, { keepPlain: keeper.dir });
      return result;
    } finally {
      keeper.keep(result?.keptPlain);
    }
  }

  /** What enters CDK's staged-asset hash: only what changes the output (no host paths). */
  public toJSON() {
    const { sdk, version, architecture, strip, dockerFallback } = this.options;
    return { recipe: `layer-assets/${RECIPE_ENTRY}`, sdk, version, architecture, strip, dockerFallback, ...hashedFlags(this.options) };
  }
}
