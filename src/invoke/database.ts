/**
 * A function's database, as its template sets VECTORDB_URI: a folder runs
 * here as it would on Lambda; an S3 bucket, an EFS mount and LanceDB Cloud
 * have no local counterpart, so the invoke stops (before anything runs) and
 * says where the data would be on Lambda and how to point it at a folder or
 * at a local S3 server, unless VECTORDB_URI is given (`env`, CLI `--env`).
 */
import * as path from 'path';
import { isRecord } from './cloud-assembly';
import { FunctionInfo, LocalInvokeError } from './types';
import { ENV } from '../runtime/settings';

/** Storage options for s3rver on its default port, over plain HTTP. */
const LOCAL_S3_OPTIONS = JSON.stringify({ aws_endpoint: 'http://127.0.0.1:4568', allow_http: 'true', region: 'us-east-1' });

/** The `--env` settings that point a function at s3rver (README, "Run it locally"); its key pair is S3RVER/S3RVER. */
export const LOCAL_S3_HINT = `--env ${ENV.URI}=s3://BUCKET/PREFIX --env ${ENV.STORAGE_OPTIONS}='${LOCAL_S3_OPTIONS}' --env AWS_ACCESS_KEY_ID=S3RVER --env AWS_SECRET_ACCESS_KEY=S3RVER`;

/** A template value as text, expressions shown as `${Ref}` / `${Resource.Attribute}`. */
function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isRecord(v)) {
    if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
    const join = v['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(render).join(join[0]);
  }
  return '${...}';
}

/** Whether `dir` is one of `shared` or below one. */
function isShared(dir: string, shared: readonly string[]): boolean {
  return shared.some((s) => dir === s || dir.startsWith(s.endsWith(path.sep) ? s : s + path.sep));
}

/**
 * Why the function's database cannot be reached here, as one line that says
 * where it is on Lambda and how to point it elsewhere; undefined when it is a
 * local folder, when the template sets no VECTORDB_URI, or when `extraEnv`
 * gives one.
 */
export function databaseProblem(fn: FunctionInfo, extraEnv: Readonly<Record<string, string>>, sharedDirs: readonly string[]): string | undefined {
  const raw = fn.environment[ENV.URI];
  if (raw === undefined || Object.prototype.hasOwnProperty.call(extraEnv, ENV.URI)) return undefined;
  const uri = render(raw);
  const name = fn.path ?? `${fn.stackId}/${fn.logicalId}`;
  const folder = `a folder (--env ${ENV.URI}=DIR --shared-dir DIR, DIR outside /tmp: writable and kept across invokes)`;
  const prefix = /^s3(\+ddb)?:\/\/[^/?]*\/?([^?]*)/.exec(uri)?.[2];
  const localS3 = `a local S3 server (${LOCAL_S3_HINT.replace('PREFIX', prefix || 'PREFIX')})`;
  const fix = `give ${ENV.URI} with --env (CLI) or env: ${folder}, or ${localS3}; see the README, "Run it locally"`;
  const where = `function ${name}: on Lambda its database is`;
  if (/^s3(\+ddb)?:\/\//.test(uri)) {
    return `${where} in S3 (${ENV.URI}=${uri}), which the invoker cannot reach without AWS and does not fake; ${fix}`;
  }
  if (uri.startsWith('db://')) {
    return `${where} LanceDB Cloud (${ENV.URI}=${uri}, its API key read from Secrets Manager), which the invoker cannot reach without AWS; ${fix}`;
  }
  if (typeof raw === 'string' && raw.startsWith('/mnt/')) {
    if (isShared(raw, sharedDirs)) return undefined;
    return `${where} an EFS mount (${ENV.URI}=${uri}), which is not mounted here; give ${ENV.URI} with --env (CLI) or env: ${folder}, or --shared-dir ${raw} where that folder can be made`;
  }
  if (typeof raw !== 'string') {
    return `${where} ${ENV.URI}=${uri}, a CloudFormation expression that resolves only on deploy; ${fix}`;
  }
  return undefined;
}

/** Throws the `databaseProblem`, if any, as a LocalInvokeError (the CLI's exit 2). */
export function checkDatabase(fn: FunctionInfo, extraEnv: Readonly<Record<string, string>>, sharedDirs: readonly string[]): void {
  const problem = databaseProblem(fn, extraEnv, sharedDirs);
  if (problem) throw new LocalInvokeError(problem, 'DATABASE_NOT_LOCAL');
}
