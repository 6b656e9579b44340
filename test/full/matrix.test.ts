/**
 * Issue 12, item 7: the matrix. The pinned versions and a spread of unpinned
 * ones of both SDKs, old to newest, x both architectures x nodejs18.x, 20.x,
 * 22.x and 24.x. For each cell:
 *
 * 1. The expected verdict comes from an independent ground truth
 *    (fixtures/ground-truth.ts): the registry (`npm view`: the version's
 *    optionalDependencies and engines, the native package's versions the
 *    registry serves), the binaries (`npm pack`, then binutils readelf -V / -d),
 *    the runtimes' OS facts written down with their sources, and semver on the
 *    engines range. Nothing is read from the code under test or its facts table.
 *    It tells apart a version that declares no native build for an architecture
 *    (`none`: no registry can serve one) from one that declares a build the
 *    registry the test runs against does not serve (`declared-unserved`: this
 *    registry is a partial copy; the build may exist on the user's registry, and
 *    its binary is unread here).
 * 2. The library is asked, fast (no build): `VectorDbLayer.fromLayerArn` +
 *    `new VectorDbFunction({ layer, runtime })`, and `new VectorDbFunction({ sdk,
 *    sdkVersion, architecture, runtime })` (the function's own layer), with
 *    bundling skipped (`aws:cdk:bundling-stacks: []`), so no layer is built and
 *    no registry asked. A declared-unserved build is never refused there for
 *    its absence; its declared engines still count, and on a runtime older than
 *    the newest Lambda OS it may be refused because its glibc need is not known
 *    before its binary is read.
 * 3. Every (SDK, version, architecture) that some runtime can run is built for
 *    real through the construct, must claim exactly the expected runtimes, and
 *    is loaded and searched on the Node.js major of each (x86_64 here, arm64
 *    under qemu); importing it with the facts its build printed must give the
 *    same verdicts. One with no native build declared must be refused by the
 *    construct before any build. A declared-unserved one is tried: the synth
 *    stops at build time, within 15 s, with the registry's answer (E404 or
 *    ETARGET) and the ways out, and leaves no layer in the layer cache or cdk.out.
 *
 * Refusals must name a true reason (no native build, glibc, shared libraries,
 * engines) and a way out. The suite fails on any cell that synthesizes and
 * would fail, and on any false refusal. The table goes to stdout and to
 * .tmp/matrix.md.
 *
 * CDK_VECTORDB_LAYER_MATRIX_BUILDS=pinned builds only the pinned versions (the
 * synth verdicts still cover every cell); the default builds all of them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../../src';
import { localBuildCount } from '../../src/private/layer/local-build';
import { allVersionTruths, cellTruth, CellTruth, Reason, RUNTIMES, RuntimeTruth, VersionTruth } from '../integ/fixtures/ground-truth';
import { compareDotted } from '../support/elf';
import { withEnv } from '../support/env';
import { removeDir, tempDir } from '../support/files';
import { Arch, available, REPO_DIR } from '../support/platforms';
import { secs, writeReport } from '../support/report';
import { NEAREST, searchOn } from '../support/search';
import { buildWithConstruct, BuiltLayer, REAL_BUILD_ENV } from '../support/synth';

const HAS_NODE_MAJORS = available('node-majors');
const HAS_EMULATOR = available('emulator');
const ALL_BUILDS = (process.env.CDK_VECTORDB_LAYER_MATRIX_BUILDS ?? 'all') !== 'pinned';

/**
 * The spread: old to newest, both SDKs, with the ones whose facts surprise (asserted in
 * 'the ground truth' below): a native package of another version (vectordb 0.9.0), a binary
 * inside the SDK tarball that needs glibc 2.35 and OpenSSL 3 (vectordb 0.1.8), glibc 2.28
 * (@lancedb/lancedb 0.13.0), arm64 builds declared but not served by this registry (after 0.31.0).
 */
const SPREAD: Record<string, string[]> = {
  'vectordb': ['0.1.8', '0.1.19', '0.4.20', '0.9.0', '0.11.0', '0.16.0', '0.21.2'],
  '@lancedb/lancedb': ['0.4.20', '0.7.1', '0.13.0', '0.18.2', '0.22.3', '0.31.0', '0.37.1', '0.38.0', '0.39.0'],
};

/** The pinned versions (layer-assets/pins), whatever their architecture. */
function pinnedVersions(): Array<{ sdk: string; version: string; arch: Arch }> {
  const dir = path.join(REPO_DIR, 'layer-assets', 'pins');
  return fs.readdirSync(dir).map((name) => {
    const deps = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf-8')).dependencies as Record<string, string>;
    const sdk = Object.keys(deps).find((d) => d === 'vectordb' || d === '@lancedb/lancedb')!;
    const native = Object.keys(deps).find((d) => /-linux-(x64|arm64)-gnu$/.test(d))!;
    return { sdk, version: deps[sdk], arch: native.includes('-arm64-') ? 'arm64' as const : 'x86_64' as const };
  });
}
const PINNED = pinnedVersions();
const isPinned = (sdk: string, version: string) => PINNED.some((p) => p.sdk === sdk && p.version === version);

function semverKey(v: string): number[] {
  return v.split('.').map(Number);
}
function byVersion(a: string, b: string): number {
  const x = semverKey(a);
  const y = semverKey(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

const VERSIONS: Array<{ sdk: string; version: string }> = [];
for (const sdk of Object.keys(SPREAD)) {
  const versions = new Set([...SPREAD[sdk], ...PINNED.filter((p) => p.sdk === sdk).map((p) => p.version)]);
  for (const version of [...versions].sort(byVersion)) VERSIONS.push({ sdk, version });
}
const ARCHES: Arch[] = ['x86_64', 'arm64'];
const COMBOS = VERSIONS.flatMap((v) => ARCHES.map((arch) => ({ ...v, arch })));

const LAMBDA_RUNTIME: Record<string, lambda.Runtime> = {
  'nodejs18.x': lambda.Runtime.NODEJS_18_X,
  'nodejs20.x': lambda.Runtime.NODEJS_20_X,
  'nodejs22.x': lambda.Runtime.NODEJS_22_X,
  'nodejs24.x': lambda.Runtime.NODEJS_24_X,
};
const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:1';
const HANDLERS = path.join(__dirname, '..', 'integ', 'fixtures', 'handlers');
const entryFor = (sdk: string) => path.join(HANDLERS, sdk === 'vectordb' ? 'vectordb.js' : 'lancedb.js');
const architectureOf = (arch: Arch) => (arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64);

// ---------------------------------------------------------------------------
// What the library answers, and whether it is right

type AskedPath = 'import' | 'function' | 'built' | 'import-built';
const PATH_NAMES: Record<AskedPath, string> = {
  'import': 'fromLayerArn + VectorDbFunction',
  'function': 'VectorDbFunction({ sdkVersion })',
  'built': 'built layer\'s compatibleRuntimes',
  'import-built': 'fromLayerArn with the built facts',
};

interface Answer {
  readonly allowed: boolean;
  readonly message?: string;
}

type Kind = 'unsafe-allow' | 'false-refusal' | 'wrong-reason' | 'no-way-out';
interface Mismatch {
  readonly cell: string;
  readonly path: AskedPath;
  readonly kind: Kind;
  readonly expected: string;
  readonly got: string;
}

/** The reasons a refusal names, as far as this cell's facts let one tell. */
function reasonsNamed(message: string, v: VersionTruth, cell: CellTruth): Array<Reason | 'unread-binary' | 'other'> {
  const named: Array<Reason | 'unread-binary' | 'other'> = [];
  const elf = v.native[cell.arch].binary?.elf;
  if (/has no native build|is not published|names no linux-gnu native package/.test(message)) named.push('no-native-build');
  if (elf?.glibc && message.includes(`glibc ${elf.glibc}`)) named.push('glibc');
  if (elf && elf.needed.some((s) => !/^(libc|libm|libpthread|libdl|librt|libgcc_s|libstdc\+\+)\.so|^ld-linux/.test(s) && message.includes(s))) named.push('libraries');
  if (/engines/.test(message) && v.release.engines && message.includes(v.release.engines)) named.push('engines');
  if (/not known before its binary is read/.test(message)) named.push('unread-binary');
  if (named.length === 0) named.push('other');
  return named;
}

const WAY_OUT = /;\s*(use |set |choose |no published )/;

/** The glibc of the newest Lambda OS the matrix covers (Amazon Linux 2023). */
const NEWEST_GLIBC = RUNTIMES.map((r) => r.glibc).sort(compareDotted).pop()!;

/**
 * Whether a refusal because the binary is unread is a fair one: only for a
 * binary the ground truth could not read either (declared, not served by this
 * registry), and only on a runtime whose OS is older than the newest (where a
 * binary's glibc need decides; on the newest the build checks it after install).
 */
const mayRefuseUnread = (cell: CellTruth) => cell.unreadBinary !== undefined && compareDotted(cell.runtime.glibc, NEWEST_GLIBC) < 0;

/** Cells refused because their binary is unread (fair, see mayRefuseUnread): `${sdk} ${version} ${arch} ${runtime}` -> paths. */
const cautious = new Map<string, AskedPath[]>();

function judge(v: VersionTruth, cell: CellTruth, pathKind: AskedPath, answer: Answer): Mismatch[] {
  const id = `${cell.sdk} ${cell.version} ${cell.arch} ${cell.runtime.runtime}`;
  const expected = cell.allowed ? `allowed${cell.unreadBinary ? ' (binary unread)' : ''}` : `refused (${cell.reasons.join('+')}: ${cell.details.join('; ')})`;
  if (answer.allowed && !cell.allowed) return [{ cell: id, path: pathKind, kind: 'unsafe-allow', expected, got: 'allowed' }];
  if (answer.allowed || answer.message === undefined) {
    if (!answer.allowed && cell.allowed) return [{ cell: id, path: pathKind, kind: 'false-refusal', expected, got: 'refused' }];
    return [];
  }
  const named = reasonsNamed(answer.message, v, cell);
  const fair: string[] = [...cell.reasons, ...(mayRefuseUnread(cell) ? ['unread-binary'] : [])];
  if (cell.allowed && !named.every((r) => fair.includes(r))) return [{ cell: id, path: pathKind, kind: 'false-refusal', expected, got: `${named.join('+')}: ${answer.message}` }];
  const out: Mismatch[] = [];
  if (cell.allowed) {
    cautious.set(id, [...(cautious.get(id) ?? []), pathKind]);
  } else if (!named.every((r) => fair.includes(r))) {
    out.push({ cell: id, path: pathKind, kind: 'wrong-reason', expected, got: `${named.join('+')}: ${answer.message}` });
  }
  if (!WAY_OUT.test(answer.message)) out.push({ cell: id, path: pathKind, kind: 'no-way-out', expected, got: answer.message });
  return out;
}

let synthOut: string;

/** One app per question, bundling skipped: the verdict comes before any build. */
function ask(make: (stack: Stack) => void): Answer {
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir: synthOut, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Stack');
  try {
    make(stack);
    app.synth();
    return { allowed: true };
  } catch (e) {
    return { allowed: false, message: (e as Error).message };
  }
}

type ImportFacts = Partial<Parameters<typeof VectorDbLayer.fromLayerArn>[3]>;

function askImport(sdk: string, version: string, arch: Arch, runtime: RuntimeTruth, facts: ImportFacts = {}): Answer {
  return ask((stack) => {
    const layer = VectorDbLayer.fromLayerArn(stack, 'Layer', ARN, { sdk: VectorDbSdk.of(sdk), version, architecture: architectureOf(arch), ...facts });
    new VectorDbFunction(stack, 'Fn', { entry: entryFor(sdk), layer, runtime: LAMBDA_RUNTIME[runtime.runtime], architecture: architectureOf(arch) });
  });
}

function askFunction(sdk: string, version: string, arch: Arch, runtime: RuntimeTruth): Answer {
  return ask((stack) => {
    new VectorDbFunction(stack, 'Fn', { entry: entryFor(sdk), sdk: VectorDbSdk.of(sdk), sdkVersion: version, runtime: LAMBDA_RUNTIME[runtime.runtime], architecture: architectureOf(arch) });
  });
}

// ---------------------------------------------------------------------------
// State shared by the tests, and the table

let truths: VersionTruth[] = [];
const mismatches: Mismatch[] = [];
/** `${sdk} ${version} ${arch} ${runtime}` -> what happened on the runtime's Node.js */
const searched = new Map<string, string>();
const buildNotes = new Map<string, string>();
const timings: Record<string, number> = {};
const suiteStarted = Date.now();

const truthOf = (sdk: string, version: string) => truths.find((t) => t.sdk === sdk && t.version === version);
const cellsOf = (v: VersionTruth, arch: Arch) => RUNTIMES.map((r) => cellTruth(v, arch, r));

beforeAll(async () => {
  synthOut = tempDir('matrix-synth');
  const started = Date.now();
  truths = await allVersionTruths(VERSIONS);
  timings['ground truth (registry, npm pack, readelf; cached tarballs)'] = Date.now() - started;
});
afterAll(() => removeDir(synthOut));

describe('the ground truth', () => {
  test('knows every version, and agrees with what was measured by hand (npm pack and readelf of the published tarballs)', () => {
    expect(truths.map((t) => `${t.sdk}@${t.version}`)).toEqual(VERSIONS.map((v) => `${v.sdk}@${v.version}`));
    const t = (sdk: string, version: string) => truthOf(sdk, version)!;
    // The native package's version is not always the SDK's.
    expect(t('vectordb', '0.9.0').native.x86_64).toMatchObject({ source: 'package', package: '@lancedb/vectordb-linux-x64-gnu', version: '0.4.20' });
    expect(t('vectordb', '0.21.2').native.x86_64.binary?.elf?.glibc).toBe('2.28');
    expect(t('vectordb', '0.1.8').native.x86_64).toMatchObject({ source: 'sdk' });
    expect(t('vectordb', '0.1.8').native.x86_64.binary?.elf?.needed).toEqual(expect.arrayContaining(['libssl.so.3', 'libgfortran.so.5']));
    expect(t('@lancedb/lancedb', '0.13.0').native.arm64.binary?.elf?.glibc).toBe('2.28');
    // This registry is a partial copy: arm64 builds of @lancedb/lancedb after 0.31.0 are declared, not served here.
    expect(t('@lancedb/lancedb', '0.39.0').native.arm64).toMatchObject({ source: 'declared-unserved', package: '@lancedb/lancedb-linux-arm64-gnu', version: '0.39.0' });
    expect(t('@lancedb/lancedb', '0.39.0').native.arm64.binary).toBeUndefined();
    expect(t('@lancedb/lancedb', '0.31.0').native.arm64.source).toBe('package');
    expect(t('vectordb', '0.9.0').native.arm64).toMatchObject({ source: 'declared-unserved', package: '@lancedb/vectordb-linux-arm64-gnu', version: '0.4.20' });
    // A version that declares no arm64 build and ships none: nothing any registry could serve.
    expect(t('vectordb', '0.1.8').native.arm64).toMatchObject({ source: 'none' });
    expect(t('vectordb', '0.1.8').native.arm64.package).toBeUndefined();
    // An unread binary: only its declarations count against it (0.39.0: engines.node >= 22).
    const on = (runtime: string) => cellTruth(t('@lancedb/lancedb', '0.39.0'), 'arm64', RUNTIMES.find((r) => r.runtime === runtime)!);
    expect(on('nodejs22.x')).toMatchObject({ allowed: true, reasons: [], unreadBinary: expect.stringContaining('does not serve') });
    expect(on('nodejs20.x')).toMatchObject({ allowed: false, reasons: ['engines'] });
    expect(t('@lancedb/lancedb', '0.38.0').release.engines).toMatch(/>=\s*22/);
  });
});

describe('every cell, asked through the library (synth, no build)', () => {
  test.each([['import' as const], ['function' as const]])('%s: no cell synthesizes that would fail, no false refusal, every refusal with its reason and a way out', (pathKind) => {
    const started = Date.now();
    const found: Mismatch[] = [];
    for (const combo of COMBOS) {
      const v = truthOf(combo.sdk, combo.version)!;
      for (const cell of cellsOf(v, combo.arch)) {
        const answer = pathKind === 'import' ? askImport(combo.sdk, combo.version, combo.arch, cell.runtime) : askFunction(combo.sdk, combo.version, combo.arch, cell.runtime);
        found.push(...judge(v, cell, pathKind, answer));
      }
    }
    timings[`synth of every cell: ${PATH_NAMES[pathKind]}`] = Date.now() - started;
    mismatches.push(...found);
    expect(found.filter((m) => m.kind === 'unsafe-allow')).toEqual([]);
    expect(found.filter((m) => m.kind === 'false-refusal')).toEqual([]);
    expect(found.filter((m) => m.kind === 'wrong-reason')).toEqual([]);
    expect(found.filter((m) => m.kind === 'no-way-out')).toEqual([]);
  });
});

(HAS_NODE_MAJORS ? describe : describe.skip)('every buildable (SDK, version, architecture), built and searched where it runs', () => {
  test.each(COMBOS)('$sdk $version $arch', ({ sdk, version, arch }) => {
    const v = truthOf(sdk, version)!;
    const cells = cellsOf(v, arch);
    const allowed = cells.filter((c) => c.allowed);
    const key = `${sdk} ${version} ${arch}`;

    if (v.native[arch].source === 'declared-unserved') {
      // Declared, not served by this registry: tried, and stopped at build time by the registry's answer.
      const native = v.native[arch];
      const out = tempDir('matrix-unserved');
      const cache = tempDir('matrix-unserved-cache');
      let message = '';
      const started = Date.now();
      try {
        AssetStaging.clearAssetHashCache();
        const app = new App({ outdir: out });
        withEnv({ CDK_VECTORDB_LAYER_CACHE: cache }, () => {
          new VectorDbLayer(new Stack(app, 'Stack'), 'Layer', { sdk: VectorDbSdk.of(sdk), version, architecture: architectureOf(arch) });
          app.synth();
        });
      } catch (e) {
        message = (e as Error).message;
      }
      const ms = Date.now() - started;
      const staged = fs.existsSync(out) ? fs.readdirSync(out).filter((n) => n.startsWith('asset.')) : [];
      const cached = fs.existsSync(path.join(cache, 'layers')) ? fs.readdirSync(path.join(cache, 'layers')) : [];
      const pending = fs.existsSync(path.join(cache, 'tmp')) ? fs.readdirSync(path.join(cache, 'tmp')) : [];
      removeDir(out);
      removeDir(cache);
      timings[`stop at build ${key}`] = ms;
      expect({ key, message }).toEqual({ key, message: expect.stringContaining(`has no native build for ${sdk} ${version} on the npm registry ${native.registry}`) });
      expect(message).toContain(`${sdk} ${version} declares ${native.package}@${native.version} (optionalDependencies), and the registry answered: `);
      expect(message).toMatch(/the registry answered: (E404|ETARGET)\b/);
      // the ways out: the other architecture (and a version whose build the registry serves, where there is one)
      expect(message).toMatch(WAY_OUT);
      expect(message).toContain(`set architecture to ${arch === 'arm64' ? 'x86_64' : 'arm64'}`);
      // nothing built, nothing cached, no other version swapped in
      expect({ key, staged, cached, pending }).toEqual({ key, staged: [], cached: [], pending: [] });
      expect({ key, ms: ms < 15_000 }).toEqual({ key, ms: true });
      buildNotes.set(key, `stopped at build time in ${secs(ms)}: ${/the registry answered: ([^;]*)/.exec(message)?.[1]}`);
      return;
    }
    if (allowed.length === 0) {
      // Nothing runs it: the construct refuses before building anything.
      const before = localBuildCount();
      const out = tempDir('matrix-refused');
      let message = '';
      try {
        AssetStaging.clearAssetHashCache();
        const app = new App({ outdir: out });
        withEnv(REAL_BUILD_ENV, () => {
          new VectorDbLayer(new Stack(app, 'Stack'), 'Layer', { sdk: VectorDbSdk.of(sdk), version, architecture: architectureOf(arch) });
          app.synth();
        });
      } catch (e) {
        message = (e as Error).message;
      } finally {
        removeDir(out);
      }
      expect(localBuildCount()).toBe(before);
      expect(message).not.toBe('');
      const named = reasonsNamed(message, v, cells[0]);
      const trueReasons = new Set(cells.flatMap((c) => c.reasons));
      expect({ key, named: named.filter((r) => !trueReasons.has(r as Reason)) }).toEqual({ key, named: [] });
      expect(message).toMatch(WAY_OUT);
      buildNotes.set(key, 'refused by the construct before a build');
      return;
    }
    if (!ALL_BUILDS && !isPinned(sdk, version)) {
      buildNotes.set(key, 'not built (CDK_VECTORDB_LAYER_MATRIX_BUILDS=pinned)');
      return;
    }

    let built: BuiltLayer | undefined;
    try {
      built = buildWithConstruct({ sdk: VectorDbSdk.of(sdk), version, architecture: architectureOf(arch) });
      timings[`build ${key}`] = built.ms;
      expect(built.hostBuilds).toBe(1);
      const native = v.native[arch];
      const elf = native.binary!.elf!;
      // The layer holds the binary the registry names, and claims exactly the runtimes that can run it.
      expect(built.manifest).toMatchObject({ sdk, version, architecture: arch });
      if (native.source === 'package') expect({ p: built.manifest.nativePackage, v: built.manifest.nativePackageVersion }).toEqual({ p: native.package, v: native.version });
      expect(built.manifest.glibc ?? undefined).toBe(elf.glibc);
      expect([...built.manifest.neededLibraries].sort()).toEqual([...elf.needed].sort());
      expect(built.manifest.nodeEngines ?? undefined).toBe(v.release.engines);
      const claimed = (built.layer.compatibleRuntimes ?? []).map((r) => r.name);
      for (const cell of cells) {
        // (A runtime left out of compatibleRuntimes has no message: only allowed vs refused is judged.)
        mismatches.push(...judge(v, cell, 'built', { allowed: claimed.includes(cell.runtime.runtime) }));
        // The layer imported elsewhere with the facts its build printed (`build --json`).
        mismatches.push(...judge(v, cell, 'import-built', askImport(sdk, version, arch, cell.runtime, {
          glibcVersion: built.manifest.glibc ?? undefined,
          nodeEngines: built.manifest.nodeEngines ?? undefined,
          neededLibraries: built.manifest.neededLibraries,
          unzippedSizeBytes: built.manifest.unzippedBytes,
        })));
      }
      expect(claimed).toEqual(allowed.map((c) => c.runtime.runtime));

      // Loaded and searched on each allowed runtime's own Node.js.
      for (const cell of allowed) {
        const at = `${key} ${cell.runtime.runtime}`;
        if (arch === 'arm64' && !HAS_EMULATOR) {
          searched.set(at, 'not run (no emulator)');
          continue;
        }
        const run = searchOn(built.dir, sdk, cell.runtime.major, arch);
        expect({ at, ids: run.ids, version: run.version }).toEqual({ at, ids: NEAREST, version });
        expect(run.node).toMatch(new RegExp(`^v${cell.runtime.major}\\.`));
        expect(run.resolvedFrom.startsWith(path.join(built.dir, 'nodejs', 'node_modules'))).toBe(true);
        searched.set(at, `searched on ${run.node}${arch === 'arm64' ? ' (qemu)' : ''}, ${secs(run.ms)}`);
      }
      buildNotes.set(key, `built in ${secs(built.ms)}, ${(built.manifest.unzippedBytes / 1e6).toFixed(1)} MB`);
    } finally {
      removeDir(built?.outdir);
    }
  });

  test('the built layers and their imports gave no wrong verdict', () => {
    const fromBuilds = mismatches.filter((m) => m.path === 'built' || m.path === 'import-built');
    expect(fromBuilds).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// The table

function cellText(v: VersionTruth, cell: CellTruth): string {
  const at = `${cell.sdk} ${cell.version} ${cell.arch} ${cell.runtime.runtime}`;
  const wrong = mismatches.filter((m) => m.cell === at);
  let text = cell.allowed
    ? (cell.unreadBinary ? `ok (binary unread here)${cautious.has(at) ? `; refused until read by ${cautious.get(at)!.map((p) => PATH_NAMES[p]).join(', ')}` : ''}` : `ok: ${searched.get(at) ?? 'not searched'}`)
    : `refused: ${cell.reasons.join(' + ')}`;
  if (!cell.allowed && cell.reasons.includes('glibc')) text += ` (${v.native[cell.arch].binary!.elf!.glibc} > ${cell.runtime.glibc})`;
  if (wrong.length > 0) text += ` **WRONG: ${wrong.map((m) => `${m.kind} by ${PATH_NAMES[m.path]}`).join('; ')}**`;
  return text;
}

function nativeText(v: VersionTruth, arch: Arch): string {
  const n = v.native[arch];
  if (n.source === 'none') return `none (${n.why})`;
  if (n.source === 'declared-unserved') return `${n.package}@${n.version}: declared, not served by ${n.registry}`;
  const elf = n.binary!.elf!;
  const where = n.source === 'package' ? `${n.package}@${n.version}` : `inside ${v.sdk}@${v.version} (${n.binary!.member})`;
  return `${where}: GLIBC ${elf.glibc}, NEEDED ${elf.needed.length}`;
}

afterAll(() => {
  if (truths.length === 0) return;
  const lines = [
    '## The matrix (test/full/matrix.test.ts)',
    '',
    'Expected verdicts from the registry, `npm pack` + binutils readelf and the runtimes\' OS (nodejs18.x: Amazon Linux 2, glibc 2.26; 20.x and later: Amazon Linux 2023, glibc 2.34); ',
    `asked of the library through ${Object.values(PATH_NAMES).join(', ')}.`,
    '',
    `| SDK | version | arch | native binary | ${RUNTIMES.map((r) => r.runtime).join(' | ')} | build |`,
    `| --- | --- | --- | --- | ${RUNTIMES.map(() => '---').join(' | ')} | --- |`,
  ];
  const counts = new Map<string, number>();
  let total = 0;
  for (const combo of COMBOS) {
    const v = truthOf(combo.sdk, combo.version);
    if (!v) continue;
    const cells = cellsOf(v, combo.arch);
    for (const c of cells) {
      total += 1;
      const k = c.allowed ? (c.unreadBinary ? 'allowed (binary unread here: declared, not served by this registry)' : 'allowed') : `refused: ${c.reasons.join(' + ')}${c.unreadBinary ? ' (binary unread here)' : ''}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const pin = PINNED.some((p) => p.sdk === combo.sdk && p.version === combo.version && p.arch === combo.arch) ? ' (pinned)' : '';
    lines.push(`| ${combo.sdk} | ${combo.version}${pin} | ${combo.arch} | ${nativeText(v, combo.arch)} | ${cells.map((c) => cellText(v, c)).join(' | ')} | ${buildNotes.get(`${combo.sdk} ${combo.version} ${combo.arch}`) ?? ''} |`);
  }
  lines.push('', `### ${total} cells`, '', '| verdict | cells |', '| --- | --- |');
  for (const [k, n] of [...counts].sort((a, b) => (a[0].startsWith('allowed') !== b[0].startsWith('allowed') ? (a[0].startsWith('allowed') ? -1 : 1) : b[1] - a[1]))) lines.push(`| ${k} | ${n} |`);
  const byKind = new Map<string, Mismatch[]>();
  for (const m of mismatches) byKind.set(`${m.kind} (${PATH_NAMES[m.path]})`, [...(byKind.get(`${m.kind} (${PATH_NAMES[m.path]})`) ?? []), m]);
  lines.push('', `### Wrong verdicts of the library: ${mismatches.length}`);
  for (const [k, list] of byKind) {
    lines.push('', `- **${k}**: ${list.length}`);
    for (const m of list.slice(0, 12)) lines.push(`  - ${m.cell}: expected ${m.expected}; got ${m.got.replace(/\s+/g, ' ').slice(0, 300)}`);
    if (list.length > 12) lines.push(`  - ... and ${list.length - 12} more`);
  }
  lines.push('', '### Time', '', '| step | time |', '| --- | --- |');
  for (const [k, ms] of Object.entries(timings)) lines.push(`| ${k} | ${secs(ms)} |`);
  lines.push(`| the whole suite | ${secs(Date.now() - suiteStarted)} |`);
  writeReport('matrix.md', lines.join('\n'));
});
