/**
 * What the user's npm registry answers for one exact package version, in
 * npm's own words (`E404: No match found for version 0.39.0`), for a message
 * that stops a synth because the registry lacks a declared native build.
 * One `npm view` through the recipe's npm runner (never a shell); its http
 * log line also says which registry answered, so no second npm call is needed.
 */
import { recipeNpm } from '../layer/recipe';

/** npm flags for one quick metadata read: one retry, not minutes of backoff; the fetch line on stderr. */
const QUICK = ['--fetch-retries=1', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=2000', '--fetch-timeout=10000', '--loglevel=http'];

/** The registry's answer, and the registry that gave it. */
export interface RegistryAnswer {
  /** undefined when the registry has the version; else its error code and summary (or npm's last line) */
  readonly answer?: string;
  /** the registry npm asked, from its fetch line (else npm's `registry` setting) */
  readonly registry: string;
}

/** npm's answer for `<pkg>@<version>`. */
export function registryAnswer(pkg: string, version: string): RegistryAnswer {
  const r = recipeNpm().runNpm(['view', `${pkg}@${version}`, 'version', '--json', ...QUICK], { timeoutMs: 12_000 });
  const encoded = `/${pkg.replace('/', '%2f')}`;
  const fetched = /npm http fetch GET \d+ (\S+)/.exec(r.output)?.[1];
  const registry = fetched && fetched.toLowerCase().endsWith(encoded.toLowerCase())
    ? `${fetched.slice(0, fetched.length - encoded.length)}/`
    : recipeNpm().registryUrl();
  if (r.status === 0 && r.stdout.trim() !== '') return { registry };
  try {
    const e = JSON.parse(r.stdout.trim()).error;
    if (e && typeof e.summary === 'string') return { registry, answer: `${e.code ? `${e.code}: ` : ''}${e.summary}` };
  } catch {
    // not JSON: npm's last line says it
  }
  if (r.status === 0) return { registry, answer: `no ${pkg} version ${version}` };
  const last = recipeNpm().tail(r.output.split('\n').filter((l) => !/^npm http /.test(l)).join('\n'), 1);
  return { registry, answer: last || (r.error ? r.error.message : `npm view exited ${r.status}`) };
}
