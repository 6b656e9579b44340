/**
 * The codec of a compressed native binary (`compressBinary`), decided once,
 * before the build (the asset hash records it): zstd, which decodes about
 * twice as fast, when every runtime the layer can run on has a Node.js that
 * decodes it (Node.js >= 22.15, so majors 22 and later: Lambda's nodejs22.x is
 * past 22.15) and the Node.js that runs the recipe can write it; else brotli,
 * which every Lambda Node.js runtime decodes. A Docker build runs the build
 * image's Node.js, which the recipe asks itself (it writes brotli and says so
 * when it cannot write zstd).
 */
import { LayerRequest, requestOf } from './request';
import { compatibleRuntimes, factsBeforeBuild } from '../facts/compatibility';
import { nodeRuntimeFact } from '../facts/runtimes';

/** The first Node.js major whose every Lambda runtime release decodes zstd (zlib, >= 22.15). */
export const ZSTD_NODE_MAJOR = 22;

/** Whether this Node.js writes zstd (>= 22.15, 23.8): the one that runs a host build's recipe. */
export function nodeWritesZstd(): boolean {
  // Loaded here, not at import: only a compressed layer asks (bench/cache.ts: the package's import cost).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zlib = require('zlib') as { zstdCompressSync?: unknown };
  return typeof zlib.zstdCompressSync === 'function';
}

/** Where the recipe runs, as far as the codec cares. */
export interface CodecBuilder {
  /** In a build container: its image's Node.js decides, in the recipe. */
  readonly inDocker: boolean;
  /** Whether the host's Node.js writes zstd (default: this process's). */
  readonly hostWritesZstd?: boolean;
  /** The host's Node.js version, for the warning (default: this process's). */
  readonly hostNodeVersion?: string;
}

/** The request with its codec, and the warning when only the host keeps it from zstd. */
export interface CodecChoice {
  readonly request: LayerRequest;
  readonly warning?: string;
}

/** Whether every runtime the layer can run on (as known before its build) decodes zstd. */
export function runtimesDecodeZstd(request: LayerRequest): boolean {
  const runtimes = compatibleRuntimes(factsBeforeBuild(request));
  return runtimes.length > 0 && runtimes.every((r) => (nodeRuntimeFact(r)?.major ?? 0) >= ZSTD_NODE_MAJOR);
}

/**
 * The request with `codec: 'zstd'` when the layer gets zstd; unchanged (brotli)
 * otherwise, so a brotli layer keeps the hash it had before zstd existed.
 */
export function chooseCodec(request: LayerRequest, builder: CodecBuilder): CodecChoice {
  const rest = requestOf({ ...request, codec: undefined });
  if (request.compressBinary !== true || !runtimesDecodeZstd(request)) return { request: rest };
  if (builder.inDocker || (builder.hostWritesZstd ?? nodeWritesZstd())) return { request: { ...rest, codec: 'zstd' } };
  const node = builder.hostNodeVersion ?? process.version;
  return {
    request: rest,
    warning: `the Node.js running this synth (${node}) cannot write zstd (Node.js >= 22.15 can), which every runtime of ${request.sdk} ${request.version} decodes: `
      + 'the native binary is brotli-compressed instead, which takes about twice as long to decode at each cold start. '
      + 'Run the synth on Node.js >= 22.15 (a Docker build runs the build image\'s Node.js) to get zstd',
  };
}
