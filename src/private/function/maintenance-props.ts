import * as fs from 'fs';
import * as path from 'path';
import { Duration, Token } from 'aws-cdk-lib';
// semver's functions one by one: its index loads all of semver (47 modules) on import.
import semverLt from 'semver/functions/lt';
import semverValid from 'semver/functions/valid';
import { READ_ONLY_DATABASES } from './database-access';
import { findLockFile } from './entry';
import { constructError, propError } from '../common/errors';

/**
 * The checks and the settings of a `VectorDbMaintenance`, apart from the
 * construct: each check names the prop, the value and the fix; the settings
 * are the JSON the maintenance handler reads from `VECTORDB_MAINTENANCE`.
 */

/** The environment variable the maintenance handler reads its settings from. */
export const MAINTENANCE_ENV = 'VECTORDB_MAINTENANCE';

/**
 * What the maintenance handler reads (the contract with
 * src/maintenance-handler): which tables, how old a version must be to be
 * pruned, the vector index, and how long a run's lock holds.
 */
export interface MaintenanceSettings {
  /** The tables to maintain; absent: every table of the database at each run. */
  readonly tables?: string[];
  readonly cleanupOlderThanSeconds: number;
  readonly vectorIndex: { readonly mode: 'auto' | 'off'; readonly column?: string };
  readonly lockTtlSeconds?: number;
}

/** The shortest `cleanupOlderThan`: four times the longest Lambda invocation (15 minutes). */
export const MIN_CLEANUP_SECONDS = 3600;

/** Lambda's timeout range, as the maintenance function allows it. */
export const MIN_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 900;

/** Lambda's memory range (MB). */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10240;

/**
 * The room the settings may take in the function's environment: Lambda allows
 * 4 KB for all variables, and the database's own (URI, storage options, SDK)
 * need some of it.
 */
export const MAX_SETTINGS_CHARS = 2048;

/** LanceDB's table names (lancedb `validate_table_name`): letters, digits, `_`, `-` and `.`. */
const TABLE_NAME = /^[A-Za-z0-9_.-]+$/;

/** A column name, or a nested field path (`a.b`). */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The first version of each SDK with the calls a run makes: vectordb's
 * `compactFiles` and `cleanupOldVersions` arrive in 0.3.11 (0.2.6 has
 * neither); @lancedb/lancedb's `optimize` in 0.5.1 (0.4.20 has none). Read
 * from the published packages' dist/ (index.js, table.d.ts).
 */
export const FIRST_MAINTAINABLE: Record<string, { readonly version: string; readonly calls: string }> = {
  'vectordb': { version: '0.3.11', calls: 'compactFiles and cleanupOldVersions' },
  '@lancedb/lancedb': { version: '0.5.1', calls: 'optimize' },
};

/**
 * The maintenance handler: its TypeScript source in a checkout (ts-jest,
 * ts-node), the compiled file once the package is built or installed
 * (`lib/maintenance-handler/index.js`, shipped with every `lib/**\/*.js`).
 */
export function maintenanceEntry(where: string, dir = path.join(__dirname, '..', '..', 'maintenance-handler')): string {
  for (const name of ['index.ts', 'index.js']) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  throw constructError(where, `the maintenance handler is missing from this copy of cdk-vectordb-layer (no index.ts or index.js in ${dir}); reinstall the package, or run \`npx projen compile\` in a checkout`);
}

/**
 * The `projectRoot` the maintenance function needs, or undefined when
 * NodejsFunction's default (the lock file's folder) holds the handler, as it
 * does for a package installed in the app's node_modules. A linked package
 * (`npm link`, a workspace outside the app) or this repository's own tests
 * keep the handler elsewhere, and aws-cdk-lib (2.278.0) refuses an entry
 * outside projectRoot: then the nearest folder holding both.
 */
export function projectRootFor(where: string, entry: string, depsLockFilePath: string | undefined): string | undefined {
  const lockDir = path.dirname(findLockFile(where, depsLockFilePath));
  const outside = (dir: string) => {
    const relative = path.relative(dir, entry);
    return relative.startsWith('..') || path.isAbsolute(relative);
  };
  if (!outside(lockDir)) return undefined;
  let dir = lockDir;
  while (outside(dir)) {
    const parent = path.dirname(dir);
    // Another drive (Windows): no folder holds both; NodejsFunction says so.
    if (parent === dir) return undefined;
    dir = parent;
  }
  return dir;
}

/** What a database is, from its URI: the two a maintenance function cannot serve are refused. */
export function checkDatabase(where: string, database: unknown) {
  const uri = (database as { uri?: unknown } | undefined)?.uri;
  if (!database || typeof uri !== 'string') {
    throw propError(where, {
      prop: 'database',
      problem: 'must be a VectorDatabase: VectorDatabase.s3(bucket) or VectorDatabase.efs(accessPoint)',
      value: database === undefined ? undefined : typeof database,
      fix: 'give the database your functions write to',
    });
  }
  if (Token.isUnresolved(uri) && !uri.startsWith('s3')) return;
  if (uri.startsWith('db://')) {
    throw propError(where, {
      prop: 'database',
      problem: 'is a LanceDB Cloud database (VectorDatabase.cloud)',
      value: uri,
      why: 'LanceDB Cloud compacts, prunes and indexes its tables itself, and its tables refuse optimize from a client',
      fix: 'remove the VectorDbMaintenance: LanceDB Cloud needs none',
    });
  }
  if (uri === '/tmp' || uri.startsWith('/tmp/')) {
    throw propError(where, {
      prop: 'database',
      problem: 'is VectorDatabase.tmp(), a folder in each execution environment\'s own /tmp',
      value: uri,
      why: 'the maintenance function would see an empty /tmp of its own, never the tables your functions write',
      fix: 'keep the tables where functions share them (VectorDatabase.s3 or VectorDatabase.efs) and give that database here',
    });
  }
  if (READ_ONLY_DATABASES.has(database as object)) {
    throw propError(where, {
      prop: 'database',
      problem: 'was made with readOnly: true',
      // An S3 URI holds the bucket's name as a token: shown only when it is a literal.
      ...(Token.isUnresolved(uri) ? {} : { value: uri }),
      why: 'maintenance rewrites and deletes files (compaction, version cleanup), which a read-only database grants no function',
      fix: 'give the maintenance a database made without readOnly, with the same bucket and prefix (or access point)',
    });
  }
}

/** The table names, checked: literal, valid for LanceDB, no repeats, at least one. */
export function checkTables(where: string, tables: unknown): string[] | undefined {
  if (tables === undefined) return undefined;
  if (!Array.isArray(tables)) {
    throw propError(where, { prop: 'tables', problem: 'must be a list of table names', value: tables, fix: 'write tables: [\'docs\'], or leave tables out to maintain every table' });
  }
  if (tables.length === 0) {
    throw propError(where, { prop: 'tables', problem: 'must list at least one table', value: tables, fix: 'leave tables out to maintain every table of the database' });
  }
  tables.forEach((name, i) => {
    const prop = `tables[${i}]`;
    if (typeof name === 'string' && Token.isUnresolved(name)) {
      throw propError(where, { prop, problem: 'must be a literal table name, not a token', why: 'the list is written into the function\'s environment at synth', fix: 'give the name as a string, or leave tables out to maintain every table' });
    }
    if (typeof name !== 'string' || !TABLE_NAME.test(name) || /^\.+$/.test(name)) {
      throw propError(where, {
        prop,
        problem: 'must be a LanceDB table name: letters, digits, _, - and . (not only dots)',
        value: name,
        why: typeof name === 'string' && name !== '' ? 'LanceDB refuses it (Table names can only contain alphanumeric characters, underscores, hyphens, and periods)' : undefined,
        fix: 'write the name your handlers pass to openTable, or leave tables out to maintain every table',
      });
    }
    const first = tables.indexOf(name);
    if (first !== i) {
      throw propError(where, { prop, problem: `repeats tables[${first}]`, value: name, fix: 'list each table once' });
    }
  });
  return tables as string[];
}

/** `cleanupOlderThan` in whole seconds, at least MIN_CLEANUP_SECONDS. */
export function cleanupSeconds(where: string, duration: Duration): number {
  const fix = 'use Duration.hours(1) or more, such as Duration.days(7) (LanceDB\'s default)';
  if (!(duration instanceof Duration) && !isDuration(duration)) {
    throw propError(where, { prop: 'cleanupOlderThan', problem: 'must be a Duration', value: duration, fix });
  }
  if (Token.isUnresolved(duration.toString())) {
    throw propError(where, { prop: 'cleanupOlderThan', problem: 'must be a literal duration, not a token', why: 'it is written into the function\'s environment at synth', fix });
  }
  const seconds = duration.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds)) {
    throw propError(where, { prop: 'cleanupOlderThan', problem: 'must be a whole number of seconds', value: duration.toHumanString(), fix: 'give it in whole seconds, minutes, hours or days' });
  }
  if (seconds < MIN_CLEANUP_SECONDS) {
    throw propError(where, {
      prop: 'cleanupOlderThan',
      problem: 'must be at least 1 hour',
      value: duration.toHumanString(),
      why: 'a younger version may still be in use (a search, a commit or a run that started on it: an invocation lasts up to 15 minutes), and its files would be deleted under it',
      fix,
    });
  }
  return seconds;
}

/** A Duration from another copy of aws-cdk-lib (two versions installed). */
function isDuration(d: unknown): d is Duration {
  return !!d && typeof (d as Duration).toMilliseconds === 'function' && typeof (d as Duration).toHumanString === 'function';
}

/** `timeout` in seconds, within what a maintenance run can use. */
export function timeoutSeconds(where: string, duration: Duration): number {
  if (Token.isUnresolved(duration.toString())) {
    throw propError(where, { prop: 'timeout', problem: 'must be a literal duration, not a token', why: 'the run\'s lock lasts as long as the timeout, written into the function\'s environment at synth', fix: 'give a Duration such as Duration.minutes(15)' });
  }
  const seconds = duration.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds) || seconds < MIN_TIMEOUT_SECONDS || seconds > MAX_TIMEOUT_SECONDS) {
    throw propError(where, {
      prop: 'timeout',
      problem: 'must be a whole number of seconds from 1 minute to 15 minutes (Lambda\'s maximum)',
      value: duration.toHumanString(),
      why: seconds > MAX_TIMEOUT_SECONDS ? 'Lambda stops every invocation at 15 minutes' : undefined,
      fix: 'leave timeout out (15 minutes: the run stops cleanly before it and the next run goes on), or give Duration.minutes(1) to Duration.minutes(15)',
    });
  }
  return seconds;
}

/** `memorySize` within Lambda's range. */
export function checkMemory(where: string, memorySize: number) {
  if (Token.isUnresolved(memorySize)) return;
  if (!Number.isInteger(memorySize) || memorySize < MIN_MEMORY_MB || memorySize > MAX_MEMORY_MB) {
    throw propError(where, {
      prop: 'memorySize',
      problem: `must be a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB} (Lambda's range)`,
      value: memorySize,
      fix: 'leave memorySize out (3008 MB), or give more for tables that compaction runs out of memory on',
    });
  }
}

/** The vector index settings: mode `auto` or `off`, and a column name when given. */
export function vectorIndexSettings(where: string, options: { mode?: unknown; column?: unknown } | undefined): MaintenanceSettings['vectorIndex'] {
  const mode = options?.mode ?? 'AUTO';
  if (mode !== 'AUTO' && mode !== 'OFF') {
    throw propError(where, {
      prop: 'vectorIndex.mode',
      problem: 'must be VectorIndexMode.AUTO or VectorIndexMode.OFF',
      value: mode,
      fix: 'use the constant: const { VectorIndexMode } = require(\'cdk-vectordb-layer\')',
    });
  }
  const column = options?.column;
  if (column !== undefined) {
    if (typeof column === 'string' && Token.isUnresolved(column)) {
      throw propError(where, { prop: 'vectorIndex.column', problem: 'must be a literal column name, not a token', why: 'it is written into the function\'s environment at synth', fix: 'give the name as a string' });
    }
    if (typeof column !== 'string' || !COLUMN_NAME.test(column) || column.length > 128) {
      throw propError(where, {
        prop: 'vectorIndex.column',
        problem: 'must be a column name: letters, digits and _, not starting with a digit (a.b for a nested field), at most 128 characters',
        value: column,
        fix: 'give the name of the table\'s vector column, or leave column out for the handler\'s choice',
      });
    }
  }
  return { mode: mode === 'AUTO' ? 'auto' : 'off', ...(column !== undefined ? { column: column as string } : {}) };
}

/** The settings as the handler reads them, within the room the environment leaves. */
export function settingsJson(where: string, settings: MaintenanceSettings): string {
  const json = JSON.stringify(settings);
  if (json.length > MAX_SETTINGS_CHARS) {
    throw propError(where, {
      prop: 'tables',
      problem: `makes the settings ${json.length} characters long, more than the ${MAX_SETTINGS_CHARS} this construct allows in ${MAINTENANCE_ENV}`,
      why: 'Lambda allows 4 KB for all of a function\'s environment variables',
      fix: 'leave tables out to maintain every table, or split the tables over two VectorDbMaintenance constructs',
    });
  }
  return json;
}

/**
 * Refuses an SDK version without the calls a run makes: `prop` chose it
 * (`layer`, `sdkVersion`), `how` says how (`holds`, `is`, `is not set, and
 * the app resolves`); the fix names the first version that has them.
 */
export function checkMaintainable(where: string, prop: string, how: string, sdk: string, version: string) {
  const first = FIRST_MAINTAINABLE[sdk];
  if (!first || !semverValid(version) || !semverLt(version, first.version)) return;
  throw propError(where, {
    prop,
    problem: `${how} ${sdk} ${version}, which has no ${first.calls}`,
    why: `${first.calls} arrive${first.calls.includes(' and ') ? '' : 's'} in ${sdk} ${first.version}: every run would fail`,
    fix: `use ${sdk} ${first.version} or newer${sdk === 'vectordb' ? ' (the default is 0.21.2), or @lancedb/lancedb (sdk: VectorDbSdk.LANCEDB)' : ''}`,
  });
}

/** The schedule's interval in seconds, when it is a `rate(...)` expression. */
export function rateSeconds(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const unit = m[2].startsWith('minute') ? 60 : m[2].startsWith('hour') ? 3600 : 86400;
  return Number(m[1]) * unit;
}
