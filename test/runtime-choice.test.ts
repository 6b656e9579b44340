/**
 * Issue 19, item 2: the default runtime is the newest one the layer was proven
 * on (PROVEN_NODE_MAJORS, kept true by test/integ/runtimes.test.ts) that the
 * installed aws-cdk-lib defines and Lambda still supports; a retired runtime
 * warns with its dates and the replacement; a runtime newer than the proof is
 * allowed when asked for, with a note, and never the default.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VectorDbFunction, VectorDbLayer, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { defaultRuntime, PROVEN_NODE_MAJORS, RUNTIME_RETIREMENTS, retirementOf } from '../src/private/facts/runtimes';
import { chooseDefaultRuntime } from '../src/private/function/runtime';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:vectordb:7';
const code = lambda.Code.fromInline('exports.handler = async () => 1');

function fnWith(version: string, runtime?: lambda.Runtime, sdk = VectorDbSdk.VECTORDB): { fn: VectorDbFunction; stack: Stack } {
  const { stack } = appAt(tempDir('rtchoice'));
  const layer = VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk, version });
  const fn = new VectorDbFunction(stack, 'Fn', { code, handler: 'index.handler', layer, runtime });
  return { fn, stack };
}

const runtimeOf = (name: string) => new lambda.Runtime(name, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
const newestDefined = () => Object.getOwnPropertyNames(lambda.Runtime)
  .map((k) => /^NODEJS_(\d+)_X$/.exec(k)).filter((m) => m !== null).map((m) => Number(m![1])).sort((a, b) => a - b).pop()!;

test('the facts: proven majors 18-26 and the retirement dates of AWS\'s runtimes page', () => {
  expect(PROVEN_NODE_MAJORS).toEqual([18, 20, 22, 24, 26]);
  expect(RUNTIME_RETIREMENTS['nodejs18.x']).toEqual({ deprecated: '2025-09-01', blockCreate: '2027-07-29', blockUpdate: '2027-08-31' });
  expect(RUNTIME_RETIREMENTS['nodejs20.x']).toEqual({ deprecated: '2026-04-30', blockCreate: '2027-07-29', blockUpdate: '2027-08-31' });
  expect(retirementOf(lambda.Runtime.NODEJS_20_X, new Date('2026-04-29T12:00:00Z'))).toBeUndefined();
  expect(retirementOf(lambda.Runtime.NODEJS_20_X, new Date('2026-04-30T00:00:00Z'))?.deprecated).toBe('2026-04-30');
});

test('the default is the newest proven runtime Lambda supports on that day', () => {
  const all = [lambda.Runtime.NODEJS_18_X, lambda.Runtime.NODEJS_20_X, lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X];
  expect(defaultRuntime(all, new Date('2026-12-07'))?.name).toBe('nodejs24.x');
  // Only retired runtimes: no default (a function then asks for runtime).
  expect(defaultRuntime(all.slice(0, 2), new Date('2026-12-07'))).toBeUndefined();
  expect(defaultRuntime(all, new Date('2027-05-01'))?.name).toBe('nodejs24.x');
  expect(defaultRuntime(all.slice(0, 2), new Date('2026-01-01'))?.name).toBe('nodejs20.x');
  // Once nodejs24.x is retired (projected 2028-04-30), 24 is no longer a default.
  expect(defaultRuntime(all, new Date('2028-05-01'))).toBeUndefined();
});

test('a function without runtime gets the newest proven, supported runtime this aws-cdk-lib defines, with no warning', () => {
  const { fn, stack } = fnWith('0.4.2');
  const expected = Math.min(newestDefined(), Math.max(...PROVEN_NODE_MAJORS));
  expect(fn.runtime.name).toBe(`nodejs${expected}.x`);
  Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('end of support'));
  Annotations.fromStack(stack).hasNoInfo('*', Match.stringLikeRegexp('unproven'));
});

test.each([
  ['nodejs20.x', lambda.Runtime.NODEJS_20_X, '0.21.2', 'deprecated 2026-04-30, function creation blocked from 2027-07-29, updates from 2027-08-31'],
  ['nodejs18.x', lambda.Runtime.NODEJS_18_X, '0.4.2', 'deprecated 2025-09-01, function creation blocked from 2027-07-29, updates from 2027-08-31'],
])('%s, asked for, synthesizes with a warning naming its dates and the replacement', (name, runtime, version, dates) => {
  const { fn, stack } = fnWith(version, runtime);
  expect(fn.runtime.name).toBe(name);
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('end of support'));
  expect(warnings).toHaveLength(1);
  const text = String(warnings[0].entry.data);
  expect(text).toContain(`${name} is past Lambda's end of support (${dates})`);
  expect(text).toMatch(/set runtime to Runtime\.NODEJS_(24|26)_X/);
});

/** aws-cdk-lib with NODEJS_26_X and NODEJS_28_X defined (a newer aws-cdk-lib), and this library loaded against it. */
function withNewerCdk(fn: (lam: typeof lambda, src: typeof import('../src'), stack: Stack) => void) {
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lam = require('aws-cdk-lib/aws-lambda') as typeof lambda;
    for (const major of [26, 28]) {
      const key = `NODEJS_${major}_X`;
      if (!(key in lam.Runtime)) Object.defineProperty(lam.Runtime, key, { value: new lam.Runtime(`nodejs${major}.x`, lam.RuntimeFamily.NODEJS, { supportsInlineCode: true }), enumerable: true });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const src = require('../src') as typeof import('../src');
    fn(lam, src, new cdk.Stack(new cdk.App({ outdir: tempDir('rtfuture') }), 'Stack'));
  });
}

test('an aws-cdk-lib that defines nodejs26.x and nodejs28.x: the default is nodejs26.x (proven), never 28', () => {
  withNewerCdk((lam, src, stack) => {
    const layer = src.VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: src.VectorDbSdk.LANCEDB, version: '0.39.0' });
    expect(layer.compatibleRuntimes?.map((r) => r.name)).toEqual(['nodejs22.x', 'nodejs24.x', 'nodejs26.x', 'nodejs28.x']);
    const fn = new src.VectorDbFunction(stack, 'Fn', { code: lam.Code.fromInline('exports.handler = async () => 1'), handler: 'index.handler', layer });
    expect(fn.runtime.name).toBe('nodejs26.x');
  });
});

test('an unproven runtime (nodejs28.x, from a newer aws-cdk-lib) is allowed when asked for, with a note', () => {
  withNewerCdk((lam, src, stack) => {
    const layer = src.VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: src.VectorDbSdk.LANCEDB, version: '0.39.0' });
    const runtime = (lam.Runtime as unknown as Record<string, lambda.Runtime>).NODEJS_28_X;
    const fn = new src.VectorDbFunction(stack, 'Fn', { code: lam.Code.fromInline('exports.handler = async () => 1'), handler: 'index.handler', layer, runtime });
    expect(fn.runtime.name).toBe('nodejs28.x');
    const notes = fn.node.metadata.filter((m) => m.type === 'aws:cdk:info').map((m) => String(m.data));
    expect(notes.filter((n) => /unproven/.test(n))).toEqual([
      'nodejs28.x is unproven: this library has loaded and searched the layer on Node.js 18, 20, 22, 24, 26, not 28; it is allowed as asked, never a default (the default here is nodejs26.x)',
    ]);
    expect(fn.node.metadata.filter((m) => m.type === 'aws:cdk:warning' && /end of support/.test(String(m.data)))).toEqual([]);
  });
});

test('nodejs28.x that this aws-cdk-lib does not define: refused naming runtime and the fix, not aws-cdk-lib\'s layer message', () => {
  const { stack } = appAt(tempDir('rtchoice'));
  const layer = VectorDbLayer.fromLayerArn(stack, 'L', ARN, { sdk: VectorDbSdk.LANCEDB, version: '0.39.0' });
  expect(() => new VectorDbFunction(stack, 'Fn', { code, handler: 'index.handler', layer, runtime: runtimeOf('nodejs28.x') })).toThrow(
    /^Stack\/Fn: runtime is not a Node\.js runtime this aws-cdk-lib defines.*got "nodejs28\.x".*upgrade aws-cdk-lib to a version that defines Runtime\.NODEJS_28_X/);
});

test('a layer only retired runtimes can run: no default, an error that names runtime, the dates and the way out', () => {
  const layer = { sdk: VectorDbSdk.VECTORDB, version: '0.1.0', architecture: lambda.Architecture.X86_64, compatibleRuntimes: [lambda.Runtime.NODEJS_18_X] };
  expect(() => chooseDefaultRuntime('Stack/Fn', layer, 'sdkVersion')).toThrow(
    /^Stack\/Fn: runtime is not set, and every runtime that can run vectordb 0\.1\.0 is past Lambda's end of support or unproven: nodejs18\.x \(deprecated 2025-09-01, function creation blocked from 2027-07-29, updates from 2027-08-31\).*set runtime to one of them yourself \(synth then warns\), or choose another SDK version/);
});
