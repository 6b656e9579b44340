import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { resolveAccess } from './database-access';
import { findEntry, findLockFile } from './entry';
import { ENV } from '../../runtime/settings';
import { propError } from '../common/errors';
import { VectorDbSdk } from '../common/sdk';
import { checkExactVersion } from '../layer/request';

/** Lambda's limit on layers per function. */
export const MAX_LAYERS = 5;

/** The props of VectorDbFunction these checks read (its own and NodejsFunction's). */
export interface CheckedProps extends nodejs.NodejsFunctionProps {
  readonly layer?: unknown;
  readonly sdk?: unknown;
  readonly sdkVersion?: unknown;
  /** A `VectorDatabase`, as these checks read it. */
  readonly database?: { readonly fileSystem?: lambda.FileSystem };
  readonly databaseAccess?: unknown;
}

/**
 * The checks that need nothing but the props, run first: each names the prop
 * as the user wrote it. Returns `sdk` as a VectorDbSdk (undefined when not given).
 */
export function checkProps(where: string, props: CheckedProps): VectorDbSdk | undefined {
  if (props.runtime && props.runtime.family !== lambda.RuntimeFamily.NODEJS) {
    throw propError(where, {
      prop: 'runtime',
      problem: 'must be a Node.js runtime such as Runtime.NODEJS_22_X',
      value: props.runtime.name,
      why: 'the layer holds a Node.js package (Only `NODEJS` runtimes are supported)',
      fix: 'choose a Node.js runtime, or leave runtime out for the newest one the layer supports',
    });
  }
  const sdk = checkSdk(where, props.sdk);
  if (props.sdkVersion !== undefined) checkSdkVersion(where, props.sdkVersion, sdk);
  if (props.layer !== undefined) {
    const layer = props.layer as { sdk?: unknown; version?: unknown; architecture?: unknown };
    if (!layer || !(layer.sdk instanceof VectorDbSdk) || typeof layer.version !== 'string' || !(layer.architecture instanceof lambda.Architecture)) {
      throw propError(where, {
        prop: 'layer',
        problem: 'must be a VectorDbLayer, or a layer imported with VectorDbLayer.fromLayerArn(scope, id, arn, { sdk, version })',
        why: 'the function reads which SDK, version and architecture the layer holds',
        fix: 'import the layer with VectorDbLayer.fromLayerArn; other layers go in layers',
      });
    }
    if (props.sdk !== undefined || props.sdkVersion !== undefined) {
      const plural = props.sdk !== undefined && props.sdkVersion !== undefined;
      const both = plural ? 'sdk and sdkVersion' : props.sdk !== undefined ? 'sdk' : 'sdkVersion';
      throw propError(where, {
        prop: both,
        problem: `${plural ? 'are' : 'is'} set together with layer`,
        why: `${both} ${plural ? 'choose' : 'chooses'} the function's own layer, and layer replaces it (it says what it holds: ${layer.sdk} ${layer.version})`,
        fix: `remove ${both}, or remove layer`,
      });
    }
  }
  if (props.code !== undefined && props.handler === undefined) {
    throw propError(where, {
      prop: 'handler',
      problem: 'is not set, and code is',
      why: 'Cannot determine handler when `code` property is specified',
      fix: 'set handler to the file and the exported function, such as \'index.handler\'',
    });
  }
  const provided = [...new Set([...VectorDbSdk.VECTORDB.externalModules, ...VectorDbSdk.LANCEDB.externalModules])];
  const bundledTwice = (props.bundling?.nodeModules ?? []).filter((m) => provided.includes(m) || m.startsWith('@lancedb/'));
  if (bundledTwice.length > 0) {
    throw propError(where, {
      prop: 'bundling.nodeModules',
      problem: `lists ${bundledTwice.join(', ')}, which the layer provides`,
      value: props.bundling?.nodeModules,
      why: 'npm would install a second, host-platform copy into the function (the wrong binary, and twice the size)',
      fix: `remove ${bundledTwice.length > 1 ? 'them' : 'it'} from nodeModules`,
    });
  }
  const layerCount = 1 + (props.layers?.length ?? 0);
  if (layerCount > MAX_LAYERS) {
    throw propError(where, {
      prop: 'layers',
      problem: `would give the function ${layerCount} layers (the vector database layer plus ${layerCount - 1} in layers)`,
      why: `Lambda allows at most ${MAX_LAYERS}`,
      fix: 'merge or remove layers',
    });
  }
  // The access level, checked against the database (the default one, tmp(), is never read-only).
  resolveAccess(where, 'databaseAccess', props.databaseAccess, props.database ?? {});
  // A file system can only be given to the Lambda constructor: the database's goes in there.
  const fileSystem = props.database?.fileSystem;
  if (fileSystem) {
    if (props.filesystem) {
      throw propError(where, {
        prop: 'filesystem',
        problem: 'is set, and database is VectorDatabase.efs(...), which mounts its own access point',
        why: 'a function mounts one file system',
        fix: 'remove filesystem, or use VectorDatabase.efs with that access point',
      });
    }
    if (!props.vpc) {
      throw propError(where, {
        prop: 'vpc',
        problem: `is not set, and database is VectorDatabase.efs(...), which mounts an EFS access point at ${fileSystem.config.localMountPath}`,
        why: 'Lambda reaches EFS only from inside a VPC',
        fix: 'set vpc (and vpcSubnets) to the VPC of the file system\'s mount targets',
      });
    }
  }
  return sdk;
}

/** `sdk` as a VectorDbSdk: a string (plain JavaScript) or anything else is refused. */
function checkSdk(where: string, sdk: unknown): VectorDbSdk | undefined {
  if (sdk === undefined || sdk instanceof VectorDbSdk) return sdk;
  // A VectorDbSdk of another copy of this library (two versions installed) is the same SDK.
  const name = (sdk as { packageName?: unknown } | null)?.packageName;
  if (typeof name === 'string' && [VectorDbSdk.VECTORDB, VectorDbSdk.LANCEDB].some((s) => s.packageName === name)) {
    return VectorDbSdk.of(name);
  }
  throw propError(where, {
    prop: 'sdk',
    problem: 'must be VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB',
    value: sdk,
    why: typeof sdk === 'string' ? 'a package name is not a VectorDbSdk' : undefined,
    fix: `use the constant: const { VectorDbSdk } = require('cdk-vectordb-layer'); sdk: VectorDbSdk.${sdk === '@lancedb/lancedb' ? 'LANCEDB' : sdk === 'vectordb' ? 'VECTORDB' : 'LANCEDB (or VECTORDB)'}`,
  });
}

function checkSdkVersion(where: string, version: unknown, sdk: VectorDbSdk | undefined) {
  const example = sdk ? `'${sdk.defaultVersion}'` : `'${VectorDbSdk.VECTORDB.defaultVersion}' (vectordb) or '${VectorDbSdk.LANCEDB.defaultVersion}' (@lancedb/lancedb)`;
  checkExactVersion(where, version, {
    prop: 'sdkVersion',
    example,
    tokenFix: 'give the version as a string, or leave sdkVersion out: the layer then holds the version the app\'s lock file resolves',
    fix: 'give the exact version the handler is tested with, or leave sdkVersion out: the layer then holds the version the app\'s lock file resolves',
  });
}

/** What a function holding `sdk` cannot have in its other props. */
export function checkAgainstSdk(where: string, props: CheckedProps, sdk: VectorDbSdk) {
  const given = props.environment?.[ENV.SDK];
  if (given !== undefined && !Token.isUnresolved(given) && given !== sdk.packageName) {
    throw propError(where, {
      prop: `environment.${ENV.SDK}`,
      problem: `conflicts with the layer, which holds ${sdk.packageName}`,
      value: given,
      fix: `remove ${ENV.SDK} from environment (the function sets it from its layer)`,
    });
  }
}

/** The entry, lock file and project root NodejsFunction will bundle with. */
export interface Project {
  readonly entry: string;
  readonly lockFile: string;
  readonly projectRoot: string;
}

/**
 * NodejsFunction's own lookups (entry, lock file, project root), done before
 * the layer build; the entry is found beside `caller`, the file that called
 * `new VectorDbFunction`.
 */
export function findProject(where: string, id: string, props: nodejs.NodejsFunctionProps, caller: string | undefined): Project {
  const entry = findEntry(where, id, props.entry, caller);
  const lockFile = findLockFile(where, props.depsLockFilePath);
  const projectRoot = path.resolve(props.projectRoot ?? path.dirname(lockFile));
  const relative = path.relative(projectRoot, lockFile);
  if (relative.includes('..')) {
    throw propError(where, {
      prop: 'depsLockFilePath',
      problem: `must be under projectRoot (${projectRoot})`,
      value: lockFile,
      why: `Expected depsLockFilePath: ${lockFile} to be under projectRoot: ${projectRoot} (${relative})`,
      fix: 'set projectRoot to a folder that holds the lock file, or give the lock file inside projectRoot',
    });
  }
  return { entry, lockFile, projectRoot };
}
