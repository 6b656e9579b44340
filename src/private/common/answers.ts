/**
 * Answers a synth would otherwise work out again in every process (npm's
 * version, the handler's SDK), kept with the stamps of every file they were
 * worked out from: in this process, and in the machine cache
 * (`<cache>/answers/<kind>/<sha256 of the key>.json`, small JSON written to a
 * temp file and renamed) for the next. An answer is used only while every
 * stamp holds; any change means the work is done again.
 *
 * With the cache off (`CDK_VECTORDB_LAYER_CACHE=off`) answers live in this
 * process only: nothing is written outside cdk.out. A cache folder that
 * cannot be written (read-only, full) keeps them in this process too, silently:
 * the layer cache says once why it cannot be used.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { racy, StampedFile, stampsHold } from './file-stamp';

/** What an answer file holds. */
interface StoredAnswer {
  readonly kind: string;
  readonly key: string;
  readonly stamps: StampedFile[];
  readonly value: unknown;
}

/** How many answers of one kind the cache keeps (the least recently written go first). */
const MAX_ANSWERS_PER_KIND = 200;

const inProcess = new Map<string, { readonly stamps: readonly StampedFile[]; readonly value: unknown }>();

/** The answers' folder in a cache folder. */
export function answersDir(cacheDir: string): string {
  return path.join(cacheDir, 'answers');
}

function answerFile(kind: string, key: string, env: NodeJS.ProcessEnv): string | undefined {
  // Loaded when first needed: the cache module brings the layer recipe's modules with it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cacheConfig } = require('../layer/cache') as typeof import('../layer/cache');
  const dir = cacheConfig(env).dir;
  if (!dir) return undefined;
  return path.join(answersDir(dir), kind, `${crypto.createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
}

function isStored(x: unknown): x is StoredAnswer {
  const s = x as StoredAnswer;
  return typeof s === 'object' && s !== null && typeof s.kind === 'string' && typeof s.key === 'string' && Array.isArray(s.stamps)
    && s.stamps.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && (typeof e[1] === 'string' || e[1] === null))
    && 'value' in s;
}

/**
 * The answer kept for `key` while every file it was worked out from is
 * unchanged (this process's first, then the machine cache's); undefined
 * when there is none or a file changed.
 */
export function recall<T>(kind: string, key: string, env: NodeJS.ProcessEnv = process.env): { readonly value: T } | undefined {
  const id = `${kind}\0${key}`;
  const known = inProcess.get(id);
  if (known) {
    if (stampsHold(known.stamps)) return { value: known.value as T };
    inProcess.delete(id);
  }
  const file = answerFile(kind, key, env);
  if (!file) return undefined;
  let stored: unknown;
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch {
    return undefined;
  }
  if (!isStored(stored) || stored.kind !== kind || stored.key !== key || !stampsHold(stored.stamps)) return undefined;
  inProcess.set(id, { stamps: stored.stamps, value: stored.value });
  return { value: stored.value as T };
}

/**
 * Keeps an answer with the stamps of the files it was worked out from, taken
 * after the work that began at `startedMs`: in this process, and in the
 * machine cache unless a file was written too recently for its stamp to be
 * trusted (./file-stamp.ts `racy`).
 */
export function remember(
  kind: string, key: string, stamps: readonly StampedFile[], value: unknown, startedMs: number, env: NodeJS.ProcessEnv = process.env,
): void {
  inProcess.set(`${kind}\0${key}`, { stamps, value });
  if (racy(stamps, startedMs)) return;
  const file = answerFile(kind, key, env);
  if (!file) return;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const answer: StoredAnswer = { kind, key, stamps: [...stamps], value };
    fs.writeFileSync(tmp, JSON.stringify(answer));
    fs.renameSync(tmp, file);
    bound(path.dirname(file));
  } catch {
    // a cache that cannot be written: the answer stays in this process
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}

/** Keeps at most MAX_ANSWERS_PER_KIND answers in a kind's folder. */
function bound(dir: string) {
  const names = fs.readdirSync(dir);
  if (names.length <= MAX_ANSWERS_PER_KIND) return;
  const byAge = names.map((n) => {
    try {
      return { file: path.join(dir, n), mtimeMs: fs.statSync(path.join(dir, n)).mtimeMs };
    } catch {
      return undefined;
    }
  }).filter((x): x is { file: string; mtimeMs: number } => x !== undefined).sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const { file } of byAge.slice(0, byAge.length - MAX_ANSWERS_PER_KIND)) fs.rmSync(file, { force: true });
}
