/**
 * The check of a layer staged in cdk.out on a warm synth: a seal beside the
 * folder (`.vectordb-layer-<folder name>.seal.json` in the cloud assembly,
 * never inside the asset) records every entry of the folder with its size,
 * mtime and inode when the folder last passed the full manifest check
 * (./dir.ts: manifest, file count and bytes, the binary's sha256 and machine),
 * or when it was linked from a machine-cache entry that had (the cache's own
 * seal). While every entry still has the stat the seal holds, nothing is
 * read: one stat per entry (about 1,100 for @lancedb/lancedb 0.39.0), no
 * listing, against reading and hashing a 60-200 MB binary.
 *
 * Why that catches what the full check catches: a file written in place moves
 * its mtime, a file replaced (renamed over, copied anew) its inode, one cut
 * short or grown its size, and a file added, removed or renamed the mtime of
 * the folder holding it (every folder is in the seal); each sends the folder to the full check, which finds what it always
 * found (a binary whose bytes changed fails its sha256). What the seal gives
 * up, as the machine cache's seal does: a write that puts the old mtime back
 * on purpose (`touch -r`), and bit rot under an unchanged inode. The files are
 * read-only when linked from the cache, and the seal is written under the
 * folder's build lock, after the folder was built or linked, so no writer is
 * racing it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkLayerDir, ExpectedLayer } from './dir';
import { TreeEntry, treeHolds, treeStamp } from '../common/file-stamp';
import { trace } from '../common/trace';

/** What a staged layer's seal holds. */
interface StagedSeal {
  readonly expected: ExpectedLayer;
  readonly tree: TreeEntry[];
}

/** The seal file of a staged layer folder: beside it in the cloud assembly. */
export function sealFileOf(dir: string): string {
  return path.join(path.dirname(dir), `.vectordb-layer-${path.basename(dir)}.seal.json`);
}

/** How a staged layer was found sound, or what is wrong with it. */
export interface StagedCheck {
  /** Problems; empty when the folder is sound. */
  readonly problems: string[];
  /** `seal`: unchanged since it was sealed, nothing read; `full`: the manifest check ran. */
  readonly how: 'seal' | 'full';
}

function sameExpected(a: ExpectedLayer, b: ExpectedLayer): boolean {
  return a.sdk === b.sdk && a.version === b.version && a.architecture === b.architecture;
}

/**
 * Whether the staged layer folder is sound: its seal holds, or the full check
 * passes (then it is sealed for the next synth). A folder that fails loses
 * its seal.
 */
export function checkStagedLayer(dir: string, expected: ExpectedLayer): StagedCheck {
  const sealFile = sealFileOf(dir);
  try {
    const seal = JSON.parse(fs.readFileSync(sealFile, 'utf-8')) as StagedSeal;
    if (sameExpected(seal.expected, expected) && Array.isArray(seal.tree) && treeHolds(dir, seal.tree)) {
      return { problems: [], how: 'seal' };
    }
  } catch {
    // no seal, or not one: the full check decides
  }
  trace('layer-check', dir);
  const problems = checkLayerDir(dir, expected);
  if (problems.length === 0) sealStagedLayer(dir, expected);
  else dropStagedSeal(dir);
  return { problems, how: 'full' };
}

/**
 * Seals a staged layer folder that was just found sound (the full check, or
 * linked from a cache entry the cache found sound; `tree`: its tree stamp as
 * the linking took it, else it is walked). A cloud assembly that
 * cannot take the seal costs the next synth a full check, nothing else.
 */
export function sealStagedLayer(dir: string, expected: ExpectedLayer, tree?: TreeEntry[]): void {
  const sealFile = sealFileOf(dir);
  const tmp = `${sealFile}.${process.pid}.tmp`;
  try {
    const seal: StagedSeal = { expected, tree: tree ?? treeStamp(dir) };
    fs.writeFileSync(tmp, JSON.stringify(seal));
    fs.renameSync(tmp, sealFile);
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}

/** Removes a staged folder's seal (the folder is removed or failed). */
export function dropStagedSeal(dir: string): void {
  fs.rmSync(sealFileOf(dir), { force: true });
}
