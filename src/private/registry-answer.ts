/**
 * What the user's npm registry answers for one exact package version, in
 * npm's own words (`E404: No match found for version 0.39.0`), for a message
 * that stops a synth because the registry lacks a declared native build.
 * One `npm view` through the recipe's npm runner: never a shell.
 */
import { recipeNpm } from './recipe';

/** npm flags for one quick metadata read: one retry, not minutes of backoff. */
const QUICK = ['--fetch-retries=1', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=2000', '--fetch-timeout=10000'];

/**
 * npm's answer for `<pkg>@<version>`: undefined when the registry has it,
 * else its error code and summary (or the last line npm printed).
 */
export function registryAnswer(pkg: string, version: string): string | undefined {
  const r = recipeNpm.runNpm(['view', `${pkg}@${version}`, 'version', '--json', ...QUICK], { timeoutMs: 12_000 });
  if (r.status === 0 && r.stdout.trim() !== '') return undefined;
  try {
    const e = JSON.parse(r.stdout.trim()).error;
    if (e && typeof e.summary === 'string') return `${e.code ? `${e.code}: ` : ''}${e.summary}`;
  } catch {
    // not JSON: npm's last line says it
  }
  if (r.status === 0) return `no ${pkg} version ${version}`;
  return recipeNpm.tail(r.output, 1) || (r.error ? r.error.message : `npm view exited ${r.status}`);
}
