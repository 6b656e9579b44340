import { Aspects, CfnResource } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
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

describe.each(EXAMPLE_LOCATIONS.map((l) => [l]))('the example stack with location %s', (location: ExampleLocation) => {
  let stack: ExampleStack;

  beforeAll(() => {
    // The checks read the template only: no layer build, no esbuild run.
    const { app } = appAt(tempDir('nag'), { 'aws:cdk:bundling-stacks': [] });
    stack = new ExampleStack(app, 'Example', { location });
    suppress(stack);
    Aspects.of(stack).add(new AwsSolutionsChecks());
    app.synth();
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
