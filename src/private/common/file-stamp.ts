import * as fs from 'fs';

/**
 * A file's size and modification time, for answers kept while the file they
 * were read from is unchanged; undefined when there is no such file.
 */
export function fileStamp(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}
