import * as fs from 'fs';
import * as path from 'path';

/**
 * The executable `program` in one of PATH's folders, or undefined: a file
 * lookup, no process started. On Windows with one of PATHEXT's extensions (as
 * NodejsFunction runs `pnpm.cmd`); elsewhere the file must be executable.
 */
export function onPath(program: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const windows = platform === 'win32';
  const dirs = (env.PATH ?? env.Path ?? '').split(windows ? ';' : path.delimiter).filter((d) => d !== '');
  const exts = windows ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').map((e) => e.toLowerCase())] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = path.join(dir, program + ext);
      try {
        if (!fs.statSync(file).isFile()) continue;
        if (!windows) fs.accessSync(file, fs.constants.X_OK);
        return path.resolve(file);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
