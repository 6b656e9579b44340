import { Aspects, CfnResource } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, INagLogger, NagLoggerBaseData, NagSuppressions } from 'cdk-nag';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { EXAMPLE_LOCATIONS, ExampleLocation, ExampleStack } from '../examples/app';

/**
 * The findings the example accepts, each with its reason. Nothing else is
 * suppressed: a new finding fails the test.
 */
function suppress(stack: ExampleStack) {
  for (const fn of [stack.ingest, stack.search]) {
    NagSuppressions.addResourceSuppressions(fn, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; it is the Lambda default and grants nothing on the vector data',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      ...(stack.location === 'efs' ? [{
        id: 'AwsSolutions-IAM4',
        reason: 'AWSLambdaVPCAccessExecutionRole lets Lambda create the network interfaces a function in a VPC (needed to reach EFS) runs on; it grants nothing on the file system',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
      }] : []),
      ...(stack.location === 's3' ? [{
        id: 'AwsSolutions-IAM5',
        reason: 'LanceDB names its data, manifest and index objects itself (e.g. <table>.lance/data/<uuid>.lance), so object access needs a wildcard; it is bounded to the database prefix (vectordb/*), never the whole bucket',
        appliesTo: [{ regex: '/^Resource::<Vectors[0-9A-F]{8}\\.Arn>\\/vectordb\\/\\*$/g' }],
      }] : []),
    ], true);
  }
  if (stack.apiKey) {
    NagSuppressions.addResourceSuppressions(stack.apiKey, [{
      id: 'AwsSolutions-SMG4',
      reason: 'the secret holds a LanceDB Cloud API key, which is issued and rotated in the LanceDB Cloud console; Secrets Manager has no rotation function that could create a new one',
    }]);
  }
}

/** What the pack did with one rule on one resource. */
type Outcome = 'compliant' | 'finding' | 'suppressed' | 'error' | 'not applicable';

/**
 * Every check the pack made, as the pack reports it to its loggers: the proof
 * that "no finding" means the rules ran on these resources and passed, not
 * that nothing was checked.
 */
class NagRecorder implements INagLogger {
  readonly checks: Array<{ outcome: Outcome; ruleId: string; path: string }> = [];
  onCompliance(d: NagLoggerBaseData) { this.add('compliant', d); }
  onNonCompliance(d: NagLoggerBaseData) { this.add('finding', d); }
  onSuppressed(d: NagLoggerBaseData) { this.add('suppressed', d); }
  onError(d: NagLoggerBaseData) { this.add('error', d); }
  onSuppressedError(d: NagLoggerBaseData) { this.add('error', d); }
  onNotApplicable(d: NagLoggerBaseData) { this.add('not applicable', d); }
  /** The ids of the rules the pack ran on the resource at `path`. */
  rulesOn(path: string): string[] {
    return [...new Set(this.checks.filter((c) => c.path === path).map((c) => c.ruleId))].sort();
  }
  private add(outcome: Outcome, d: NagLoggerBaseData) {
    this.checks.push({ outcome, ruleId: d.ruleId, path: d.resource.node.path });
  }
}

describe.each(EXAMPLE_LOCATIONS.map((l) => [l]))('the example stack with location %s', (location: ExampleLocation) => {
  let stack: ExampleStack;
  const recorder = new NagRecorder();
  const resources = () => stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource);

  beforeAll(() => {
    // The checks read the template only: no layer build, no esbuild run.
    const { app } = appAt(tempDir('nag'), { 'aws:cdk:bundling-stacks': [] });
    stack = new ExampleStack(app, 'Example', { location });
    suppress(stack);
    Aspects.of(stack).add(new AwsSolutionsChecks({ additionalLoggers: [recorder] }));
    app.synth();
  });

  test('the pack ran every one of its rules on every resource of the stack, and each function passed AwsSolutions-L1', () => {
    const rules = [...new Set(recorder.checks.map((c) => c.ruleId))].sort();
    // AwsSolutions in cdk-nag 2.38 has about 130 rules; a pack that checked nothing records none.
    expect(rules.length).toBeGreaterThan(50);
    expect(rules).toContain('AwsSolutions-L1');
    const all = resources();
    expect(all.map((r) => r.cfnResourceType)).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::Lambda::LayerVersion']));
    for (const r of all) expect({ resource: r.node.path, rules: recorder.rulesOn(r.node.path) }).toEqual({ resource: r.node.path, rules });
    for (const fn of [stack.ingest, stack.search]) {
      const path = (fn.node.defaultChild as CfnResource).node.path;
      // (Each synthesis of the stack runs the pack again: one outcome, however many runs.)
      const l1 = recorder.checks.filter((c) => c.path === path && c.ruleId === 'AwsSolutions-L1');
      expect(l1.length).toBeGreaterThan(0);
      expect([...new Set(l1.map((c) => c.outcome))]).toEqual(['compliant']);
    }
    expect(recorder.checks.filter((c) => c.outcome === 'error')).toEqual([]);
  });

  test('every rule a suppression names did find something here: the suppressions hide real findings, nothing else is found', () => {
    const suppressed = [...new Set(resources().flatMap((r) => (r.getMetadata('cdk_nag')?.rules_to_suppress ?? []).map((s: { id: string }) => s.id)))].sort();
    expect(suppressed.length).toBeGreaterThan(0);
    const found = [...new Set(recorder.checks.filter((c) => c.outcome === 'suppressed').map((c) => c.ruleId))].sort();
    expect(found).toEqual(suppressed);
    expect(recorder.checks.filter((c) => c.outcome === 'finding')).toEqual([]);
  });

  test('has no unsuppressed AwsSolutions error', () => {
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data).split('\n')[0]}`)).toEqual([]);
  });

  test('has no AwsSolutions warning either', () => {
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(warnings.map((e) => `${e.id}: ${String(e.entry.data).split('\n')[0]}`)).toEqual([]);
  });

  test('every suppression carries a reason', () => {
    const suppressions: Array<{ id: string; reason: string }> = stack.node.findAll()
      .filter((c): c is CfnResource => c instanceof CfnResource)
      .flatMap((r) => r.getMetadata('cdk_nag')?.rules_to_suppress ?? []);
    expect(suppressions.length).toBeGreaterThan(0);
    for (const s of suppressions) expect(s.reason.length).toBeGreaterThan(40);
  });
});
