// @ts-check
'use strict';
// Removes what the Node.js runtime never reads from an installed node_modules.
// Licence, copying and notice files stay, wherever they are and whatever their
// extension: the layer redistributes these packages.

const fs = require('fs');
const path = require('path');

/** Folder names removed inside a package (never a package's own folder); licence files in them stay. */
const PRUNED_DIRS = new Set(['.github', '__tests__', 'test', 'tests', 'doc', 'docs', 'example', 'examples', 'benchmark', 'benchmarks', 'coverage', '.nyc_output']);

/** File names removed anywhere, unless they are licence files. */
const PRUNED_FILES = [
  /\.[cm]?ts$/i, // TypeScript sources and type declarations (.d.ts, .d.mts, .d.cts)
  /\.tsx$/i,
  /\.map$/i, // source maps
  /\.(md|markdown)$/i, // docs
  /^(readme|changelog|changes|history|authors|contributors)(\.(txt|rst))?$/i,
  /\.tsbuildinfo$/i,
  /^\.(npmignore|eslintrc|eslintrc\.json|prettierrc|editorconfig|travis\.yml)$/i,
];

/**
 * A licence or notice file: LICENSE, LICENCE.md, license-MIT, COPYING.LESSER,
 * NOTICE.txt, THIRD-PARTY-LICENSES... (any case, any extension). Never pruned.
 */
const LICENCE_FILE = /(^|[^a-z])(licen[cs]es?|copying|notice)([^a-z]|$)/i;

/** @param {string} name a file's base name */
function isLicenceFile(name) {
  return LICENCE_FILE.test(name);
}

/**
 * Whether `name` matches an entry of a `prunePackages` list ("@types/*" or an exact name).
 * @param {string} name
 * @param {string[]} patterns
 */
function matchesPackage(name, patterns) {
  return patterns.some((p) => (p.endsWith('/*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * @typedef {object} PruneOptions
 * @property {string} keepBinary absolute path of the one native binary to keep; every other `.node` file goes
 * @property {string[]} prunePackages packages the runtime never loads
 * @property {string[]} [roots] packages the runtime loads; packages they cannot reach are removed
 * @property {Record<string, string[]>} [cliOnlyDependencies] dependency edges only a package's command-line tool uses
 * @property {string[]} [prunePaths] folders inside packages the runtime never reads (a package's bin/)
 */

/** @typedef {{ files: number, bytes: number, packages: string[] }} Removed */

/**
 * @param {string} nodeModules the node_modules folder
 * @param {PruneOptions} options
 * @returns {Removed} what was removed
 */
function prune(nodeModules, options) {
  /** @type {Removed} */
  const removed = { files: 0, bytes: 0, packages: [] };
  const before = measure(nodeModules);
  if (options.roots) {
    removed.packages.push(...pruneUnreachable(nodeModules, options.roots, options.cliOnlyDependencies, options.prunePackages));
  }
  for (const p of options.prunePaths ?? []) {
    removeKeepingLicences(path.join(nodeModules, ...p.split('/')));
  }
  for (const name of listPackages(nodeModules)) {
    if (matchesPackage(name, options.prunePackages)) {
      fs.rmSync(path.join(nodeModules, name), { recursive: true, force: true });
      removed.packages.push(name);
    }
  }
  for (const hidden of ['.bin', '.package-lock.json', '.cache']) {
    fs.rmSync(path.join(nodeModules, hidden), { recursive: true, force: true });
  }
  pruneFiles(nodeModules, false, path.resolve(options.keepBinary));
  removeEmptyScopes(nodeModules);
  const after = measure(nodeModules);
  removed.files = before.files - after.files;
  removed.bytes = before.bytes - after.bytes;
  return removed;
}

/**
 * Walks a node_modules tree removing links, pruned folders and pruned files.
 * @param {string} dir
 * @param {boolean} insidePackage whether `dir` is inside a package (not a node_modules or scope folder)
 * @param {string} keepBinary
 */
function pruneFiles(dir, insidePackage, keepBinary) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      fs.rmSync(p, { force: true }); // a layer zip should not carry links
    } else if (entry.isDirectory()) {
      if (entry.name === 'node_modules') {
        pruneFiles(p, false, keepBinary);
      } else if (insidePackage && PRUNED_DIRS.has(entry.name)) {
        removeKeepingLicences(p);
      } else {
        // a scope folder (@x) directly under node_modules is not a package yet
        pruneFiles(p, insidePackage || !entry.name.startsWith('@') || path.basename(dir) !== 'node_modules', keepBinary);
      }
    } else if (!isLicenceFile(entry.name)
      && (PRUNED_FILES.some((re) => re.test(entry.name)) || (entry.name.endsWith('.node') && path.resolve(p) !== keepBinary))) {
      fs.rmSync(p, { force: true });
    }
  }
}

/**
 * Removes a file or folder, except the licence files in it (and the folders
 * that hold them).
 * @param {string} p
 * @returns {boolean} whether anything is left at `p`
 */
function removeKeepingLicences(p) {
  let st;
  try {
    st = fs.lstatSync(p);
  } catch {
    return false;
  }
  if (!st.isDirectory()) {
    if (st.isFile() && isLicenceFile(path.basename(p))) return true;
    fs.rmSync(p, { force: true });
    return false;
  }
  let kept = false;
  for (const name of fs.readdirSync(p)) kept = removeKeepingLicences(path.join(p, name)) || kept;
  if (!kept) fs.rmdirSync(p);
  return kept;
}

/** @param {string} nodeModules */
function removeEmptyScopes(nodeModules) {
  for (const entry of fs.readdirSync(nodeModules)) {
    const p = path.join(nodeModules, entry);
    if (entry.startsWith('@') && fs.statSync(p).isDirectory() && fs.readdirSync(p).length === 0) fs.rmdirSync(p);
  }
}

/**
 * Removes every package that the runtime cannot reach: a walk of `dependencies`
 * (and installed `peerDependencies` and `optionalDependencies`) from the roots,
 * resolved the way Node does (nearest node_modules up the tree), skipping the
 * edges in `skip` (package -> dependencies only its command-line tool uses,
 * e.g. apache-arrow's arrow2csv) and packages matching `exclude` (type-only
 * packages such as @apache-arrow/ts).
 * @param {string} nodeModules
 * @param {string[]} roots
 * @param {Record<string, string[]>} [skip]
 * @param {string[]} [exclude]
 * @returns {string[]} the package folders removed, relative to nodeModules
 */
function pruneUnreachable(nodeModules, roots, skip = {}, exclude = []) {
  const root = path.resolve(nodeModules);
  const reached = reachable(root, roots, skip, exclude);
  /** @type {string[]} */
  const removed = [];
  /** @param {string} modulesDir */
  const visit = (modulesDir) => {
    if (!fs.existsSync(modulesDir)) return;
    for (const entry of fs.readdirSync(modulesDir)) {
      if (entry.startsWith('.')) continue;
      const p = path.join(modulesDir, entry);
      const dirs = entry.startsWith('@') ? fs.readdirSync(p).map((sub) => path.join(p, sub)) : [p];
      for (const pkgDir of dirs) {
        if (reached.has(pkgDir)) {
          visit(path.join(pkgDir, 'node_modules'));
        } else {
          fs.rmSync(pkgDir, { recursive: true, force: true });
          removed.push(path.relative(root, pkgDir));
        }
      }
      if (entry.startsWith('@') && fs.readdirSync(p).length === 0) fs.rmdirSync(p);
    }
  };
  visit(root);
  return removed;
}

/**
 * The package folders reachable from `roots` through their dependencies.
 * @param {string} root the top node_modules folder
 * @param {string[]} roots
 * @param {Record<string, string[]>} skip
 * @param {string[]} exclude
 * @returns {Set<string>}
 */
function reachable(root, roots, skip, exclude) {
  /** @param {string} dir */
  const readPkg = (dir) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8'));
    } catch {
      return undefined;
    }
  };
  /** @param {string} fromDir @param {string} name @returns {string | undefined} */
  const resolveFrom = (fromDir, name) => {
    let dir = fromDir;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', ...name.split('/'));
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (path.resolve(dir) === path.dirname(root) || dir === path.dirname(dir)) return undefined;
      dir = path.dirname(dir);
      // step out of a scope folder or node_modules folder to the owning package
      while (path.basename(dir) === 'node_modules' || path.basename(dir).startsWith('@')) dir = path.dirname(dir);
    }
  };
  /** @type {Set<string>} */
  const reached = new Set();
  const queue = /** @type {string[]} */ (roots.map((name) => resolveFrom(path.dirname(root), name)).filter(Boolean));
  while (queue.length > 0) {
    const dir = /** @type {string} */ (queue.pop());
    if (reached.has(dir)) continue;
    reached.add(dir);
    const pkg = readPkg(dir) ?? {};
    const skipped = new Set(skip[pkg.name] ?? []);
    const deps = { ...(pkg.peerDependencies ?? {}), ...(pkg.optionalDependencies ?? {}), ...(pkg.dependencies ?? {}) };
    for (const dep of Object.keys(deps)) {
      if (skipped.has(dep) || matchesPackage(dep, exclude)) continue;
      const found = resolveFrom(dir, dep);
      if (found && !reached.has(found)) queue.push(found);
    }
  }
  return reached;
}

/**
 * Package names directly under a node_modules folder.
 * @param {string} nodeModules
 * @returns {string[]}
 */
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

/**
 * Files and bytes under a path (lstat sizes; links count as themselves): what
 * Lambda counts as unzipped size.
 * @param {string} p
 * @returns {{ files: number, bytes: number }}
 */
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

module.exports = { prune, pruneUnreachable, measure, listPackages, isLicenceFile, PRUNED_DIRS, PRUNED_FILES, LICENCE_FILE };
