import * as fs from 'fs';
import * as path from 'path';
import { recall, remember } from '../common/answers';
import { stampFiles } from '../common/file-stamp';
import { trace } from '../common/trace';

/** The module names of the two LanceDB SDKs. */
export const SDK_MODULES = ['vectordb', '@lancedb/lancedb'];

/** Where one SDK is imported. */
export interface SdkImport {
  /** `vectordb` or `@lancedb/lancedb`. */
  readonly sdk: string;
  /** The files that import it, relative to the project root. */
  readonly files: string[];
}

/** Which SDKs a handler imports, and how that was found out. */
export interface SdkDetection {
  readonly imports: SdkImport[];
  /**
   * `esbuild`: the handler bundled as NodejsFunction will bundle it (both SDKs
   * external), the SDKs read from the imports that survive into the bundle.
   * `scan`: the entry and the files it imports by relative path, read as text
   * (no esbuild to run on this host, or esbuild could not bundle the handler).
   */
  readonly method: 'esbuild' | 'scan';
  /** Why the scan was used, when it was. */
  readonly note?: string;
  /**
   * Where the handler awaits at the top level (`file:line`), when it is to be
   * bundled as CommonJS, which cannot hold it (esbuild refuses). Only the
   * esbuild method sees it.
   */
  readonly topLevelAwait?: string;
  readonly ms: number;
}

/** What the detection bundles with: the options that change what is imported. */
export interface DetectionOptions {
  readonly entry: string;
  readonly projectRoot: string;
  /** What the real bundle keeps external (the user's list or NodejsFunction's defaults, and nodeModules). */
  readonly externals: string[];
  readonly loader?: Record<string, string>;
  readonly define?: Record<string, string>;
  readonly mainFields?: string[];
  readonly inject?: string[];
  readonly tsconfig?: string;
  /** The esbuild package folder, when esbuild can be loaded as a module. */
  readonly esbuildDir?: string;
  /** Imports from files under these folders do not count (this package's own runtime helper). */
  readonly ignoreUnder: string[];
  /** The real bundle's format: `cjs` (NodejsFunction's default) has the top-level await checked. */
  readonly format?: 'cjs' | 'esm';
}

/** The lock files a project may have: an install moves one of them. */
const LOCK_FILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'];

/** Files esbuild looks for in a source file's folder and every folder above it. */
const LOOKED_UP = ['package.json', 'tsconfig.json', 'jsconfig.json'];

/**
 * What esbuild's answer depends on, besides the options (the key): this
 * module and esbuild's package.json (a new version of either); every file
 * esbuild read (the metafile's inputs, the entry, the tsconfig given); the
 * folder of each (a file added beside one can change what an import resolves
 * to); the package.json, tsconfig.json and jsconfig.json esbuild would find in
 * those folders and every folder above them, present or not (a `type`, an
 * `imports` map, `paths`); and the project's package.json and lock files (an
 * install). Any of them changed, added or removed: esbuild runs again.
 */
function detectionInputs(options: DetectionOptions, read: readonly string[]): string[] {
  const files = new Set<string>([__filename, ...(options.esbuildDir ? [path.join(options.esbuildDir, 'package.json')] : []), ...read]);
  const dirs = new Set<string>();
  for (const file of read) {
    for (let d = path.dirname(file); !dirs.has(d); d = path.dirname(d)) {
      dirs.add(d);
      if (path.dirname(d) === d) break;
    }
  }
  for (const file of read) files.add(path.dirname(file));
  for (const d of dirs) for (const n of LOOKED_UP) files.add(path.join(d, n));
  for (const n of ['package.json', ...LOCK_FILES]) files.add(path.join(options.projectRoot, n));
  return [...files];
}

/**
 * esbuild's answer, from this process or the machine cache while everything
 * it depends on is unchanged (detectionInputs), else esbuild run again (an
 * app's functions often share an entry, jest suites make many Apps, and every
 * synth is a new process).
 */
function withEsbuildOnce(options: DetectionOptions): Pick<EsbuildFindings, 'imports' | 'topLevelAwait'> {
  const key = JSON.stringify({ detection: 1, ...options });
  const known = recall<Pick<EsbuildFindings, 'imports' | 'topLevelAwait'>>('sdk-detection', key);
  if (known) return known.value;
  const started = Date.now();
  trace('sdk-detection', options.entry);
  const found = withEsbuild(options);
  const answer = { imports: found.imports, ...(found.topLevelAwait === undefined ? {} : { topLevelAwait: found.topLevelAwait }) };
  remember('sdk-detection', key, stampFiles(detectionInputs(options, found.inputs)), answer, started);
  return answer;
}

/** Which LanceDB SDKs the handler imports. */
export function detectSdkImports(options: DetectionOptions): SdkDetection {
  const start = Date.now();
  let note = 'esbuild cannot be loaded as a module here';
  if (options.esbuildDir) {
    try {
      const { imports, topLevelAwait } = withEsbuildOnce(options);
      return { imports, topLevelAwait, method: 'esbuild', ms: Date.now() - start };
    } catch (e) {
      note = `esbuild could not bundle the handler (${firstLine(e)})`;
    }
  }
  return { imports: withScan(options), method: 'scan', note, ms: Date.now() - start };
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n').slice(0, 2).join(' ').slice(0, 300);
}

/** Metafile as esbuild returns it (the parts read here). */
interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
  outputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
}

/** esbuild's words when a CommonJS bundle meets a top-level await. */
const TOP_LEVEL_AWAIT_IN_CJS = /^Top-level await is currently not supported with the "cjs" output format/;

/** What one detection bundle found. */
interface EsbuildFindings {
  readonly imports: SdkImport[];
  readonly topLevelAwait?: string;
  /** The files esbuild read (absolute). */
  readonly inputs: string[];
}

interface EsbuildError {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number };
}

/**
 * Bundles the handler in memory in the real bundle's format, both SDKs
 * external. A CommonJS bundle that meets a top-level await is noted (where)
 * and bundled again as an ES module, which accepts it; any other failure is
 * the caller's to fall back from.
 */
function withEsbuild(options: DetectionOptions): EsbuildFindings {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require(options.esbuildDir!);
  const build = (format: 'cjs' | 'esm') => esbuild.buildSync({
    ...esbuildOptions(options),
    outfile: path.join(options.projectRoot, `.vectordb-sdk-detection.${format === 'esm' ? 'mjs' : 'cjs'}`),
    format,
  }).metafile as Metafile;
  const findings = (meta: Metafile, topLevelAwait?: string): EsbuildFindings => ({
    imports: sdkImports(options, meta),
    topLevelAwait,
    // What esbuild read (the entry included; virtual namespaces left out): the answer holds while they are unchanged.
    inputs: [options.entry, ...(options.tsconfig ? [path.resolve(options.projectRoot, options.tsconfig)] : []), ...Object.keys(meta.inputs).filter((i) => !/^[a-z-]+:/.test(i)).map((i) => path.resolve(options.projectRoot, i))],
  });
  if (options.format === 'esm') return findings(build('esm'));
  try {
    return findings(build('cjs'));
  } catch (e) {
    const tla = ((e as { errors?: EsbuildError[] }).errors ?? []).find((x) => TOP_LEVEL_AWAIT_IN_CJS.test(x.text));
    if (!tla) throw e;
    const where = tla.location ? `${tla.location.file}:${tla.location.line}` : path.relative(options.projectRoot, options.entry);
    return findings(build('esm'), where);
  }
}

/**
 * The SDK imports that survive into the output (type-only imports do not),
 * credited to the input files that import them.
 */
function sdkImports(options: DetectionOptions, meta: Metafile): SdkImport[] {
  const shipped = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const i of output.imports) {
      const sdk = sdkOf(i.path);
      if (sdk && i.external) shipped.add(sdk);
    }
  }
  const found = new Map<string, string[]>();
  for (const [input, { imports }] of Object.entries(meta.inputs)) {
    const file = path.resolve(options.projectRoot, input.replace(/^[a-z-]+:/, ''));
    if (isUnder(file, options.ignoreUnder)) continue;
    for (const i of imports) {
      const sdk = sdkOf(i.path);
      if (!sdk || !i.external || !shipped.has(sdk)) continue;
      const files = found.get(sdk) ?? [];
      if (!files.includes(input)) files.push(input);
      found.set(sdk, files);
    }
  }
  return SDK_MODULES.filter((s) => found.has(s)).map((sdk) => ({ sdk, files: found.get(sdk)! }));
}

/** The options every detection build shares: those that change what is imported. */
function esbuildOptions(options: DetectionOptions) {
  return {
    entryPoints: [options.entry],
    absWorkingDir: options.projectRoot,
    bundle: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    platform: 'node',
    target: 'esnext',
    external: [...new Set([...options.externals, ...SDK_MODULES])],
    loader: options.loader,
    define: options.define,
    mainFields: options.mainFields,
    inject: options.inject,
    tsconfig: options.tsconfig,
  };
}

function sdkOf(specifier: string): string | undefined {
  return SDK_MODULES.find((s) => specifier === s || specifier.startsWith(`${s}/`));
}

function isUnder(file: string, dirs: string[]): boolean {
  return dirs.some((d) => file === d || file.startsWith(d.endsWith(path.sep) ? d : `${d}${path.sep}`));
}

/** Import specifiers in JavaScript or TypeScript source: static, dynamic, require, re-export, `import x = require()`. */
const IMPORT_SPECIFIER = /(?:\bimport\s+(?!type\b)(?:[\w$*{}\s,]+?\s+from\s+)?|\bexport\s+(?!type\b)[\w$*{}\s,]*?\s+from\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;

/** Extensions a relative import may leave out, in esbuild's default order. */
const RESOLVE_EXTENSIONS = ['.tsx', '.ts', '.jsx', '.js', '.css', '.json', '.mjs', '.mts', '.cjs', '.cts'];

/**
 * Reads the entry and every file it reaches by relative import, as text with
 * comments removed. Package imports are not followed (no resolver here), so an
 * SDK imported only inside another package is not seen.
 */
function withScan(options: DetectionOptions): SdkImport[] {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue = [options.entry];
  while (queue.length > 0 && seen.size < 5000) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (isUnder(file, options.ignoreUnder)) continue;
    let source: string;
    try {
      source = withoutComments(fs.readFileSync(file, 'utf-8'));
    } catch {
      continue;
    }
    for (const m of source.matchAll(IMPORT_SPECIFIER)) {
      const specifier = m[2];
      const sdk = sdkOf(specifier);
      if (sdk) {
        const rel = path.relative(options.projectRoot, file);
        const files = found.get(sdk) ?? [];
        if (!files.includes(rel)) files.push(rel);
        found.set(sdk, files);
      } else if (specifier.startsWith('.')) {
        const next = resolveRelative(path.dirname(file), specifier);
        if (next) queue.push(next);
      }
    }
  }
  return SDK_MODULES.filter((s) => found.has(s)).map((sdk) => ({ sdk, files: found.get(sdk)! }));
}

function resolveRelative(dir: string, specifier: string): string | undefined {
  const base = path.resolve(dir, specifier);
  // TypeScript sources import `./x.js` for `./x.ts`.
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [
    base,
    ...RESOLVE_EXTENSIONS.map((e) => `${base}${e}`),
    ...(stem !== base ? ['.ts', '.tsx', '.mts', '.cts'].map((e) => `${stem}${e}`) : []),
    ...RESOLVE_EXTENSIONS.map((e) => path.join(base, `index${e}`)),
  ];
  return candidates.find((c) => {
    try {
      return fs.statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

/** The source with comments blanked out; strings and template literals kept. */
function withoutComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 2;
      out += ' ';
    } else if (c === '\'' || c === '"' || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') j++;
        if (c !== '`' && source[j] === '\n') break;
        j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
