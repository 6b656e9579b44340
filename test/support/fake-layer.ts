/**
 * Small layer folders that pass the layer manifest check (../../src/private/layer/dir.ts),
 * so the real cache code stores, seals, finds and trims them without a build:
 * a real x86_64 ELF file (/bin/true) as the native binary, padding for size,
 * and a manifest written by the recipe's own writer.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './files';
import { LayerCache } from '../../src/private/layer/cache';
import { ExpectedLayer } from '../../src/private/layer/dir';
import { recipeManifest } from '../../src/private/layer/recipe';

/** An x86_64 ELF file on every Linux CI machine. */
const ELF = '/bin/true';

export interface FakeLayerOptions {
  readonly sdk?: string;
  readonly version?: string;
  /** Bytes of padding besides the binary and the manifest. */
  readonly padBytes?: number;
  /** Ship the "binary" as a compressed file (the check then reads no ELF header). */
  readonly compressed?: boolean;
  /** The manifest says the binary was not stripped. */
  readonly notStripped?: boolean;
}

/** A built-layer folder (holding nodejs/) and what it must hold. */
export function fakeLayer(options: FakeLayerOptions = {}): { dir: string; expected: ExpectedLayer } {
  const sdk = options.sdk ?? 'vectordb';
  const version = options.version ?? '0.4.2';
  const dir = tempDir('fake-layer');
  const nodejs = path.join(dir, 'nodejs');
  const pkg = path.join(nodejs, 'node_modules', sdk);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: sdk, version }));
  fs.writeFileSync(path.join(pkg, 'padding.bin'), Buffer.alloc(options.padBytes ?? 0, 7));
  const binary = `nodejs/node_modules/${sdk}/native.node`;
  const bytes = fs.readFileSync(ELF);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  let compressedBinary = null;
  if (options.compressed) {
    const file = `${binary}.br`;
    fs.writeFileSync(path.join(dir, file), bytes);
    compressedBinary = { file, bytes: bytes.length, sha256, decompressedBytes: bytes.length };
  } else {
    fs.writeFileSync(path.join(dir, binary), bytes);
  }
  const facts = {
    recipeVersion: 1,
    sdk,
    version,
    architecture: 'x86_64',
    platform: 'linux-x64-gnu',
    nativePackage: `@lancedb/${sdk}-linux-x64-gnu`,
    nativePackageVersion: version,
    nativeBinary: binary,
    compressedBinary,
    nativeBinaryBytes: bytes.length,
    nativeBinaryBytesBeforeStrip: bytes.length,
    nativeBinarySha256: sha256,
    glibc: '2.2.5',
    pinned: true,
    strip: { requested: true, applied: !options.notStripped },
  };
  recipeManifest().writeManifest(nodejs, facts as unknown as Parameters<ReturnType<typeof recipeManifest>['writeManifest']>[1]);
  return { dir, expected: { sdk, version, architecture: 'x86_64' } };
}

/**
 * Stores a fake layer in `cache` under `hash` as a synth would (the hash's lock
 * held), last used at `usedAt`; the folder it was built in is then removed (a
 * cdk.out deleted), so the entry's files are linked from nowhere else.
 */
export function storeFake(cache: LayerCache, hash: string, options: FakeLayerOptions & { usedAt?: Date } = {}): ExpectedLayer {
  const { dir, expected } = fakeLayer(options);
  const release = cache.lock(hash, 'test');
  try {
    cache.store(hash, expected, dir);
  } finally {
    release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (options.usedAt) fs.utimesSync(path.join(cache.dir, 'layers', `${hash}.json`), options.usedAt, options.usedAt);
  return expected;
}

/** A 64-hex hash made of one character: readable in a test. */
export function fakeHash(c: string): string {
  return c.repeat(64);
}
