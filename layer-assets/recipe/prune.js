'use strict';
// Removes what the Node.js runtime never reads from an installed node_modules.
// Licence and notice files stay: the layer redistributes these packages.

const fs = require('fs');
const path = require('path');

/** Folder names removed inside a package (never a package's own folder). */
const PRUNED_DIRS = new Set(['.github', '__tests__', 'test', 'tests', 'doc', 'docs', 'example', 'examples', 'benchmark', 'benchmarks', 'coverage', '.nyc_output']);

/** File names removed anywhere. */
const PRUNED_FILES = [
  /\.d\.[cm]?ts$/i, // type declarations
  /\.[cm]?ts$/i, // TypeScript sources (declarations included)
  /\.tsx$/i,
  /\.map$/i, // source maps
  /\.(md|markdown)$/i, // docs
  /^(readme|changelog|changes|history|authors|contributors)(\.(txt|rst))?$/i,
  /\.tsbuildinfo$/i,
  /^\.(npmignore|eslintrc|eslintrc\.json|prettierrc|editorconfig|travis\.yml)$/i,
];

/** Whether `name` matches an entry of a `prunePackages` list ("@types/*" or an exact name). */
function matchesPackage(name, patterns) {
  return patterns.some((p) => (p.endsWith('/*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * @param {string} nodeModules the node_modules folder
 * @param {{ keepBinary: string, prunePackages: string[] }} options
 *   keepBinary: absolute path of the one native binary to keep; every other `.node` file goes
 * @returns {{ files: number, bytes: number, packages: string[] }} what was removed
 */
function prune(nodeModules, options) {
  const removed = { files: 0, bytes: 0, packages: [] };

  const removePath = (p) => {
    const { files, bytes } = measure(p);
    removed.files += files;
    removed.bytes += bytes;
    fs.rmSync(p, { recursive: true, force: true });
  };

  for (const name of listPackages(nodeModules)) {
    if (matchesPackage(name, options.prunePackages)) {
      removePath(path.join(nodeModules, name));
      removed.packages.push(name);
    }
  }
  // a scope folder left empty (@types once its packages are gone) goes too
  for (const entry of fs.readdirSync(nodeModules)) {
    const p = path.join(nodeModules, entry);
    if (entry.startsWith('@') && fs.readdirSync(p).length === 0) fs.rmdirSync(p);
  }
  for (const hidden of ['.bin', '.package-lock.json', '.cache']) {
    const p = path.join(nodeModules, hidden);
    if (fs.existsSync(p)) removePath(p);
  }

  const walk = (dir, insidePackage) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        removePath(p); // a layer zip should not carry links
      } else if (entry.isDirectory()) {
        if (entry.name === 'node_modules') {
          walk(p, false);
        } else if (insidePackage && PRUNED_DIRS.has(entry.name)) {
          removePath(p);
        } else {
          // a scope folder (@x) directly under node_modules is not a package yet
          walk(p, insidePackage || !entry.name.startsWith('@') || path.basename(dir) !== 'node_modules');
        }
      } else if (PRUNED_FILES.some((re) => re.test(entry.name))
        || (entry.name.endsWith('.node') && path.resolve(p) !== path.resolve(options.keepBinary))) {
        removePath(p);
      }
    }
  };
  walk(nodeModules, false);
  return removed;
}

/** Package names directly under a node_modules folder. */
function listPackages(nodeModules) {
  const names = [];
  for (const entry of fs.readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@')) {
      for (const sub of fs.readdirSync(path.join(nodeModules, entry.name))) names.push(`${entry.name}/${sub}`);
    } else {
      names.push(entry.name);
    }
  }
  return names;
}

/** Files and bytes under a path (lstat sizes; links count as themselves). */
function measure(p) {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return { files: 1, bytes: st.size };
  let files = 0;
  let bytes = 0;
  for (const name of fs.readdirSync(p)) {
    const m = measure(path.join(p, name));
    files += m.files;
    bytes += m.bytes;
  }
  return { files, bytes };
}

module.exports = { prune, measure, listPackages, PRUNED_DIRS, PRUNED_FILES };
