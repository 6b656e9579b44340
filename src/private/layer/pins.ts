/**
 * The pinned projects in `layer-assets/pins/<slug>-<version>-<architecture>/`:
 * which SDK versions install from a lockfile, and the audit of every pin
 * (the build checks only the pin it uses).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ASSETS_DIR, recipeLockfile, recipeSdks } from './recipe';
import { LAYER_ARCHITECTURES, LayerArchitecture } from '../common/architecture';
import { sortVersions } from '../facts/versions';

/** A pinned project. */
export interface Pin {
  readonly sdk: string;
  readonly version: string;
  readonly architecture: LayerArchitecture;
  /** Its folder. */
  readonly dir: string;
}

const PINS = path.join(ASSETS_DIR, 'pins');

/** Every pin the recipe has, read from the folder names. */
export function allPins(): Pin[] {
  if (!fs.existsSync(PINS)) return [];
  const slugs = Object.entries(recipeSdks.SDKS).map(([sdk, info]) => ({ sdk, slug: info.slug }));
  const out: Pin[] = [];
  for (const name of fs.readdirSync(PINS).sort()) {
    const architecture = LAYER_ARCHITECTURES.find((a) => name.endsWith(`-${a}`));
    const owner = slugs.find((s) => name.startsWith(`${s.slug}-`));
    if (!architecture || !owner || !fs.existsSync(path.join(PINS, name, 'package-lock.json'))) continue;
    const version = name.slice(owner.slug.length + 1, name.length - architecture.length - 1);
    out.push({ sdk: owner.sdk, version, architecture, dir: path.join(PINS, name) });
  }
  return out;
}

/** Whether a version installs from a lockfile. */
export function isPinned(sdk: string, version: string, architecture: string): boolean {
  return allPins().some((p) => p.sdk === sdk && p.version === version && p.architecture === architecture);
}

/** Pinned versions of an SDK for an architecture, newest first. */
export function pinnedVersions(sdk: string, architecture: string): string[] {
  return sortVersions(allPins().filter((p) => p.sdk === sdk && p.architecture === architecture).map((p) => p.version)).reverse();
}

/** Problems of every pin, as `<pin>: <problem>` lines (for the audit and the tests). */
export function pinProblems(): string[] {
  const problems: string[] = [];
  for (const pin of allPins()) {
    const name = path.basename(pin.dir);
    const read = (file: string): unknown => {
      try {
        return JSON.parse(fs.readFileSync(path.join(pin.dir, file), 'utf-8'));
      } catch (e) {
        problems.push(`${name}: ${file} cannot be read: ${(e as Error).message}`);
        return undefined;
      }
    };
    const packageJson = read('package.json');
    const lock = read('package-lock.json');
    if (!packageJson || !lock) continue;
    const nativePackage = recipeSdks.nativeFor(pin.sdk, pin.architecture).packageName;
    for (const p of recipeLockfile().lockfileProblems({ ...pin, nativePackage, packageJson, lock })) problems.push(`${name}: ${p}`);
  }
  return problems;
}
