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
 * @param {{ keepBinary: string, prunePackages: string[], roots?: string[], cliOnlyDependencies?: Record<string, string[]>, prunePaths?: string[] }} options
 *   keepBinary: absolute path of the one native binary to keep; every other `.node` file goes
 *   roots: packages the runtime loads; packages they cannot reach are removed
 *   cliOnlyDependencies: dependency edges that only a package's command-line tool uses
 *   prunePaths: folders inside packages that the runtime never reads (a package's bin/)
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

  if (options.roots) {
    const before = measure(nodeModules);
    removed.packages.push(...pruneUnreachable(nodeModules, options.roots, options.cliOnlyDependencies, options.prunePackages));
    const after = measure(nodeModules);
    removed.files += before.files - after.files;
    removed.bytes += before.bytes - after.bytes;
  }
  for (const p of options.prunePaths ?? []) {
    const target = path.join(nodeModules, ...p.split('/'));
    if (fs.existsSync(target)) removePath(target);
  }
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

/**
 * Removes every package that the runtime cannot reach: a walk of `dependencies`
 * (and installed `peerDependencies`) from the roots, resolved the way Node does
 * (nearest node_modules up the tree), skipping the edges in `skip` (package ->
 * dependencies only its command-line tool uses, e.g. apache-arrow's arrow2csv)
 * and packages matching `exclude` (type-only packages such as @apache-arrow/ts).
 * @returns {string[]} the package folders removed, relative to nodeModules
 */
function pruneUnreachable(nodeModules, roots, skip = {}, exclude = []) {
  const root = path.resolve(nodeModules);
  const readPkg = (dir) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8'));
    } catch {
      return undefined;
    }
  };
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
  const reached = new Set();
  const queue = roots.map((name) => resolveFrom(path.dirname(root), name)).filter(Boolean);
  while (queue.length > 0) {
    const dir = queue.pop();
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
  const removed = [];
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

module.exports = { prune, pruneUnreachable, measure, listPackages, PRUNED_DIRS, PRUNED_FILES };
