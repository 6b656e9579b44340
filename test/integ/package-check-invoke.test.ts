/**
 * Issue 19, item 7: `package:check` runs the packed tarball's own `invoke` on a
 * function synthesized with it (build-tools/package-check-invoke.ts), so a
 * tarball without a file `invoke` needs fails the check. Here: a package made
 * of this checkout's compiled lib/ with lib/invoke/scripts/task-root.cjs left
 * out, as `package:js` after a `compile` without the copy step once packed it.
 * (The good tarball passes in `npx projen package:check` itself.)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkPackedInvoke } from '../../build-tools/package-check-invoke';
import { tempDir } from '../support/files';

const ROOT = path.resolve(__dirname, '..', '..');

test('a tarball without lib/invoke/scripts/task-root.cjs fails the packed invoke check with the ENOENT a user got', () => {
  if (!fs.existsSync(path.join(ROOT, 'lib', 'invoke', 'scripts', 'task-root.cjs'))) throw new Error('no compiled lib/ with the invoke scripts: run `npx projen compile` first');
  const dir = tempDir('packcheck');
  const pkg = path.join(dir, 'package');
  // What npm pack ships (package.json "files", and semver, the one bundled dependency).
  for (const part of ['package.json', 'bin', 'lib', 'layer-assets', 'node_modules/semver']) fs.cpSync(path.join(ROOT, part), path.join(pkg, part), { recursive: true });
  fs.rmSync(path.join(pkg, 'lib', 'invoke', 'scripts', 'task-root.cjs'));
  const tarball = path.join(dir, 'cdk-vectordb-layer-broken.tgz');
  const tar = spawnSync('tar', ['-czf', tarball, '-C', dir, 'package'], { encoding: 'utf-8', shell: false });
  expect(tar.status).toBe(0);

  const result = checkPackedInvoke(tarball, path.join(dir, 'app'));
  expect({ ok: result.ok, failure: result.failure }).toEqual({ ok: false, failure: expect.stringMatching(/^its invoke failed/) });
  expect(result.lines.map((l) => l.replace(/ in [\d.]+ s$/, ''))).toEqual(['unpack cdk-vectordb-layer-broken.tgz', 'synth of a VectorDbFunction with the unpacked package']);
  expect(result.failure).toMatch(/^its invoke failed \(exit 1\):[\s\S]*ENOENT: no such file or directory, copyfile '[^']*\/node_modules\/cdk-vectordb-layer\/lib\/invoke\/scripts\/task-root\.cjs'/);
});
