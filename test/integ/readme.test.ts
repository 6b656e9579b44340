/**
 * The README, run as a new user runs it: the quick start (its stack snippet and
 * its TypeScript handler importing @lancedb/lancedb, in an app whose lock file
 * resolves @lancedb/lancedb 0.39.0) synthesizes with a real layer and answers
 * through the local invoker. The unit-test pattern runs in a stock `cdk init`
 * app (test/integ/cdk-init-app.test.ts). Slow tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lib from '../../src';
import { localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { readmeSnippet } from '../support/readme';

const ROOT = path.join(__dirname, '..', '..');

const snippet = readmeSnippet;

/** A snippet's code without its import / require lines, the library and aws-cdk-lib given as variables. */
function body(code: string): string {
  return code.split('\n').filter((l) => !/^(import |const .* = require\()/.test(l)).join('\n');
}

/** A new user's app folder: package.json and a lock file resolving @lancedb/lancedb 0.39.0, the README's handler at src/search.ts. */
function userApp(): string {
  const dir = tempDir('user-app');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.copyFileSync(path.join(ROOT, 'examples', 'readme', 'quickstart', 'search.ts'), path.join(dir, 'src', 'search.ts'));
  const deps = { '@lancedb/lancedb': '^0.39.0', 'apache-arrow': '^18.1.0', 'cdk-vectordb-layer': '*' };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', dependencies: deps }, null, 2));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({
    name: 'user-app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'user-app', version: '1.0.0', dependencies: deps },
      'node_modules/@lancedb/lancedb': { version: '0.39.0' },
      'node_modules/apache-arrow': { version: '18.1.0' },
    },
  }, null, 2));
  // The app's own devDependencies (esbuild, aws-cdk-lib): this checkout's.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs `fn` in `dir`, as `cdk synth` runs an app from its folder. */
function inFolder<T>(dir: string, fn: () => T): T {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

describe('the quick start', () => {
  const app = userApp();
  let outdir: string;
  let stack: Stack;

  beforeAll(() => {
    outdir = tempDir('quick-out');
    const code = body(snippet('## Quick start', /new VectorDbFunction\(this, 'Search', \{ entry: 'src\/search\.ts' \}\)/));
    inFolder(app, () => {
      const cdkApp = new App({ outdir });
      stack = new Stack(cdkApp, 'Stack');
      // The README's stack snippet, as a stack constructor's body.
      new Function('VectorDbFunction', code).call(stack, lib.VectorDbFunction);
      cdkApp.synth();
    });
  });

  test('synthesizes a function with a @lancedb/lancedb 0.39.0 layer: the SDK the handler imports, the version the lock file resolves', () => {
    const fn = stack.node.findChild('Search') as lib.VectorDbFunction;
    expect([fn.vectorDbLayer.sdk.packageName, fn.vectorDbLayer.version]).toEqual(['@lancedb/lancedb', '0.39.0']);
    expect(fn.runtime.name).toBe('nodejs24.x');
  });

  test('answers through the local invoker, as Lambda would', async () => {
    const r = await localInvoke({ cdkOut: outdir, functionId: 'Stack/Search', event: { vector: [0.2, 0.8] }, timeoutSeconds: 60 });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual([{ id: 1, distance: expect.any(Number) }]);
  });
});
