/**
 * cdk-nag: the runtime VectorDbFunction picks by default is the newest Node.js
 * runtime the installed aws-cdk-lib knows, so AwsSolutions-L1 ("the latest
 * runtime version") passes without a suppression, for every pinned layer, as
 * long as that runtime is proven (PROVEN_NODE_MAJORS, src/private/facts/runtimes.ts):
 * an aws-cdk-lib with a newer, unproven one (nodejs28.x) fails here until the
 * layer is proven on it (test/integ/runtimes.test.ts).
 * (test/nag.test.ts runs all AwsSolutions checks over every example stack.)
 */
import * as path from 'path';
import { Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, INagLogger, NagLoggerBaseData } from 'cdk-nag';
import { VectorDbFunction, VectorDbSdk } from '../src';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { knownNodeRuntimes } from '../src/private/facts/runtimes';

// Each case's handler imports the SDK the case claims: VectorDbFunction refuses a layer
// that does not hold the SDK its handler imports.
const ENTRY: Record<string, string> = {
  [VectorDbSdk.VECTORDB.packageName]: path.join(__dirname, 'fixtures', 'fn', 'handler.js'),
  [VectorDbSdk.LANCEDB.packageName]: path.join(__dirname, 'fixtures', 'fn', 'lancedb-handler.js'),
};
const newest = () => knownNodeRuntimes()[knownNodeRuntimes().length - 1].runtime.name;

/** The newest runtime of the nodejs family in Runtime.ALL: what AwsSolutions-L1 compares against. */
function l1Latest(): string {
  return lambda.Runtime.ALL.map((r) => r.name).filter((n) => /^nodejs\d/.test(n))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop()!;
}

describe.each<[string, VectorDbSdk | undefined, string | undefined, lambda.Architecture | undefined]>([
  ['vectordb, default version, x86_64', undefined, undefined, undefined],
  ['@lancedb/lancedb, default version, x86_64', VectorDbSdk.LANCEDB, undefined, undefined],
  ['vectordb 0.4.2, arm64', VectorDbSdk.VECTORDB, '0.4.2', lambda.Architecture.ARM_64],
  ['@lancedb/lancedb 0.31.0, arm64', VectorDbSdk.LANCEDB, '0.31.0', lambda.Architecture.ARM_64],
])('the default runtime with %s', (_label, sdk, sdkVersion, architecture) => {
  let stack: Stack;
  let fn: VectorDbFunction;
  const entry = ENTRY[(sdk ?? VectorDbSdk.VECTORDB).packageName];
  // What AwsSolutions-L1 concluded on each resource, as the pack reports it to its loggers.
  const l1: Array<{ path: string; outcome: string }> = [];
  const record = (outcome: string) => (d: NagLoggerBaseData) => {
    if (d.ruleId === 'AwsSolutions-L1') l1.push({ path: d.resource.node.path, outcome });
  };
  const logger: INagLogger = {
    onCompliance: record('compliant'),
    onNonCompliance: record('finding'),
    onSuppressed: record('suppressed'),
    onError: record('error'),
    onSuppressedError: record('error'),
    onNotApplicable: record('not applicable'),
  };
  beforeAll(() => {
    const made = appAt(tempDir('nagl1'), { 'aws:cdk:bundling-stacks': [] });
    stack = made.stack;
    fn = new VectorDbFunction(stack, 'Fn', { entry, sdk, sdkVersion, architecture });
    Aspects.of(stack).add(new AwsSolutionsChecks({ additionalLoggers: [logger] }));
    made.app.synth();
  });

  test('is the newest Node.js runtime aws-cdk-lib knows', () => {
    expect(newest()).toBe(l1Latest());
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: newest() });
  });

  test('passes AwsSolutions-L1 with no suppression', () => {
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-L1')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-L1')),
    ];
    expect(findings).toEqual([]);
    // The rule ran on this function and found it compliant (not "not applicable",
    // not skipped), on every synthesis of the stack (each assertion above synthesizes).
    const onFn = l1.filter((c) => c.path === (fn.node.defaultChild as CfnResource).node.path);
    expect(onFn.length).toBeGreaterThan(0);
    expect([...new Set(onFn.map((c) => c.outcome))]).toEqual(['compliant']);
    // And it can fail: an older runtime is flagged.
    const older = appAt(tempDir('nagl1old'), { 'aws:cdk:bundling-stacks': [] });
    new VectorDbFunction(older.stack, 'Fn', { entry, sdk, sdkVersion, architecture, runtime: lambda.Runtime.NODEJS_22_X });
    Aspects.of(older.stack).add(new AwsSolutionsChecks());
    older.app.synth();
    expect(Annotations.fromStack(older.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-L1')).length).toBe(1);
  });
});
