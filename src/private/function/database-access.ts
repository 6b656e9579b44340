import { propError } from '../common/errors';

/** The access levels, as the values of the `DatabaseAccess` enum (kept here as strings: this folder imports nothing public). */
export type AccessLevel = 'READ' | 'APPEND' | 'MAINTAIN';
export const ACCESS_LEVELS: readonly AccessLevel[] = ['READ', 'APPEND', 'MAINTAIN'];

/**
 * The S3 object actions of each access level (plus `s3:ListBucket`, limited
 * to the prefix, for all). Found by recording every request both SDKs
 * (`vectordb` 0.21.2 and `@lancedb/lancedb` 0.39.0, from their layers) sent
 * to a local S3 server for each operation; test/integ/s3-actions.test.ts
 * records them again and fails when a level lacks an action its operations
 * called. What was seen, the same for both SDKs:
 *
 * - open and search: ListBucket (`GET ?list-type=2&prefix=`) and GetObject.
 * - create table: ListBucket and PutObject (data file, then the manifest with
 *   `If-None-Match: *`); add: the same plus GetObject (the latest manifest).
 * - compaction (`optimize` / `compactFiles`) and index building: the same as
 *   add. Neither deletes: the old files stay until a cleanup.
 * - version cleanup (`optimize({ cleanupOlderThan })` / `cleanupOldVersions`):
 *   GetObject, HEAD, ListBucket with a delimiter, and DeleteObjects
 *   (`POST ?delete`, authorized as s3:DeleteObject per key).
 * - drop table: ListBucket and DeleteObjects.
 *
 * No multipart upload, copy or abort at these sizes (LanceDB uploads files
 * over its part size in parts, which s3:PutObject covers; aborting one takes
 * s3:AbortMultipartUpload, not granted: a bucket lifecycle rule cleans up).
 * So READ reads, APPEND adds PutObject and never deletes, and only MAINTAIN,
 * for cleanup and drop, gets DeleteObject.
 */
export const S3_OBJECT_ACTIONS: Record<AccessLevel, string[]> = {
  READ: ['s3:GetObject'],
  APPEND: ['s3:GetObject', 's3:PutObject'],
  MAINTAIN: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
};

/**
 * The DynamoDB commit store's actions (Lance's external manifest store),
 * recorded against dynalite (a local DynamoDB) with both SDKs, the same for
 * both (test/integ/s3-actions.test.ts): every operation DescribeTable (key
 * schema check) and Query (latest version); each commit (create, add,
 * compaction, index) two PutItem (the conditional put of the staging
 * manifest's version, then its final path); version cleanup nothing more;
 * drop table DeleteItem, one per version. GetItem (one given version) was not
 * called by these operations; READ keeps it for opening an older version
 * (`checkout`), as Lance's store reads it there. With a commit table every
 * commit also copies its staging manifest (`_versions/<n>.manifest-<uuid>`)
 * to its final name and deletes it: a writer gets `s3:DeleteObject` on those
 * keys only (see database.ts).
 */
export const DYNAMODB_ACTIONS: Record<AccessLevel, string[]> = {
  READ: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query'],
  APPEND: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
  MAINTAIN: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
};

/**
 * EFS knows only mount (read) and write: ClientWrite lets a client create,
 * change and remove files alike, so APPEND and MAINTAIN get the same grant
 * on EFS (the access level still goes to the function as VECTORDB_ACCESS).
 */
export const EFS_ACTIONS: Record<AccessLevel, string[]> = {
  READ: ['elasticfilesystem:ClientMount'],
  APPEND: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
  MAINTAIN: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
};

/** Databases made with `readOnly: true` (kept outside the class: no jsii API for it). */
export const READ_ONLY_DATABASES = new WeakSet<object>();

/**
 * The access a function gets: the one asked for, else APPEND (READ for a
 * read-only database). A read-only database refuses APPEND and MAINTAIN, and
 * anything but a DatabaseAccess value is refused, both naming `prop`.
 */
export function resolveAccess(where: string, prop: string, requested: unknown, database: object): AccessLevel {
  const readOnly = READ_ONLY_DATABASES.has(database);
  if (requested === undefined) return readOnly ? 'READ' : 'APPEND';
  if (typeof requested !== 'string' || !(ACCESS_LEVELS as readonly string[]).includes(requested)) {
    throw propError(where, {
      prop,
      problem: 'must be DatabaseAccess.READ, DatabaseAccess.APPEND or DatabaseAccess.MAINTAIN',
      value: requested,
      fix: 'use the constant: const { DatabaseAccess } = require(\'cdk-vectordb-layer\')',
    });
  }
  if (readOnly && requested !== 'READ') {
    throw propError(where, {
      prop,
      problem: `is DatabaseAccess.${requested}, but the database was made with readOnly: true`,
      value: requested,
      why: `${requested === 'APPEND' ? 'appending' : 'maintenance'} writes to the database, and a read-only database grants no write`,
      fix: `set ${prop} to DatabaseAccess.READ, or make the database without readOnly (readOnly limits every function bound to it)`,
    });
  }
  return requested as AccessLevel;
}
