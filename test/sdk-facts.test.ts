/**
 * The facts table (src/private/sdk-facts.generated.ts, made by
 * build-tools/sdk-facts.ts from the registry and the binaries) and what Lambda's
 * operating systems provide (src/private/lambda-os.ts). No network: this only
 * reads the committed table.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { glibcSatisfied, knownLambdaOses, lambdaOsFor, missingSonames } from '../src/private/lambda-os';
import { FACTS_SOURCE, FactArchitecture, NativeBuildFact, knownVersions, versionFacts } from '../src/private/sdk-facts';

const SDKS = ['vectordb', '@lancedb/lancedb'];
const ARCHES: FactArchitecture[] = ['x86_64', 'arm64'];

interface PinArch { readonly glibc?: string; readonly node?: string }
type Pins = Record<string, Record<string, Partial<Record<FactArchitecture, PinArch>>>>;
const ASSETS = path.join(__dirname, '..', 'layer-assets');
const sdksJson = JSON.parse(fs.readFileSync(path.join(ASSETS, 'sdks.json'), 'utf-8')) as Record<string, { slug?: string; pins?: Pins[string] }>;

/**
 * What layer-assets/sdks.json `pins` recorded (commit 678638a) for the pinned
 * builds, used when that file no longer records them (the pins moved to
 * layer-assets/pins/<slug>-<version>-<architecture>/).
 */
const RECORDED_PINS: Pins = {
  'vectordb': { '0.21.2': { x86_64: { glibc: '2.28' } }, '0.4.2': { x86_64: { glibc: '2.15' }, arm64: { glibc: '2.17' } } },
  '@lancedb/lancedb': { '0.39.0': { x86_64: { glibc: '2.16', node: '>= 22' } }, '0.31.0': { arm64: { glibc: '2.17', node: '>= 18' } } },
};

function recordedPins(): Pins {
  const fromFile: Pins = {};
  for (const [sdk, entry] of Object.entries(sdksJson)) if (entry.pins) fromFile[sdk] = entry.pins;
  return Object.keys(fromFile).length ? fromFile : RECORDED_PINS;
}

/** the pinned projects in layer-assets/pins: sdk, version, architecture and the native package they depend on */
function pinFolders(): Array<{ sdk: string; version: string; arch: FactArchitecture; deps: Record<string, string> }> {
  const dir = path.join(ASSETS, 'pins');
  if (!fs.existsSync(dir)) return [];
  const bySlug = new Map(Object.entries(sdksJson).map(([sdk, e]) => [e.slug ?? sdk, sdk]));
  return fs.readdirSync(dir).flatMap((name) => {
    const m = /^(.+)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)-(x86_64|arm64)$/.exec(name);
    const pkg = path.join(dir, name, 'package.json');
    if (!m || !bySlug.has(m[1]) || !fs.existsSync(pkg)) return [];
    const deps = (JSON.parse(fs.readFileSync(pkg, 'utf-8')).dependencies ?? {}) as Record<string, string>;
    return [{ sdk: bySlug.get(m[1])!, version: m[2], arch: m[3] as FactArchitecture, deps }];
  });
}

/** every native build in the table: [sdk, version, arch, fact] */
function allBuilds(): Array<[string, string, FactArchitecture, NativeBuildFact]> {
  const out: Array<[string, string, FactArchitecture, NativeBuildFact]> = [];
  for (const sdk of SDKS) {
    for (const v of knownVersions(sdk)) {
      for (const arch of ARCHES) {
        const n = versionFacts(sdk, v)!.native[arch];
        if (n) out.push([sdk, v, arch, n]);
      }
    }
  }
  return out;
}

describe('the SDK facts table', () => {
  test('says where and when it was made', () => {
    expect(FACTS_SOURCE.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(FACTS_SOURCE.registry).toMatch(/^https?:\/\//);
  });

  test('knows every version this repo pins, with the glibc and engines recorded for it', () => {
    let checked = 0;
    for (const [sdk, versions] of Object.entries(recordedPins())) {
      for (const [version, archs] of Object.entries(versions)) {
        const facts = versionFacts(sdk, version);
        expect(facts).toBeDefined();
        expect(facts!.version).toBe(version);
        for (const [arch, pin] of Object.entries(archs) as Array<[FactArchitecture, PinArch]>) {
          const native = facts!.native[arch];
          expect({ sdk, version, arch, published: native?.published, glibc: native?.glibc })
            .toEqual({ sdk, version, arch, published: true, glibc: pin.glibc });
          if (pin.node !== undefined) expect({ sdk, version, engines: facts!.engines }).toEqual({ sdk, version, engines: pin.node });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  test('knows every pinned project in layer-assets/pins, and the native package each depends on', () => {
    const pins = pinFolders();
    if (fs.existsSync(path.join(ASSETS, 'pins'))) expect(pins.length).toBeGreaterThan(0);
    for (const { sdk, version, arch, deps } of pins) {
      const native = versionFacts(sdk, version)?.native[arch];
      expect({ pin: `${sdk}@${version} ${arch}`, published: native?.published, sdk: deps[sdk] })
        .toEqual({ pin: `${sdk}@${version} ${arch}`, published: true, sdk: version });
      expect(deps[native!.package!]).toBe(native!.version);
    }
  });

  test('reads the native package version from optionalDependencies, not from the SDK version', () => {
    const x64 = versionFacts('vectordb', '0.9.0')!.native.x86_64!;
    expect(x64.package).toBe('@lancedb/vectordb-linux-x64-gnu');
    expect(x64.version).toBe('0.4.20');
    expect(x64.published).toBe(true);
    expect(x64.binary).toBe('index.node');
    // the same build as vectordb 0.4.20's own
    expect(x64).toEqual(versionFacts('vectordb', '0.4.20')!.native.x86_64);
    for (const v of ['0.5.0', '0.7.2', '0.10.0']) expect(versionFacts('vectordb', v)!.native.x86_64!.version).toBe('0.4.20');
  });

  test('knows which arm64 builds are not published', () => {
    const vdb = versionFacts('vectordb', '0.21.2')!.native.arm64!;
    expect(vdb.package).toBe('@lancedb/vectordb-linux-arm64-gnu');
    expect(vdb.version).toBe('0.21.2');
    expect(vdb.published).toBe(false);
    expect(vdb.glibc).toBeUndefined();
    expect(vdb.binary).toBeUndefined();

    const l31 = versionFacts('@lancedb/lancedb', '0.31.0')!.native.arm64!;
    expect(l31).toMatchObject({ package: '@lancedb/lancedb-linux-arm64-gnu', version: '0.31.0', published: true, glibc: '2.17' });
    const l39 = versionFacts('@lancedb/lancedb', '0.39.0')!.native.arm64!;
    expect(l39).toMatchObject({ package: '@lancedb/lancedb-linux-arm64-gnu', version: '0.39.0', published: false });
  });

  test('@lancedb/lancedb 0.13.0 needs glibc 2.28 (on both architectures)', () => {
    const f = versionFacts('@lancedb/lancedb', '0.13.0')!;
    expect(f.native.x86_64!.glibc).toBe('2.28');
    expect(f.native.arm64!.glibc).toBe('2.28');
    expect(f.engines).toBe('>= 18');
  });

  test('vectordb 0.1.8 ships its binary in its own tarball, and it needs GLIBC_2.35 and libssl.so.3', () => {
    const f = versionFacts('vectordb', '0.1.8')!;
    const x64 = f.native.x86_64!;
    expect(x64.package).toBeUndefined();
    expect(x64.version).toBeUndefined();
    expect(x64.published).toBe(true);
    expect(x64.binary).toBe('x86_64-unknown-linux-gnu.node');
    expect(x64.glibc).toBe('2.35');
    expect(x64.needed).toEqual(expect.arrayContaining(['libssl.so.3', 'libgfortran.so.5']));
    expect(f.native.arm64).toBeUndefined();
  });

  test('returns undefined for what it does not know', () => {
    expect(versionFacts('vectordb', '0.0.1')).toBeUndefined();
    expect(versionFacts('vectordb', '99.0.0')).toBeUndefined();
    expect(versionFacts('@lancedb/lancedb', 'latest')).toBeUndefined();
    expect(versionFacts('@lancedb/lancedb', '')).toBeUndefined();
    expect(versionFacts('not-an-sdk', '0.21.2')).toBeUndefined();
    expect(versionFacts('vectordb', 'constructor')).toBeUndefined();
    expect(versionFacts('toString', '0.1.0')).toBeUndefined();
    expect(knownVersions('not-an-sdk')).toEqual([]);
    // a leading v or = names the same version
    expect(versionFacts('vectordb', 'v0.21.2')).toBe(versionFacts('vectordb', '0.21.2'));
  });

  test('lists versions oldest first, prereleases before their release', () => {
    for (const sdk of SDKS) {
      const list = knownVersions(sdk);
      expect(list.length).toBeGreaterThan(10);
      expect(new Set(list).size).toBe(list.length);
      for (const v of list) expect(versionFacts(sdk, v)).toBeDefined();
    }
    const vdb = knownVersions('vectordb');
    expect(vdb.indexOf('0.4.9')).toBeLessThan(vdb.indexOf('0.4.10'));
    expect(vdb.indexOf('0.4.20')).toBeLessThan(vdb.indexOf('0.5.0'));
    expect(vdb[0]).toBe('0.1.4');
    const ldb = knownVersions('@lancedb/lancedb');
    expect(ldb.indexOf('0.15.0-beta.0')).toBeGreaterThan(ldb.indexOf('0.14.1'));
    expect(ldb.indexOf('0.15.0-beta.0')).toBeLessThan(ldb.indexOf('0.15.0'));
    // a copy: callers cannot change the table
    knownVersions('vectordb').pop();
    expect(knownVersions('vectordb')).toEqual(vdb);
  });

  test('every build is consistent: a published one is fully read, an unpublished one not at all', () => {
    const builds = allBuilds();
    expect(builds.length).toBeGreaterThan(50);
    for (const [sdk, v, arch, n] of builds) {
      const where = `${sdk}@${v} ${arch}`;
      if (n.published) {
        expect({ where, binary: typeof n.binary, bytes: (n.bytes ?? 0) > 1_000_000, needsLibc: n.needed?.includes('libc.so.6') })
          .toEqual({ where, binary: 'string', bytes: true, needsLibc: true });
        expect({ where, glibc: n.glibc }).toEqual({ where, glibc: expect.stringMatching(/^2\.\d+$/) });
        const loader = arch === 'x86_64' ? 'ld-linux-x86-64.so.2' : 'ld-linux-aarch64.so.1';
        const otherLoader = arch === 'x86_64' ? 'ld-linux-aarch64.so.1' : 'ld-linux-x86-64.so.2';
        expect({ where, wrongArch: n.needed!.includes(otherLoader) }).toEqual({ where, wrongArch: false });
        if (n.needed!.some((s) => s.startsWith('ld-linux'))) expect(n.needed).toContain(loader);
      } else {
        expect({ where, binary: n.binary, glibc: n.glibc, needed: n.needed, bytes: n.bytes })
          .toEqual({ where, binary: undefined, glibc: undefined, needed: undefined, bytes: undefined });
      }
      if (n.package !== undefined) {
        expect(n.package).toBe(`@lancedb/${sdk === 'vectordb' ? 'vectordb' : 'lancedb'}-linux-${arch === 'x86_64' ? 'x64' : 'arm64'}-gnu`);
        expect(typeof n.version).toBe('string');
      }
    }
  });

  test('facts are frozen', () => {
    const f = versionFacts('vectordb', '0.21.2')!;
    expect(Object.isFrozen(f)).toBe(true);
    expect(Object.isFrozen(f.native.x86_64)).toBe(true);
    expect(Object.isFrozen(f.native.x86_64!.needed)).toBe(true);
  });
});

describe("Lambda's operating systems", () => {
  const nodeRuntimes = Object.getOwnPropertyNames(lambda.Runtime)
    .map((key) => /^NODEJS_(\d+)_X$/.exec(key))
    .filter((m): m is RegExpExecArray => !!m && Number(m[1]) >= 18)
    .map((m) => ({ major: Number(m[1]), runtime: (lambda.Runtime as unknown as Record<string, lambda.Runtime>)[m[0]] }));

  test('lambdaOsFor covers every NODEJS_<n>_X runtime aws-cdk-lib defines from 18 on', () => {
    expect(nodeRuntimes.map((r) => r.major)).toEqual(expect.arrayContaining([18, 20, 22]));
    for (const { major, runtime } of nodeRuntimes) {
      const os = lambdaOsFor(runtime.name);
      expect({ runtime: runtime.name, os: os?.id, glibc: os?.glibc })
        .toEqual(major === 18
          ? { runtime: runtime.name, os: 'al2', glibc: '2.26' }
          : { runtime: runtime.name, os: 'al2023', glibc: '2.34' });
    }
  });

  test('maps runtime names, including future majors, and nothing else', () => {
    expect(lambdaOsFor('nodejs18.x')!.name).toBe('Amazon Linux 2');
    expect(lambdaOsFor('nodejs20.x')!.name).toBe('Amazon Linux 2023');
    expect(lambdaOsFor('nodejs24.x')!.id).toBe('al2023');
    expect(lambdaOsFor('nodejs26.x')!.id).toBe('al2023');
    expect(lambdaOsFor('nodejs16.x')!.id).toBe('al2');
    expect(lambdaOsFor('nodejs8.10')).toBeUndefined();
    expect(lambdaOsFor('python3.12')).toBeUndefined();
    expect(lambdaOsFor('provided.al2023')).toBeUndefined();
    expect(lambdaOsFor('nodejs')).toBeUndefined();
  });

  test('provide the libraries a Node.js process has, not libssl.so.3 or libgfortran.so.5', () => {
    for (const os of knownLambdaOses()) {
      for (const lib of ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1', 'libgcc_s.so.1', 'libstdc++.so.6']) {
        expect(os.sonames).toContain(lib);
      }
      for (const lib of ['libssl.so.3', 'libcrypto.so.3', 'libgfortran.so.5', 'libssl.so.1.1']) expect(os.sonames).not.toContain(lib);
      expect(missingSonames(os, ['ld-linux-x86-64.so.2'], 'x86_64')).toEqual([]);
      expect(missingSonames(os, ['ld-linux-x86-64.so.2'], 'arm64')).toEqual(['ld-linux-x86-64.so.2']);
      expect(missingSonames(os, ['ld-linux-aarch64.so.1', 'libc.so.6'], 'arm64')).toEqual([]);
      expect(missingSonames(os, ['libmvec.so.1'], 'arm64')).toEqual(['libmvec.so.1']);
    }
    expect(glibcSatisfied(lambdaOsFor('nodejs20.x')!, '2.28')).toBe(true);
    expect(glibcSatisfied(lambdaOsFor('nodejs20.x')!, '2.35')).toBe(false);
    expect(glibcSatisfied(lambdaOsFor('nodejs18.x')!, '2.28')).toBe(false);
    expect(glibcSatisfied(lambdaOsFor('nodejs18.x')!, '2.26')).toBe(true);
    expect(glibcSatisfied(lambdaOsFor('nodejs18.x')!, undefined)).toBe(true);
  });

  test('cross-check: only vectordb 0.1.x binaries NEED libraries Lambda lacks', () => {
    const al2 = lambdaOsFor('nodejs18.x')!;
    const al2023 = lambdaOsFor('nodejs20.x')!;
    const lacking = (os: typeof al2) => allBuilds()
      .filter(([, , arch, n]) => n.published && missingSonames(os, n.needed!, arch).length > 0)
      .map(([sdk, v, arch, n]) => `${sdk}@${v} ${arch}: ${missingSonames(os, n.needed!, arch).join(' ')}`);
    const expected = [
      'vectordb@0.1.4 x86_64: libssl.so.3 libcrypto.so.3 libgfortran.so.5',
      'vectordb@0.1.8 x86_64: libssl.so.3 libcrypto.so.3 libgfortran.so.5',
    ];
    expect(lacking(al2023)).toEqual(expected);
    expect(lacking(al2)).toEqual(expected);
  });
});
