/**
 * The demo: `npx projen demo`.
 *
 * 1. Synthesizes examples/app.ts with a real layer build (vectordb, linux-x64-gnu)
 *    into examples/cdk.out (a second run reuses the build).
 * 2. Runs the `ingest` function through the local invoker (the real AWS Lambda
 *    runtime interface client, Lambda's layout and NODE_PATH, its own /tmp and
 *    the rest read-only) to write 1,000 vectors of 128 dimensions to an
 *    embedded LanceDB in a folder that every execution environment shares, as
 *    an EFS mount is (examples/cdk.out/efs-*, given as VECTORDB_URI: each
 *    environment's /tmp is its own, so /tmp/vectordb would be empty for search).
 * 3. Runs `search` five times in one execution environment with a query next to
 *    row 123 and prints the neighbours, the layer size and the timings.
 *
 * Exits 1 when the nearest neighbour is not row 123.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging } from 'aws-cdk-lib';
import { ExampleStack } from './app';
import { syntheticRows } from './handlers/ingest';
import { InvokeResult, localInvoke } from '../src/invoke/local-invoke';

const COUNT = 1000;
const DIMENSIONS = 128;
const SEED = 42;
const TARGET = 123;

const mb = (bytes: number | undefined) => (bytes === undefined ? 'unknown' : `${(bytes / 1e6).toFixed(1)} MB`);
const ms = (x: number) => `${x.toFixed(1)} ms`;

function check(name: string, r: InvokeResult): void {
  if (r.error) {
    process.stderr.write(`${r.logs}\n`);
    throw new Error(`${name} failed: ${r.error.errorType}: ${r.error.errorMessage}`);
  }
}

async function main(): Promise<number> {
  const outdir = path.join(__dirname, 'cdk.out');
  process.stdout.write('== synth examples/app.ts (layer built on first run, reused after)\n');
  const synthStart = performance.now();
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir });
  const stack = new ExampleStack(app, 'VectorDbExample');
  app.synth();
  const synthMs = performance.now() - synthStart;
  const layer = stack.layer;
  process.stdout.write(`synth ${ms(synthMs)}; layer ${layer.sdk} ${layer.version} ${layer.architecture.name}: ${mb(layer.unzippedSizeBytes)} unzipped, runtimes ${layer.compatibleRuntimes?.map((r) => r.name).join(', ')}\n`);
  process.stdout.write(`functions: ingest and search on ${stack.search.runtime.name}, both with the one layer\n\n`);

  // Shared by ingest and search as an EFS mount would be (outside /tmp: each environment's /tmp is its own).
  const dbDir = fs.mkdtempSync(path.join(outdir, 'efs-'));
  const env = { VECTORDB_URI: dbDir };
  const sharedDirs = [dbDir];
  try {
    process.stdout.write(`== ingest ${COUNT} vectors of ${DIMENSIONS} dimensions into ${dbDir}\n`);
    const ingest = await localInvoke({
      cdkOut: outdir,
      functionId: 'VectorDbExample/ingest',
      event: { generate: { count: COUNT, dimensions: DIMENSIONS, seed: SEED } },
      env,
      sharedDirs,
      onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
    });
    check('ingest', ingest);
    process.stdout.write(`${JSON.stringify(ingest.result)}  (init ${ms(ingest.initMs)}, invoke ${ms(ingest.invokeMs[0])}, runtime client ${ingest.runtimeClient})\n\n`);

    // A query a small step away from row 123: its nearest neighbour must be 123.
    const query = syntheticRows(COUNT, DIMENSIONS, SEED)[TARGET].vector.map((x, i) => x + (i % 2 === 0 ? 0.001 : -0.001));
    process.stdout.write(`== search: 5 nearest neighbours of a query next to row ${TARGET}, 5 invokes in one execution environment\n`);
    const search = await localInvoke({
      cdkOut: outdir,
      functionId: 'VectorDbExample/search',
      events: Array.from({ length: 5 }, () => ({ vector: query, k: 5 })),
      env,
      sharedDirs,
    });
    check('search', search);
    const neighbours = (search.result as { neighbours: Array<{ id: number; distance: number }> }).neighbours;
    for (const n of neighbours) process.stdout.write(`  id ${String(n.id).padStart(4)}  distance ${n.distance.toFixed(6)}\n`);
    const warm = search.invokeMs.slice(1).sort((a, b) => a - b);
    process.stdout.write(`init ${ms(search.initMs)}, first invoke ${ms(search.invokeMs[0])} (loads the SDK from the layer, connects, searches), warm invokes median ${ms(warm[Math.floor((warm.length - 1) / 2)])}\n`);

    if (neighbours[0]?.id !== TARGET) {
      process.stderr.write(`demo: expected row ${TARGET} first, got ${neighbours[0]?.id}\n`);
      return 1;
    }
    process.stdout.write(`\nok: row ${TARGET} is the nearest neighbour\n`);
    return 0;
  } finally {
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
}

main().then((code) => {
  process.exitCode = code;
}, (e) => {
  process.stderr.write(`demo: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
