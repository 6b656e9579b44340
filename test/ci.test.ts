/**
 * CI as GitHub runs it. The workflows projen writes from .projenrc.ts run
 * .ci/run, the script CI runs on a fresh clone (setup of every platform the
 * tests need, then `npx projen build` with all of them required), and the
 * release waits for `.ci/run --full` (the same, then `npx projen test:full`);
 * a workflow running `npx projen build` by itself would pass with every
 * platform test skipped. And .ci/run fails when the build changes the
 * checkout (.ci/lib/tree-unchanged.sh). Fast: reads files, runs git in a
 * temp folder.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { tempDir } from './support/files';

const ROOT = path.join(__dirname, '..');
// The YAML parser projen writes the workflows with (bundled in projen).
const { parse } = createRequire(require.resolve('projen/package.json'))('yaml') as { parse(text: string): unknown };

interface Step { readonly 'run'?: string; readonly 'uses'?: string; readonly 'if'?: string; readonly 'continue-on-error'?: boolean }
interface Job {
  readonly needs?: string | string[];
  readonly if?: string;
  readonly container?: { readonly image: string; readonly options?: string };
  readonly steps: Step[];
}
interface Workflow { readonly jobs: Record<string, Job> }

const workflow = (name: string): Workflow => parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', name), 'utf-8')) as Workflow;
const needs = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
/** Every job `id` waits for, directly or not. */
function waitsFor(w: Workflow, id: string): Set<string> {
  const out = new Set<string>();
  const visit = (j: string) => needs(w.jobs[j]).forEach((n) => { if (!out.has(n)) { out.add(n); visit(n); } });
  visit(id);
  return out;
}
/** The job that runs `bash .ci/run <args>`: exactly one, unconditional, not allowed to fail, as root in a privileged Debian container. */
function ciJob(w: Workflow, command: string): string {
  const ids = Object.keys(w.jobs).filter((id) => w.jobs[id].steps.some((s) => s.run?.split('\n').some((l) => l.trim() === command)));
  expect(ids).toHaveLength(1);
  const job = w.jobs[ids[0]];
  expect(job.if).toBeUndefined();
  const step = job.steps.find((s) => s.run?.split('\n').some((l) => l.trim() === command))!;
  expect(step.if).toBeUndefined();
  expect(step['continue-on-error']).toBeUndefined();
  // .ci/lib is written for Debian as root; podman, binfmt and cgroups need the privileges.
  expect(job.container?.image).toMatch(/^debian:bookworm/);
  expect(job.container?.options).toMatch(/(^| )--privileged( |$)/);
  return ids[0];
}
/** Jobs that build, test, release or publish. */
const BUILDS = /\bprojen (build|test|release|package)\b|\bjest\b|\bpublib\b|\.ci\/run\b/;
const buildingJobs = (w: Workflow) => Object.keys(w.jobs).filter((id) => w.jobs[id].steps.some((s) => BUILDS.test(s.run ?? '')));

describe('the GitHub workflows', () => {
  test('build: the build job runs .ci/run; every other job that builds or tests waits for it', () => {
    const w = workflow('build.yml');
    const ci = ciJob(w, 'bash .ci/run');
    expect(ci).toBe('build');
    const others = buildingJobs(w).filter((id) => id !== ci);
    expect(others.length).toBeGreaterThan(0); // the package-* jobs
    for (const id of others) expect({ id, waitsFor: waitsFor(w, id).has(ci) }).toEqual({ id, waitsFor: true });
    // No job pushes the build's changes back to the branch: a build that changes a file fails (.ci/run).
    expect(Object.keys(w.jobs)).not.toContain('self-mutation');
  });

  test('release: nothing is built, released or published before .ci/run --full (which runs test:full) passed', () => {
    const w = workflow('release.yml');
    const ci = ciJob(w, 'bash .ci/run --full');
    const others = buildingJobs(w).filter((id) => id !== ci);
    expect(others).toEqual(expect.arrayContaining(['release', 'release_npm']));
    for (const id of others) expect({ id, waitsFor: waitsFor(w, id).has(ci) }).toEqual({ id, waitsFor: true });
  });

  test('no other workflow builds or tests', () => {
    const others = fs.readdirSync(path.join(ROOT, '.github', 'workflows')).filter((f) => f.endsWith('.yml') && !['build.yml', 'release.yml'].includes(f));
    for (const f of others) expect({ workflow: f, jobs: buildingJobs(workflow(f)) }).toEqual({ workflow: f, jobs: [] });
  });
});

describe('.ci/run', () => {
  const lines = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf-8').split('\n').map((l) => l.trim());
  const at = (line: string) => {
    const i = lines.indexOf(line);
    expect({ line, found: i >= 0 }).toEqual({ line, found: true });
    return i;
  };

  test('checks the checkout right after `npx projen build`, before the Node.js 22/24 and newest aws-cdk-lib runs', () => {
    const build = at('npx projen build');
    const check = lines.indexOf('bash .ci/lib/tree-unchanged.sh');
    expect(check).toBeGreaterThan(build);
    expect(lines.slice(build + 1, check).every((l) => l === '' || l.startsWith('#') || l.startsWith('echo '))).toBe(true);
    expect(check).toBeLessThan(lines.findIndex((l) => l.startsWith('bash .ci/lib/cdk-latest.sh')));
    expect(check).toBeLessThan(lines.findIndex((l) => l.includes('node_modules/.bin/jest')));
  });

  test('with --full runs `npx projen test:full` after the build, with the same setup and requirements', () => {
    const full = at('if [ "${1:-}" = --full ]; then');
    expect(full).toBeGreaterThan(at('npx projen build'));
    expect(full).toBeGreaterThan(lines.findIndex((l) => l.startsWith('export CDK_VECTORDB_LAYER_TEST_REQUIRE=')));
    expect(lines[full + 1]).toBe('npx projen test:full');
  });
});

describe('.ci/lib/tree-unchanged.sh', () => {
  const script = path.join(ROOT, '.ci', 'lib', 'tree-unchanged.sh');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf-8' });
  const check = (dir: string) => {
    const r = spawnSync('bash', [script, dir], { encoding: 'utf-8' });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  let repo: string;

  beforeEach(() => {
    repo = tempDir('tree');
    git(repo, 'init', '--quiet');
    fs.writeFileSync(path.join(repo, '.gitignore'), '/lib/\n');
    fs.writeFileSync(path.join(repo, 'API.md'), '# API\n');
    fs.writeFileSync(path.join(repo, 'package.json'), '{}\n');
    git(repo, 'add', '.');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'one');
  });

  test('passes a checkout as committed, whatever is ignored', () => {
    fs.mkdirSync(path.join(repo, 'lib'));
    fs.writeFileSync(path.join(repo, 'lib', 'index.js'), '');
    expect(check(repo)).toMatchObject({ status: 0, out: expect.stringContaining('the checkout is as committed') });
  });

  test('fails on a changed tracked file, naming it, the fix and the diff', () => {
    fs.writeFileSync(path.join(repo, 'API.md'), '# API\n\nnew\n');
    const r = check(repo);
    expect(r.status).toBe(1);
    expect(r.err).toContain(' M API.md');
    expect(r.err).toContain('Fix: run `npx projen build` locally and commit what it changed');
    expect(r.err).toContain('+new');
  });

  test('fails on a deleted tracked file and on a new file that is not ignored', () => {
    fs.rmSync(path.join(repo, 'package.json'));
    fs.mkdirSync(path.join(repo, 'types'));
    fs.writeFileSync(path.join(repo, 'types', 'new.d.ts'), '');
    const r = check(repo);
    expect(r.status).toBe(1);
    expect(r.err).toContain('differs from its commit in 2 file(s)');
    expect(r.err).toContain(' D package.json');
    expect(r.err).toContain('?? types/new.d.ts');
  });

  test('refuses a folder that is not a git checkout', () => {
    const r = check(tempDir('tree-nogit'));
    expect(r.status).toBe(2);
    expect(r.err).toContain('is not a git checkout with a commit');
  });
});
