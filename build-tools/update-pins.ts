/**
 * Writes the pinned projects in layer-assets/pins/<slug>-<version>-<arch>/
 * (package.json + package-lock.json with an integrity hash for every package,
 * the linux native one included): `npx projen pins` regenerates every existing
 * pin; `npx projen pins -- vectordb@0.9.0:x86_64` adds or regenerates one.
 * Needs the npm registry. Adding a pin moves only that version's layer hash.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allPins } from '../src/private/layer/pins';
import { ASSETS_DIR, recipeNpm, recipeRegistry, recipeSdks } from '../src/private/layer/recipe';

interface Wanted { sdk: string; version: string; architecture: 'x86_64' | 'arm64' }

function parse(spec: string): Wanted {
  const m = /^(@?[^@:]+)@([^:]+):(x86_64|arm64)$/.exec(spec);
  if (!m || !recipeSdks.SDKS[m[1]]) throw new Error(`pins: expected <sdk>@<version>:<x86_64|arm64>, got ${JSON.stringify(spec)}`);
  return { sdk: m[1], version: m[2], architecture: m[3] as Wanted['architecture'] };
}

function pin(w: Wanted) {
  const name = recipeSdks.pinName(w.sdk, w.version, w.architecture);
  const { nativeVersion } = recipeRegistry().resolveRelease(w.sdk, w.version, w.architecture);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pin-'));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), `${JSON.stringify(recipeSdks.layerPackageJson(w.sdk, w.version, w.architecture, nativeVersion), null, 2)}\n`);
    // No platform flags: the lockfile lists every platform's optional package, or npm finds it out
    // of sync. --force lets a host of another cpu resolve the explicit native dependency.
    const r = recipeNpm().runNpm(['install', '--package-lock-only', '--lockfile-version=3', '--ignore-scripts', '--force', '--no-audit', '--no-fund'], { cwd: tmp });
    if (r.status !== 0) throw new Error(`${name}: npm failed\n${recipeNpm().tail(r.output)}`);
    const dest = path.join(ASSETS_DIR, 'pins', name);
    fs.mkdirSync(dest, { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(tmp, f), path.join(dest, f));
    process.stderr.write(`${name}: pinned (${recipeSdks.nativeFor(w.sdk, w.architecture).packageName}@${nativeVersion})\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const specs = process.argv.slice(2);
const wanted = specs.length > 0 ? specs.map(parse) : allPins().map((p) => ({ sdk: p.sdk, version: p.version, architecture: p.architecture }));
for (const w of wanted) pin(w);
