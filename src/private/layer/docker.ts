/**
 * The one Docker invocation of a layer build, shared by the construct (as CDK
 * bundling options: CDK runs `docker run`) and the `build --docker` command
 * (which asks CDK's `DockerImage.run` to run the same thing): the same image,
 * platform, user, volumes, working folder, environment and recipe command.
 */
import * as os from 'os';
import { AssetStaging, BundlingOptions, DockerImage, DockerRunOptions } from 'aws-cdk-lib';
import { recipeArgs, LayerRequest } from './request';
import { lambdaArchitecture } from '../common/architecture';
import { knownNodeRuntimes } from '../facts/runtimes';

/** What a layer build in a container needs: the request and the image. */
export interface DockerLayerBuild extends LayerRequest {
  readonly image: DockerImage;
}

/** The Lambda build image of the newest Node.js runtime aws-cdk-lib knows: the default image. */
export function defaultBuildImage(): DockerImage {
  const all = knownNodeRuntimes();
  return all[all.length - 1].runtime.bundlingImage;
}

/**
 * A Docker image reference as Docker parses it: [domain[:port]/]path[:tag][@digest],
 * lower-case path components (distribution/reference's grammar).
 */
export const IMAGE_REFERENCE = (() => {
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
  const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const tag = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
  const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
  return new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`);
})();

/** Whether `image` is an image reference Docker would accept (at most 512 characters). */
export function isImageReference(image: unknown): image is string {
  return typeof image === 'string' && image.length <= 512 && IMAGE_REFERENCE.test(image);
}

/** Environment inside the container: a writable HOME and npm cache, and the recipe told it runs in a container. */
export const CONTAINER_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  HOME: '/tmp',
  npm_config_cache: '/tmp/.npm',
  npm_config_update_notifier: 'false',
  VECTORDB_LAYER_IN_CONTAINER: '1',
});

/** The layer build as CDK bundling options (CDK adds the volumes, `-w /asset-input` and the user). */
export function bundlingOptions(build: DockerLayerBuild): BundlingOptions {
  return {
    image: build.image,
    platform: lambdaArchitecture(build.architecture).dockerPlatform,
    command: recipeArgs(build, AssetStaging.BUNDLING_INPUT_DIR, AssetStaging.BUNDLING_OUTPUT_DIR),
    environment: { ...CONTAINER_ENVIRONMENT },
  };
}

/**
 * The same build as `docker run` options, exactly as CDK's bind-mount bundling
 * passes them (aws-cdk-lib core/lib/private/asset-staging.js, AssetBundlingBindMount).
 */
export function dockerRunOptions(build: DockerLayerBuild, hostInputDir: string, hostOutputDir: string): DockerRunOptions {
  const bundling = bundlingOptions(build);
  const info = os.userInfo();
  return {
    command: bundling.command,
    user: info.uid !== -1 ? `${info.uid}:${info.gid}` : '1000:1000',
    environment: bundling.environment,
    workingDirectory: AssetStaging.BUNDLING_INPUT_DIR,
    securityOpt: '',
    volumes: [
      { hostPath: hostInputDir, containerPath: AssetStaging.BUNDLING_INPUT_DIR },
      { hostPath: hostOutputDir, containerPath: AssetStaging.BUNDLING_OUTPUT_DIR },
    ],
    platform: bundling.platform,
  };
}
