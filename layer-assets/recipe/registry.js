// @ts-check
'use strict';
// The build's one conversation with the npm registry before it installs:
// a connectivity probe (a refused or unroutable registry is known in seconds,
// where npm retries for minutes), and for a version without a pin, what the
// SDK version itself says about its native package (its optionalDependencies).

const net = require('net');
const { LayerBuildError } = require('./errors');
const npm = require('./npm');
const { nativeFor } = require('./sdks');

/** How long one TCP connection attempt to the registry (or proxy) may take. */
const PROBE_TIMEOUT_MS = 8000;
/** npm flags for metadata reads: one quick retry, not npm's minutes of backoff. */
const QUICK_FETCH = ['--fetch-retries=1', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=2000', '--fetch-timeout=20000'];

/** @typedef {import('./sdks').Architecture} Architecture */

/**
 * Where a TCP connection must reach for npm to work: the proxy npm (or the
 * environment) names, else the registry itself.
 * @param {string} registry
 * @returns {{ host: string, port: number, via: string }}
 */
function probeTarget(registry) {
  const proxy = npm.npmConfig('https-proxy') ?? npm.npmConfig('proxy')
    ?? process.env.HTTPS_PROXY ?? process.env.https_proxy ?? process.env.HTTP_PROXY ?? process.env.http_proxy;
  const url = new URL(proxy ?? registry);
  const port = Number(url.port) || (url.protocol === 'http:' ? 80 : 443);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port, via: proxy ? `the proxy ${url.host}` : url.host };
}

/**
 * Opens (and closes) one TCP connection.
 * @param {string} host
 * @param {number} port
 * @returns {Promise<string | undefined>} undefined when it connected, else the error code
 */
function connectOnce(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (/** @type {string | undefined} */ code) => {
      socket.destroy();
      resolve(code);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish('ETIMEDOUT'));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (e) => finish(/** @type {NodeJS.ErrnoException} */ (e).code ?? e.message));
  });
}

/** @type {Record<string, string>} */
const PROBE_MEANING = {
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'no name server answers',
  ENETUNREACH: 'there is no route to the network',
  EHOSTUNREACH: 'there is no route to the host',
  ETIMEDOUT: `no answer within ${PROBE_TIMEOUT_MS / 1000} s`,
};

/**
 * Fails within seconds when the registry (or npm's proxy) cannot be reached
 * from where the build runs.
 * @param {{ inContainer: boolean }} options
 * @returns {Promise<string>} the registry URL
 */
async function probeRegistry(options) {
  const registry = npm.registryUrl();
  const target = probeTarget(registry);
  const code = await connectOnce(target.host, target.port);
  if (code === undefined) return registry;
  const what = `${target.via} (${target.host}:${target.port}: ${code}, ${PROBE_MEANING[code] ?? 'it cannot be reached'})`;
  const message = options.inContainer
    ? `the npm registry ${registry} cannot be reached from inside the build container: ${what}. The container needs network to install the SDK: run Docker with its default bridge network (not --network none), check the engine's DNS and proxy settings, or build without Docker (buildMethod: LayerBuildMethod.LOCAL; build without --docker)`
    : `the npm registry ${registry} cannot be reached from this machine: ${what}. The layer's npm install needs it: check the network and npm's \`registry\` (and \`https-proxy\`) settings`;
  throw new LayerBuildError(message, 'REGISTRY_UNREACHABLE', { registry, host: target.host, port: target.port, error: code });
}

/**
 * `npm view <spec> <fields> --json`, parsed; undefined for a 404.
 * @param {string} spec
 * @param {string[]} fields
 * @returns {any}
 */
function view(spec, fields) {
  const r = npm.runNpm(['view', spec, ...fields, '--json', ...QUICK_FETCH], { timeoutMs: 3 * 60 * 1000 });
  if (r.status === 0) return JSON.parse(r.stdout.trim() || 'null');
  if (/E404|404 Not Found|No match found/.test(r.output)) return undefined;
  /** @type {string | undefined} */
  let said;
  try {
    const e = JSON.parse(r.stdout.trim()).error;
    if (e && e.summary) said = `${e.code ? `${e.code}: ` : ''}${e.summary}`;
  } catch {
    // not JSON: the end of its output says it
  }
  throw new LayerBuildError(`could not ask the npm registry (${npm.registryUrl()}, npm's \`registry\` setting) about ${spec}: ${said ?? npm.tail(r.output, 8)}`, 'REGISTRY');
}

/**
 * Published versions of a package (`[]` when the registry has none).
 * @param {string} pkg
 * @returns {string[]}
 */
function publishedVersions(pkg) {
  const v = view(pkg, ['versions']);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * What an SDK version names as its linux-gnu native package for an
 * architecture, checked to be on the registry. Throws NOT_PUBLISHED,
 * NO_NATIVE_PACKAGE or NO_NATIVE_BUILD with the facts the host needs to
 * suggest another version (`details`).
 * @param {string} sdk
 * @param {string} version
 * @param {Architecture} architecture
 * @returns {{ nativePackage: string, nativeVersion: string, engines?: string }}
 */
function resolveRelease(sdk, version, architecture) {
  const native = nativeFor(sdk, architecture).packageName;
  const release = view(`${sdk}@${version}`, ['version', 'optionalDependencies', 'engines']);
  if (release === undefined) {
    const published = publishedVersions(sdk);
    throw new LayerBuildError(`version ${version} of ${sdk} is not on the npm registry (${npm.registryUrl()})`, 'NOT_PUBLISHED', { sdk, version, architecture, published });
  }
  const nativeVersion = release.optionalDependencies?.[native];
  if (typeof nativeVersion !== 'string') {
    throw new LayerBuildError(`${sdk} ${version} names no ${native} among its optionalDependencies: it has no Lambda native package for ${architecture}`, 'NO_NATIVE_PACKAGE', { sdk, version, architecture, nativePackage: native });
  }
  const nativeVersions = publishedVersions(native);
  if (!nativeVersions.includes(nativeVersion)) {
    throw new LayerBuildError(`architecture ${architecture} has no native build for ${sdk} ${version}: it names ${native}@${nativeVersion}, which is not on the npm registry`, 'NO_NATIVE_BUILD',
      { sdk, version, architecture, nativePackage: native, nativeVersion, nativeVersions });
  }
  const engines = typeof release.engines?.node === 'string' ? release.engines.node : undefined;
  return { nativePackage: native, nativeVersion, engines };
}

module.exports = { probeRegistry, probeTarget, resolveRelease, publishedVersions, view, PROBE_TIMEOUT_MS };
