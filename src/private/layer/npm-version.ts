/**
 * The host npm's version, asked once per npm: `npm --version` (0.25 s a
 * process) is run again only when the npm the recipe would run changes.
 *
 * The npm is the recipe's (layer-assets/recipe/npm.js `npmCommand`): node and
 * npm-cli.js beside the running node (or `npm_execpath`), else `npm` on PATH.
 * The answer is keyed by that command, resolved (PATH looked up, as a file
 * lookup), and held by the stamps (size, mtime, inode) of the files that
 * decide what it prints: node, npm-cli.js and npm's package.json; for an `npm`
 * on PATH, that file (a link is followed) and the package.json of the npm it
 * links to, and the `node` on PATH its `#!/usr/bin/env node` line would run.
 * Another npm on PATH, an upgrade, a reinstall: another key or a stamp moved,
 * so npm is asked again. A failed probe is not kept beyond this process.
 *
 * AUTO needs the answer on every synth, warm or not: it decides between the
 * host build and Docker, and so the layer's asset hash (the image is in a
 * Docker build's hash), which names the layer in cdk.out and in the machine
 * cache. DOCKER and LOCAL ask only when a build runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { recipeNpm } from './recipe';
import { recall, remember } from '../common/answers';
import { StampedFile, stampFiles } from '../common/file-stamp';
import { onPath } from '../common/on-path';
import { trace } from '../common/trace';

/** The npm the recipe would run, and the files whose stamps hold its version. */
function npmIdentity(): { key: string; files: string[] } | undefined {
  const cmd = recipeNpm().npmCommand();
  if (cmd.file === process.execPath && cmd.args.length === 1) {
    const cli = cmd.args[0];
    return { key: JSON.stringify([cmd.file, cli]), files: [cmd.file, cli, path.join(path.dirname(path.dirname(cli)), 'package.json')] };
  }
  const npm = onPath(cmd.file);
  if (!npm || cmd.args.length > 0) return undefined;
  const node = onPath('node');
  let real = npm;
  try {
    real = fs.realpathSync(npm);
  } catch {
    // stamped as it is
  }
  const files = [npm, real, path.join(path.dirname(path.dirname(real)), 'package.json'), ...(node ? [node] : [])];
  return { key: JSON.stringify([npm, node ?? null]), files };
}

/** The host npm's version as [major, minor, patch], or undefined when npm cannot be run. */
export function hostNpmVersion(): number[] | undefined {
  const id = npmIdentity();
  if (id) {
    const known = recall<number[]>('npm-version', id.key);
    if (known) return known.value;
  }
  const started = Date.now();
  trace('npm-version-probe', id?.key ?? recipeNpm().npmCommand().file);
  const version = recipeNpm().npmVersion();
  if (id && version) {
    const stamps: StampedFile[] = stampFiles(id.files);
    remember('npm-version', id.key, stamps, version, started);
  }
  return version;
}

/** Whether the host's npm installs linux-gnu native packages for any cpu (npm >= 10.4: --cpu, --libc). */
export function hostNpmCanInstallCrossPlatform(): boolean {
  const v = hostNpmVersion();
  if (!v) return false;
  const min = recipeNpm().MIN_CROSS_PLATFORM_NPM;
  for (let i = 0; i < 3; i++) {
    if (v[i] !== min[i]) return v[i] > min[i];
  }
  return true;
}
