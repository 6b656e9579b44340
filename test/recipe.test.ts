import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers';
import { ASSETS_DIR, recipe } from '../src/private/recipe';

/* eslint-disable @typescript-eslint/no-require-imports */
const { readElf } = require(path.join(ASSETS_DIR, 'recipe', 'elf.js'));
const versions = require(path.join(ASSETS_DIR, 'recipe', 'versions.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

describe('the recipe, run directly', () => {
  const outDir = path.join(tempDir('recipe'), 'layer');
  let manifest: ReturnType<typeof recipe.buildLayer>;
  beforeAll(() => {
    manifest = recipe.buildLayer({ sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', outDir, log: () => undefined });
  });

  test('reads the glibc need from the ELF version needs as readelf does', () => {
    const binary = path.join(outDir, manifest.nativeBinary);
    const elf = readElf(binary);
    expect(elf.machineName).toBe('x86-64');
    expect(elf.glibc).toBe('2.15');
    const readelf = spawnSync('readelf', ['-V', binary], { encoding: 'utf-8' });
    if (readelf.status === 0) {
      const needs = [...new Set(readelf.stdout.match(/GLIBC_[\d.]+/g))].sort();
      expect([...new Set<string>(elf.neededVersions.filter((v: string) => v.startsWith('GLIBC_')))].sort()).toEqual(needs);
    }
  });

  test('refuses a file that is not ELF', () => {
    const notElf = path.join(tempDir('notelf'), 'index.node');
    fs.writeFileSync(notElf, 'MZ this is not an ELF file at all, padded to sixty-four bytes......');
    expect(() => readElf(notElf)).toThrow('is not an ELF file');
  });

  test('fails above the size limit and leaves the output folder empty', () => {
    const out = path.join(tempDir('toolarge'), 'layer');
    let error: { message: string; code: string } | undefined;
    try {
      recipe.buildLayer({ sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', outDir: out, maxBytes: 10_000_000, log: () => undefined });
    } catch (e) {
      error = e as { message: string; code: string };
    }
    expect(error?.code).toBe('TOO_LARGE');
    expect(error?.message).toMatch(/^the layer is \d+ bytes unzipped, over the limit of 10000000 bytes/);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test('refuses a non-empty output folder', () => {
    expect(() => recipe.buildLayer({ sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', outDir, log: () => undefined }))
      .toThrow(/output folder .* is not empty/);
  });

  test('the command form writes the error file the construct reads', () => {
    const out = path.join(tempDir('cli'), 'out');
    const r = spawnSync(process.execPath, [path.join(ASSETS_DIR, 'build-layer.js'), '--sdk', 'vectordb', '--version', '0.4.2;id', '--architecture', 'x86_64', '--out', out], { encoding: 'utf-8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('version must be an exact version');
    expect(fs.readdirSync(out)).toEqual([recipe.ERROR_FILE]);
    expect(JSON.parse(fs.readFileSync(path.join(out, recipe.ERROR_FILE), 'utf-8'))).toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('versions', () => {
  test('exact versions only', () => {
    for (const ok of ['0.21.2', '1.0.0-beta.1', '10.20.30']) expect(versions.isExactVersion(ok)).toBe(true);
    for (const bad of ['0.21', '^1.0.0', '1.0.0 ', 'v1.0.0', '1.0.0+build', '01.0.0', '1.0.0-', '1.0.0;id', 'latest']) expect(versions.isExactVersion(bad)).toBe(false);
  });

  test('nearest versions sit on both sides of the wanted one', () => {
    const published = ['0.4.20', '0.5.0', '0.7.2', '0.9.0', '0.10.0', '0.11.0', '0.16.0', '0.21.2', '0.22.0-beta.1'];
    expect(versions.nearestVersions('0.12.0', published)).toEqual(['0.9.0', '0.10.0', '0.11.0', '0.16.0', '0.21.2']);
    expect(versions.nearestVersions('0.21.3', published)).toEqual(['0.11.0', '0.16.0', '0.21.2']);
  });

  test('the minimum Node major of an engines range', () => {
    expect(versions.minimumNodeMajor('>= 22')).toBe(22);
    expect(versions.minimumNodeMajor('>=18.0.0')).toBe(18);
    expect(versions.minimumNodeMajor('^20 || >=22')).toBe(20);
    expect(versions.minimumNodeMajor(undefined)).toBeUndefined();
    expect(versions.minimumNodeMajor('some day')).toBeUndefined();
  });
});

describe('pins', () => {
  const pins = Object.entries(recipe.SDKS).flatMap(([sdk, info]) =>
    Object.entries(info.pins).flatMap(([version, archs]) => Object.keys(archs).map((architecture) => ({ sdk, version, architecture, dir: path.join(ASSETS_DIR, 'pins', `${info.slug}-${version}-${architecture}`) }))));

  test('the default versions and vectordb 0.4.2 are pinned', () => {
    expect(pins.map((p) => `${p.sdk}@${p.version}-${p.architecture}`)).toEqual(expect.arrayContaining([
      'vectordb@0.21.2-x86_64', 'vectordb@0.4.2-x86_64', 'vectordb@0.4.2-arm64', '@lancedb/lancedb@0.39.0-x86_64',
    ]));
  });

  test.each(pins.map((p) => [`${p.sdk}@${p.version}-${p.architecture}`, p]))('%s: exact dependencies, and a lockfile with integrity that holds its linux native package', (_, pin) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(pin.dir, 'package.json'), 'utf-8'));
    const native = recipe.nativeFor(pin.sdk, pin.architecture).packageName;
    expect(pkg.dependencies).toEqual({ [pin.sdk]: pin.version, [native]: pin.version });
    const lock = JSON.parse(fs.readFileSync(path.join(pin.dir, 'package-lock.json'), 'utf-8'));
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[`node_modules/${native}`]).toMatchObject({ version: pin.version, cpu: [recipe.CPU_BY_ARCHITECTURE[pin.architecture]], os: ['linux'] });
    for (const [key, entry] of Object.entries<{ integrity?: string; link?: boolean }>(lock.packages)) {
      if (key === '' || entry.link) continue;
      expect([key, entry.integrity]).toEqual([key, expect.stringMatching(/^sha512-/)]);
    }
  });
});
