import * as fs from 'fs';
import * as path from 'path';
// semver's functions one by one: its index loads all of semver (47 modules) on import.
import semverValid from 'semver/functions/valid';
import { findUp } from './entry';
import { fileStamp } from '../common/file-stamp';

/** The version of a package the app itself uses, and where that was read. */
export interface AppVersion {
  /** The exact version. */
  readonly version: string;
  /** The file it was read from: the lock file, or the package.json that pins it. */
  readonly file: string;
}

/** What the app says about one package. */
export interface AppDependency {
  /** The exact version the app resolves: its lock file, else an exact pin in its package.json. */
  readonly resolved?: AppVersion;
  /** The range its package.json asks for, when that is all there is. */
  readonly range?: { readonly spec: string; readonly file: string };
}

/**
 * The version of `pkg` the handler gets when it runs in the app (local tests,
 * the app's own node_modules): the one the lock file resolves for the
 * handler's folder, else the exact version the nearest package.json pins.
 */
export function appDependency(pkg: string, entry: string, lockFile: string | undefined): AppDependency {
  const packageJson = findUp('package.json', path.dirname(entry));
  const spec = packageJson ? declaredSpec(packageJson, pkg) : undefined;
  const locked = lockFile ? lockedVersion(lockFile, pkg, path.dirname(entry), spec) : undefined;
  if (locked) return { resolved: { version: locked, file: lockFile! } };
  if (spec && packageJson) {
    const exact = exactSpec(spec);
    if (exact) return { resolved: { version: exact, file: packageJson } };
    return { range: { spec, file: packageJson } };
  }
  return {};
}

/** The spec of `pkg` in a package.json's dependencies of any kind. */
function declaredSpec(file: string, pkg: string): string | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch {
    return undefined;
  }
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = json[field];
    if (deps && typeof deps === 'object') {
      const spec = (deps as Record<string, unknown>)[pkg];
      if (typeof spec === 'string') return spec;
    }
  }
  return undefined;
}

/** `0.31.0`, `=0.31.0`, `v0.31.0` or `npm:<pkg>@0.31.0`: one exact version. */
function exactSpec(spec: string): string | undefined {
  const bare = spec.replace(/^npm:(@[^/@]+\/)?[^@]+@/, '').trim();
  if (!/^=?v?\d/.test(bare)) return undefined;
  const valid = semverValid(bare.replace(/^=/, ''));
  return valid ?? undefined;
}

/**
 * Answers already read from a lock file, while the file is unchanged (its
 * size and mtime): an app's functions share one lock file, and a large one
 * takes milliseconds to parse each time.
 */
const LOCK_ANSWERS = new Map<string, { readonly stamp: string; readonly version: string | undefined }>();

/** The exact version a lock file resolves for `pkg`, seen from `fromDir`. */
export function lockedVersion(lockFile: string, pkg: string, fromDir: string, spec?: string): string | undefined {
  const stamp = fileStamp(lockFile);
  if (stamp === undefined) return undefined;
  const key = JSON.stringify([lockFile, pkg, fromDir, spec]);
  const known = LOCK_ANSWERS.get(key);
  if (known?.stamp === stamp) return known.version;
  const version = readLockedVersion(lockFile, pkg, fromDir, spec);
  LOCK_ANSWERS.set(key, { stamp, version });
  return version;
}

function readLockedVersion(lockFile: string, pkg: string, fromDir: string, spec?: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockFile, 'utf-8');
  } catch {
    return undefined;
  }
  const found = (() => {
    switch (path.basename(lockFile)) {
      case 'package-lock.json': return fromNpmLock(text, pkg, path.dirname(lockFile), fromDir);
      case 'yarn.lock': return fromYarnLock(text, pkg, spec);
      case 'pnpm-lock.yaml': return fromPnpmLock(text, pkg);
      case 'bun.lock': return fromBunLock(text, pkg);
      // bun.lockb is binary: the package.json pin is read instead.
      default: return undefined;
    }
  })();
  return found && semverValid(found) ? found : undefined;
}

/**
 * package-lock.json (v1-v3): the copy Node's resolution finds from the
 * handler's folder: `<dir>/node_modules/<pkg>` from that folder up to the
 * lock file's.
 */
function fromNpmLock(text: string, pkg: string, lockDir: string, fromDir: string): string | undefined {
  let lock: { packages?: Record<string, { version?: string }>; dependencies?: Record<string, { version?: string }> };
  try {
    lock = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (lock.packages) {
    const rel = path.relative(lockDir, fromDir);
    const parts = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep) : [];
    for (let n = parts.length; n >= 0; n--) {
      const key = [...parts.slice(0, n), 'node_modules', pkg].join('/');
      const version = lock.packages[key]?.version;
      if (version) return version;
    }
    return undefined;
  }
  return lock.dependencies?.[pkg]?.version;
}

/**
 * yarn.lock, classic (`version "x"`) and berry (`version: x`): the one
 * version locked for the package, or the one locked for the spec
 * package.json asks for.
 */
function fromYarnLock(text: string, pkg: string, spec: string | undefined): string | undefined {
  const byKey = new Map<string, string>();
  let keys: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line && !line.startsWith(' ') && !line.startsWith('#') && line.trimEnd().endsWith(':')) {
      keys = line.trimEnd().slice(0, -1).split(',').map((k) => k.trim().replace(/^"|"$/g, ''));
      continue;
    }
    const m = /^\s+version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (m) {
      for (const k of keys) byKey.set(k, m[1]);
      keys = [];
    }
  }
  const mine = [...byKey.entries()].filter(([k]) => nameOfSpecifier(k) === pkg);
  const versions = [...new Set(mine.map(([, v]) => v))];
  if (versions.length === 1) return versions[0];
  if (!spec) return undefined;
  return byKey.get(`${pkg}@${spec}`) ?? byKey.get(`${pkg}@npm:${spec}`);
}

/** `@scope/name@range` -> `@scope/name`. */
function nameOfSpecifier(specifier: string): string {
  const at = specifier.indexOf('@', 1);
  return at === -1 ? specifier : specifier.slice(0, at);
}

/**
 * pnpm-lock.yaml (v5-v9): the package's entries under `packages:` (and
 * `snapshots:`), when they name one version. Several versions of the SDK in
 * one workspace are left to package.json.
 */
function fromPnpmLock(text: string, pkg: string): string | undefined {
  const escaped = pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  // v9 `'@scope/name@1.2.3':`, v6 `/@scope/name@1.2.3(peer@x):`, v5 `/@scope/name/1.2.3_peer@x:`
  const entry = new RegExp(`^\\s{2}['"]?/?${escaped}[@/](\\d+\\.\\d+\\.\\d+[^('"_:\\s]*)`);
  const versions = new Set<string>();
  let inPackages = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\S/.test(line)) inPackages = /^(packages|snapshots):/.test(line);
    if (!inPackages) continue;
    const m = entry.exec(line);
    if (m) versions.add(m[1]);
  }
  return versions.size === 1 ? [...versions][0] : undefined;
}

/**
 * bun.lock (JSON with trailing commas): the hoisted entry
 * `"<pkg>": ["<pkg>@<version>", ...]`.
 */
function fromBunLock(text: string, pkg: string): string | undefined {
  let lock: { packages?: Record<string, unknown> };
  try {
    lock = JSON.parse(text.replace(/,(\s*[}\]])/g, '$1'));
  } catch {
    return undefined;
  }
  const entry = lock.packages?.[pkg];
  if (!Array.isArray(entry) || typeof entry[0] !== 'string') return undefined;
  const id = entry[0];
  return id.startsWith(`${pkg}@`) ? id.slice(pkg.length + 1) : undefined;
}
