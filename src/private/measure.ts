import * as fs from 'fs';
import * as path from 'path';

/** Bytes of all files below a folder (or of one file): what Lambda counts as unzipped size. */
export function measureDir(p: string): number {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of fs.readdirSync(p)) total += measureDir(path.join(p, name));
  return total;
}
