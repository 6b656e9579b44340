/**
 * The same props, another host: on a PATH without strip (as on macOS without
 * binutils for Linux, and no Docker), vectordb 0.4.2 x86_64 is built with its
 * binary as published under an asset hash of its own, never under the
 * stripped layer's hash. Both layers come from the layer cache after their
 * first build. Slow tier.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { VectorDbLayer } from '../../src';
import { withEnv } from '../support/env';
import { tempDir } from '../support/files';
import { appAt, stagedLayerDir } from '../support/synth';

/** node and npm, and nothing else of the host's (no strip, no docker). */
function nodeOnlyBin(): string {
  const dir = tempDir('node-bin');
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf-8', shell: false }).stdout.trim();
  fs.symlinkSync(path.join(npmRoot, 'npm', 'bin', 'npm-cli.js'), path.join(dir, 'npm'));
  return dir;
}

interface Built { key: string; dir: string; binary: { bytes: number; stripped: boolean }; annotations: Annotations }

function build(env: Record<string, string | undefined>): Built {
  return withEnv(env, () => {
    const outdir = tempDir('host-build');
    const { app, stack } = appAt(outdir);
    new VectorDbLayer(stack, 'L', { version: '0.4.2' });
    app.synth();
    const key = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content.S3Key as string;
    const dir = stagedLayerDir(outdir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'nodejs', 'vectordb-layer.json'), 'utf-8'));
    return { key, dir, binary: { bytes: manifest.nativeBinaryBytes, stripped: manifest.strip.applied }, annotations: Annotations.fromStack(stack) };
  });
}

test('a PATH without strip: another hash and other bytes (the binary as published), with the warning', () => {
  const stripped = build({});
  const unstripped = build({ PATH: nodeOnlyBin(), CDK_DOCKER: undefined });
  expect(unstripped.key).not.toBe(stripped.key);
  expect(stripped.binary.stripped).toBe(true);
  expect(unstripped.binary.stripped).toBe(false);
  const file = (b: Built) => path.join(b.dir, 'nodejs', 'node_modules', '@lancedb', 'vectordb-linux-x64-gnu', 'index.node');
  expect(fs.statSync(file(unstripped)).size).toBe(unstripped.binary.bytes);
  expect(fs.statSync(file(stripped)).size).toBe(stripped.binary.bytes);
  // vectordb-linux-x64-gnu 0.4.2: 82,230,392 bytes as published, about 60 MB stripped.
  expect(unstripped.binary.bytes).toBe(82230392);
  expect(stripped.binary.bytes).toBeLessThan(0.8 * unstripped.binary.bytes);
  unstripped.annotations.hasWarning('/Stack/L', Match.stringLikeRegexp('^no strip for x86_64 is on PATH.*\\[ack: cdk-vectordb-layer:unstripped-layer\\]$'));
  stripped.annotations.hasNoWarning('*', Match.anyValue());
}, 600_000);
