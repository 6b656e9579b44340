/**
 * Issue 12, item 6: the Docker path in a real container engine (podman or
 * docker, with the locally built image of .ci/lib/build-image.sh).
 *
 * - The construct (`buildMethod: DOCKER`, `dockerImage`) and the CLI
 *   (`build --docker --image`) build in the container, through one Docker
 *   invocation, and the layers are byte-identical to the local builds: every
 *   file's sha256, and the CLI zips' sha256 (a pinned and an unpinned version).
 * - A container without network fails within a bounded time with the recipe's
 *   "cannot be reached from inside the build container" and how to give it
 *   network: the same invocation with `--network none`, through
 *   DockerImage.run (as the CLI runs it) and through the construct.
 *
 * Slow tier: seven real builds. Writes its measurements to .tmp/integ-docker.md.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LayerBuildMethod, VectorDbSdk } from '../../src';
import { dockerRunOptions } from '../../src/private/layer/docker';
import { localBuildCount } from '../../src/private/layer/local-build';
import { ASSETS_DIR } from '../../src/private/layer/recipe';
import { EngineCall, recordingEngine } from '../support/engine';
import { withEnv } from '../support/env';
import { removeDir, sha256, tempDir, treeDiff, treeHashes } from '../support/files';
import { available, containerEngine, REPO_DIR } from '../support/platforms';
import { secs, writeReport } from '../support/report';
import { buildWithConstruct, BuiltLayer, REAL_BUILD_ENV } from '../support/synth';

const HAS_CONTAINER = available('container');
const CLI = path.join(REPO_DIR, 'bin', 'cdk-vectordb-layer');
const ERROR_FILE = '.vectordb-layer-error.json';
/** How long a container without network may take to say so: container start + one TCP/DNS probe (8 s) + slack for a loaded machine. */
const NO_NETWORK_BOUND_MS = 45_000;
const IN_CONTAINER = /cannot be reached from inside the build container/;
const HOW_TO_NETWORK = /default bridge network \(not --network none\)/;

interface CliBuild {
  readonly status: number | null;
  readonly stderr: string;
  readonly report: { sha256: string; buildMs: number; zipMs: number; builtWith: string; fileCount: number; unzippedBytes: number };
  readonly zip: string;
  /** the zip, unpacked */
  readonly dir: string;
  readonly ms: number;
}

/** `cdk-vectordb-layer build ... --json` (from the TypeScript sources), then the zip unpacked. */
function cliBuild(args: string[], env: Record<string, string> = {}): CliBuild {
  const work = tempDir('cli');
  const zip = path.join(work, 'layer.zip');
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'build', ...args, '--json', '--out', zip], {
    env: { ...process.env, CDK_VECTORDB_LAYER_FROM_SOURCE: '1', ...REAL_BUILD_ENV, ...env },
    encoding: 'utf-8',
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
    shell: false,
  });
  const ms = Date.now() - started;
  if (r.status !== 0) throw new Error(`build ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-10).join(' | ')}`);
  const dir = path.join(work, 'unzipped');
  fs.mkdirSync(dir);
  const unzip = spawnSync('unzip', ['-q', zip, '-d', dir], { encoding: 'utf-8', shell: false });
  if (unzip.status !== 0) throw new Error(`unzip ${zip} failed: ${unzip.stderr}`);
  return { status: r.status, stderr: r.stderr, report: JSON.parse(r.stdout), zip, dir, ms };
}

/** The `run` call's argv, with the host side of the output volume and the user named generically. */
function normalizedRun(call: EngineCall | undefined): string[] {
  if (!call) return [];
  return call.argv.map((a) => a.replace(/^[^:]+:\/asset-output(:.*)?$/, '<out>:/asset-output$1'));
}

interface Timing {
  readonly what: string;
  readonly ms: number;
}
const timings: Timing[] = [];
const identical: string[] = [];

(HAS_CONTAINER ? describe : describe.skip)('in a real container engine', () => {
  const engine = HAS_CONTAINER ? containerEngine()! : undefined!;

  const CASES = [
    { sdk: VectorDbSdk.VECTORDB, version: '0.4.2', pinned: true, constructLocal: true },
    // Unpinned: its native package is @lancedb/vectordb-linux-x64-gnu@0.4.20, named by its optionalDependencies.
    { sdk: VectorDbSdk.VECTORDB, version: '0.9.0', pinned: false, constructLocal: false },
  ];

  describe.each(CASES)('$sdk.packageName $version x86_64', ({ sdk, version, pinned, constructLocal }) => {
    const dirs: string[] = [];
    let docker: BuiltLayer;
    let local: BuiltLayer | undefined;
    let cliDocker: CliBuild;
    let cliLocal: CliBuild;
    let constructCalls: EngineCall[] = [];
    let cliCalls: EngineCall[] = [];
    let localBuildsDuringDocker = -1;

    beforeAll(() => {
      const recorder = recordingEngine(engine.executable);
      dirs.push(recorder.dir);
      const before = localBuildCount();
      docker = withEnv({ CDK_DOCKER: recorder.executable }, () => buildWithConstruct({
        sdk,
        version,
        architecture: lambda.Architecture.X86_64,
        buildMethod: LayerBuildMethod.DOCKER,
        dockerImage: DockerImage.fromRegistry(engine.image),
      }));
      localBuildsDuringDocker = localBuildCount() - before;
      dirs.push(docker.outdir);
      constructCalls = recorder.calls();
      timings.push({ what: `${sdk.packageName} ${version}: construct, DOCKER (${engine.kind}) synth`, ms: docker.ms });

      const cliRecorder = recordingEngine(engine.executable);
      dirs.push(cliRecorder.dir);
      cliDocker = cliBuild(['--sdk', sdk.packageName, '--version', version, '--arch', 'x86_64', '--docker', '--image', engine.image], { CDK_DOCKER: cliRecorder.executable });
      dirs.push(path.dirname(cliDocker.zip));
      cliCalls = cliRecorder.calls();
      timings.push({ what: `${sdk.packageName} ${version}: CLI build --docker (recipe ${secs(cliDocker.report.buildMs)})`, ms: cliDocker.ms });

      cliLocal = cliBuild(['--sdk', sdk.packageName, '--version', version, '--arch', 'x86_64']);
      dirs.push(path.dirname(cliLocal.zip));
      timings.push({ what: `${sdk.packageName} ${version}: CLI build, local (recipe ${secs(cliLocal.report.buildMs)})`, ms: cliLocal.ms });

      if (constructLocal) {
        local = buildWithConstruct({ sdk, version, architecture: lambda.Architecture.X86_64, buildMethod: LayerBuildMethod.LOCAL });
        dirs.push(local.outdir);
        timings.push({ what: `${sdk.packageName} ${version}: construct, LOCAL synth`, ms: local.ms });
      }
    });
    afterAll(() => dirs.forEach(removeDir));

    test('the construct built in the container: one run of the image, on linux/amd64, with the recipe command; no host build', () => {
      expect(localBuildsDuringDocker).toBe(0);
      expect(docker.hostBuilds).toBe(0);
      if (local) expect(local.hostBuilds).toBe(1);
      const runs = constructCalls.filter((c) => c.argv[0] === 'run');
      expect(runs).toHaveLength(1);
      const argv = runs[0].argv;
      expect(argv).toContain(engine.image);
      expect(argv.join(' ')).toContain('--platform linux/amd64');
      expect(argv).toContain(`${ASSETS_DIR}:/asset-input:delegated`);
      const cmd = argv.slice(argv.indexOf(engine.image) + 1);
      expect(cmd).toEqual(['node', '/asset-input/build-layer.js', '--sdk', sdk.packageName, '--version', version, '--architecture', 'x86_64', '--out', '/asset-output']);
      expect(docker.manifest).toMatchObject({ sdk: sdk.packageName, version, architecture: 'x86_64', pinned });
    });

    test('the CLI runs the construct\'s Docker invocation', () => {
      expect(cliDocker.report.builtWith).toBe(`docker ${engine.image}`);
      const runs = cliCalls.filter((c) => c.argv[0] === 'run');
      expect(runs).toHaveLength(1);
      const construct = normalizedRun(constructCalls.find((c) => c.argv[0] === 'run'));
      expect(normalizedRun(runs[0])).toEqual(construct);
    });

    test('every file of the layer is byte-identical: construct in Docker, CLI in Docker, CLI local' + (constructLocal ? ', construct local' : ''), () => {
      const reference = treeHashes(docker.dir);
      expect(reference.size).toBeGreaterThan(100);
      expect(reference.has('nodejs/vectordb-layer.json')).toBe(true);
      const others: Array<[string, string]> = [['CLI --docker', cliDocker.dir], ['CLI local', cliLocal.dir]];
      if (local) others.push(['construct LOCAL', local.dir]);
      for (const [what, dir] of others) {
        const tree = treeHashes(dir);
        expect({ what, diff: treeDiff(reference, tree) }).toEqual({ what, diff: [] });
        expect(tree).toEqual(reference);
      }
      identical.push(`${sdk.packageName} ${version}: ${reference.size} files, identical in ${['construct DOCKER', ...others.map((o) => o[0])].join(', ')}`);
    });

    test('the CLI zips are byte-identical (sha256), and the report says so', () => {
      expect(sha256(cliDocker.zip)).toBe(cliDocker.report.sha256);
      expect(sha256(cliLocal.zip)).toBe(cliLocal.report.sha256);
      expect(cliDocker.report.sha256).toBe(cliLocal.report.sha256);
      expect(cliDocker.report.sha256).toMatch(/^[0-9a-f]{64}$/);
      identical.push(`${sdk.packageName} ${version}: CLI zips ${cliDocker.report.sha256} (docker) = ${cliLocal.report.sha256} (local)`);
    });
  });

  describe('a container without network', () => {
    test('the CLI\'s Docker invocation with --network none says the registry cannot be reached from inside the container, in bounded time', () => {
      for (const version of ['0.4.2', '0.9.0']) {
        const out = tempDir('nonet');
        try {
          const build = { image: DockerImage.fromRegistry(engine.image), sdk: 'vectordb', version, architecture: 'x86_64' as const, strip: true };
          const started = Date.now();
          let thrown: Error | undefined;
          withEnv({ CDK_DOCKER: engine.executable }, () => {
            try {
              build.image.run({ ...dockerRunOptions(build, ASSETS_DIR, out), network: 'none' });
            } catch (e) {
              thrown = e as Error;
            }
          });
          const ms = Date.now() - started;
          timings.push({ what: `--network none, vectordb ${version} (${version === '0.4.2' ? 'pinned' : 'unpinned'}): DockerImage.run to the recipe's error`, ms });
          expect(thrown).toBeDefined();
          const failure = JSON.parse(fs.readFileSync(path.join(out, ERROR_FILE), 'utf-8'));
          expect(failure.code).toBe('REGISTRY_UNREACHABLE');
          expect(failure.message).toMatch(IN_CONTAINER);
          expect(failure.message).toMatch(HOW_TO_NETWORK);
          expect(failure.message).toContain('build without Docker');
          expect(fs.readdirSync(out)).toEqual([ERROR_FILE]);
          expect(ms).toBeLessThan(NO_NETWORK_BOUND_MS);
        } finally {
          removeDir(out);
        }
      }
    });

    test('the construct, run by an engine that adds --network none, fails the synth with that message, in bounded time', () => {
      const recorder = recordingEngine(engine.executable, ['--network', 'none']);
      try {
        const started = Date.now();
        let message = '';
        withEnv({ CDK_DOCKER: recorder.executable }, () => {
          try {
            const built = buildWithConstruct({
              sdk: VectorDbSdk.VECTORDB, version: '0.4.2', buildMethod: LayerBuildMethod.DOCKER, dockerImage: DockerImage.fromRegistry(engine.image),
            });
            removeDir(built.outdir);
          } catch (e) {
            message = (e as Error).message;
          }
        });
        const ms = Date.now() - started;
        timings.push({ what: '--network none, construct DOCKER synth to the error', ms });
        expect(recorder.calls().filter((c) => c.argv[0] === 'run')).toHaveLength(1);
        expect(message).toMatch(IN_CONTAINER);
        expect(message).toMatch(HOW_TO_NETWORK);
        expect(message).not.toMatch(/Exit handler never called/);
        expect(ms).toBeLessThan(NO_NETWORK_BOUND_MS);
      } finally {
        removeDir(recorder.dir);
      }
    });
  });
});

afterAll(() => {
  if (timings.length === 0) return;
  const lines = [
    '## Docker in a real container engine (test/integ/docker.test.ts)',
    '',
    '| what | wall time |',
    '| --- | --- |',
    ...timings.map((t) => `| ${t.what} | ${secs(t.ms)} |`),
    '',
    ...identical.map((i) => `- ${i}`),
  ];
  writeReport('integ-docker.md', lines.join('\n'));
});
