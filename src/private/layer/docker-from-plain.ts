/**
 * A compressed layer built in Docker, made from its plain layer when that one
 * is built (earlier in this synth, or in the machine cache): the same image
 * runs the recipe with the plain layer's folder mounted and `--from-plain`, so
 * the container copies it and compresses the binary, with no `npm install`.
 * The bytes are those of a full build in the same image: the image's Node.js
 * compresses in both (./plain-layer.ts, the host's side of the same thing).
 *
 * CDK runs it as the bundling's local step, before its own `docker run`: when
 * there is no plain layer, or the recipe finds it unusable, it returns false
 * and CDK runs the full build in the container as before. It adds nothing to
 * CDK's staged-asset hash (`toJSON` gives undefined), so a Docker-built
 * compressed layer keeps its folder name and S3 key whichever way it was made.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ILocalBundling } from 'aws-cdk-lib';
import { dockerRunOptions, DockerLayerBuild } from './docker';
import { readRecipeFailure } from './local-build';
import { PlainLayer } from './plain-layer';
import { ASSETS_DIR, recipeManifest } from './recipe';

/** Where the plain layer's folder is mounted in the container. */
export const PLAIN_LAYER_MOUNT = '/plain-layer';

export class DockerFromPlain implements ILocalBundling {
  constructor(
    private readonly build: DockerLayerBuild,
    private readonly plainLayer: () => PlainLayer | undefined,
  ) {}

  public tryBundle(outputDir: string): boolean {
    if (this.build.compressBinary !== true) return false;
    const plain = this.plainLayer();
    if (!plain) return false;
    try {
      const run = dockerRunOptions(this.build, ASSETS_DIR, outputDir);
      this.build.image.run({
        ...run,
        command: [...run.command ?? [], '--from-plain', PLAIN_LAYER_MOUNT],
        volumes: [...run.volumes ?? [], { hostPath: plain.dir, containerPath: PLAIN_LAYER_MOUNT }],
      });
      return true;
    } catch (e) {
      const failure = readRecipeFailure(outputDir);
      // Anything but an unusable plain layer is the build's failure, reported as any Docker build's.
      if (failure?.code !== 'PLAIN_UNUSABLE') throw e;
      process.stderr.write(`[vectordb-layer] ${plain.where}: ${failure.message} (found in ${plain.source}); building the compressed layer in full\n`);
      fs.rmSync(path.join(outputDir, recipeManifest().ERROR_FILE), { force: true });
      return false;
    } finally {
      plain.release();
    }
  }

  /** Nothing for CDK's staged-asset hash: the layer's bytes do not depend on this step. */
  public toJSON(): undefined {
    return undefined;
  }
}
