/**
 * `npx projen facts` (or `npx ts-node --transpile-only --project tsconfig.dev.json build-tools/sdk-facts.ts`):
 * writes src/private/facts/sdk-facts.generated.ts, the facts of every published
 * version of each LanceDB JS SDK, read from the npm registry and from the
 * native binaries themselves, in two kinds (one type: SdkFactsTable in
 * src/private/facts/sdk-facts.ts):
 * - `declared`: what the SDK version's metadata says (engines, unpacked size,
 *   the linux-gnu native package and exact version its optionalDependencies name);
 * - `observed`: what readelf read from a binary this registry served. A declared
 *   build this registry does not serve is not observed: no fact about the world.
 *
 * For `vectordb` and `@lancedb/lancedb`, every version the registry has
 * (prereleases too):
 * - registry metadata (`npm view`): `engines.node` and, from that version's
 *   `optionalDependencies`, the linux-x64-gnu and linux-arm64-gnu native
 *   package and the exact version the SDK names (not assumed equal to the SDK's);
 *   whether this registry serves that package version (`npm view <pkg> versions`);
 * - the SDK's own tarball (`npm pack`, small): its unpacked size, and any
 *   linux `.node` binary shipped inside it (vectordb 0.1.x name no native package);
 * - every distinct published native package version an SDK version names:
 *   `npm pack`, then binutils `readelf` (deliberately not this repo's ELF reader,
 *   so the table is an independent ground truth): ELF machine, highest
 *   `GLIBC_x.y` in its version needs, DT_NEEDED sonames, size and path.
 *
 * npm runs as an argument vector (never a shell) in the repository root, so it
 * uses npm's configured registry (and .npmrc). Tarballs go to a private temp
 * folder and cache, deleted after each package. Needs GNU tar and binutils
 * `readelf` on PATH (Linux).
 *
 * The output is deterministic: keys sorted, and when the facts have not changed
 * the file is left as it is (its date too), so a second run gives the same file.
 *
 * Flags:
 *   --check      only compare the registry's version lists with the table (no
 *                downloads); exit 1 when the registry has versions the table lacks
 *   --out=<file> write somewhere else than src/private/facts/sdk-facts.generated.ts
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as semver from 'semver';
import type { DeclaredNative, ObservedBinary, SdkFactsTable, SdkVersionFact } from '../src/private/facts/sdk-facts';
import { compareVersions } from '../src/private/facts/versions';
import { recipeElf } from '../src/private/layer/recipe';

const root = path.resolve(__dirname, '..');
const SDKS = ['vectordb', '@lancedb/lancedb'] as const;
const outArg = process.argv.find((a) => a.startsWith('--out='));
const OUT = outArg ? path.resolve(outArg.slice('--out='.length)) : path.join(root, 'src', 'private', 'facts', 'sdk-facts.generated.ts');
const CHECK_ONLY = process.argv.includes('--check');

type Arch = 'x86_64' | 'arm64';
const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];
/** npm `cpu` naming of each architecture in the native packages' names. */
const NPM_CPU: Record<Arch, string> = { x86_64: 'x64', arm64: 'arm64' };
/** readelf's `Machine:` text of each architecture. */
const ELF_MACHINE: Record<string, Arch> = { 'Advanced Micro Devices X86-64': 'x86_64', 'AArch64': 'arm64' };

type Observed = Omit<ObservedBinary, 'source'>;
interface MutableVersion {
  declared: { engines?: string; unpackedSize?: number; native: Partial<Record<Arch, DeclaredNative>> };
  observed: Partial<Record<Arch, ObservedBinary>>;
}
interface ElfFacts { machine: Arch | string; glibc?: string; needed: string[] }

const say = (line: string) => process.stdout.write(`${line}\n`);
let bytesDownloaded = 0;

// ---------------------------------------------------------------- processes

let npmCmd: { file: string; args: string[] } | undefined;
/** node + npm-cli.js beside the running node when found, else `npm` on PATH: never a shell. */
function npmCommand(): { file: string; args: string[] } {
  if (npmCmd) return npmCmd;
  const nodeDir = path.dirname(process.execPath);
  const candidates = [
    process.env.npm_execpath && path.basename(process.env.npm_execpath) === 'npm-cli.js' ? process.env.npm_execpath : undefined,
    path.join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.join(nodeDir, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ].filter((c): c is string => !!c);
  const cli = candidates.find((c) => fs.existsSync(c));
  npmCmd = cli ? { file: process.execPath, args: [cli] } : { file: 'npm', args: [] };
  return npmCmd;
}

interface Run { status: number; stdout: string; stderr: string }

function run(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Run {
  const p = spawnSync(file, args, {
    cwd: opts.cwd ?? root,
    env: opts.env ?? process.env,
    encoding: 'utf-8',
    shell: false,
    windowsHide: true,
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 10 * 60 * 1000,
  });
  if (p.error) return { status: -1, stdout: p.stdout ?? '', stderr: `${p.stderr ?? ''}${p.error.message}` };
  return { status: p.status ?? -1, stdout: p.stdout ?? '', stderr: p.stderr ?? '' };
}

function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package|command|execpath|node_execpath)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/** `npm <args>` in the repository root; one retry on a failure that is not a 404. */
function npm(args: string[], timeoutMs = 10 * 60 * 1000): Run {
  const cmd = npmCommand();
  let r = run(cmd.file, [...cmd.args, ...args], { timeoutMs, env: npmEnv() });
  if (r.status !== 0 && !is404(r)) r = run(cmd.file, [...cmd.args, ...args], { timeoutMs, env: npmEnv() });
  return r;
}

function is404(r: Run): boolean {
  return /E404|404 Not Found|is not in this registry/.test(r.stderr + r.stdout);
}

function fail(what: string, r: Run): never {
  const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-8).join('\n');
  throw new Error(`${what} failed (exit ${r.status}):\n${tail}`);
}

function npmJson(args: string[], what: string): unknown {
  const r = npm([...args, '--json']);
  if (r.status !== 0) fail(what, r);
  const text = r.stdout.trim();
  return text === '' ? undefined : JSON.parse(text);
}

// ---------------------------------------------------------------- versions

/** Every version of a package the registry has, or [] when it has no such package. */
function registryVersions(pkg: string): string[] {
  const r = npm(['view', pkg, 'versions', '--json']);
  if (r.status !== 0) {
    if (is404(r)) return [];
    fail(`npm view ${pkg} versions`, r);
  }
  const v: unknown = JSON.parse(r.stdout.trim() || '[]');
  return (Array.isArray(v) ? v : [v]).map(String);
}

interface RawMeta {
  'version': string;
  'optionalDependencies'?: Record<string, string>;
  'engines'?: unknown;
  'dist.unpackedSize'?: number;
}

/** Registry metadata of every version of an SDK: one range query, then one query per version it left out. */
function sdkMetadata(sdk: string): Map<string, RawMeta> {
  const fields = ['version', 'optionalDependencies', 'engines', 'dist.unpackedSize'];
  const toList = (v: unknown): RawMeta[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]) as RawMeta[]);
  const metas = new Map<string, RawMeta>();
  for (const m of toList(npmJson(['view', `${sdk}@>=0.0.0-0`, ...fields], `npm view ${sdk}@>=0.0.0-0`))) metas.set(m.version, m);
  // a range matches a prerelease only of its own major.minor.patch: ask for the others one by one
  for (const v of registryVersions(sdk)) {
    if (metas.has(v)) continue;
    for (const m of toList(npmJson(['view', `${sdk}@${v}`, ...fields], `npm view ${sdk}@${v}`))) metas.set(m.version, m);
  }
  return metas;
}

function enginesNode(engines: unknown): string | undefined {
  if (engines && typeof engines === 'object' && !Array.isArray(engines)) {
    const node = (engines as Record<string, unknown>).node;
    if (typeof node === 'string' && node.trim() !== '') return node.trim();
  }
  return undefined;
}

/** The linux-<cpu>-gnu native package an SDK version names, and the exact version. */
function nativeDependency(sdk: string, meta: RawMeta, arch: Arch): { name: string; version: string } | undefined {
  const re = new RegExp(`-linux-${NPM_CPU[arch]}-gnu$`);
  const hits = Object.entries(meta.optionalDependencies ?? {}).filter(([name]) => re.test(name));
  if (hits.length === 0) return undefined;
  if (hits.length > 1) throw new Error(`${sdk}@${meta.version} names ${hits.length} linux-${NPM_CPU[arch]}-gnu packages: ${hits.map(([n]) => n).join(', ')}`);
  const [name, spec] = hits[0];
  if (semver.valid(spec) !== spec) {
    throw new Error(`${sdk}@${meta.version} names ${name}@${spec}: not an exact version; this tool reads exact versions only`);
  }
  return { name, version: spec };
}

// ---------------------------------------------------------------- tarballs and binaries

interface PackedFile { path: string; size: number }
interface Packed { filename: string; size: number; unpackedSize: number; files: PackedFile[]; tgz: string }

/** `npm pack <specs>` into `dir` with a private cache (deleted by the caller with `dir`). */
function pack(specs: string[], dir: string): Packed[] {
  const r = npm(['pack', ...specs, '--json', '--ignore-scripts', '--pack-destination', dir, '--cache', path.join(dir, '.npm-cache')]);
  if (r.status !== 0) fail(`npm pack ${specs.join(' ')}`, r);
  const list = JSON.parse(r.stdout.trim()) as Array<Omit<Packed, 'tgz'>>;
  fs.rmSync(path.join(dir, '.npm-cache'), { recursive: true, force: true });
  return list.map((p) => {
    const tgz = path.join(dir, p.filename);
    bytesDownloaded += fs.statSync(tgz).size;
    return { ...p, tgz };
  });
}

/** Extracts one file (path inside the package) from a package tarball; returns where it is. */
function extract(tgz: string, inside: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  // the tarball's top folder is usually `package/`, but not always: match any
  const r = run('tar', ['-xzf', tgz, '-C', dir, '--wildcards', '--no-wildcards-match-slash', `*/${inside.replace(/([*?[\]\\])/g, '\\$1')}`]);
  if (r.status !== 0) fail(`tar -xzf ${path.basename(tgz)} */${inside}`, r);
  const top = fs.readdirSync(dir).map((d) => path.join(dir, d, inside)).find((f) => fs.existsSync(f));
  if (!top) throw new Error(`${inside} not found in ${path.basename(tgz)}`);
  return top;
}

/** readelf's view of a binary, or undefined when it is not an ELF file (Mach-O, PE). */
function readElf(file: string): ElfFacts | undefined {
  const r = run('readelf', ['-W', '-h', '-d', '-V', file]);
  if (/Not an ELF file/i.test(r.stderr)) return undefined;
  if (r.status !== 0) fail(`readelf ${file}`, r);
  const machine = /^\s*Machine:\s*(.+?)\s*$/m.exec(r.stdout)?.[1];
  if (!machine) throw new Error(`readelf printed no Machine for ${file}`);
  const needed = [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  // only the version NEEDS (.gnu.version_r): what the binary asks of the libraries it links
  const start = r.stdout.search(/Version needs section '\.gnu\.version_r'/);
  let glibc: string | undefined;
  if (start >= 0) {
    const rest = r.stdout.slice(start);
    const end = rest.search(/\n\s*\n/);
    const section = end >= 0 ? rest.slice(0, end) : rest;
    for (const m of section.matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)\b/g)) {
      if (!glibc || recipeElf().compareDotted(m[1], glibc) > 0) glibc = m[1];
    }
  }
  return { machine: ELF_MACHINE[machine] ?? machine, glibc, needed };
}

function nativeFromElf(binary: string, file: string, elf: ElfFacts): Observed {
  return {
    binary,
    machine: elf.machine as Arch,
    ...(elf.glibc ? { glibc: elf.glibc } : {}),
    needed: elf.needed,
    bytes: fs.statSync(file).size,
  };
}

/** Downloads a native package version and reads its one linux `.node` binary. */
function readNativePackage(name: string, version: string, arch: Arch, work: string): Observed {
  const dir = fs.mkdtempSync(path.join(work, 'native-'));
  try {
    const [p] = pack([`${name}@${version}`], dir);
    const nodes = p.files.filter((f) => f.path.endsWith('.node'));
    if (nodes.length !== 1) throw new Error(`${name}@${version} has ${nodes.length} .node files (${nodes.map((f) => f.path).join(', ')}); expected one`);
    const file = extract(p.tgz, nodes[0].path, path.join(dir, 'x'));
    fs.rmSync(p.tgz, { force: true });
    const elf = readElf(file);
    if (!elf) throw new Error(`${name}@${version}: ${nodes[0].path} is not an ELF file`);
    if (elf.machine !== arch) throw new Error(`${name}@${version}: ${nodes[0].path} is for ${elf.machine}, not ${arch}`);
    return nativeFromElf(nodes[0].path, file, elf);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The SDK tarballs: unpacked size, and the linux binaries shipped inside (by architecture). */
interface SdkTarball { unpackedSize: number; binaries: Partial<Record<Arch, Observed>> }

function readSdkTarballs(sdk: string, versions: string[], work: string): Map<string, SdkTarball> {
  const out = new Map<string, SdkTarball>();
  const dir = fs.mkdtempSync(path.join(work, 'sdk-'));
  try {
    // small tarballs (except vectordb 0.1.x, ~90 MB): a few per npm call
    for (let i = 0; i < versions.length; i += 8) {
      const batch = versions.slice(i, i + 8);
      const packed = pack(batch.map((v) => `${sdk}@${v}`), dir);
      packed.forEach((p, j) => {
        const binaries: Partial<Record<Arch, Observed>> = {};
        for (const f of p.files.filter((x) => x.path.endsWith('.node'))) {
          const file = extract(p.tgz, f.path, path.join(dir, 'x'));
          const elf = readElf(file);
          const fact = elf ? nativeFromElf(f.path, file, elf) : undefined;
          fs.rmSync(path.join(dir, 'x'), { recursive: true, force: true });
          if (!elf || !fact) continue; // macOS or Windows binary
          if (elf.machine !== 'x86_64' && elf.machine !== 'arm64') continue;
          if (binaries[elf.machine]) throw new Error(`${sdk}@${batch[j]} ships two ${elf.machine} ELF binaries (${binaries[elf.machine]!.binary}, ${f.path})`);
          binaries[elf.machine] = fact;
        }
        fs.rmSync(p.tgz, { force: true });
        out.set(batch[j], { unpackedSize: p.unpackedSize, binaries });
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

// ---------------------------------------------------------------- output

const HEADER_DATE = /^\/\/ Generated on (\d{4}-\d{2}-\d{2}) /m;

/** The generated file: a header, then the table as data of the one type SdkFactsTable. */
export function render(table: SdkFactsTable): string {
  const lines: string[] = [];
  lines.push('// ~~ Generated by build-tools/sdk-facts.ts (`npx projen facts`). Do not edit by hand: run it again.');
  lines.push(`// Generated on ${table.generatedAt} from the npm registry ${table.registry}. Per SDK version:`);
  lines.push('// - declared: its own metadata (`npm view`): engines.node, unpacked size, and the linux-gnu native');
  lines.push('//   package and exact version its optionalDependencies name. True wherever it is installed from.');
  lines.push('// - observed: the .node binary of that package (or of the SDK tarball) as this registry served it');
  lines.push(`//   (\`npm pack\`), read with binutils readelf (${table.readelf}): ELF machine, highest GLIBC_x.y`);
  lines.push('//   version need, DT_NEEDED sonames, size. A declared build this registry does not serve is absent');
  lines.push('//   here: that is a fact about this registry, not about the user\'s. The date only moves when the facts change.');
  lines.push('/* eslint-disable */');
  lines.push("import type { SdkFactsTable } from './sdk-facts';");
  lines.push('');
  lines.push('export const SDK_FACTS_TABLE: SdkFactsTable = {');
  lines.push(`  generatedAt: ${JSON.stringify(table.generatedAt)},`);
  lines.push(`  registry: ${JSON.stringify(table.registry)},`);
  lines.push(`  readelf: ${JSON.stringify(table.readelf)},`);
  lines.push('  sdks: {');
  for (const sdk of Object.keys(table.sdks).sort()) {
    lines.push(`    ${JSON.stringify(sdk)}: {`);
    for (const v of Object.keys(table.sdks[sdk]).sort(compareVersions)) {
      lines.push(`      ${JSON.stringify(v)}: ${JSON.stringify(ordered(table.sdks[sdk][v]))},`);
    }
    lines.push('    },');
  }
  lines.push('  },');
  lines.push('};');
  lines.push('');
  return lines.join('\n');
}

/** Fixed key order, whatever the order the facts were gathered in. */
export function ordered(f: SdkVersionFact): SdkVersionFact {
  const d = f.declared;
  const native: Partial<Record<Arch, DeclaredNative>> = {};
  const observed: Partial<Record<Arch, ObservedBinary>> = {};
  for (const arch of ARCHES) {
    const n = d.native[arch];
    if (n) native[arch] = { package: n.package, version: n.version };
    const o = f.observed[arch];
    if (o) {
      observed[arch] = {
        source: o.source,
        binary: o.binary,
        machine: o.machine,
        ...(o.glibc !== undefined ? { glibc: o.glibc } : {}),
        needed: o.needed,
        bytes: o.bytes,
      };
    }
  }
  return {
    declared: {
      ...(d.engines !== undefined ? { engines: d.engines } : {}),
      ...(d.unpackedSize !== undefined ? { unpackedSize: d.unpackedSize } : {}),
      native,
    },
    observed,
  };
}

// ---------------------------------------------------------------- main

function checkOnly(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const existing = require(OUT).SDK_FACTS_TABLE as { sdks: Record<string, Record<string, unknown>> };
  let missing = 0;
  for (const sdk of SDKS) {
    const known = new Set(Object.keys(existing.sdks[sdk] ?? {}));
    const news = registryVersions(sdk).filter((v) => !known.has(v));
    missing += news.length;
    say(news.length ? `${sdk}: the registry has ${news.length} version(s) the table lacks: ${news.join(', ')}` : `${sdk}: the table knows every version the registry has (${known.size})`);
  }
  if (missing) {
    say('run `npx projen facts` to add them');
    process.exitCode = 1;
  }
}

function main(): void {
  if (CHECK_ONLY) return checkOnly();
  const t0 = Date.now();
  const registryRun = npm(['config', 'get', 'registry']);
  if (registryRun.status !== 0) fail('npm config get registry', registryRun);
  const registry = registryRun.stdout.trim();
  const scoped = npm(['config', 'get', '@lancedb:registry']).stdout.trim();
  const registryText = scoped && scoped !== 'undefined' && scoped !== registry ? `${registry} (@lancedb: ${scoped})` : registry;
  const readelfVersion = run('readelf', ['--version']).stdout.split('\n')[0].trim();
  if (!readelfVersion) throw new Error('binutils readelf is not on PATH (Debian: apt-get install binutils)');

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-facts-'));
  const sdks: Record<string, Record<string, SdkVersionFact>> = {};
  const nativeCache = new Map<string, Observed>();
  const servedCache = new Map<string, Set<string>>();
  let notServed = 0;
  try {
    for (const sdk of SDKS) {
      const metas = sdkMetadata(sdk);
      const versions = [...metas.keys()].sort(compareVersions);
      say(`${sdk}: ${versions.length} versions on ${registryText}`);
      const tarballs = readSdkTarballs(sdk, versions, work);
      sdks[sdk] = {};
      for (const v of versions) {
        const meta = metas.get(v)!;
        const entry: MutableVersion = { declared: { native: {} }, observed: {} };
        const engines = enginesNode(meta.engines);
        if (engines) entry.declared.engines = engines;
        const unpacked = meta['dist.unpackedSize'] ?? tarballs.get(v)?.unpackedSize;
        if (typeof unpacked === 'number') entry.declared.unpackedSize = unpacked;
        for (const arch of ARCHES) {
          const dep = nativeDependency(sdk, meta, arch);
          const inside = tarballs.get(v)?.binaries[arch];
          if (dep) {
            entry.declared.native[arch] = { package: dep.name, version: dep.version };
            if (inside) say(`  note: ${sdk}@${v} names ${dep.name}@${dep.version} and also ships ${inside.binary}; the table records the package`);
            if (!servedCache.has(dep.name)) servedCache.set(dep.name, new Set(registryVersions(dep.name)));
            const key = `${dep.name}@${dep.version}`;
            if (!servedCache.get(dep.name)!.has(dep.version)) {
              notServed += 1;
              continue; // declared, not observed: this registry does not serve it
            }
            if (!nativeCache.has(key)) {
              const t = Date.now();
              nativeCache.set(key, readNativePackage(dep.name, dep.version, arch, work));
              const f = nativeCache.get(key)!;
              say(`  ${key}: ${f.binary} ${f.bytes} B, glibc ${f.glibc ?? '-'}, needs ${f.needed.join(' ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
            }
            entry.observed[arch] = { source: 'native-package', ...nativeCache.get(key)! };
          } else if (inside) {
            say(`  ${sdk}@${v} ships ${inside.binary} (${arch}) in its own tarball: glibc ${inside.glibc ?? '-'}, needs ${inside.needed.join(' ')}`);
            entry.observed[arch] = { source: 'sdk-tarball', ...inside };
          }
        }
        sdks[sdk][v] = entry;
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const previous = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf-8') : undefined;
  const previousDate = previous ? HEADER_DATE.exec(previous)?.[1] : undefined;
  const today = new Date().toISOString().slice(0, 10);
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  const mb = (bytesDownloaded / 1e6).toFixed(0);
  const table = (date: string): SdkFactsTable => ({ generatedAt: date, registry: registryText, readelf: readelfVersion, sdks });
  if (previous !== undefined && previousDate && render(table(previousDate)) === previous) {
    say(`unchanged: ${path.relative(root, OUT)} (facts as of ${previousDate}); ${seconds} s, ${mb} MB downloaded`);
    return;
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, render(table(today)));
  say(`wrote ${path.relative(root, OUT)}: ${SDKS.map((s) => `${s} ${Object.keys(sdks[s]).length}`).join(', ')} versions; ${nativeCache.size} native builds observed, ${notServed} declared ones this registry does not serve; ${seconds} s, ${mb} MB downloaded`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`sdk-facts: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
