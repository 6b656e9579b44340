/**
 * VectorDbFunction with its default layer, built for real: ten functions share
 * one layer built once; the runtime and architecture follow the layer; the SDK
 * and the AWS SDK stay out of the real esbuild bundle. Slow tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AssetStaging, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { VectorDbFunction } from '../../src';
import { localBuildCount } from '../../src/private/layer/local-build';
import { tempDir } from '../support/files';
import { appAt, FIXTURES } from '../support/synth';

const entry = path.join(FIXTURES, 'fn', 'handler.js');
const savedCache = process.env.CDK_VECTORDB_LAYER_CACHE;

/** The bundled handler of a function. */
function bundledCode(fn: VectorDbFunction): string {
  const staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  return fs.readFileSync(path.join(staging.absoluteStagedPath, 'index.js'), 'utf-8');
}

describe('with the default layer, built for real', () => {
  const outdir = tempDir('fn');
  let stack: Stack;
  let buildCalls = 0;

  beforeAll(() => {
    // A cache of this test's own: the one build is counted.
    process.env.CDK_VECTORDB_LAYER_CACHE = tempDir('layer-cache');
    const before = localBuildCount();
    const made = appAt(outdir);
    stack = made.stack;
    for (let i = 0; i < 10; i++) new VectorDbFunction(stack, `Fn${i}`, { entry });
    made.app.synth();
    buildCalls = localBuildCount() - before;
  });
  afterAll(() => {
    process.env.CDK_VECTORDB_LAYER_CACHE = savedCache;
  });

  test('ten functions share one layer, built once', () => {
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    t.resourceCountIs('AWS::Lambda::Function', 10);
    expect(buildCalls).toBe(1);
    const layerId = Object.keys(t.findResources('AWS::Lambda::LayerVersion'))[0];
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Layers).toEqual([{ Ref: layerId }]);
    }
  });

  test('runtime is the newest Node runtime the layer supports; architecture is the layer\'s', () => {
    Template.fromStack(stack).allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      // x86_64, Lambda's default, is left out of the template as NodejsFunction leaves it out.
      Architectures: Match.absent(),
      Handler: 'index.handler',
    });
    expect((stack.node.findChild('Fn0') as VectorDbFunction).architecture.name).toBe('x86_64');
  });

  test('the SDK and the AWS SDK stay external; the handler\'s own code is bundled', () => {
    const code = bundledCode(stack.node.findChild('Fn0') as VectorDbFunction);
    expect(code).toMatch(/require\("vectordb"\)/);
    expect(code).toMatch(/require\("@aws-sdk\/client-s3"\)/);
    expect(code).toContain('4242');
    expect(code).not.toContain('neon-rs');
  });
});

