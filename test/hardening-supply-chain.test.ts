/**
 * Supply chain: every pinned lockfile holds what the layer needs and nothing it
 * must not (the check is the recipe's own, run before every pinned build), a
 * doctored lockfile is refused before npm runs, and a tarball that does not
 * match its lockfile's sha512 stops the build.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers';
import { ASSETS_DIR, recipe, recipeLockfile } from '../src/private/recipe';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cp: typeof import('child_process') = require('child_process');

const ROOT = path.join(__dirname, '..');

/** A copy of layer-assets to doctor. */
function assetsCopy(): string {
  const dir = path.join(tempDir('assets'), 'layer-assets');
  fs.cpSync(ASSETS_DIR, dir, { recursive: true });
  return dir;
}
const lockOf = (assets: string, pin: string) => path.join(assets, 'pins', pin, 'package-lock.json');
function doctor(assets: string, pin: string, change: (lock: any) => void) {
  const file = lockOf(assets, pin);
  const lock = JSON.parse(fs.readFileSync(file, 'utf-8'));
  change(lock);
  fs.writeFileSync(file, JSON.stringify(lock, null, 2));
}

describe('the lockfile policy (layer-assets/recipe/lockfile.js)', () => {
  test('every pin sdks.json claims passes', () => {
    expect(recipeLockfile.pinProblems()).toEqual([]);
  });

  test.each<[string, (assets: string) => void, string]>([
    ['a lockfile without the linux native package of a claimed architecture',
      (a) => doctor(a, 'vectordb-0.4.2-arm64', (l) => { delete l.packages['node_modules/@lancedb/vectordb-linux-arm64-gnu']; }),
      'vectordb-0.4.2-arm64: package-lock.json has no entry for @lancedb/vectordb-linux-arm64-gnu, the linux native package for arm64: the install could not contain the binary'],
    ['a native package marked for another cpu',
      (a) => doctor(a, 'vectordb-0.4.2-arm64', (l) => { l.packages['node_modules/@lancedb/vectordb-linux-arm64-gnu'].cpu = ['x64']; }),
      'vectordb-0.4.2-arm64: package-lock.json\'s @lancedb/vectordb-linux-arm64-gnu is not marked cpu arm64'],
    ['an architecture claimed in sdks.json with no pin folder',
      (a) => {
        const sdks = JSON.parse(fs.readFileSync(path.join(a, 'sdks.json'), 'utf-8'));
        sdks.vectordb.pins['0.21.2'].arm64 = { glibc: '2.28' };
        fs.writeFileSync(path.join(a, 'sdks.json'), JSON.stringify(sdks));
      },
      'vectordb-0.21.2-arm64: package.json is missing'],
    ['a package without integrity',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { delete l.packages['node_modules/axios'].integrity; }),
      'vectordb-0.21.2-x86_64: axios@'],
    ['a sha1 integrity',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { l.packages['node_modules/axios'].integrity = 'sha1-2jmpvfe5mnyf+vyhKOTgiRpzXsk='; }),
      'has no sha512 integrity (got "sha1-2jmpvfe5mnyf+vy")'],
    ['a git dependency',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { l.packages['node_modules/axios'].resolved = 'git+ssh://git@evil.example/axios.git#abc'; }),
      'resolves to "git+ssh://git@evil.example/axios.git#abc": only https tarball URLs are allowed'],
    ['a file dependency',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { l.packages['node_modules/axios'].resolved = 'file:../x'; }),
      'resolves to "file:../x": only https tarball URLs are allowed'],
    ['a link',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { l.packages['node_modules/axios'] = { resolved: '../../evil', link: true }; }),
      'axios is a link to "../../evil": a layer must come from the registry'],
    ['an npm alias',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { l.packages['node_modules/axios'].name = 'evil-axios'; }),
      'node_modules/axios installs "evil-axios" under an alias'],
    ['a range instead of an exact SDK dependency',
      (a) => doctor(a, 'vectordb-0.21.2-x86_64', (l) => { l.packages[''].dependencies.vectordb = '^0.21.2'; }),
      'vectordb-0.21.2-x86_64: package-lock.json\'s root must depend on exactly'],
  ])('fails for %s', (_label, change, problem) => {
    const assets = assetsCopy();
    change(assets);
    const problems = recipeLockfile.pinProblems(assets);
    expect(problems.join('\n')).toContain(problem);
  });
});

describe('the recipe enforces it', () => {
  test('a doctored pin is refused before npm runs, with the problem and the fix', () => {
    const assets = assetsCopy();
    doctor(assets, 'vectordb-0.4.2-arm64', (l) => { delete l.packages['node_modules/@lancedb/vectordb-linux-arm64-gnu']; });
    const out = path.join(tempDir('badpin'), 'out');
    const r = cp.spawnSync(process.execPath, [path.join(assets, 'build-layer.js'), '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'arm64', '--out', out], { encoding: 'utf-8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('vectordb-layer: pinned project layer-assets/pins/vectordb-0.4.2-arm64 cannot be trusted: package-lock.json has no entry for @lancedb/vectordb-linux-arm64-gnu, the linux native package for arm64: the install could not contain the binary. Regenerate it with `npx projen pins`');
    expect(r.stderr).not.toContain('npm install');
    expect(fs.readdirSync(out)).toEqual([recipe.ERROR_FILE]);
    expect(JSON.parse(fs.readFileSync(path.join(out, recipe.ERROR_FILE), 'utf-8')).code).toBe('BAD_PIN');
  });

  test('a tarball that does not match its lockfile\'s sha512 stops the build (npm EINTEGRITY), leaving nothing', () => {
    const assets = assetsCopy();
    // A well-formed sha512 that is not vectordb 0.4.2's: a tampered lockfile, or a tampered tarball.
    doctor(assets, 'vectordb-0.4.2-x86_64', (l) => { l.packages['node_modules/vectordb'].integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`; });
    const out = path.join(tempDir('integrity'), 'out');
    const r = cp.spawnSync(process.execPath, [path.join(assets, 'build-layer.js'), '--sdk', 'vectordb', '--version', '0.4.2', '--architecture', 'x86_64', '--out', out], { encoding: 'utf-8', timeout: 300_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/vectordb-layer: npm install of vectordb@0\.4\.2 for linux-x64-gnu failed: exit 1/);
    expect(r.stderr).toMatch(/EINTEGRITY/);
    expect(fs.readdirSync(out)).toEqual([recipe.ERROR_FILE]);
  });
});

describe('the audit:signatures task', () => {
  test('is a projen task running build-tools/audit-signatures.ts, documented in SECURITY.md', () => {
    const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf-8')).tasks;
    expect(tasks['audit:signatures'].steps).toEqual([{ exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/audit-signatures.ts', receiveArgs: true }]);
    expect(fs.existsSync(path.join(ROOT, 'build-tools', 'audit-signatures.ts'))).toBe(true);
    const security = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf-8');
    expect(security).toContain('npx projen audit:signatures');
    expect(security).toContain('security@cdk-vectordb-layer.dev');
  });
});
