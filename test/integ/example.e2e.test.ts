import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { ExampleStack } from '../../examples/app';
import { syntheticRows } from '../../examples/handlers/ingest';
import { localInvoke } from '../../src/invoke/local-invoke';
import { tempDir } from '../support/files';
import { available } from '../support/platforms';
import { appAt } from '../support/synth';

const SHARED_ROOT = path.join(__dirname, '..', '..', '.tmp');

/**
 * End to end: synthesize the example with a real layer build and real esbuild,
 * then run ingest and search through the local invoker (aws-lambda-ric, Lambda's
 * layout, its own /tmp) against an embedded LanceDB in a folder the functions share.
 */
describe('the example app, ingest then search', () => {
  const outdir = tempDir('e2e');
  let stack: ExampleStack;

  beforeAll(() => {
    const made = appAt(outdir);
    stack = new ExampleStack(made.app, 'VectorDbExample');
    made.app.synth();
  });

  test('one layer shared by both functions', () => {
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    const layerId = Object.keys(t.findResources('AWS::Lambda::LayerVersion'))[0];
    const fns = Object.values(t.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Layers);
    expect(fns).toHaveLength(2);
    for (const f of fns) expect(f.Properties.Layers).toEqual([{ Ref: layerId }]);
  });

  test('ingest writes 500 vectors, search finds the right nearest neighbours', async () => {
    // A folder every execution environment shares, as an EFS mount is: outside /tmp, since each
    // environment's /tmp is its own (the repository's .tmp/, ignored by git).
    fs.mkdirSync(SHARED_ROOT, { recursive: true });
    const dbDir = fs.mkdtempSync(path.join(SHARED_ROOT, 'e2e-db-'));
    try {
      const env = { VECTORDB_URI: dbDir };
      const sharedDirs = [dbDir];
      const ingest = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/ingest', event: { generate: { count: 500, dimensions: 16, seed: 7 } }, env, sharedDirs });
      expect(ingest.error).toBeUndefined();
      expect(ingest.result).toEqual({ table: 'vectors', added: 500, total: 500 });
      // aws-lambda-ric 4.x where .ci/lib/ric.sh linked it (CI requires it), else the bootstrap.
      expect(ingest.runtimeClient).toBe(available('ric4') ? 'aws-lambda-ric' : 'bootstrap');

      // appending goes through openTable + add
      const again = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/ingest', event: { rows: [{ id: 9999, vector: Array(16).fill(5) }] }, env, sharedDirs });
      expect(again.result).toEqual({ table: 'vectors', added: 1, total: 501 });

      const rows = syntheticRows(500, 16, 7);
      // Exact nearest neighbours by brute force, to compare with LanceDB's answer.
      const target = rows[321].vector.map((x) => x + 0.0005);
      const expected = [...rows, { id: 9999, vector: Array(16).fill(5) }]
        .map((r) => ({ id: r.id, d: r.vector.reduce((s, x, i) => s + (x - target[i]) ** 2, 0) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 3)
        .map((r) => r.id);
      const search = await localInvoke({ cdkOut: outdir, functionId: 'VectorDbExample/search', events: [{ vector: target, k: 3 }, { vector: Array(16).fill(5), k: 1 }], env, sharedDirs });
      expect(search.error).toBeUndefined();
      // the two invocations ran in one execution environment: the second saw the first's connection
      expect(search.invokeMs).toHaveLength(2);
      expect(search.result).toEqual({ neighbours: [expect.objectContaining({ id: 9999 })] });
      const first = search.invocations[0].result as { neighbours: Array<{ id: number }> };
      expect(first.neighbours.map((n) => n.id)).toEqual(expected);
      expect(expected[0]).toBe(321);
    } finally {
      fs.rmSync(dbDir, { recursive: true, force: true });
    }
  });
});
