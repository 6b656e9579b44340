/**
 * Issue 19, item 7: a function's own layer refused at the function's path and
 * in its own props; `VectorDbLayer.fromLayerArn` offline, as CDK's `from*`
 * imports are (no child process at all, npm least of all).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction } from '../src';
import { tempDir } from './support/files';
import { appAt, FIXTURES } from './support/synth';

const ROOT = path.resolve(__dirname, '..');

test('sdkVersion 0.1.8 on arm64 (no build declared at all): refused at the function\'s path, naming sdkVersion and architecture, before anything is made', () => {
  const { stack } = appAt(tempDir('fnarm'));
  let message = '';
  try {
    new VectorDbFunction(stack, 'Fn', { code: lambda.Code.fromInline('x'), handler: 'index.handler', sdkVersion: '0.1.8', architecture: lambda.Architecture.ARM_64 });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/^Stack\/Fn: architecture has no native build for vectordb 0\.1\.8, got "arm64": .*set sdkVersion to .*or architecture to x86_64/);
  expect(message).not.toMatch(/VectorDbLayer-|set version/);
  // Nothing was made for it.
  expect(Stack.of(stack).node.children.map((c) => c.node.id)).toEqual([]);
});

test('fromLayerArn of a version newer than the shipped facts starts no process (no npm): offline, with a warning', () => {
  const work = tempDir('fromarn');
  const log = path.join(work, 'spawns.jsonl');
  const script = `
    const { App, Stack } = require('aws-cdk-lib');
    const { VectorDbLayer, VectorDbSdk } = require(${JSON.stringify(path.join(ROOT, 'src'))});
    const app = new App({ outdir: ${JSON.stringify(path.join(work, 'cdk.out'))} });
    const stack = new Stack(app, 'Stack');
    for (const [sdk, version] of [[VectorDbSdk.VECTORDB, '0.99.0'], [VectorDbSdk.LANCEDB, '0.99.0'], [VectorDbSdk.VECTORDB, '0.21.2']]) {
      const layer = VectorDbLayer.fromLayerArn(stack, sdk.packageName + version, 'arn:aws:lambda:us-east-1:123456789012:layer:l:1', { sdk, version });
      console.log(JSON.stringify({ version: layer.version, engines: layer.nodeEngines ?? null, runtimes: layer.compatibleRuntimes.map((r) => r.name) }));
    }
    const warnings = stack.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    console.log(JSON.stringify({ warnings }));
  `;
  const r = spawnSync(process.execPath, ['-r', path.join(FIXTURES, 'spy-child-process.js'), '-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: ROOT,
    // A registry that refuses connections: any lookup would fail or hang here.
    env: { ...process.env, SPY_CHILD_PROCESS_LOG: log, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json'), npm_config_registry: 'http://127.0.0.1:9/' },
    encoding: 'utf-8',
    timeout: 120_000,
  });
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toEqual({ version: '0.99.0', engines: null, runtimes: expect.arrayContaining(['nodejs22.x', 'nodejs24.x']) });
  expect(lines[2]).toEqual({ version: '0.21.2', engines: null, runtimes: expect.arrayContaining(['nodejs20.x', 'nodejs24.x']) });
  expect(lines[3].warnings).toHaveLength(2);
  expect(lines[3].warnings[0]).toMatch(/^Stack\/vectordb0\.99\.0: vectordb 0\.99\.0 is newer than this library's facts, so its engines\.node is not known \(an imported layer is never looked up on the registry at synth\); give nodeEngines/);
  const spawned = fs.existsSync(log) ? fs.readFileSync(log, 'utf-8').trim() : '';
  expect(spawned).toBe('');
});
