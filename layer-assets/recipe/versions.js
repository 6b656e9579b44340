// @ts-check
'use strict';
// Exact versions only: the layer pins what it ships. (Ranges and precedence are
// the host's business, with semver; the build only checks its input.)

/** x.y.z with an optional prerelease; no ranges, tags, build metadata or `v` prefix. */
const EXACT_VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z-]{1,40}(?:\.[0-9A-Za-z-]{1,40}){0,9}))?$/;

/**
 * @param {unknown} v
 * @returns {v is string}
 */
function isExactVersion(v) {
  return typeof v === 'string' && EXACT_VERSION.test(v);
}

module.exports = { EXACT_VERSION, isExactVersion };
