import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { propError } from '../common/errors';
import { onPath } from '../common/on-path';

/**
 * The project as `NodejsFunction` will see it, found before the layer build:
 * every lookup here is NodejsFunction's own (aws-lambda-nodejs `function.ts`),
 * done first so that what would fail there fails before 5-20 s of layer build,
 * and so that the entry is found beside the file that called
 * `new VectorDbFunction` (NodejsFunction's own lookup would find this package's file).
 */

/** Entry file extensions, in NodejsFunction's lookup order. */
export const ENTRY_EXTENSIONS = ['.ts', '.js', '.mjs', '.mts', '.cts', '.cjs'];

/** Lock files, in NodejsFunction's lookup order (`findLockFile`). */
export const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'];

/**
 * The file whose code called the constructor named `constructorName`: the
 * frame after the last frame of that constructor, as NodejsFunction's
 * `findDefiningFile` does for `NodejsFunction`.
 */
export function callerFile(constructorName: string): string | undefined {
  const original = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_, stack) => stack;
    sites = (new Error().stack as unknown as NodeJS.CallSite[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = original;
  }
  const index = sites.findIndex((s) => s.getFunctionName() === constructorName);
  const file = index === -1 ? undefined : sites[index + 1]?.getFileName();
  if (!file) return undefined;
  return file.startsWith('file://') ? fileURLToPath(file) : file;
}

/**
 * The entry file, as an absolute path: `entry` when given (it must exist),
 * else `<caller>.<id>.ts|.js|.mjs|.mts|.cts|.cjs` beside the calling file.
 */
export function findEntry(where: string, id: string, entry: string | undefined, caller: string | undefined): string {
  if (entry !== undefined) {
    if (typeof entry !== 'string' || !/\.(jsx?|tsx?|cjs|cts|mjs|mts)$/.test(entry)) {
      throw propError(where, {
        prop: 'entry',
        problem: 'must be a JavaScript or TypeScript file (.js, .jsx, .ts, .tsx, .mjs, .mts, .cjs or .cts)',
        value: entry,
        why: 'Only JavaScript or TypeScript entry files are supported',
        fix: 'give the handler\'s source file',
      });
    }
    const resolved = path.resolve(entry);
    if (!fs.existsSync(resolved)) {
      const relative = !path.isAbsolute(entry);
      throw propError(where, {
        prop: 'entry',
        problem: 'names no file',
        value: entry,
        why: `Cannot find entry file at ${resolved}${relative ? ` (a relative entry is resolved against the folder the synth runs in, ${process.cwd()})` : ''}`,
        fix: relative
          ? 'run the synth from the folder entry is relative to (where cdk.json is), or give an absolute path such as path.join(__dirname, ...)'
          : 'give the path of the handler file',
      });
    }
    return resolved;
  }
  const host = jsiiHost();
  if (!caller) {
    if (host) throw entryRequiredFrom(where, host);
    throw propError(where, {
      prop: 'entry',
      problem: 'is not set, and the file that created the function cannot be found (Cannot find defining file.)',
      fix: 'set entry to the handler\'s path',
    });
  }
  const base = caller.slice(0, caller.length - path.extname(caller).length);
  const tried = ENTRY_EXTENSIONS.map((ext) => `${base}.${id}${ext}`);
  const found = tried.find((f) => fs.existsSync(f));
  if (found) return found;
  if (host) throw entryRequiredFrom(where, host);
  throw propError(where, {
    prop: 'entry',
    problem: 'is not set, and no handler file is beside the file that created the function',
    why: `Cannot find handler file ${tried.slice(0, -1).join(', ')} or ${tried[tried.length - 1]}`,
    fix: `set entry to the handler's path, or name the handler ${path.basename(tried[0])} (or .js, .mjs, .mts, .cts, .cjs) beside ${path.basename(caller)}`,
  });
}

/**
 * The language of the app when it drives this library through the jsii
 * kernel: the `JSII_AGENT` that the Python, Java, .NET and Go runtimes set
 * for the kernel process (`Python/3.11.2`, `Java/17.0.9`, `DotNet/...`,
 * `go1.22.1/linux/amd64`; the kernel itself sets none); undefined in a
 * JavaScript app.
 */
export function jsiiHost(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const agent = env.JSII_AGENT?.trim();
  return agent ? agent : undefined;
}

/**
 * From a jsii host the code that calls the constructor is the kernel's own
 * file (in its temp folder), so there is nothing to find the handler beside:
 * NodejsFunction would name `<kernel>/program.<id>.ts`. The entry must be
 * given; a relative one is resolved against the app's folder.
 */
function entryRequiredFrom(where: string, host: string) {
  return propError(where, {
    prop: 'entry',
    problem: `is not set, and is required from a ${host} app`,
    why: 'the handler is found beside the JavaScript file that creates the function, and a non-JavaScript app has none (its calls come through the jsii kernel)',
    fix: `set entry to the handler file's path (a relative path is resolved against ${process.cwd()}, the folder the app runs in)`,
  });
}

/**
 * The lock file NodejsFunction will use: `depsLockFilePath`, else the first
 * folder from the current one up holding one of `LOCK_FILES` (one only).
 */
export function findLockFile(where: string, depsLockFilePath: string | undefined): string {
  if (depsLockFilePath !== undefined) {
    if (!fs.existsSync(depsLockFilePath)) {
      throw propError(where, {
        prop: 'depsLockFilePath',
        problem: 'names no file',
        value: depsLockFilePath,
        why: `Lock file at ${path.resolve(depsLockFilePath)} doesn't exist (the synth runs in ${process.cwd()})`,
        fix: 'give the path of the project\'s package-lock.json, yarn.lock, pnpm-lock.yaml or bun.lock',
      });
    }
    if (!fs.statSync(depsLockFilePath).isFile()) {
      throw propError(where, {
        prop: 'depsLockFilePath',
        problem: 'should point to a file',
        value: depsLockFilePath,
        fix: 'give the lock file itself, not its folder',
      });
    }
    return path.resolve(depsLockFilePath);
  }
  const found = findUpMultiple(LOCK_FILES, process.cwd());
  if (found.length === 0) {
    throw propError(where, {
      prop: 'depsLockFilePath',
      problem: 'is not set, and no lock file is in the folder the synth runs in or above it',
      why: `Cannot find a package lock file (\`pnpm-lock.yaml\`, \`yarn.lock\`, \`bun.lockb\`, \`bun.lock\` or \`package-lock.json\`) from ${process.cwd()} up`,
      fix: 'run the synth from the project folder, or set depsLockFilePath',
    });
  }
  if (found.length > 1) {
    throw propError(where, {
      prop: 'depsLockFilePath',
      problem: 'is not set, and the project has more than one lock file',
      why: `Multiple package lock files found: ${found.join(', ')}`,
      fix: 'set depsLockFilePath to the one the project uses',
    });
  }
  return found[0];
}

/** The files among `names` in the nearest folder, from `dir` up, that holds any of them. */
export function findUpMultiple(names: string[], dir: string): string[] {
  let current = path.resolve(dir);
  for (;;) {
    const files = names.map((n) => path.join(current, n)).filter((f) => fs.existsSync(f));
    if (files.length > 0) return files;
    const parent = path.dirname(current);
    if (parent === current) return [];
    current = parent;
  }
}

/** The nearest `name` from `dir` up. */
export function findUp(name: string, dir: string): string | undefined {
  return findUpMultiple([name], dir)[0];
}

/** Where aws-cdk-lib is installed: NodejsFunction looks for esbuild from there. */
function awsCdkLibDir(): string {
  return path.dirname(require.resolve('aws-cdk-lib/package.json'));
}

/** An esbuild NodejsFunction can run locally. */
export interface EsbuildInstallation {
  /** `local`: a package (also loadable as a module); `global`: an `esbuild` on PATH. */
  readonly kind: 'local' | 'global';
  readonly version: string;
  /** The package folder, for a local installation. */
  readonly packageDir?: string;
}

/** Where esbuildInstallation looks; the defaults are NodejsFunction's. */
export interface EsbuildLookup {
  /** The folder the package is resolved from. @default aws-cdk-lib/aws-lambda-nodejs/lib */
  readonly from?: string;
  /** The PATH searched for an `esbuild` executable. @default process.env.PATH */
  readonly path?: string;
}

/**
 * The esbuild NodejsFunction would find (its `PackageInstallation.detect`):
 * the `esbuild` package as aws-cdk-lib resolves it, else an `esbuild` on PATH.
 */
export function esbuildInstallation(lookup: EsbuildLookup = {}): EsbuildInstallation | undefined {
  // NodejsFunction also looks once per process.
  const isDefault = lookup.from === undefined && lookup.path === undefined;
  if (isDefault && defaultInstallation) return defaultInstallation.found;
  const found = findEsbuild(lookup);
  if (isDefault) defaultInstallation = { found };
  return found;
}

let defaultInstallation: { found: EsbuildInstallation | undefined } | undefined;

function findEsbuild(lookup: EsbuildLookup): EsbuildInstallation | undefined {
  try {
    const pkg = require.resolve('esbuild/package.json', { paths: [lookup.from ?? path.join(awsCdkLibDir(), 'aws-lambda-nodejs', 'lib')] });
    const version = JSON.parse(fs.readFileSync(pkg, 'utf-8')).version;
    if (typeof version === 'string') return { kind: 'local', version, packageDir: path.dirname(pkg) };
  } catch {
    // not installed as a package: try PATH, as NodejsFunction does
  }
  const env = lookup.path === undefined ? process.env : { ...process.env, PATH: lookup.path };
  const r = spawnSync('esbuild', ['--version'], { encoding: 'utf-8', shell: false, timeout: 30000, env });
  if (!r.error && r.status === 0) return { kind: 'global', version: r.stdout.trim() };
  return undefined;
}

/** Whether the Docker engine CDK would use (`CDK_DOCKER`, else `docker`) answers. */
export function dockerAnswers(): boolean {
  const docker = process.env.CDK_DOCKER ?? 'docker';
  const r = spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf-8', shell: false, timeout: 30000 });
  return !r.error && r.status === 0;
}

/**
 * Refuses local bundling without esbuild before the layer build. NodejsFunction
 * would fall back to Docker; that is kept when a Docker engine answers, and
 * refused (with the one-line fix) when none does, where it would fail with
 * "Cannot connect to the Docker daemon" after the layer build.
 */
export function checkLocalBundler(where: string, installation: EsbuildInstallation | undefined) {
  if (installation) {
    if (!installation.version.startsWith('0.')) {
      throw propError(where, {
        prop: 'bundling',
        problem: 'needs esbuild 0.x to bundle locally',
        value: installation.version,
        why: `Expected esbuild version 0.x but got ${installation.version}`,
        fix: 'npm install -D esbuild@0',
      });
    }
    return;
  }
  if (dockerAnswers()) return;
  throw propError(where, {
    prop: 'bundling',
    problem: 'is local (bundling.forceDockerBundling is not set), but esbuild is not installed in the project and no Docker engine answers',
    why: 'NodejsFunction would switch to Docker bundling and fail with "Cannot connect to the Docker daemon"',
    fix: 'npm install -D esbuild (or set bundling.forceDockerBundling to true and start Docker)',
  });
}

/** The program NodejsFunction runs a local esbuild through (`pnpm exec -- esbuild`, `yarn run esbuild`, `bun run esbuild`), by lock file; npm's is `npx`, which comes with Node.js. */
const RUNNERS: Record<string, string> = { 'pnpm-lock.yaml': 'pnpm', 'yarn.lock': 'yarn', 'bun.lock': 'bun', 'bun.lockb': 'bun' };

/**
 * NodejsFunction runs a local esbuild through the lock file's package manager
 * (`pnpm exec -- esbuild`, `yarn run esbuild`, `bun run esbuild`); without
 * that program on PATH the synth fails after the layer build with `spawnSync
 * pnpm ENOENT`. Checked here, before it.
 */
export function checkPackageManager(where: string, lockFile: string, env: NodeJS.ProcessEnv = process.env) {
  const runner = RUNNERS[path.basename(lockFile)];
  if (!runner || onPath(runner, env) !== undefined) return;
  throw propError(where, {
    prop: 'depsLockFilePath',
    problem: `is ${lockFile}, so NodejsFunction runs esbuild through ${runner}, which is not on PATH`,
    why: `the bundling would fail after the layer build (spawnSync ${runner} ENOENT)`,
    fix: `install ${runner} (${runner === 'bun' ? 'see bun.sh' : `corepack enable, or npm install -g ${runner}`}), or set depsLockFilePath to the project's package-lock.json`,
  });
}
