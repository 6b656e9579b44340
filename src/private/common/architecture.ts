/**
 * The two Lambda architectures a layer is built for, typed once: every
 * private module takes a `LayerArchitecture`, made from a string or an
 * aws-cdk-lib `Architecture` by the one checked conversion here.
 */
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { propError } from './errors';
import type { RecipeArchitecture } from '../layer/recipe';

/** `x86_64` or `arm64`, as Lambda and the recipe (`layer-assets/recipe/sdks.js`) name them. */
export type LayerArchitecture = RecipeArchitecture;

/** Both, in the order messages list them. */
export const LAYER_ARCHITECTURES: readonly LayerArchitecture[] = ['x86_64', 'arm64'];

/** Whether `value` names one of the two (a string, never a token). */
export function isLayerArchitecture(value: unknown): value is LayerArchitecture {
  return typeof value === 'string' && (LAYER_ARCHITECTURES as readonly string[]).includes(value);
}

/**
 * The checked conversion: an aws-cdk-lib `Architecture` (or its name) as a
 * `LayerArchitecture`, else the error every construct gives for it, at
 * `where`, naming `prop`.
 */
export function layerArchitecture(where: string, architecture: lambda.Architecture | string, prop = 'architecture'): LayerArchitecture {
  const name = typeof architecture === 'string' ? architecture : architecture?.name;
  if (!Token.isUnresolved(name) && isLayerArchitecture(name)) return name;
  throw propError(where, { prop, problem: 'must be Architecture.X86_64 or Architecture.ARM_64', value: name, fix: 'use one of the two Lambda architectures' });
}

/** The aws-cdk-lib `Architecture` of a `LayerArchitecture`. */
export function lambdaArchitecture(architecture: LayerArchitecture): lambda.Architecture {
  return architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
}

/** The other one, for messages that offer it. */
export function otherArchitecture(architecture: LayerArchitecture): LayerArchitecture {
  return architecture === 'arm64' ? 'x86_64' : 'arm64';
}
