import * as fs from 'fs';
import * as path from 'path';
import { LayerManifest, recipeBinary, recipeElf, recipeManifest, recipePrune } from './recipe';

/** What a built layer folder must hold. */
export interface ExpectedLayer {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: string;
}

/** Reads the manifest of a built layer folder, or undefined when there is none. */
export function readManifest(layerDir: string): LayerManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', recipeManifest().MANIFEST_FILE), 'utf-8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether a built layer folder is still what its manifest says it is: the
 * layer asked for, nothing added or removed, the native binary intact and for
 * the right machine. A folder that fails is never shipped: the caller deletes
 * it and builds again, or tells the user to.
 *
 * @returns problems; empty when the folder is sound
 */
export function checkLayerDir(layerDir: string, expected: ExpectedLayer): string[] {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(layerDir);
  } catch (e) {
    return [`it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`];
  }
  if (!st.isDirectory()) return ['it is not a folder'];
  let m: LayerManifest;
  try {
    m = JSON.parse(fs.readFileSync(path.join(layerDir, 'nodejs', recipeManifest().MANIFEST_FILE), 'utf-8'));
  } catch (e) {
    const file = `nodejs/${recipeManifest().MANIFEST_FILE}`;
    return [(e as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} is missing` : `${file} is not valid JSON`];
  }
  const problems: string[] = [];
  for (const key of ['sdk', 'version', 'architecture'] as const) {
    if (m[key] !== expected[key]) problems.push(`it holds ${key} ${JSON.stringify(m[key])}, not ${JSON.stringify(expected[key])}`);
  }
  const extra = fs.readdirSync(layerDir).filter((n) => n !== 'nodejs');
  if (extra.length > 0) problems.push(`it holds ${extra.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')} beside nodejs/`);
  const found = recipePrune().measure(path.join(layerDir, 'nodejs'));
  if (found.files !== m.fileCount || found.bytes !== m.unzippedBytes) {
    problems.push(`it holds ${found.files} files, ${found.bytes} bytes; its manifest says ${m.fileCount} files, ${m.unzippedBytes} bytes`);
  }
  problems.push(...binaryProblems(layerDir, m, expected.architecture));
  return problems;
}

/**
 * A file the manifest names (a path inside the layer, its size and sha256):
 * the problems with it, else its absolute path.
 */
function namedFile(layerDir: string, what: string, rel: unknown, bytes: number, sha256: string | undefined): { file?: string; problems: string[] } {
  const parts = typeof rel === 'string' ? rel.split('/') : [];
  if (parts.length === 0 || parts.includes('..')) return { problems: [`the manifest names no usable ${what} (${JSON.stringify(rel)})`] };
  const file = path.join(layerDir, ...parts);
  if (!fs.existsSync(file)) return { problems: [`the ${what} ${rel} is missing`] };
  const size = fs.statSync(file).size;
  if (size !== bytes) return { problems: [`the ${what} is ${size} bytes, not ${bytes}`] };
  if (sha256 && recipeBinary().sha256File(file) !== sha256) return { problems: [`the ${what}'s sha256 differs from the manifest's`] };
  return { file, problems: [] };
}

/**
 * The native binary: present, the manifest's size and sha256, for the right
 * machine; or, when it ships compressed, the compressed file's size and
 * sha256 (the loader checks the decompressed binary).
 */
function binaryProblems(layerDir: string, m: LayerManifest, architecture: string): string[] {
  const c = m.compressedBinary;
  if (c) return namedFile(layerDir, 'compressed native binary', c.file, c.bytes, c.sha256).problems;
  const { file: binary, problems } = namedFile(layerDir, 'native binary', m.nativeBinary, m.nativeBinaryBytes, m.nativeBinarySha256);
  if (!binary) return problems;
  try {
    const elf = recipeElf().readElf(binary);
    const machine = (recipeElf().MACHINE_BY_ARCHITECTURE as Record<string, number>)[architecture];
    return elf.machine === machine ? [] : [`the native binary is built for ${elf.machineName}, not ${architecture}`];
  } catch (e) {
    return [`the native binary is not a usable ELF file: ${(e as Error).message}`];
  }
}
