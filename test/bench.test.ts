/**
 * The bench's report (bench/report.ts) and the commit it records
 * (bench/commit.ts): results.md is rendered from results.json alone, each
 * target is judged met or missed on the bench's own figures, and each part
 * names the commit it measured. Fast: no part of the bench runs.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/files';
import { measuredCommit } from '../bench/commit';
import { evaluateTargets, renderCommits, renderResultsFile, Results } from '../bench/report';

const BENCH = path.join(__dirname, '..', 'bench');
const results = (): Results => JSON.parse(fs.readFileSync(path.join(BENCH, 'results.json'), 'utf-8')) as Results;

describe('bench/results.md', () => {
  test('is what bench/report.ts renders from bench/results.json (re-render: BENCH_PARTS=none npx projen bench)', () => {
    expect(fs.readFileSync(path.join(BENCH, 'results.md'), 'utf-8')).toBe(renderResultsFile(results()));
  });

  test('holds the targets bench/report.ts derives from the stored figures, each met or missed', () => {
    const r = results();
    expect(r.targets.length).toBeGreaterThan(0);
    expect(evaluateTargets(r)).toEqual(r.targets);
    for (const t of r.targets) expect(['met', 'missed']).toContain(t.verdict);
  });

  test('judges a size target on the plain install the bench measured, nothing else', () => {
    const r = results();
    const lance = r.layer!.rows.find((l) => l.sdk === '@lancedb/lancedb' && l.architecture === 'x86_64')!;
    const verdict = (oursOverPlain: number) => evaluateTargets({
      ...r,
      layer: {
        ...r.layer!,
        rows: r.layer!.rows.map((l) => (l === lance ? { ...l, ratios: { ...l.ratios, oursOverPlainUnzipped: oursOverPlain } } : l)),
      },
    }).find((t) => t.target.startsWith('unzipped layer at most 40%'))!;
    expect(verdict(0.744)).toMatchObject({ verdict: 'missed', measured: expect.stringMatching(/^74\.4% \(/) });
    expect(verdict(0.4)).toMatchObject({ verdict: 'met', measured: expect.stringMatching(/^40\.0% \(/) });
    // No figure from outside the repository: the text quotes only what the bench measured.
    const text = JSON.stringify(verdict(0.744));
    expect(text).not.toMatch(/569|FACTS/);
  });

  test('names the commit each part measured, or says it was not recorded', () => {
    const commit = 'a'.repeat(40);
    const partSeconds = { layer: 1, synth: 2 };
    expect(renderCommits({ partSeconds, partCommits: { layer: { commit, dirty: false }, synth: { commit, dirty: false } } }))
      .toBe('Commit measured: `aaaaaaaaaaaa`, a clean checkout.');
    expect(renderCommits({ partSeconds, partCommits: { layer: { commit, dirty: false }, synth: { commit, dirty: true, changed: ['src/index.ts'] } } }))
      .toBe('Commit measured, part by part: layer `aaaaaaaaaaaa`, a clean checkout; synth `aaaaaaaaaaaa` with uncommitted changes: `src/index.ts`.');
    expect(renderCommits({ partSeconds: { layer: 1 }, partCommits: { layer: { commit: null, dirty: null, note: 'measured 2026-12-01, before the bench recorded its commit' } } }))
      .toBe('Commit measured: not recorded (measured 2026-12-01, before the bench recorded its commit).');
    // The stored results: every part says which commit it measured, or why that is not known.
    const r = results();
    expect(Object.keys(r.partCommits ?? {}).sort()).toEqual(Object.keys(r.partSeconds).sort());
    for (const c of Object.values(r.partCommits!)) expect(c.commit === null ? c.note : c.commit).toMatch(/^([0-9a-f]{40}|measured .*)$/);
    expect(fs.readFileSync(path.join(BENCH, 'results.md'), 'utf-8')).toContain(renderCommits(r));
  });
});

describe('measuredCommit', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf-8' }).trim();

  test('is HEAD of the checkout, dirty with the files that differ; the bench\'s own outputs aside', () => {
    const repo = tempDir('bench-commit');
    git(repo, 'init', '--quiet');
    fs.mkdirSync(path.join(repo, 'bench'));
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(repo, 'bench', 'results.json'), '{}\n');
    git(repo, 'add', '.');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'one');
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(measuredCommit(repo)).toEqual({ commit: head, dirty: false });

    fs.writeFileSync(path.join(repo, 'bench', 'results.json'), '{"new": true}\n');
    expect(measuredCommit(repo)).toEqual({ commit: head, dirty: false });

    fs.writeFileSync(path.join(repo, 'a.txt'), 'b\n');
    fs.writeFileSync(path.join(repo, 'new.txt'), 'new\n');
    expect(measuredCommit(repo)).toEqual({ commit: head, dirty: true, changed: ['a.txt', 'new.txt'] });
  });

  test('refuses a folder that is not a git checkout, naming it', () => {
    const dir = tempDir('bench-nogit');
    expect(() => measuredCommit(dir)).toThrow(new RegExp(`git rev-parse HEAD in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed`));
  });
});
