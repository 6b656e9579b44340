/**
 * `VectorDbSdk`, public (re-exported by `src/sdk.ts`) but declared here, below
 * the public files, so private code uses it without importing them.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { layerArchitecture } from './architecture';
import { propError } from './errors';
import { pinnedVersions } from '../layer/pins';
import { recipeSdks } from '../layer/recipe';

/** What the library says of each SDK (the build's view is layer-assets/sdks.json). */
const SDK_INFO: Record<string, { readonly defaultVersion: string; readonly externalModules: readonly string[] }> = {
  'vectordb': { defaultVersion: '0.21.2', externalModules: ['vectordb', 'apache-arrow'] },
  '@lancedb/lancedb': { defaultVersion: '0.39.0', externalModules: ['@lancedb/lancedb', 'apache-arrow'] },
};

/**
 * Which LanceDB JavaScript SDK a layer holds.
 *
 * @see https://lancedb.github.io/lancedb/
 */
export class VectorDbSdk {
  /**
   * `vectordb`, the legacy LanceDB SDK that existing Lambda deployments run
   * (deprecated upstream; last release 0.21.2).
   */
  public static readonly VECTORDB = new VectorDbSdk('vectordb');

  /** `@lancedb/lancedb`, the current LanceDB SDK. */
  public static readonly LANCEDB = new VectorDbSdk('@lancedb/lancedb');

  /**
   * The SDK whose npm package name is `packageName`.
   *
   * @param packageName `vectordb` or `@lancedb/lancedb`
   */
  public static of(packageName: string): VectorDbSdk {
    const sdk = [VectorDbSdk.VECTORDB, VectorDbSdk.LANCEDB].find((s) => s.packageName === packageName);
    if (!sdk) {
      throw propError('VectorDbSdk.of', {
        prop: 'packageName',
        problem: 'must be vectordb or @lancedb/lancedb',
        value: packageName,
        fix: 'use VectorDbSdk.VECTORDB or VectorDbSdk.LANCEDB',
      });
    }
    return sdk;
  }

  /** The npm package name, which is also the module name handlers import. */
  public readonly packageName: string;

  private constructor(packageName: string) {
    this.packageName = packageName;
  }

  /**
   * The version a layer gets when none is given: pinned by a lockfile in
   * `layer-assets/pins` and tested.
   */
  public get defaultVersion(): string {
    return SDK_INFO[this.packageName].defaultVersion;
  }

  /**
   * The version a layer for `architecture` gets when none is given: the
   * default version where it has a native build for that architecture, else
   * the newest pinned version that has one (vectordb 0.4.2 and
   * @lancedb/lancedb 0.31.0 on arm64).
   */
  public defaultVersionFor(architecture: lambda.Architecture): string {
    const pinned = this.pinnedVersions(architecture);
    return pinned.includes(this.defaultVersion) || pinned.length === 0 ? this.defaultVersion : pinned[0];
  }

  /**
   * Versions with a lockfile (`layer-assets/pins`) for an architecture, newest first.
   */
  public pinnedVersions(architecture: lambda.Architecture): string[] {
    return pinnedVersions(this.packageName, architecture.name);
  }

  /**
   * The npm package holding the linux-gnu native binary for an architecture.
   */
  public nativePackageName(architecture: lambda.Architecture): string {
    return recipeSdks.nativeFor(this.packageName, layerArchitecture('VectorDbSdk.nativePackageName', architecture)).packageName;
  }

  /**
   * Module names a bundler must leave to the layer: the SDK, and packages whose
   * objects cross the SDK's API (apache-arrow), which must be the layer's copy.
   */
  public get externalModules(): string[] {
    return [...SDK_INFO[this.packageName].externalModules];
  }

  /** The package name. */
  public toString(): string {
    return this.packageName;
  }
}
