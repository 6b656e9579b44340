/**
 * `npx projen bench`: runs the benchmark parts, each in its own process
 * (bench/layer.ts, bench/synth.ts, bench/coldstart.ts, bench/compress.ts,
 * bench/cache.ts, bench/maintain.ts), and writes bench/results.json and
 * bench/results.md (which the README links to), each part with the commit it
 * measured (`git rev-parse HEAD`, and whether the checkout differed from it).
 *
 *   npx projen bench                     RUNS=3 (default): every figure is a median of 3 runs
 *   RUNS=1 npx projen bench              a quick look
 *   BENCH_PARTS=synth npx projen bench   only some parts; the others are kept from bench/results.json
 *   BENCH_PARTS=cache CACHE_PARTS=apps   in the cache part, only some measurements (cost, clone, apps, real)
 *   BENCH_PARTS=none npx projen bench    measure nothing: render results.md again from results.json
 *   COLD_STARTS=5                        cold starts per layout in each run of the cold start part
 *   BENCH_OUT=/tmp/x                     a trial: results.{json,md} go to that folder, bench/ is left alone
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MeasuredCommit, measuredCommit } from './commit';
import { log, run, RUNS, timed, tsNodeChild } from './common';
import { evaluateTargets, renderResultsFile, Results } from './report';

const PARTS = ['layer', 'synth', 'coldstart', 'compress', 'cache', 'maintain'] as const;
type Part = typeof PARTS[number];

const ROOT = path.join(__dirname, '..');
const RESULTS_JSON = path.join(__dirname, 'results.json');
/** A trial run's folder (BENCH_OUT): the results go there and bench/ is not touched. */
const TRIAL_OUT = process.env.BENCH_OUT?.trim() ? path.resolve(process.env.BENCH_OUT.trim()) : undefined;

/** A part kept from results that predate the commit field: said so, with its date; no commit made up. */
function notRecorded(previous: Partial<Results>, part: string): MeasuredCommit {
  const date = (previous[part as Part] as { date?: string } | undefined)?.date ?? previous.date;
  return { commit: null, dirty: null, note: `measured ${date ? `${date.slice(0, 10)}, ` : ''}before the bench recorded its commit` };
}

function selectedParts(): Part[] {
  const raw = process.env.BENCH_PARTS?.trim();
  if (!raw) return [...PARTS];
  if (raw === 'none') return [];
  const wanted = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !(PARTS as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`BENCH_PARTS: unknown part(s) ${unknown.join(', ')}; parts are ${PARTS.join(', ')}`);
  return wanted as Part[];
}

function npmVersion(): string {
  try {
    const cli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    const r = fs.existsSync(cli) ? run(process.execPath, [cli, '--version']) : run('npm', ['--version']);
    return r.stdout.trim().split('\n').pop() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function osName(): string {
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf-8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release);
    if (m) return `${m[1]} ${os.arch()}`;
  } catch {
    // not linux
  }
  return `${os.type()} ${os.release()} ${os.arch()}`;
}

function main(): void {
  const parts = selectedParts();
  const previous: Partial<Results> = parts.length < PARTS.length && fs.existsSync(RESULTS_JSON)
    ? JSON.parse(fs.readFileSync(RESULTS_JSON, 'utf-8')) as Partial<Results>
    : {};
  if (parts.length === 0 && previous.date === undefined) throw new Error('BENCH_PARTS=none renders bench/results.json again, and there is none: run the bench first');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdbl-bench-'));
  const partSeconds: Record<string, number> = { ...(previous.partSeconds ?? {}) };
  const partCommits: Record<string, MeasuredCommit> = Object.fromEntries(
    Object.keys(partSeconds).map((p) => [p, previous.partCommits?.[p] ?? notRecorded(previous, p)]));
  const measured: Record<string, unknown> = {};
  try {
    for (const part of parts) {
      partCommits[part] = measuredCommit(ROOT);
      log(`== ${part} (RUNS=${RUNS})`);
      const out = path.join(scratch, `${part}.json`);
      const child = tsNodeChild(path.join(__dirname, `${part}.ts`), [out]);
      // The part's progress goes straight to this stderr; its result to the JSON file.
      const { ms, value } = timed(() => spawnSync(child.file, child.args, {
        cwd: ROOT,
        env: child.env,
        stdio: ['ignore', 'ignore', 'inherit'],
        shell: false,
        timeout: 30 * 60 * 1000,
      }));
      if (value.error || value.status !== 0 || !fs.existsSync(out)) {
        throw new Error(`bench part ${part} failed: ${value.error ? value.error.message : `exit ${value.status}${value.signal ? ` (${value.signal})` : ''}`}`);
      }
      partSeconds[part] = ms / 1000;
      measured[part] = JSON.parse(fs.readFileSync(out, 'utf-8'));
      log(`${part} done in ${(ms / 1000).toFixed(0)} s`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const data = {
    layer: (measured.layer ?? previous.layer) as Results['layer'],
    synth: (measured.synth ?? previous.synth) as Results['synth'],
    coldstart: (measured.coldstart ?? previous.coldstart) as Results['coldstart'],
    compress: (measured.compress ?? previous.compress) as Results['compress'],
    cache: (measured.cache ?? previous.cache) as Results['cache'],
    maintain: (measured.maintain ?? previous.maintain) as Results['maintain'],
  };
  const cpus = os.cpus();
  const rerender = parts.length === 0 && previous.date !== undefined && previous.machine !== undefined && previous.command !== undefined;
  const kept = previous as Results;
  const results: Results = rerender ? {
    date: kept.date, command: kept.command, runs: kept.runs, machine: kept.machine, partSeconds, partCommits, ...data, targets: evaluateTargets(data),
  } : {
    date: new Date().toISOString(),
    command: `${RUNS === 3 ? '' : `RUNS=${RUNS} `}${parts.length < PARTS.length ? `BENCH_PARTS=${parts.join(',')} ` : ''}npx projen bench`,
    runs: RUNS,
    machine: {
      os: osName(),
      cpu: cpus[0]?.model.trim() ?? 'unknown',
      cores: cpus.length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      npm: npmVersion(),
    },
    partSeconds,
    partCommits,
    ...data,
    targets: evaluateTargets(data),
  };
  const md = renderResultsFile(results);
  if (TRIAL_OUT) {
    fs.mkdirSync(TRIAL_OUT, { recursive: true });
    fs.writeFileSync(path.join(TRIAL_OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    fs.writeFileSync(path.join(TRIAL_OUT, 'results.md'), md);
    process.stdout.write(md);
    log(`wrote ${TRIAL_OUT}/results.json and results.md (BENCH_OUT: bench/ left alone)`);
    return;
  }
  fs.writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(__dirname, 'results.md'), md);
  process.stdout.write(md);
  log('wrote bench/results.json and bench/results.md');
}

main();
