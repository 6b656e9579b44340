/** The slow tests' Markdown reports (.tmp/<name>, one a suite) and the numbers in them. */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_DIR } from './platforms';

/** Where the reports of the slow tests go. */
export const REPORT_DIR = path.join(REPO_DIR, '.tmp');

/** Writes a report to .tmp/<name> and prints it on stdout. */
export function writeReport(name: string, markdown: string): string {
  fs.mkdirSync(REPORT_DIR, { recursive: true });
  const file = path.join(REPORT_DIR, name);
  fs.writeFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  process.stdout.write(`\n${markdown}\n(written to ${path.relative(REPO_DIR, file)})\n`);
  return file;
}

/** Seconds with one decimal. */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Bytes with thousands separators. */
export function bytes(n: number): string {
  return n.toLocaleString('en-US');
}
