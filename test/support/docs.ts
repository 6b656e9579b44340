/**
 * The repository's markdown as the tests read it: the fenced blocks of a file
 * (README.md, docs/*.md) under a heading, and the links and paths each file
 * cites. A snippet is looked up by file and heading, so a test names where the
 * text a user copies lives, and fails when it is not there.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The repository's root. */
export const REPO_ROOT = path.join(__dirname, '..', '..');

/** A fenced block: its info string, its code and the heading it sits under. */
export interface DocBlock {
  readonly lang: string;
  readonly code: string;
  readonly heading: string;
}

/** The text of a markdown file, `file` relative to the repository's root. */
export function docText(file: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, file), 'utf-8');
}

/** The fenced blocks of markdown `text` (a fence may be indented, as in a list item), dedented, with the nearest heading above each. */
export function blocksOf(text: string, where = 'the text'): DocBlock[] {
  const out: DocBlock[] = [];
  let heading = '';
  let open: { indent: string; lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (open) {
      if (line === `${open.indent}\`\`\``) {
        out.push({ lang: open.lang, code: open.lines.map((l) => `${l.startsWith(open!.indent) ? l.slice(open!.indent.length) : l}\n`).join(''), heading });
        open = undefined;
      } else {
        open.lines.push(line);
      }
    } else if (/^ *```/.test(line)) {
      const indent = /^ */.exec(line)![0];
      open = { indent, lang: line.slice(indent.length + 3).trim(), lines: [] };
    } else if (/^#{1,6} /.test(line)) {
      heading = line;
    }
  }
  if (open) throw new Error(`${where}: a fence under "${heading}" is never closed`);
  return out;
}

/** Every fenced block of `file`, with the nearest heading above it. */
export function docBlocks(file: string): DocBlock[] {
  return blocksOf(docText(file), file);
}

/**
 * The part of `file` from the heading line `heading` (e.g. `## Quick start`,
 * matched from its start) to the next heading of the same or a higher level.
 */
export function docSection(file: string, heading: string): string {
  const lines = docText(file).split('\n');
  const level = /^#+/.exec(heading)?.[0].length;
  if (!level) throw new Error(`"${heading}" is not a markdown heading`);
  const from = lines.findIndex((l) => l.startsWith(heading) && /^#+ /.test(l) && /^#+/.exec(l)![0].length === level);
  if (from < 0) throw new Error(`no heading "${heading}" in ${file}`);
  let fence = false;
  let to = lines.length;
  for (let i = from + 1; i < lines.length; i++) {
    if (/^ *```/.test(lines[i])) fence = !fence;
    const m = fence ? undefined : /^(#+) /.exec(lines[i]);
    if (m && m[1].length <= level) {
      to = i;
      break;
    }
  }
  return lines.slice(from, to).join('\n');
}

/** The fenced blocks of `file` in its section `heading` (sub-sections included), in order; only `lang`'s when given. */
export function sectionBlocks(file: string, heading: string, lang?: string): string[] {
  return blocksOf(docSection(file, heading), file).filter((b) => lang === undefined || b.lang === lang).map((b) => b.code);
}

/** The first block of `file`'s section `heading` whose code matches `pattern`: the text a user copies. */
export function docSnippet(file: string, heading: string, pattern: RegExp): string {
  const block = sectionBlocks(file, heading).find((code) => pattern.test(code));
  if (!block) throw new Error(`no block matching ${pattern} under "${heading}" in ${file}`);
  return block;
}

/** The markdown files git tracks (or would track: untracked but not ignored), relative to the root. */
export function markdownFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.md'], { cwd: REPO_ROOT, encoding: 'utf-8', shell: false });
  if (r.status !== 0) throw new Error(`git ls-files in ${REPO_ROOT} exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f && fs.existsSync(path.join(REPO_ROOT, f))).sort();
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.replace(/^#+\s+/, '').trim().toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of `file`'s headings (outside fences), with GitHub's -1, -2 for repeats. */
export function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of docText(file).split('\n')) {
    if (/^ *```/.test(line)) fence = !fence;
    if (fence || !/^#{1,6} /.test(line)) continue;
    const base = anchorOf(line);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** A link or path a markdown file cites, with its line. */
export interface Citation {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/**
 * The relative links of a markdown file (`[text](target)`, outside fences):
 * every target that is not a URL (`scheme:`) or a site-absolute path.
 */
export function relativeLinks(file: string): Citation[] {
  const out: Citation[] = [];
  let fence = false;
  docText(file).split('\n').forEach((line, i) => {
    if (/^ *```/.test(line)) fence = !fence;
    if (fence) return;
    for (const m of line.replace(/`[^`]*`/g, (code) => (code.includes('](') ? code : ' ')).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1]) && !m[1].startsWith('/')) out.push({ file, line: i + 1, target: m[1] });
    }
  });
  return out;
}

/** The top-level folders and files of this repository a path in the docs may start with. */
const REPO_PREFIXES = /^(src|test|docs|examples|layer-assets|bench|build-tools|rosetta|\.ci|\.github|projenrc)\/|^(README|CONTRIBUTING|SECURITY)\.md$|^\.projenrc\.ts$/;

/**
 * The repository paths a markdown file names in code spans (`src/...`,
 * `layer-assets/...`, ...), outside fences, without placeholders or globs:
 * files and folders a reader is sent to.
 */
export function repoPaths(file: string): Citation[] {
  const out: Citation[] = [];
  let fence = false;
  docText(file).split('\n').forEach((line, i) => {
    if (/^ *```/.test(line)) fence = !fence;
    if (fence) return;
    for (const m of line.matchAll(/`([^`\s]+)`/g)) {
      const p = m[1].replace(/[.,:;]$/, '');
      if (REPO_PREFIXES.test(p) && !/[<>*{}$]/.test(p)) out.push({ file, line: i + 1, target: p });
    }
  });
  return out;
}
