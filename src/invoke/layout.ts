/**
 * The layout of one execution environment, in a folder of its own under the
 * work folder: `task/` (the function's code, Lambda's /var/task), `opt/` (its
 * layers merged in order, /opt), `tmp/` (the only writable folder, /tmp) and
 * `runtime/` (the runtime's folder, /var/runtime: the scripts the child runs).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { label } from './cloud-assembly';
import { FunctionInfo, LocalInvokeError } from './types';

/** The scripts the child runs, copied from src/invoke/scripts (lib/invoke/scripts once compiled). */
export const SCRIPTS = {
  taskRoot: 'task-root.cjs',
  readOnlyFs: 'read-only-fs.cjs',
  bootstrap: 'bootstrap.cjs',
  registerNodePath: 'register-node-path.mjs',
  nodePathHooks: 'node-path-hooks.mjs',
  awsLambdaRic3: 'aws-lambda-ric-3.mjs',
} as const;

/** Where the scripts ship: beside this file, in `scripts/`. */
export const SCRIPTS_DIR = path.join(__dirname, 'scripts');

export interface Layout {
  readonly root: string;
  readonly task: string;
  readonly opt: string;
  readonly tmp: string;
  readonly runtime: string;
}

export interface LayoutOptions {
  /** Layer content folders by ARN, logical id or position (`LocalInvokeOptions.layerDirs`). */
  readonly layerDirs: Readonly<Record<string, string>>;
  /**
   * Hard-link the assets' files instead of copying them. Only safe when the
   * child cannot write through the links (the layout is mounted read-only).
   */
  readonly link: boolean;
}

/** Makes the empty folders of one execution environment under the work folder. */
export function createLayout(workDir: string): Layout {
  fs.mkdirSync(workDir, { recursive: true });
  const root = fs.mkdtempSync(path.join(workDir, 'env-'));
  const layout: Layout = {
    root,
    task: path.join(root, 'task'),
    opt: path.join(root, 'opt'),
    tmp: path.join(root, 'tmp'),
    runtime: path.join(root, 'runtime'),
  };
  for (const d of [layout.task, layout.opt, layout.tmp, layout.runtime, path.join(layout.runtime, 'node_modules')]) fs.mkdirSync(d);
  return layout;
}

/** Fills task/ (the function's code), opt/ (its layers, in order) and runtime/ (the child's scripts). */
export function fillLayout(fn: FunctionInfo, layout: Layout, options: LayoutOptions): void {
  placeCode(fn, layout.task, options.link);
  placeLayers(fn, layout.opt, options);
  for (const script of Object.values(SCRIPTS)) fs.copyFileSync(path.join(SCRIPTS_DIR, script), path.join(layout.runtime, script));
}

/** Removes an execution environment's folder. */
export function removeLayout(layout: Layout): void {
  fs.rmSync(layout.root, { recursive: true, force: true });
}

/** Empties tmp/ for a new execution environment in the same layout (the folder stays: it may be mounted as /tmp). */
export function resetTmp(layout: Layout): void {
  for (const name of fs.readdirSync(layout.tmp)) fs.rmSync(path.join(layout.tmp, name), { recursive: true, force: true });
}

/**
 * For each NODE_PATH entry that does not end in `node_modules`, a folder whose
 * `node_modules` is a symlink to the entry: the ES module hook resolves a bare
 * specifier in such an entry from there (see scripts/node-path-hooks.mjs).
 */
export function linkNodePath(layout: Layout, entries: readonly string[]): Record<string, string> {
  const links: Record<string, string> = {};
  entries.filter((e) => path.basename(e) !== 'node_modules').forEach((entry, i) => {
    const parent = path.join(layout.root, 'node-path', String(i));
    fs.mkdirSync(parent, { recursive: true });
    if (!fs.lstatSync(path.join(parent, 'node_modules'), { throwIfNoEntry: false })) fs.symlinkSync(entry, path.join(parent, 'node_modules'));
    links[entry] = parent;
  });
  return links;
}

function placeCode(fn: FunctionInfo, task: string, link: boolean): void {
  if (fn.codeAssetPath) {
    placeAsset(fn.codeAssetPath, task, { what: `function ${label(fn)}`, link });
  } else if (fn.inlineCode !== undefined) {
    // Lambda writes inline Node.js code to index.js.
    fs.writeFileSync(path.join(task, 'index.js'), fn.inlineCode);
  } else {
    throw new LocalInvokeError(`function ${label(fn)} has no code asset in the cloud assembly (no aws:asset:path metadata and no matching asset in the asset manifest); container image functions cannot run here`, 'MISSING_ASSET');
  }
}

function placeLayers(fn: FunctionInfo, opt: string, options: LayoutOptions): void {
  for (const layer of fn.layers) {
    const override = [layer.arn, layer.logicalId, String(layer.index)]
      .map((k) => (k !== undefined && Object.prototype.hasOwnProperty.call(options.layerDirs, k) ? options.layerDirs[k] : undefined))
      .find((d) => d !== undefined);
    const source = override !== undefined ? path.resolve(override) : layer.assetPath;
    if (source === undefined) {
      const key = layer.arn ?? layer.logicalId ?? String(layer.index);
      const why = layer.arn
        ? `layer ${layer.arn} is imported by its ARN and cannot be fetched without AWS`
        : `layer ${layer.description} is not a layer asset of this app`;
      throw new LocalInvokeError(`function ${label(fn)}: ${why}; pass its content folder (the folder holding nodejs/) as layerDirs[${JSON.stringify(key)}] (CLI: --layer-dir ${key}=<folder>)`, 'LAYER_UNAVAILABLE');
    }
    placeAsset(source, opt, { what: `layer ${layer.description} of function ${label(fn)}`, link: options.link });
  }
}

/** Copies (or hard-links, or unzips) an asset into a folder, merging over what is there. */
function placeAsset(source: string, dest: string, o: { what: string; link: boolean }): void {
  if (!fs.existsSync(source)) {
    throw new LocalInvokeError(`${o.what}: its asset ${source} is missing from the cloud assembly; synthesize again (an asset folder removed after synth, or a cdk.out copied without its asset.* folders)`, 'MISSING_ASSET');
  }
  fs.mkdirSync(dest, { recursive: true });
  if (fs.statSync(source).isDirectory()) {
    if (o.link) linkTree(source, dest);
    else fs.cpSync(source, dest, { recursive: true, force: true, verbatimSymlinks: true });
    return;
  }
  if (!/\.(zip|jar)$/i.test(source)) {
    throw new LocalInvokeError(`${o.what}: its asset ${source} is a file but not a .zip archive`, 'UNSUPPORTED');
  }
  const r = spawnSync('unzip', ['-q', '-o', source, '-d', dest], { encoding: 'utf-8', shell: false, windowsHide: true });
  if (r.error || r.status !== 0) {
    throw new LocalInvokeError(`${o.what}: cannot unpack ${source} (\`unzip\`: ${r.error ? r.error.message : `${r.stderr}`.trim() || `exit ${r.status}`}); install unzip or unpack it and pass the folder`, 'UNSUPPORTED');
  }
}

/**
 * Mirrors a folder with hard links (folders made, symlinks copied verbatim),
 * replacing what is there as a later layer does; a file that cannot be linked
 * (another file system, a file the user does not own) is copied.
 */
function linkTree(source: string, dest: string): void {
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) {
      if (!fs.lstatSync(to, { throwIfNoEntry: false })?.isDirectory()) {
        fs.rmSync(to, { force: true });
        fs.mkdirSync(to);
      }
      linkTree(from, to);
      continue;
    }
    fs.rmSync(to, { force: true, recursive: true });
    if (entry.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(from), to);
      continue;
    }
    try {
      fs.linkSync(from, to);
    } catch {
      fs.copyFileSync(from, to);
    }
  }
}
