/**
 * binutils' readelf: the independent reading of a binary (never this
 * repository's own ELF reader). Argument-vector spawns, no shell.
 */
import { spawnSync } from 'child_process';

export interface ElfFacts {
  /** 'x86_64', 'arm64', or readelf's own name for another machine. */
  readonly machine: string;
  /** The highest GLIBC_x.y in the binary's version needs (`readelf -V`), undefined when it needs none. */
  readonly glibc?: string;
  /** Its DT_NEEDED entries (`readelf -d`). */
  readonly needed: string[];
  /** Whether it still has a .symtab (`readelf -S`): gone after `strip --strip-unneeded`. */
  readonly symtab: boolean;
}

function readelf(args: string[], file: string): string {
  const r = spawnSync('readelf', [...args, file], { encoding: 'utf-8', maxBuffer: 512 * 1024 * 1024, shell: false });
  if (r.error || r.status !== 0) throw new Error(`readelf ${args.join(' ')} ${file} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}

/** Whether `file` is an ELF file (readelf -h answers). */
export function isElf(file: string): boolean {
  const r = spawnSync('readelf', ['-h', file], { encoding: 'utf-8', shell: false });
  return !r.error && r.status === 0;
}

/** Compares dotted versions numerically (2.9 < 2.17 < 2.28). */
export function compareDotted(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A binary's machine, highest GLIBC version need, NEEDED libraries and symbol table, read by binutils' readelf. */
export function elfFacts(file: string): ElfFacts {
  const header = readelf(['-h', '-W'], file);
  const machineLine = /Machine:\s+(.+)/.exec(header)?.[1].trim() ?? 'unknown';
  const machine = /X86-64/.test(machineLine) ? 'x86_64' : /AArch64/.test(machineLine) ? 'arm64' : machineLine;
  // Only the "Version needs" section: what the binary asks of the libraries it loads.
  const versions = readelf(['-V', '-W'], file);
  const needsAt = versions.indexOf('Version needs section');
  let glibc: string | undefined;
  if (needsAt >= 0) {
    const rest = versions.slice(needsAt);
    const end = rest.indexOf('\nVersion ', 1);
    const needs = end > 0 ? rest.slice(0, end) : rest;
    for (const m of needs.matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)/g)) {
      if (!glibc || compareDotted(m[1], glibc) > 0) glibc = m[1];
    }
  }
  const dynamic = readelf(['-d', '-W'], file);
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const sections = readelf(['-S', '-W'], file);
  return { machine, glibc, needed, symtab: /\]\s+\.symtab\s/.test(sections) };
}
