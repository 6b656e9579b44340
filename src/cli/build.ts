/**
 * `cdk-vectordb-layer build`: the LanceDB layer as a zip, for Serverless, SAM,
 * Terraform or the AWS CLI. The same recipe command as the VectorDbLayer
 * construct (`node layer-assets/build-layer.js ...`), run on this host or, with
 * --docker, in the construct's Docker invocation; then a deterministic zip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerImage } from 'aws-cdk-lib';
import { badInput, parseCommandArgs, parseOrExit, UsageError } from './args';
import type { Command } from './main';
import { snippets } from './snippets';
import { zipFolder, ZipError, ZipResult } from './zip';
import { isLayerArchitecture, LayerArchitecture } from '../private/common/architecture';
import { formatProblem } from '../private/common/errors';
import { compatibleRuntimes, LayerFacts } from '../private/facts/compatibility';
import { explainRecipeFailure, knownVersionProblem } from '../private/facts/version-problems';
import { isExactVersion } from '../private/facts/versions';
import { chooseCodec, runtimesDecodeZstd } from '../private/layer/codec';
import { readManifest } from '../private/layer/dir';
import { defaultBuildImage, dockerRunOptions, isImageReference } from '../private/layer/docker';
import { chooseBuild } from '../private/layer/host-build';
import { LocalLayerBuild, readRecipeFailure, RecipeError, RecipeFailure } from '../private/layer/local-build';
import { hostNpmCanInstallCrossPlatform, hostNpmVersion } from '../private/layer/npm-version';
import { plainHooks } from '../private/layer/plain-layer';
import { ASSETS_DIR, LayerManifest, recipeBuild, recipeNpm, recipeSdks } from '../private/layer/recipe';
import { InputNames, LayerRequest, requestOf } from '../private/layer/request';
import { VectorDbSdk } from '../sdk';

/** Codes of recipe errors that mean the input was wrong rather than the build. */
const INPUT_ERROR_CODES = new Set(['BAD_INPUT', 'NOT_PUBLISHED', 'NO_NATIVE_BUILD', 'NO_NATIVE_PACKAGE']);
/** The flags, as messages about versions name them. */
const FLAG_NAMES: InputNames = { sdk: '--sdk', version: '--version', architecture: '--arch' };

function sdkNames(): string[] {
  return Object.keys(recipeSdks.SDKS);
}

function sdkOf(name: string): VectorDbSdk {
  return VectorDbSdk.of(name);
}

const USAGE = `usage: cdk-vectordb-layer build [options]

Builds the LanceDB Lambda layer as a zip, for Serverless, SAM, Terraform or the
AWS CLI: the recipe of the VectorDbLayer construct (the SDK, its dependencies
and the one linux-gnu native binary for the architecture, pruned and
stripped), zipped with nodejs/node_modules at its root. The same input gives
the same zip, byte for byte. Prints its sha256, sizes, the Lambda runtimes it
works on, and ready-to-paste serverless.yml, SAM, AWS CLI and Terraform snippets.

options:
  --sdk <name>       ${sdkNames().join(' or ')} (default ${sdkNames()[0]})
  --version <x.y.z>  exact SDK version (default: ${sdkNames().map((s) => `${s} ${sdkOf(s).defaultVersion}`).join(', ')})
  --arch <arch>      x86_64 or arm64 (default x86_64)
  --out <file.zip>   the zip to write (default ${sdkNames().map((n) => recipeSdks.SDKS[n].slug).join('|')}-layer-<version>-<arch>.zip here)
  --docker           build in a container, exactly as VectorDbLayer's Docker bundling
                     does (docker, or the executable named by CDK_DOCKER)
  --image <ref>      the image --docker builds in (default ${defaultBuildImage().image})
  --no-strip         keep the native binary as published (default: strip it when
                     binutils for the target are installed)
  --compress         ship the native binary compressed (zstd when every runtime of
                     the layer decodes it and this Node.js writes it, else brotli)
                     with a loader that decompresses it into /tmp at each cold
                     start: about a third of the size (see the README's
                     "Compressed binary")
  --json             print one JSON object on stdout (sizes, sha256, runtimes,
                     every fact VectorDbLayer.fromLayerArn takes, snippets)
  -h, --help         this help

Prints "<sha256>  <zip>" on stdout (sha256sum's format) and the report on stderr.
Without --docker the host needs npm >= ${recipeNpm().MIN_CROSS_PLATFORM_NPM.join('.')} (any OS and cpu).
cdk-vectordb-layer versions lists the versions that have a native build.
Exit codes: 0 success, 1 the build failed, 2 bad usage or input.`;

/** The command's flags: the layer request, and where and how to build it. */
export interface BuildArgs extends LayerRequest {
  readonly compressBinary: boolean;
  readonly out: string;
  readonly docker: boolean;
  readonly image: string;
  readonly json: boolean;
  readonly help: boolean;
}

const OPTIONS = {
  'sdk': { type: 'string' },
  'version': { type: 'string' },
  'arch': { type: 'string' },
  'architecture': { type: 'string' },
  'out': { type: 'string' },
  'image': { type: 'string' },
  'docker': { type: 'boolean' },
  'no-strip': { type: 'boolean' },
  'compress': { type: 'boolean' },
  'json': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const;

/** Parses and validates every flag; throws UsageError with the one line to print. */
export function parseBuildArgs(argv: string[], cwd = process.cwd()): BuildArgs {
  const { values } = parseCommandArgs('build', argv, OPTIONS);
  const str = (k: string) => values[k] as string | undefined;
  if (str('arch') !== undefined && str('architecture') !== undefined) {
    throw new UsageError(badInput('build', '--arch', 'is given twice (as --arch and --architecture)', String(str('architecture')), 'give --arch once'));
  }
  const sdk = str('sdk') ?? sdkNames()[0];
  if (!sdkNames().includes(sdk)) {
    throw new UsageError(badInput('build', '--sdk', `must be one of ${sdkNames().join(', ')}`, sdk, `for example --sdk ${sdkNames()[0]}`));
  }
  const version = str('version') ?? sdkOf(sdk).defaultVersion;
  if (!isExactVersion(version)) {
    throw new UsageError(badInput('build', '--version', 'must be an exact version x.y.z (optional -prerelease)', version,
      `for example --version ${sdkOf(sdk).defaultVersion}; cdk-vectordb-layer versions --sdk ${sdk} lists them`));
  }
  const architecture = parseArchitecture(str('arch') ?? str('architecture') ?? 'x86_64');
  const image = str('image');
  if (image !== undefined && !values.docker) throw new UsageError(badInput('build', '--image', 'is for --docker builds', image, 'add --docker, or leave --image out'));
  if (image !== undefined && !isImageReference(image)) {
    throw new UsageError(badInput('build', '--image', 'must be an image reference ([registry/]name[:tag][@digest], lower-case name)', image, `for example --image ${defaultBuildImage().image}`));
  }
  const out = parseOut(str('out'), `${recipeSdks.SDKS[sdk].slug}-layer-${version}-${architecture}.zip`, cwd);
  return {
    sdk,
    version,
    architecture,
    out,
    docker: values.docker === true,
    image: image ?? defaultBuildImage().image,
    strip: values['no-strip'] !== true,
    compressBinary: values.compress === true,
    json: values.json === true,
    help: values.help === true,
  };
}

function parseArchitecture(value: string): LayerArchitecture {
  if (isLayerArchitecture(value)) return value;
  const hint = /^(amd64|x64|x86-64)$/i.test(value) ? 'Lambda calls it x86_64: --arch x86_64'
    : /^(aarch64|arm64)$/i.test(value) ? 'Lambda calls it arm64: --arch arm64' : 'use --arch x86_64 or --arch arm64';
  throw new UsageError(badInput('build', '--arch', 'must be x86_64 or arm64', value, hint));
}

function parseOut(given: string | undefined, defaultName: string, cwd: string): string {
  const out = path.resolve(cwd, given ?? defaultName);
  if (given === undefined) return out;
  const bad = (problem: string, fix: string) => new UsageError(badInput('build', '--out', problem, given, fix));
  if (!given.toLowerCase().endsWith('.zip') || path.basename(given).length <= 4) throw bad('must be a file name ending in .zip', `for example --out ${defaultName}`);
  // File systems allow 255 bytes a name (and the build adds `.partial`).
  const nameBytes = Buffer.byteLength(path.basename(out));
  if (nameBytes > 240) throw bad(`must be a file name of at most 240 bytes (this one has ${nameBytes})`, `for example --out ${defaultName}`);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw bad('is an existing folder', `name a zip file in it, e.g. --out ${path.join(given, defaultName)}`);
  const parent = path.dirname(out);
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw bad('is in a folder that does not exist', `create ${path.dirname(given)} first`);
  return out;
}

/** Runs the recipe in a container, with the construct's Docker invocation; returns the manifest or throws. */
function buildInDocker(args: BuildArgs, outDir: string): LayerManifest {
  const executable = process.env.CDK_DOCKER || 'docker';
  const image = DockerImage.fromRegistry(args.image);
  const build = { ...chooseCodec(requestOf(args), { inDocker: true }).request, image };
  try {
    image.run(dockerRunOptions(build, ASSETS_DIR, outDir));
  } catch (e) {
    const failure = readRecipeFailure(outDir);
    if (failure) throw new RecipeError(failure);
    const code = (e as NodeJS.ErrnoException).code;
    const from = process.env.CDK_DOCKER ? ' (from CDK_DOCKER)' : '';
    const message = code
      ? `--docker: could not start ${JSON.stringify(executable)}${from} (${code}): install Docker (or podman), or point CDK_DOCKER at its command, or build without --docker`
      : `--docker: ${executable} run failed before the recipe reported anything (${(e as Error).message.split('\n')[0]}): no Docker engine answered, or ${args.image} could not be run; start the engine, check the image, or build without --docker`;
    throw new RecipeError({ code: 'DOCKER', message });
  }
  const manifest = readManifest(outDir);
  if (!manifest) throw new RecipeError({ code: 'DOCKER', message: `${executable} run finished but left no layer (nodejs/vectordb-layer.json) in the output folder` });
  return manifest;
}

/** The recipe's report, told with this command's flags. */
function explainFailure(failure: RecipeFailure, args: BuildArgs): string {
  const explained = explainRecipeFailure(failure, args, FLAG_NAMES);
  if (!explained) return failure.message;
  return formatProblem({ ...explained, value: explained.prop === FLAG_NAMES.architecture ? args.architecture : args.version });
}

/** The facts of a built layer, for runtimes, the report and --json. */
function factsOf(manifest: LayerManifest, args: BuildArgs): LayerFacts {
  return {
    sdk: args.sdk,
    version: args.version,
    architecture: args.architecture,
    known: true,
    glibc: manifest.glibc ?? undefined,
    neededLibraries: manifest.neededLibraries,
    engines: manifest.nodeEngines ?? undefined,
  };
}

interface Built {
  readonly manifest: LayerManifest;
  readonly zip: ZipResult;
  readonly buildMs: number;
  readonly zipMs: number;
}

/**
 * The recipe on this host; a compressed layer is made from its plain layer
 * when the machine cache holds it (no install), and a full one keeps its
 * plain layer there.
 */
function buildOnHost(request: LayerRequest, layerDir: string): LayerManifest {
  const { unstripped } = chooseBuild({ method: 'local', architecture: request.architecture, strip: request.strip, npmCanBuild: true });
  const build = new LocalLayerBuild({ ...request, dockerFallback: false, ...plainHooks(request, unstripped, 'cdk-vectordb-layer build') });
  return build.build(layerDir).manifest;
}

/** Builds into a staging folder and zips it; returns an exit code on failure. */
function buildAndZip(args: BuildArgs, fail: (message: string, code: number) => number): Built | number {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-vectordb-layer-build-'));
  const layerDir = path.join(staging, 'layer');
  fs.mkdirSync(layerDir);
  try {
    const started = Date.now();
    let manifest: LayerManifest;
    try {
      manifest = args.docker ? buildInDocker(args, layerDir) : buildOnHost(chooseCodec(requestOf(args), { inDocker: false }).request, layerDir);
    } catch (e) {
      if (!(e instanceof RecipeError)) throw e;
      return fail(explainFailure(e.failure, args), e.failure.code && INPUT_ERROR_CODES.has(e.failure.code) ? 2 : 1);
    }
    const zipStarted = Date.now();
    try {
      const zip = zipFolder(layerDir, args.out);
      return { manifest, zip, buildMs: zipStarted - started, zipMs: Date.now() - zipStarted };
    } catch (e) {
      if (e instanceof ZipError) return fail(e.message, 1);
      throw e;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** What the build must refuse before it starts: an npm that cannot cross-install, a version the facts table rules out. */
function preflight(args: BuildArgs, fail: (message: string, code: number) => number): number | undefined {
  const known = knownVersionProblem(args, FLAG_NAMES);
  if (known) return fail(formatProblem({ ...known, value: known.prop === FLAG_NAMES.architecture ? args.architecture : args.version }), 2);
  if (!args.docker && !hostNpmCanInstallCrossPlatform()) {
    const v = hostNpmVersion();
    return fail(`this host's npm (${v ? v.join('.') : 'not found'}) cannot install another platform's native package: it needs npm >= ${recipeNpm().MIN_CROSS_PLATFORM_NPM.join('.')}; upgrade npm (npm install -g npm@latest) or use --docker`, 1);
  }
  return undefined;
}

async function run(argv: string[]): Promise<number> {
  const args = parseOrExit(() => parseBuildArgs(argv), USAGE);
  if (typeof args === 'number') return args;
  const fail = (message: string, code: number) => {
    process.stderr.write(`cdk-vectordb-layer build: ${message}\n`);
    return code;
  };
  const refused = preflight(args, fail);
  if (refused !== undefined) return refused;
  const interrupted = watchSignals();
  try {
    const built = buildAndZip(args, fail);
    // Let a SIGINT/SIGTERM that arrived while the child built reach its handler.
    await new Promise((resolve) => setImmediate(resolve));
    if (typeof built === 'number') return interrupted.signal ? fail(`interrupted (${interrupted.signal}); nothing was written`, signalExit(interrupted.signal)) : built;
    if (interrupted.signal) {
      fs.rmSync(built.zip.file, { force: true });
      return fail(`interrupted (${interrupted.signal}); the zip was removed`, signalExit(interrupted.signal));
    }
    printResult(args, built);
    return 0;
  } finally {
    interrupted.stop();
  }
}

/** Remembers a SIGINT/SIGTERM that arrives while the build runs in a child process. */
function watchSignals(): { signal?: NodeJS.Signals; stop: () => void } {
  const state: { signal?: NodeJS.Signals; stop: () => void } = { stop: () => undefined };
  const onSignal = (signal: NodeJS.Signals) => {
    state.signal = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  state.stop = () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  return state;
}

/** A shell's exit status for death by `signal` (SIGINT 130, SIGTERM 143). */
function signalExit(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 2);
}

/** The result: JSON on stdout, or the report on stderr and `<sha256>  <zip>` on stdout. */
function printResult(args: BuildArgs, built: Built) {
  const { manifest, zip } = built;
  const runtimes = compatibleRuntimes(factsOf(manifest, args)).map((r) => r.name);
  const shown = path.relative(process.cwd(), zip.file);
  const display = shown === '' || shown.startsWith('..') || path.isAbsolute(shown) ? zip.file : shown;
  const snippetsOf = snippets({
    sdk: args.sdk,
    slug: recipeSdks.SDKS[args.sdk].slug,
    version: args.version,
    architecture: args.architecture,
    zip: display.split(path.sep).join('/'),
    zippedBytes: zip.zippedBytes,
    runtimes,
    externals: sdkOf(args.sdk).externalModules,
  });
  const warnings: string[] = [];
  if (runtimes.length === 0) warnings.push(`no Lambda Node.js runtime can load this layer: its binary needs glibc ${manifest.glibc}${manifest.nodeEngines ? ` and node ${manifest.nodeEngines}` : ''}`);
  if (manifest.strip.requested && !manifest.strip.applied && manifest.strip.reason) warnings.push(`not stripped: ${manifest.strip.reason}`);
  if (manifest.compressedBinary && manifest.compressedBinary.codec !== 'zstd' && runtimesDecodeZstd(requestOf(args))) {
    warnings.push(chooseCodec(requestOf(args), { inDocker: args.docker }).warning
      ?? `the build image's Node.js (${args.image}) cannot write zstd (Node.js >= 22.15 can), which every runtime of this layer decodes: the native binary is brotli-compressed instead, which takes about twice as long to decode at each cold start`);
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(jsonReport(args, built, runtimes, warnings, snippetsOf), null, 2)}\n`);
    return;
  }
  process.stderr.write(`${textReport(args, built, runtimes, warnings, display).join('\n')}\n\n${Object.values(snippetsOf).join('\n\n')}\n\n`);
  // The result on stdout, in sha256sum's format: `sha256sum -c` checks it.
  process.stdout.write(`${zip.sha256}  ${display}\n`);
}

/** Every fact of the zip, including all that VectorDbLayer.fromLayerArn takes. */
function jsonReport(args: BuildArgs, built: Built, runtimes: string[], warnings: string[], snippetsOf: object) {
  const { manifest, zip } = built;
  return {
    sdk: args.sdk,
    version: args.version,
    architecture: args.architecture,
    platform: manifest.platform,
    zip: zip.file,
    sha256: zip.sha256,
    fileCount: zip.entries,
    unzippedBytes: zip.unzippedBytes,
    zippedBytes: zip.zippedBytes,
    lambdaUnzippedLimitBytes: recipeBuild().LAMBDA_UNZIPPED_LIMIT_BYTES,
    glibc: manifest.glibc,
    nodeEngines: manifest.nodeEngines,
    neededLibraries: manifest.neededLibraries,
    compatibleRuntimes: runtimes,
    compatibleArchitectures: [args.architecture],
    externalModules: sdkOf(args.sdk).externalModules,
    nativePackage: manifest.nativePackage,
    nativePackageVersion: manifest.nativePackageVersion,
    nativeBinary: manifest.nativeBinary,
    nativeBinaryBytes: manifest.nativeBinaryBytes,
    nativeBinaryBytesBeforeStrip: manifest.nativeBinaryBytesBeforeStrip,
    compressedBinary: manifest.compressedBinary,
    decompressedBinaryBytes: manifest.compressedBinary?.decompressedBytes ?? null,
    strip: manifest.strip,
    pinned: manifest.pinned,
    loadChecked: manifest.loadChecked,
    loadSkipped: manifest.loadSkipped,
    builtWith: args.docker ? `docker ${args.image}` : 'local',
    buildMs: built.buildMs,
    zipMs: built.zipMs,
    warnings,
    snippets: snippetsOf,
  };
}

function textReport(args: BuildArgs, built: Built, runtimes: string[], warnings: string[], display: string): string[] {
  const { manifest, zip } = built;
  const bytes = (n: number) => n.toLocaleString('en-US');
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const percent = ((zip.unzippedBytes / recipeBuild().LAMBDA_UNZIPPED_LIMIT_BYTES) * 100).toFixed(0);
  return [
    '',
    `${args.sdk} ${args.version} for Lambda ${args.architecture} (${manifest.platform})${manifest.pinned ? ', pinned by a lockfile' : ', fresh from the registry (no lockfile here; npm checked every integrity)'}`,
    `  zip             ${display}`,
    `  sha256          ${zip.sha256}`,
    `  files           ${bytes(zip.entries)}`,
    `  unzipped        ${bytes(zip.unzippedBytes)} bytes (${percent}% of Lambda's ${bytes(recipeBuild().LAMBDA_UNZIPPED_LIMIT_BYTES)} for a function and all its layers)`,
    `  zipped          ${bytes(zip.zippedBytes)} bytes`,
    `  native binary   ${manifest.nativePackage}@${manifest.nativePackageVersion}, ${bytes(manifest.nativeBinaryBytes)} bytes, ${manifest.strip.applied ? 'stripped' : 'not stripped'}, needs glibc ${manifest.glibc ?? '(no versioned symbols)'}`,
    ...(manifest.compressedBinary ? [`  compressed      ${bytes(manifest.compressedBinary.bytes)} bytes of ${manifest.compressedBinary.codec === 'zstd' ? 'zstd' : 'brotli'} for the binary; each cold start decompresses ${bytes(manifest.compressedBinary.decompressedBytes)} bytes into /tmp`] : []),
    `  runtimes        ${runtimes.length > 0 ? runtimes.join(', ') : 'none'}${manifest.nodeEngines ? ` (engines.node ${manifest.nodeEngines})` : ''}`,
    `  load check      ${manifest.loadChecked ? `require('${args.sdk}') from the layer worked on this host` : `skipped: ${manifest.loadSkipped}`}`,
    `  built in        ${seconds(built.buildMs)}${args.docker ? ` in ${args.image}` : ''}, zipped in ${seconds(built.zipMs)}`,
    ...warnings.map((w) => `warning: ${w}`),
  ];
}

export const command: Command = {
  summary: 'build the layer as a zip for Serverless, SAM, Terraform or the AWS CLI (no CDK)',
  run,
};
