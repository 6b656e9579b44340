/**
 * A container engine that records what it is asked: a CDK_DOCKER executable
 * that logs each call's argv and runs the real engine with it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './files';

/** One call of the engine: its arguments. */
export interface EngineCall {
  readonly argv: string[];
}

/**
 * A CDK_DOCKER executable that records each call's argv and runs the engine,
 * with `runArgs` added after `run` (e.g. `--network none`).
 */
export function recordingEngine(engineExecutable: string, runArgs: string[] = []): { executable: string; calls: () => EngineCall[]; dir: string } {
  const dir = tempDir('engine');
  const log = path.join(dir, 'calls.jsonl');
  const executable = path.join(dir, 'engine');
  fs.writeFileSync(executable, [
    `#!${process.execPath}`,
    '\'use strict\';',
    'const fs = require(\'fs\');',
    'const { spawnSync } = require(\'child_process\');',
    'const argv = process.argv.slice(2);',
    `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(argv) + '\\n');`,
    `const args = argv[0] === 'run' ? ['run', ...${JSON.stringify(runArgs)}, ...argv.slice(1)] : argv;`,
    `const r = spawnSync(${JSON.stringify(engineExecutable)}, args, { stdio: 'inherit' });`,
    'if (r.error) { process.stderr.write(r.error.message + \'\\n\'); process.exit(127); }',
    'process.exit(r.status === null ? 1 : r.status);',
    '',
  ].join('\n'), { mode: 0o755 });
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf-8').trim().split('\n').filter(Boolean).map((l) => ({ argv: JSON.parse(l) as string[] })) : []);
  return { executable, calls, dir };
}
