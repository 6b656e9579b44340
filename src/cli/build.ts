/**
 * `cdk-vectordb-layer build`: the LanceDB layer as a zip, for Serverless, SAM,
 * Terraform or the AWS CLI. The same recipe as the VectorDbLayer construct
 * (layer-assets/recipe/build.js `buildLayer`), run in-process or inside the
 * Lambda build image; then a deterministic zip (src/cli/zip.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command } from './main';
import { badInput, isSdk, sdkInfo, sdkNames } from './versions';
import { zipFolder, ZipError, ZipResult } from './zip';
import { ASSETS_DIR, LayerManifest, recipe, recipeNpm, recipeVersions } from '../private/recipe';
import { compatibleNodeRuntimes } from '../private/runtimes';

/** The Lambda build image the --docker build runs in (as VectorDbLayer's Docker bundling). */
export const DOCKER_IMAGE = 'public.ecr.aws/sam/build-nodejs24.x';
const DOCKER_PLATFORM: Record<string, string> = { x86_64: 'linux/amd64', arm64: 'linux/arm64' };
/** Lambda takes a zip of at most this many bytes directly (`--zip-file`); larger ones go through S3. */
const DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Codes of recipe errors that mean the input was wrong rather than the build. */
const INPUT_ERROR_CODES = new Set(['BAD_INPUT', 'NOT_PUBLISHED', 'NO_NATIVE_BUILD']);


const USAGE = `usage: cdk-vectordb-layer build [options]

Builds the LanceDB Lambda layer as a zip, for Serverless, SAM, Terraform or the
AWS CLI: the recipe of the VectorDbLayer construct (the SDK, its dependencies
and the one linux-gnu native binary for the architecture, pruned and
stripped), zipped with nodejs/node_modules at its root. The same input gives
the same zip, byte for byte. Prints its sha256, sizes, the Lambda runtimes it
works on, and ready-to-paste serverless.yml, SAM, AWS CLI and Terraform snippets.

options:
  --sdk <name>       ${sdkNames().join(' or ')} (default ${sdkNames()[0]})
  --version <x.y.z>  exact SDK version (default: ${sdkNames().map((s) => `${s} ${sdkInfo(s).defaultVersion}`).join(', ')})
  --arch <arch>      x86_64 or arm64 (default x86_64)
  --out <file.zip>   the zip to write (default ${sdkNames().map((n) => sdkInfo(n).slug).join('|')}-layer-<version>-<arch>.zip here)
  --docker           build inside ${DOCKER_IMAGE} (docker, or the
                     executable named by CDK_DOCKER) instead of on this host
  --no-strip         keep the native binary as published (default: strip it when
                     binutils for the target are installed)
  --json             print one JSON object on stdout (sizes, sha256, runtimes, snippets)
  -h, --help         this help

Prints "<sha256>  <zip>" on stdout (sha256sum's format) and the report on stderr.
Without --docker the host needs npm >= ${recipeNpm.MIN_CROSS_PLATFORM_NPM.join('.')} (any OS and cpu).
cdk-vectordb-layer versions lists the versions that have a native build.
Exit codes: 0 success, 1 the build failed, 2 bad usage or input.`;

class UsageError extends Error {}

export interface BuildArgs {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
  readonly out: string;
  readonly docker: boolean;
  readonly strip: boolean;
  readonly json: boolean;
  readonly help: boolean;
}

/** Parses and validates every flag; throws UsageError with the one line to print. */
export function parseBuildArgs(argv: string[], cwd = process.cwd()): BuildArgs {
  const given: Record<string, string> = {};
  let docker = false;
  let strip = true;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const noValue = () => {
      if (inline !== undefined) throw new UsageError(badInput('build', flag, 'takes no value', inline, `write ${flag} alone`));
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--sdk':
      case '--version':
      case '--arch':
      case '--architecture':
      case '--out': {
        const name = flag === '--architecture' ? '--arch' : flag;
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`cdk-vectordb-layer build: ${flag} needs a value; run cdk-vectordb-layer build --help for the options`);
        if (given[name] !== undefined) throw new UsageError(badInput('build', name, 'is given twice', v, `give ${name} once`));
        given[name] = v;
        break;
      }
      case '--docker':
        noValue();
        docker = true;
        break;
      case '--no-strip':
        noValue();
        strip = false;
        break;
      case '--json':
        noValue();
        json = true;
        break;
      default:
        throw new UsageError(`cdk-vectordb-layer build: unknown ${flag.startsWith('-') ? 'option' : 'argument'} ${JSON.stringify(flag)}; run cdk-vectordb-layer build --help for the options`);
    }
  }

  const sdk = given['--sdk'] ?? sdkNames()[0];
  if (!isSdk(sdk)) {
    throw new UsageError(badInput('build', '--sdk', `must be one of ${sdkNames().join(', ')}`, sdk, `for example --sdk ${sdkNames()[0]}`));
  }
  const info = sdkInfo(sdk);
  const version = given['--version'] ?? info.defaultVersion;
  if (!recipeVersions.isExactVersion(version)) {
    throw new UsageError(badInput('build', '--version', 'must be an exact version x.y.z (optional -prerelease)', version,
      `for example --version ${info.defaultVersion}; cdk-vectordb-layer versions --sdk ${sdk} lists them`));
  }
  const architecture = given['--arch'] ?? 'x86_64';
  if (!Object.prototype.hasOwnProperty.call(recipe.CPU_BY_ARCHITECTURE, architecture)) {
    const hint = /^(amd64|x64|x86-64)$/i.test(architecture) ? 'Lambda calls it x86_64: --arch x86_64'
      : /^(aarch64|arm64)$/i.test(architecture) ? 'Lambda calls it arm64: --arch arm64' : 'use --arch x86_64 or --arch arm64';
    throw new UsageError(badInput('build', '--arch', 'must be x86_64 or arm64', architecture, hint));
  }
  const defaultName = `${info.slug}-layer-${version}-${architecture}.zip`;
  const outGiven = given['--out'];
  const out = path.resolve(cwd, outGiven ?? defaultName);
  if (outGiven !== undefined) {
    if (!outGiven.toLowerCase().endsWith('.zip') || path.basename(outGiven).length <= 4) {
      throw new UsageError(badInput('build', '--out', 'must be a file name ending in .zip', outGiven, `for example --out ${defaultName}`));
    }
    // File systems allow 255 bytes a name (and the build adds `.partial`).
    if (Buffer.byteLength(path.basename(out)) > 240) {
      throw new UsageError(badInput('build', '--out', `must be a file name of at most 240 bytes (this one has ${Buffer.byteLength(path.basename(out))})`, outGiven, `for example --out ${defaultName}`));
    }
    if (fs.existsSync(out) && fs.statSync(out).isDirectory()) {
      throw new UsageError(badInput('build', '--out', 'is an existing folder', outGiven, `name a zip file in it, e.g. --out ${path.join(outGiven, defaultName)}`));
    }
    const parent = path.dirname(out);
    if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) {
      throw new UsageError(badInput('build', '--out', 'is in a folder that does not exist', outGiven, `create ${path.dirname(outGiven)} first`));
    }
  }
  return { sdk, version, architecture, out, docker, strip, json, help };
}

/**
 * Before building a version without a lockfile: it and its native package for
 * the architecture must be on the registry. Pinned versions skip this (the
 * recipe checks the lockfile). Throws UsageError, or the registry's error.
 */
function checkRegistry(args: BuildArgs): void {
  if (recipe.pinDir(args.sdk, args.version, args.architecture)) return;
  const published = recipeNpm.publishedVersions(args.sdk);
  if (published.length === 0) {
    throw new UsageError(badInput('build', '--sdk', `is not on the npm registry ${recipeNpm.registryUrl()}`, args.sdk, 'check npm\'s `registry` setting'));
  }
  if (!published.includes(args.version)) {
    const near = recipeVersions.nearestVersions(args.version, published);
    throw new UsageError(badInput('build', '--version', `is not a published version of ${args.sdk}`, args.version,
      `nearest published: ${near.join(', ')}`));
  }
  const native = recipe.nativeFor(args.sdk, args.architecture).packageName;
  const nativeVersions = new Set(recipeNpm.publishedVersions(native));
  if (!nativeVersions.has(args.version)) {
    const withNative = published.filter((v) => nativeVersions.has(v)).sort(recipeVersions.compareVersions);
    const other = args.architecture === 'arm64' ? 'x86_64' : 'arm64';
    throw new UsageError(badInput('build', '--arch', `has no native build for ${args.sdk} ${args.version} (${native}@${args.version} is not published)`, args.architecture,
      withNative.length > 0
        ? `versions of ${args.sdk} with one: ${withNative.join(', ')}; use one of them, or --arch ${other}`
        : `no version of ${args.sdk} has one; use --arch ${other}`));
  }
}

/** Runs the recipe in the Lambda build image; returns the manifest or throws with the reason. */
function buildInDocker(args: BuildArgs, outDir: string): LayerManifest {
  const executable = process.env.CDK_DOCKER || 'docker';
  const user = typeof process.getuid === 'function' && typeof process.getgid === 'function' ? ['--user', `${process.getuid()}:${process.getgid()}`] : [];
  const dockerArgs = [
    'run', '--rm',
    '--platform', DOCKER_PLATFORM[args.architecture],
    ...user,
    '-v', `${ASSETS_DIR}:/asset-input:ro`,
    '-v', `${outDir}:/asset-output`,
    '-e', 'HOME=/tmp',
    '-e', 'npm_config_cache=/tmp/.npm',
    DOCKER_IMAGE,
    'node', '/asset-input/build-layer.js',
    '--sdk', args.sdk,
    '--version', args.version,
    '--architecture', args.architecture,
    '--out', '/asset-output',
    ...(args.strip ? [] : ['--no-strip']),
  ];
  process.stderr.write(`[vectordb-layer] ${executable} ${dockerArgs.join(' ')}\n`);
  // The container's stdout (the manifest as JSON) and stderr (progress) both go to our stderr.
  const r = spawnSync(executable, dockerArgs, { stdio: ['ignore', 2, 2], shell: false, windowsHide: true, timeout: 60 * 60 * 1000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(`--docker could not start ${JSON.stringify(executable)}${process.env.CDK_DOCKER ? ' (from CDK_DOCKER)' : ''} (${code ?? r.error.message}): no Docker engine answered; install and start Docker, or build without --docker`);
  }
  const errorFile = path.join(outDir, recipe.ERROR_FILE);
  if (r.status !== 0) {
    if (fs.existsSync(errorFile)) {
      const reported = JSON.parse(fs.readFileSync(errorFile, 'utf-8')) as { message?: string; code?: string };
      const err = new Error(`the build in Docker failed: ${reported.message ?? 'no reason given'}`) as Error & { code?: string };
      err.code = reported.code;
      throw err;
    }
    throw new Error(`${executable} run exited ${r.status ?? r.signal} before the recipe reported anything: no Docker engine answered, or ${DOCKER_IMAGE} could not be run; start Docker, or build without --docker`);
  }
  const manifest = recipe.readManifest(outDir);
  if (!manifest) throw new Error(`${executable} run finished but left no layer (nodejs/${recipe.MANIFEST_FILE}) in the output folder`);
  return manifest;
}

/** A YAML scalar: plain when safe, else double-quoted (JSON strings are valid YAML). */
function yaml(s: string): string {
  return /^[A-Za-z0-9_./][A-Za-z0-9_./@ -]*$/.test(s) && !/ $/.test(s) && !/^(true|false|yes|no|on|off|null|~|[-.\d]+)$/i.test(s) ? s : JSON.stringify(s);
}

/** A word for a POSIX shell: as it is when safe, else single-quoted. */
function sh(s: string): string {
  return /^[A-Za-z0-9_./@:=+,-]+$/.test(s) ? s : `'${s.replace(/'/g, '\'\\\'\'')}'`;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}

export interface SnippetInput {
  readonly sdk: string;
  readonly slug: string;
  readonly version: string;
  readonly architecture: string;
  readonly zip: string;
  readonly zippedBytes: number;
  readonly runtimes: string[];
  readonly externals: string[];
}

/** serverless.yml, SAM, AWS CLI and Terraform snippets for the zip. */
export function snippets(s: SnippetInput): { serverless: string; sam: string; awsCli: string; terraform: string } {
  const layerName = `${s.slug}-${s.version.replace(/[^A-Za-z0-9]/g, '-')}-${s.architecture}`;
  const description = `${s.sdk} ${s.version} for Lambda ${s.architecture} (cdk-vectordb-layer)`;
  const runtime = s.runtimes[s.runtimes.length - 1] ?? 'nodejs22.x';
  const list = (items: string[], indent: string) => (items.length > 0 ? items.map((i) => `\n${indent}- ${yaml(i)}`).join('') : ' []');
  const zipName = path.basename(s.zip);
  const big = s.zippedBytes > DIRECT_UPLOAD_BYTES;

  const serverless = [
    '# serverless.yml (serverless-esbuild)',
    'provider:',
    '  name: aws',
    `  runtime: ${runtime}`,
    `  architecture: ${s.architecture}`,
    'layers:',
    `  ${s.slug}:`,
    `    description: ${yaml(description)}`,
    '    package:',
    `      artifact: ${yaml(s.zip)}`,
    `    compatibleRuntimes:${list(s.runtimes, '      ')}`,
    `    compatibleArchitectures:${list([s.architecture], '      ')}`,
    'functions:',
    '  search:',
    '    handler: src/search.handler',
    '    layers:',
    `      - Ref: ${pascal(s.slug)}LambdaLayer`,
    'plugins:',
    '  - serverless-esbuild',
    'custom:',
    '  esbuild:',
    '    bundle: true',
    `    # ${s.externals.join(', ')} come from the layer (/opt/nodejs/node_modules):`,
    '    # external keeps them out of the bundle, exclude keeps the packager from installing them',
    `    external:${list(s.externals, '      ')}`,
    `    exclude:${list(s.externals, '      ')}`,
    '    packager: npm',
    '# Serverless v4 without the plugin: build.esbuild.external and build.esbuild.exclude take the same lists',
  ].join('\n');

  const resource = `${pascal(s.slug)}Layer`;
  const sam = [
    '# template.yaml (AWS SAM)',
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    `  ${resource}:`,
    '    Type: AWS::Serverless::LayerVersion',
    '    Properties:',
    `      LayerName: ${layerName}`,
    `      Description: ${yaml(description)}`,
    `      ContentUri: ${yaml(s.zip)}`,
    `      CompatibleRuntimes:${list(s.runtimes, '        ')}`,
    `      CompatibleArchitectures:${list([s.architecture], '        ')}`,
    '  SearchFunction:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      CodeUri: src/',
    '      Handler: search.handler',
    `      Runtime: ${runtime}`,
    `      Architectures:${list([s.architecture], '        ')}`,
    '      Layers:',
    `        - !Ref ${resource}`,
    '    Metadata:',
    '      BuildMethod: esbuild',
    '      BuildProperties:',
    '        EntryPoints:',
    '          - search.ts',
    `        # ${s.externals.join(', ')} come from the layer: not bundled, not packaged`,
    `        External:${list(s.externals, '          ')}`,
  ].join('\n');

  const publish = (content: string[]) => [
    'aws lambda publish-layer-version \\',
    `  --layer-name ${layerName} \\`,
    `  --description ${sh(description)} \\`,
    ...content.map((c) => `  ${c} \\`),
    `  --compatible-runtimes ${s.runtimes.join(' ')} \\`,
    `  --compatible-architectures ${s.architecture}`,
  ];
  const awsCli = [
    '# AWS CLI',
    ...(big
      ? [
        `# ${zipName} is over Lambda's 50 MB direct upload: publish it through S3`,
        `aws s3 cp ${sh(s.zip)} s3://YOUR-BUCKET/${sh(zipName)}`,
        ...publish([`--content S3Bucket=YOUR-BUCKET,S3Key=${sh(zipName)}`]),
      ]
      : publish([`--zip-file ${sh(`fileb://${s.zip}`)}`])),
    `# bundle the function without ${s.externals.join(', ')} (they come from the layer), e.g.`,
    `#   npx esbuild src/search.ts --bundle --platform=node --target=${runtime.replace(/^nodejs(\d+)\.x$/, 'node$1')} ${s.externals.map((e) => `--external:${e}`).join(' ')} --outfile=dist/search.js`,
  ].join('\n');

  const hcl = (v: string) => JSON.stringify(v).replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
  const terraform = [
    '# Terraform (hashicorp/aws)',
    `resource "aws_lambda_layer_version" ${hcl(s.slug)} {`,
    `  layer_name               = ${hcl(layerName)}`,
    `  description              = ${hcl(description)}`,
    ...(big
      ? [
        `  # ${zipName} is over Lambda's 50 MB direct upload: upload it to S3 first`,
        '  s3_bucket                = "YOUR-BUCKET"',
        `  s3_key                   = ${hcl(zipName)}`,
      ]
      : [`  filename                 = ${hcl(s.zip)}`]),
    `  source_code_hash         = filebase64sha256(${hcl(s.zip)})`,
    `  compatible_runtimes      = [${s.runtimes.map(hcl).join(', ')}]`,
    `  compatible_architectures = [${hcl(s.architecture)}]`,
    '}',
    `# functions: layers = [aws_lambda_layer_version.${s.slug}.arn], bundled with ${s.externals.map((e) => `--external:${e}`).join(' ')}`,
  ].join('\n');

  return { serverless, sam, awsCli, terraform };
}

function bytes(n: number): string {
  return n.toLocaleString('en-US');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A shell's exit status for death by `signal` (SIGINT 130, SIGTERM 143). */
function signalExit(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 2);
}

/** Lets a pending SIGINT/SIGTERM reach its handler before going on. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function run(argv: string[]): Promise<number> {
  let args: BuildArgs;
  try {
    args = parseBuildArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const fail = (message: string, code: number) => {
    process.stderr.write(`cdk-vectordb-layer build: ${message}\n`);
    return code;
  };
  if (!args.docker && !recipeNpm.canInstallCrossPlatform()) {
    const v = recipeNpm.npmVersion();
    return fail(`this host's npm (${v ? v.join('.') : 'not found'}) cannot install another platform's native package: it needs npm >= ${recipeNpm.MIN_CROSS_PLATFORM_NPM.join('.')}; upgrade npm (npm install -g npm@latest) or use --docker`, 1);
  }
  try {
    checkRegistry(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    return fail((e as Error).message, 1);
  }

  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-vectordb-layer-build-'));
  const layerDir = path.join(staging, 'layer');
  fs.mkdirSync(layerDir);
  let manifest: LayerManifest;
  let zip: ZipResult;
  let zipMs: number;
  const started = Date.now();
  try {
    try {
      manifest = args.docker
        ? buildInDocker(args, layerDir)
        : recipe.buildLayer({ sdk: args.sdk, version: args.version, architecture: args.architecture, outDir: layerDir, strip: args.strip });
    } catch (e) {
      await tick();
      if (interrupted) return fail(`interrupted (${interrupted}); nothing was written`, signalExit(interrupted));
      const err = e as Error & { code?: string };
      return fail(err.message, err.code && INPUT_ERROR_CODES.has(err.code) ? 2 : 1);
    }
    await tick();
    if (interrupted) return fail(`interrupted (${interrupted}); nothing was written`, signalExit(interrupted));
    const zipStarted = Date.now();
    try {
      zip = zipFolder(layerDir, args.out);
    } catch (e) {
      if (e instanceof ZipError) return fail(e.message, 1);
      throw e;
    }
    zipMs = Date.now() - zipStarted;
    await tick();
    if (interrupted) {
      fs.rmSync(zip.file, { force: true });
      return fail(`interrupted (${interrupted}); the zip was removed`, signalExit(interrupted));
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  const runtimes = compatibleNodeRuntimes(manifest.glibc, manifest.nodeEngines).map((r) => r.name);
  const shown = path.relative(process.cwd(), zip.file);
  const display = shown === '' || shown.startsWith('..') || path.isAbsolute(shown) ? zip.file : shown;
  const info = sdkInfo(args.sdk);
  const snippetsOf = snippets({
    sdk: args.sdk,
    slug: info.slug,
    version: args.version,
    architecture: args.architecture,
    zip: display.split(path.sep).join('/'),
    zippedBytes: zip.zippedBytes,
    runtimes,
    externals: manifest.externalModules,
  });
  const warnings = [...manifest.warnings];
  if (runtimes.length === 0) {
    warnings.push(`no Lambda Node.js runtime can load this layer: its binary needs glibc ${manifest.glibc}${manifest.nodeEngines ? ` and node ${manifest.nodeEngines}` : ''} (nodejs18.x has glibc 2.26, nodejs20.x and later 2.34)`);
  }
  if (manifest.strip.requested && !manifest.strip.applied && manifest.strip.reason) warnings.push(`not stripped: ${manifest.strip.reason}`);
  const totalMs = Date.now() - started;

  if (args.json) {
    const out = {
      sdk: args.sdk,
      version: args.version,
      architecture: args.architecture,
      platform: manifest.platform,
      zip: zip.file,
      sha256: zip.sha256,
      fileCount: zip.entries,
      unzippedBytes: zip.unzippedBytes,
      zippedBytes: zip.zippedBytes,
      lambdaUnzippedLimitBytes: recipe.LAMBDA_UNZIPPED_LIMIT_BYTES,
      glibc: manifest.glibc,
      nodeEngines: manifest.nodeEngines,
      compatibleRuntimes: runtimes,
      compatibleArchitectures: [args.architecture],
      externalModules: manifest.externalModules,
      nativePackage: manifest.nativePackage,
      nativeBinary: manifest.nativeBinary,
      nativeBinaryBytes: manifest.nativeBinaryBytes,
      nativeBinaryBytesBeforeStrip: manifest.nativeBinaryBytesBeforeStrip,
      strip: manifest.strip,
      pinned: manifest.pinned,
      loadChecked: manifest.loadChecked,
      loadSkipped: manifest.loadSkipped,
      builtWith: args.docker ? `docker ${DOCKER_IMAGE}` : 'local',
      buildMs: totalMs - zipMs,
      zipMs,
      warnings,
      snippets: snippetsOf,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }

  const percent = ((zip.unzippedBytes / recipe.LAMBDA_UNZIPPED_LIMIT_BYTES) * 100).toFixed(0);
  const strip = manifest.strip.applied ? 'stripped' : 'not stripped';
  const report = [
    '',
    `${args.sdk} ${args.version} for Lambda ${args.architecture} (${manifest.platform})${manifest.pinned ? ', pinned by a lockfile' : ''}`,
    `  zip             ${display}`,
    `  sha256          ${zip.sha256}`,
    `  files           ${bytes(zip.entries)}`,
    `  unzipped        ${bytes(zip.unzippedBytes)} bytes (${percent}% of Lambda's ${bytes(recipe.LAMBDA_UNZIPPED_LIMIT_BYTES)} for a function and all its layers)`,
    `  zipped          ${bytes(zip.zippedBytes)} bytes`,
    `  native binary   ${manifest.nativePackage}, ${bytes(manifest.nativeBinaryBytes)} bytes, ${strip}, needs glibc ${manifest.glibc ?? '(no versioned symbols)'}`,
    `  runtimes        ${runtimes.length > 0 ? runtimes.join(', ') : 'none'}${manifest.nodeEngines ? ` (engines.node ${manifest.nodeEngines})` : ''}`,
    `  load check      ${manifest.loadChecked ? `require('${args.sdk}') from the layer worked on this host` : `skipped: ${manifest.loadSkipped}`}`,
    `  built in        ${seconds(totalMs - zipMs)}${args.docker ? ` in ${DOCKER_IMAGE}` : ''}, zipped in ${seconds(zipMs)}`,
    ...warnings.map((w) => `warning: ${w}`),
    '',
    snippetsOf.serverless,
    '',
    snippetsOf.sam,
    '',
    snippetsOf.awsCli,
    '',
    snippetsOf.terraform,
    '',
  ];
  process.stderr.write(`${report.join('\n')}\n`);
  // The result on stdout, in sha256sum's format: `sha256sum -c` checks it.
  process.stdout.write(`${zip.sha256}  ${display}\n`);
  return 0;
}

export const command: Command = {
  summary: 'build the layer as a zip for Serverless, SAM, Terraform or the AWS CLI (no CDK)',
  run,
};
