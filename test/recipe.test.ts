/**
 * The recipe's parts, run directly on local files: the ELF reader against
 * binutils' readelf, pruning (licences kept), the lockfile policy, the command's
 * input errors. Fast tier: no network.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/files';
import { allPins, pinProblems } from '../src/private/layer/pins';
import { ASSETS_DIR, recipeElf, recipeLockfile, recipeManifest, recipePrune, recipeSdks, recipeVersions } from '../src/private/layer/recipe';

/** ELF files on this machine: node, and aws-lambda-ric's native client where .ci/lib/ric.sh built it. */
function localElfFiles(): string[] {
  const candidates = [
    path.join(__dirname, '..', 'node_modules', 'aws-lambda-ric', 'rapid-client.node'),
    process.execPath,
  ];
  return candidates.filter((f) => fs.existsSync(f) && fs.readFileSync(f).subarray(0, 4).toString('latin1') === '\x7fELF');
}

describe('the ELF reader agrees with readelf', () => {
  const readelf = spawnSync('readelf', ['--version'], { encoding: 'utf-8' }).status === 0;

  test.each(localElfFiles().map((f) => [path.basename(f), f]))('%s: machine, GLIBC needs and NEEDED libraries', (_name, file) => {
    const elf = recipeElf().readElf(file);
    expect(elf.machineName).toBe(process.arch === 'arm64' ? 'AArch64' : 'x86-64');
    if (!readelf) return;
    const versions = spawnSync('readelf', ['-V', '-W', file], { encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 }).stdout;
    const glibc = [...new Set(versions.match(/GLIBC_[\d.]+/g) ?? [])].sort();
    expect([...new Set(elf.neededVersions.filter((v) => v.startsWith('GLIBC_')))].sort()).toEqual(glibc);
    const dynamic = spawnSync('readelf', ['-d', '-W', file], { encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 }).stdout;
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(elf.neededLibraries).toEqual(needed);
    expect(needed.length).toBeGreaterThan(0);
  });

  test('refuses a file that is not ELF', () => {
    const notElf = path.join(tempDir('notelf'), 'index.node');
    fs.writeFileSync(notElf, 'MZ this is not an ELF file at all, padded to sixty-four bytes......');
    expect(() => recipeElf().readElf(notElf)).toThrow('is not an ELF file');
  });

  test('glibc versions compare as dotted numbers, not strings', () => {
    expect(recipeElf().compareDotted('2.28', '2.3')).toBeGreaterThan(0);
    expect(recipeElf().highestGlibc(['GLIBC_2.2.5', 'GLIBC_2.28', 'GLIBC_2.3.4', 'GCC_3.0'])).toBe('2.28');
  });
});

describe('pruning keeps every licence, whatever its case, extension or folder', () => {
  function tree(): string {
    const nm = path.join(tempDir('prune'), 'node_modules');
    const files: Record<string, string> = {
      'sdk/package.json': JSON.stringify({ name: 'sdk', dependencies: { dep: '1' } }),
      'sdk/index.js': 'module.exports = 1',
      'sdk/index.d.ts': 'export {}',
      'sdk/README.md': '# readme',
      'sdk/LICENSE': 'Apache-2.0',
      'sdk/native.node': 'ELF',
      'sdk/other.node': 'ELF',
      'sdk/docs/guide.md': 'guide',
      'sdk/docs/LICENSE-docs.txt': 'CC-BY',
      'dep/package.json': JSON.stringify({ name: 'dep' }),
      'dep/license.md': 'MIT',
      'dep/NOTICE.txt': 'notice',
      'dep/COPYING.LESSER': 'LGPL',
      'dep/THIRD-PARTY-LICENSES': 'others',
      'dep/licence': 'MIT',
      'dep/lib/x.js.map': '{}',
      'dep/test/t.js': 'test',
      'unused/package.json': JSON.stringify({ name: 'unused' }),
      'unused/LICENSE': 'MIT',
      '@types/node/package.json': '{}',
    };
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(nm, rel)), { recursive: true });
      fs.writeFileSync(path.join(nm, rel), text);
    }
    return nm;
  }

  test('types, docs, maps, tests, other binaries and unreachable packages go; licences of kept packages stay', () => {
    const nm = tree();
    const removed = recipePrune().prune(nm, { keepBinary: path.join(nm, 'sdk', 'native.node'), prunePackages: ['@types/*'], roots: ['sdk'] });
    const left: string[] = [];
    const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true })
      .forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : left.push(path.relative(nm, path.join(d, e.name)))));
    walk(nm);
    expect(left.sort()).toEqual([
      'dep/COPYING.LESSER', 'dep/NOTICE.txt', 'dep/THIRD-PARTY-LICENSES', 'dep/licence', 'dep/license.md', 'dep/package.json',
      'sdk/LICENSE', 'sdk/docs/LICENSE-docs.txt', 'sdk/index.js', 'sdk/native.node', 'sdk/package.json',
    ]);
    expect(removed.packages).toEqual(expect.arrayContaining(['unused', '@types/node']));
    expect(removed.files).toBe(9);
  });

  test.each([
    ['LICENSE', true], ['license.md', true], ['LICENCE.txt', true], ['License-MIT', true], ['COPYING', true], ['notice.md', true],
    ['THIRD-PARTY-LICENSES.txt', true], ['README.md', false], ['index.d.ts', false], ['licensed-feature.js', false],
  ])('%s is a licence file: %s', (name, expected) => {
    expect(recipePrune().isLicenceFile(name as string)).toBe(expected);
  });
});

describe('the lockfile policy', () => {
  test('every pin passes', () => {
    expect(allPins().length).toBeGreaterThanOrEqual(5);
    expect(pinProblems()).toEqual([]);
  });

  const base = () => {
    const dir = path.join(ASSETS_DIR, 'pins', 'vectordb-0.4.2-x86_64');
    return {
      sdk: 'vectordb',
      version: '0.4.2',
      architecture: 'x86_64' as const,
      nativePackage: recipeSdks.nativeFor('vectordb', 'x86_64').packageName,
      packageJson: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8')),
      lock: JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf-8')),
    };
  };

  test.each<[string, (pin: ReturnType<typeof base>) => void, RegExp]>([
    ['a missing integrity', (p) => delete p.lock.packages['node_modules/apache-arrow'].integrity, /apache-arrow@[\d.]+ has no sha512 integrity/],
    ['a git dependency', (p) => (p.lock.packages['node_modules/apache-arrow'].resolved = 'git+ssh://git@github.com/x/y.git'), /only https tarball URLs are allowed/],
    ['an alias', (p) => (p.lock.packages['node_modules/apache-arrow'].name = 'evil'), /installs "evil" under an alias/],
    ['no native package', (p) => delete p.lock.packages['node_modules/@lancedb/vectordb-linux-x64-gnu'], /has no entry for @lancedb\/vectordb-linux-x64-gnu, the linux native package for x86_64/],
    ['a native package for another cpu', (p) => (p.lock.packages['node_modules/@lancedb/vectordb-linux-x64-gnu'].cpu = ['arm64']), /is not marked cpu x64/],
    ['an extra dependency', (p) => (p.packageJson.dependencies.lodash = '4.17.21'), /package\.json must depend on exactly vectordb@0\.4\.2 and @lancedb\/vectordb-linux-x64-gnu/],
  ])('%s is a problem', (_label, doctor, problem) => {
    const pin = base();
    expect(recipeLockfile().lockfileProblems(pin)).toEqual([]);
    doctor(pin);
    expect(recipeLockfile().lockfileProblems(pin).join('\n')).toMatch(problem);
  });

  test('a native package at another version than the SDK\'s is fine when the SDK names it (vectordb 0.9.0 -> 0.4.20)', () => {
    const pin = base();
    pin.version = '0.9.0';
    pin.packageJson.dependencies = { 'vectordb': '0.9.0', '@lancedb/vectordb-linux-x64-gnu': '0.4.20' };
    pin.lock.packages[''].dependencies = { ...pin.packageJson.dependencies };
    pin.lock.packages['node_modules/vectordb'].version = '0.9.0';
    pin.lock.packages['node_modules/@lancedb/vectordb-linux-x64-gnu'].version = '0.4.20';
    expect(recipeLockfile().lockfileProblems(pin)).toEqual([]);
  });
});

describe('the recipe command refuses bad input before anything runs', () => {
  test('without an output folder, it says why on stderr', () => {
    const r = spawnSync(process.execPath, [path.join(ASSETS_DIR, 'build-layer.js'), '--sdk', 'vectordb'], { encoding: 'utf-8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^vectordb-layer: version must be an exact version/);
  });

  const run = (args: string[], out: string) => spawnSync(process.execPath, [path.join(ASSETS_DIR, 'build-layer.js'), ...args, '--out', out], { encoding: 'utf-8' });

  test.each([
    [['--sdk', 'vectordb', '--version', '0.4.2;id', '--architecture', 'x86_64'], 'version must be an exact version'],
    [['--sdk', 'lancedb', '--version', '0.4.2', '--architecture', 'x86_64'], 'sdk must be one of vectordb, @lancedb/lancedb'],
    [['--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'amd64'], 'architecture must be x86_64 or arm64'],
    [['--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'x86_64', '--bogus'], 'Unknown option \'--bogus\''],
  ])('%j: exit 1, the message, and only the error file in the output folder', (args, message) => {
    const out = path.join(tempDir('cmd'), 'out');
    const r = run(args, out);
    expect(r.status).toBe(1);
    expect(fs.readdirSync(out)).toEqual([recipeManifest().ERROR_FILE]);
    const reported = JSON.parse(fs.readFileSync(path.join(out, recipeManifest().ERROR_FILE), 'utf-8'));
    expect(reported).toMatchObject({ code: 'BAD_INPUT' });
    expect(reported.message).toContain(message);
    // Said once, by the host that reads the file.
    expect(r.stderr).toBe('');
  });

  test('exact versions only', () => {
    for (const ok of ['0.21.2', '1.0.0-beta.1', '10.20.30']) expect(recipeVersions().isExactVersion(ok)).toBe(true);
    for (const bad of ['0.21', '^1.0.0', '1.0.0 ', 'v1.0.0', '1.0.0+build', '01.0.0', '1.0.0-', '1.0.0;id', 'latest']) expect(recipeVersions().isExactVersion(bad)).toBe(false);
  });
});
