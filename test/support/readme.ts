/** The README's text, as the tests that run it read it. */
import * as fs from 'fs';
import * as path from 'path';

/**
 * The first fenced block of the README after `heading` whose code matches
 * `pattern`: the text a user copies, which the tests run.
 */
export function readmeSnippet(heading: string, pattern: RegExp): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf-8');
  const from = readme.indexOf(heading);
  if (from < 0) throw new Error(`no ${heading} in README.md`);
  const block = [...readme.slice(from).matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].find((m) => pattern.test(m[2]));
  if (!block) throw new Error(`no block matching ${pattern} after ${heading}`);
  return block[2];
}
