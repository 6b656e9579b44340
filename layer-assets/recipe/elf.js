'use strict';
// Reads the few facts the layer build needs from an ELF shared object, without binutils:
// the machine it was built for, and the highest GLIBC symbol version it needs
// (the `.gnu.version_r` section, what `readelf -V` prints as "Version needs").

const fs = require('fs');

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const SHT_GNU_VERNEED = 0x6ffffffe;

/** ELF e_machine per Lambda architecture name. */
const MACHINE_BY_ARCHITECTURE = { x86_64: EM_X86_64, arm64: EM_AARCH64 };
const MACHINE_NAMES = { [EM_X86_64]: 'x86-64', [EM_AARCH64]: 'AArch64' };

function readAt(fd, offset, length) {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, offset);
  if (n !== length) {
    throw new Error(`unexpected end of file at byte ${offset}`);
  }
  return buf;
}

/**
 * @param {string} file path of an ELF file
 * @returns {{ machine: number, machineName: string, glibc: string | undefined, neededVersions: string[] }}
 */
function readElf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const header = readAt(fd, 0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46) {
      throw new Error(`${file} is not an ELF file`);
    }
    if (header[4] !== 2 || header[5] !== 1) {
      throw new Error(`${file} is not a 64-bit little-endian ELF file`);
    }
    const machine = header.readUInt16LE(0x12);
    const shoff = Number(header.readBigUInt64LE(0x28));
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);

    const sections = [];
    for (let i = 0; i < shnum; i++) {
      const sh = readAt(fd, shoff + i * shentsize, 64);
      sections.push({
        type: sh.readUInt32LE(4),
        offset: Number(sh.readBigUInt64LE(24)),
        size: Number(sh.readBigUInt64LE(32)),
        link: sh.readUInt32LE(40),
        info: sh.readUInt32LE(44),
      });
    }

    const neededVersions = [];
    const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
    if (verneed) {
      const data = readAt(fd, verneed.offset, verneed.size);
      const strtab = sections[verneed.link];
      const strings = readAt(fd, strtab.offset, strtab.size);
      const str = (off) => strings.toString('latin1', off, strings.indexOf(0, off));
      let entry = 0;
      for (let i = 0; i < verneed.info && entry < data.length; i++) {
        const count = data.readUInt16LE(entry + 2);
        let aux = entry + data.readUInt32LE(entry + 8);
        for (let j = 0; j < count; j++) {
          neededVersions.push(str(data.readUInt32LE(aux + 8)));
          const nextAux = data.readUInt32LE(aux + 12);
          if (nextAux === 0) break;
          aux += nextAux;
        }
        const next = data.readUInt32LE(entry + 12);
        if (next === 0) break;
        entry += next;
      }
    }

    return {
      machine,
      machineName: MACHINE_NAMES[machine] ?? `machine ${machine}`,
      glibc: highestGlibc(neededVersions),
      neededVersions,
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** The highest `GLIBC_x.y[.z]` among symbol versions, as "x.y[.z]". */
function highestGlibc(versions) {
  let best;
  for (const v of versions) {
    const m = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(v);
    if (m && (best === undefined || compareDotted(m[1], best) > 0)) {
      best = m[1];
    }
  }
  return best;
}

/** Compares dotted numbers ("2.28" < "2.34"). */
function compareDotted(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

module.exports = { readElf, highestGlibc, compareDotted, MACHINE_BY_ARCHITECTURE, MACHINE_NAMES };
