/**
 * What a table takes on the store, read from its folder when the database is
 * a folder (EFS, a local folder): bytes and files of `<table>.lance`, data
 * files and version manifests. For S3 and LanceDB Cloud nothing is read here
 * (a listing would cost a request per 1,000 objects on every run).
 */
import * as fs from 'fs';
import * as path from 'path';

/** A table's folder, counted. */
export interface StoreFigures {
  /** Bytes of every file under `<table>.lance`. */
  readonly bytes: number;
  /** Files under `<table>.lance`. */
  readonly files: number;
  /** Data files (`data/*.lance`): one per fragment (per column group). */
  readonly dataFiles: number;
  /** Version manifests (`_versions/*.manifest`). */
  readonly manifests: number;
}

/** The folder of a database URI, or undefined for S3, GCS, Azure and LanceDB Cloud. */
export function databaseFolder(uri: string): string | undefined {
  if (uri.startsWith('file://')) return uri.slice('file://'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return undefined;
  return uri;
}

/** The folder of table `name` in the database folder `dir`. */
export function tableFolder(dir: string, name: string): string {
  return path.join(dir, `${name}.lance`);
}

/** Counts a table's folder; undefined when it is not there. */
export function storeFigures(tableDir: string): StoreFigures | undefined {
  if (!fs.existsSync(tableDir)) return undefined;
  let bytes = 0;
  let files = 0;
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed while walking (a cleanup of another run)
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else {
        try {
          bytes += fs.statSync(p).size;
          files++;
        } catch {
          // removed while walking
        }
      }
    }
  };
  walk(tableDir);
  const count = (sub: string, ext: string) => {
    try {
      return fs.readdirSync(path.join(tableDir, sub)).filter((f) => f.endsWith(ext)).length;
    } catch {
      return 0;
    }
  };
  return { bytes, files, dataFiles: count('data', '.lance'), manifests: count('_versions', '.manifest') };
}
