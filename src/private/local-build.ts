import { ILocalBundling } from 'aws-cdk-lib';
import { LayerManifest, recipe, recipeNpm } from './recipe';

let crossPlatformNpm: boolean | undefined;

/** Whether the host's npm can install another platform's native package (npm >= 10.4). */
export function hostCanBuildWithoutDocker(): boolean {
  if (crossPlatformNpm === undefined) {
    crossPlatformNpm = recipeNpm.canInstallCrossPlatform();
  }
  return crossPlatformNpm;
}

export interface LocalLayerBuildOptions {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
  readonly strip: boolean;
  /** Fall back to Docker (return false) when the host cannot build; else throw. */
  readonly dockerFallback: boolean;
}

/**
 * Runs the recipe on the host, in-process: CDK's local bundling of the layer.
 * It is the same `buildLayer` the container runs through `build-layer.js`.
 */
export class LocalLayerBuild implements ILocalBundling {
  /** The recipe's error of the last failed build, for the construct to report. */
  public lastError?: Error;
  /** The manifest of the last build. */
  public lastManifest?: LayerManifest;
  /** Whether the last call left the build to Docker (the host's npm is too old). */
  public deferredToDocker = false;

  constructor(private readonly options: LocalLayerBuildOptions) {}

  public tryBundle(outputDir: string): boolean {
    this.deferredToDocker = false;
    if (!hostCanBuildWithoutDocker()) {
      if (this.options.dockerFallback) {
        this.deferredToDocker = true;
        return false;
      }
      const v = recipeNpm.npmVersion();
      const err = new Error(`buildMethod is LayerBuildMethod.LOCAL but the host's npm (${v ? v.join('.') : 'not found'}) cannot install another platform's native package: it needs npm >= ${recipeNpm.MIN_CROSS_PLATFORM_NPM.join('.')} for --cpu/--libc. Upgrade npm (npm install -g npm@latest), or set buildMethod to LayerBuildMethod.DOCKER`);
      this.lastError = err;
      throw err;
    }
    try {
      this.lastManifest = recipe.buildLayer({
        sdk: this.options.sdk,
        version: this.options.version,
        architecture: this.options.architecture,
        outDir: outputDir,
        strip: this.options.strip,
      });
    } catch (e) {
      this.lastError = e as Error;
      throw e;
    }
    return true;
  }

  /** What enters CDK's asset hash: only what changes the output (no host paths). */
  public toJSON() {
    return { recipe: 'layer-assets/build-layer.js', ...this.options };
  }
}
