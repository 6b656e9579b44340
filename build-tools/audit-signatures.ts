/**
 * `npx projen audit:signatures`: is every package a layer can ship the one its
 * lockfile pins, as the registry published it?
 *
 * 1. Lockfile policy, for every pin in layer-assets/pins (src/private/layer/pins.ts
 *    `pinProblems`, the recipe's own lockfile check): exact dependencies, an
 *    entry for the linux native package of each claimed architecture, a sha512
 *    integrity for every package, nothing from a link, git, a file or an alias.
 * 2. Integrity: each pin is installed into a temp folder with the recipe's own
 *    flags; npm checks every tarball against the lockfile's sha512 (EINTEGRITY
 *    otherwise), then the recipe's `verifyLockfile` proves nothing else came in.
 * 3. Signatures: `npm audit signatures` in each installed pin and in this
 *    project: the registry's ECDSA signature of every package (keys from the
 *    Sigstore TUF repository) and any provenance attestations.
 *
 * Exit 0 when all three pass; 1 when any check fails; 2 when the signatures
 * could not be checked (no network to the registry's keys) and the rest passed.
 * `--integrity-only` skips step 3 (and says so).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { allPins, pinProblems } from '../src/private/layer/pins';
import { ASSETS_DIR, recipeLockfile, recipeNpm } from '../src/private/layer/recipe';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const install: typeof import('../layer-assets/types/recipe/install') = require(path.join(ASSETS_DIR, 'recipe', 'install.js'));

const root = path.resolve(__dirname, '..');
const assets = ASSETS_DIR;

const integrityOnly = process.argv.includes('--integrity-only');
const say = (line: string) => process.stdout.write(`${line}\n`);
let failed = false;
let unverified = false;

interface SignatureResult { readonly verified: boolean; readonly network: boolean; readonly summary: string }

/** `npm audit signatures` in a folder with node_modules. */
function auditSignatures(cwd: string): SignatureResult {
  const r = recipeNpm().runNpm(['audit', 'signatures', '--fetch-retries=1', '--fetch-timeout=20000'], { cwd, timeoutMs: 10 * 60 * 1000 });
  const text = recipeNpm().tail(r.output, 6);
  if (r.status === 0) {
    return { verified: true, network: false, summary: text.split('\n').filter((l: string) => /verified|audited/.test(l)).join('; ') };
  }
  const network = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|network/i.test(r.output);
  const outLines: string[] = r.output.split('\n');
  const reason = outLines.find((l) => /request to .* failed/.test(l))
    ?? outLines.find((l) => /missing|invalid|ENOTFOUND|ECONNREFUSED/.test(l))
    ?? text.split('\n').pop();
  return { verified: false, network, summary: String(reason).replace(/^npm error\s*/, '').trim() };
}

say('1. lockfile policy (layer-assets/recipe/lockfile.js, every pin)');
const problems: string[] = pinProblems();
const pins = allPins().map((p) => ({ ...p, name: path.basename(p.dir) }));
if (problems.length > 0) {
  failed = true;
  for (const p of problems) say(`   FAIL ${p}`);
} else {
  say(`   ok   ${pins.length} pins: ${pins.map((p) => p.name).join(', ')}`);
}

say('2. integrity: install each pin with the recipe\'s flags; npm checks every tarball\'s sha512');
const installed: Array<{ name: string; dir: string }> = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-signatures-'));
try {
  for (const pin of pins) {
    const dir = path.join(scratch, pin.name);
    fs.mkdirSync(dir);
    const pinDir = path.join(assets, 'pins', pin.name);
    for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(pinDir, f), path.join(dir, f));
    const started = Date.now();
    const r = recipeNpm().runNpm(['install', '--no-save', ...install.installFlags(pin.architecture)], { cwd: dir });
    if (r.status !== 0 || /TAR_ENTRY_ERROR|EINTEGRITY/.test(r.output)) {
      failed = true;
      say(`   FAIL ${pin.name}: npm install ${r.status === 0 ? 'warned' : `exited ${r.status}`}: ${recipeNpm().tail(r.output, 3).replace(/\n/g, ' | ')}`);
      continue;
    }
    try {
      recipeLockfile().verifyLockfile(dir);
    } catch (e) {
      failed = true;
      say(`   FAIL ${pin.name}: ${(e as Error).message}`);
      continue;
    }
    const count = Object.keys(JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '.package-lock.json'), 'utf-8')).packages).length;
    say(`   ok   ${pin.name}: ${count} packages installed, each matching the lockfile's sha512 (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    installed.push({ name: pin.name, dir });
  }

  if (integrityOnly) {
    say('3. registry signatures: skipped (--integrity-only)');
  } else {
    say('3. registry signatures and provenance: npm audit signatures');
    for (const target of [...installed, { name: 'this project (node_modules)', dir: root }]) {
      const s = auditSignatures(target.dir);
      if (s.verified) {
        say(`   ok   ${target.name}: ${s.summary}`);
      } else if (s.network) {
        unverified = true;
        say(`   NOT VERIFIED ${target.name}: npm could not fetch the registry's signing keys: ${s.summary}`);
        // The keys come from one place for every target: no point asking again.
        break;
      } else {
        failed = true;
        say(`   FAIL ${target.name}: ${s.summary}`);
      }
    }
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

if (failed) {
  say('result: FAILED');
  process.exitCode = 1;
} else if (unverified) {
  say('result: lockfile policy and integrity passed; registry signatures NOT verified (see above). Run again with network access to the registry and tuf-repo-cdn.sigstore.dev, or pass --integrity-only to accept integrity alone');
  process.exitCode = 2;
} else {
  say(`result: passed${integrityOnly ? ' (integrity only)' : ''}`);
}
