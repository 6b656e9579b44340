// @ts-check
'use strict';
// Reads the few facts the layer build needs from an ELF shared object. Written
// by hand (Node has no ELF reader, and binutils may be absent or for another
// cpu): the machine it was built for, the highest GLIBC symbol version it needs
// (`.gnu.version_r`, what `readelf -V` prints as "Version needs") and the shared
// libraries it needs (DT_NEEDED in `.dynamic`, what `readelf -d` prints).

const fs = require('fs');

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NULL = 0n;
const DT_NEEDED = 1n;

/** ELF e_machine per Lambda architecture name. */
const MACHINE_BY_ARCHITECTURE = { x86_64: EM_X86_64, arm64: EM_AARCH64 };
/** @type {Record<number, string>} */
const MACHINE_NAMES = { [EM_X86_64]: 'x86-64', [EM_AARCH64]: 'AArch64' };

/**
 * @typedef {object} ElfFacts
 * @property {number} machine e_machine
 * @property {string} machineName
 * @property {string | undefined} glibc the highest GLIBC_x.y needed, as "x.y"
 * @property {string[]} neededVersions every symbol version needed (GLIBC_2.2.5, GCC_3.0, ...)
 * @property {string[]} neededLibraries DT_NEEDED sonames, in order
 */

/**
 * @typedef {object} Section
 * @property {number} type
 * @property {number} offset
 * @property {number} size
 * @property {number} link
 * @property {number} info
 */

/**
 * @param {number} fd
 * @param {number} offset
 * @param {number} length
 */
function readAt(fd, offset, length) {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, offset);
  if (n !== length) {
    throw new Error(`unexpected end of file at byte ${offset}`);
  }
  return buf;
}

/**
 * @param {number} fd
 * @param {Buffer} header
 * @returns {Section[]}
 */
function readSections(fd, header) {
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
  return sections;
}

/**
 * A reader of NUL-terminated strings in a string table section.
 * @param {number} fd
 * @param {Section} strtab
 */
function stringTable(fd, strtab) {
  const strings = readAt(fd, strtab.offset, strtab.size);
  return (/** @type {number} */ off) => strings.toString('latin1', off, strings.indexOf(0, off));
}

/**
 * Symbol versions needed, from `.gnu.version_r` (Elf64_Verneed / Elf64_Vernaux chains).
 * @param {number} fd
 * @param {Section[]} sections
 */
function readVersionNeeds(fd, sections) {
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (!verneed) return [];
  const data = readAt(fd, verneed.offset, verneed.size);
  const str = stringTable(fd, sections[verneed.link]);
  const out = [];
  let entry = 0;
  for (let i = 0; i < verneed.info && entry < data.length; i++) {
    const count = data.readUInt16LE(entry + 2);
    let aux = entry + data.readUInt32LE(entry + 8);
    for (let j = 0; j < count; j++) {
      out.push(str(data.readUInt32LE(aux + 8)));
      const nextAux = data.readUInt32LE(aux + 12);
      if (nextAux === 0) break;
      aux += nextAux;
    }
    const next = data.readUInt32LE(entry + 12);
    if (next === 0) break;
    entry += next;
  }
  return out;
}

/**
 * DT_NEEDED entries of `.dynamic` (Elf64_Dyn: 8-byte tag, 8-byte value).
 * @param {number} fd
 * @param {Section[]} sections
 */
function readNeededLibraries(fd, sections) {
  const dynamic = sections.find((s) => s.type === SHT_DYNAMIC);
  if (!dynamic) return [];
  const data = readAt(fd, dynamic.offset, dynamic.size);
  const str = stringTable(fd, sections[dynamic.link]);
  const out = [];
  for (let off = 0; off + 16 <= data.length; off += 16) {
    const tag = data.readBigInt64LE(off);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) out.push(str(Number(data.readBigUInt64LE(off + 8))));
  }
  return out;
}

/**
 * @param {string} file path of an ELF file
 * @returns {ElfFacts}
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
    const sections = readSections(fd, header);
    const neededVersions = readVersionNeeds(fd, sections);
    return {
      machine,
      machineName: MACHINE_NAMES[machine] ?? `machine ${machine}`,
      glibc: highestGlibc(neededVersions),
      neededVersions,
      neededLibraries: readNeededLibraries(fd, sections),
    };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The highest `GLIBC_x.y[.z]` among symbol versions, as "x.y[.z]".
 * @param {string[]} versions
 * @returns {string | undefined}
 */
function highestGlibc(versions) {
  /** @type {string | undefined} */
  let best;
  for (const v of versions) {
    const m = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(v);
    if (m && (best === undefined || compareDotted(m[1], best) > 0)) {
      best = m[1];
    }
  }
  return best;
}

/**
 * Compares dotted numbers ("2.28" < "2.34"): glibc versions, which are not semver.
 * @param {string} a
 * @param {string} b
 */
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
