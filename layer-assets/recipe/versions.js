'use strict';
// Exact versions only: the layer pins what it ships.

/** x.y.z with an optional prerelease; no ranges, tags, build metadata or `v` prefix. */
const EXACT_VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z-]{1,40}(?:\.[0-9A-Za-z-]{1,40}){0,9}))?$/;

function isExactVersion(v) {
  return typeof v === 'string' && EXACT_VERSION.test(v);
}

function parse(v) {
  const m = EXACT_VERSION.exec(v);
  if (!m) return undefined;
  return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

/** semver precedence; unparsable versions sort first. */
function compareVersions(a, b) {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  for (let i = 0; i < 3; i++) {
    if (pa.nums[i] !== pb.nums[i]) return pa.nums[i] - pb.nums[i];
  }
  if (pa.pre.length === 0 || pb.pre.length === 0) return pb.pre.length - pa.pre.length;
  for (let i = 0; i < Math.max(pa.pre.length, pb.pre.length); i++) {
    const x = pa.pre[i];
    const y = pb.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Up to `count` published versions on each side of `wanted`, releases first. */
function nearestVersions(wanted, published, count = 3) {
  const releases = published.filter((v) => isExactVersion(v) && !v.includes('-'));
  const pool = (releases.length > 0 ? releases : published.filter(isExactVersion)).sort(compareVersions);
  const at = pool.findIndex((v) => compareVersions(v, wanted) > 0);
  const split = at === -1 ? pool.length : at;
  return [...pool.slice(Math.max(0, split - count), split), ...pool.slice(split, split + count)];
}

/**
 * The lowest Node.js major allowed by an `engines.node` range of the simple
 * forms packages use (`>= 22`, `>=18.0.0`, `^20 || >=22`); undefined when it
 * cannot tell.
 */
function minimumNodeMajor(range) {
  if (typeof range !== 'string') return undefined;
  let lowest;
  for (const alternative of range.split('||')) {
    const m = /^\s*(?:>=|\^|~)?\s*v?(\d+)(?:\.[\dx*]+){0,2}\s*$/.exec(alternative)
      ?? /^\s*>=\s*v?(\d+)(?:\.[\dx*]+){0,2}\s+<.*$/.exec(alternative);
    if (!m) return undefined;
    const major = Number(m[1]);
    lowest = lowest === undefined ? major : Math.min(lowest, major);
  }
  return lowest;
}

module.exports = { EXACT_VERSION, isExactVersion, compareVersions, nearestVersions, minimumNodeMajor };
