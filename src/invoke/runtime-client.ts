/**
 * Which Lambda runtime interface client the child runs: the real
 * `aws-lambda-ric` (4.x starts itself from index.mjs; 3.x exports `run` from
 * dist/index.mjs) when it is installed with its native client, else the
 * built-in bootstrap (scripts/bootstrap.cjs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { hostNodeMajor } from './environment';
import { Layout, SCRIPTS } from './layout';
import { RuntimeClient } from './types';

/** How to start a runtime client: the script node runs, and its arguments. */
export interface ClientChoice {
  readonly client: RuntimeClient;
  /** The entry the result reports: aws-lambda-ric's index.mjs (dist/index.mjs for 3.x), or the bootstrap. */
  readonly entry: string;
  /** What node runs: the entry, or for 3.x the layout's starter script and the entry. */
  readonly argv: readonly string[];
  /** The aws-lambda-ric version. */
  readonly version?: string;
}

/** An aws-lambda-ric that can run, or why none can. */
export interface RicLookup {
  readonly found?: Omit<ClientChoice, 'argv'> & { readonly major: number };
  readonly why: string;
}

/** The packages' own requirements for building the native client (`rapid-client.node`) at install. */
const BUILD_TOOLS = 'its install scripts build a native client with cmake, make, g++, autoconf, automake and libtool (Debian/Ubuntu: apt-get install cmake make g++ autoconf automake libtool), which takes minutes';

/**
 * The command that installs an aws-lambda-ric that supports this Node.js:
 * 4.x declares Node.js >= 22; 3.x supports 16, 18 and 20.
 */
export function ricAdvice(nodeMajor: number = hostNodeMajor()): string {
  const install = nodeMajor >= 22 ? 'npm install --save-dev aws-lambda-ric' : 'npm install --save-dev aws-lambda-ric@3';
  return `\`${install}\` (for Node.js ${nodeMajor}; ${BUILD_TOOLS})`;
}

/**
 * aws-lambda-ric from the project running the invoker, then from this
 * package; with its native client present. The advice is for the Node.js
 * major that runs the handler.
 */
export function findRic(nodeMajor: number = hostNodeMajor()): RicLookup {
  const tried: string[] = [];
  for (const base of [process.cwd(), __dirname]) {
    let pkgFile: string;
    try {
      pkgFile = require.resolve('aws-lambda-ric/package.json', { paths: [base] });
    } catch {
      tried.push(base);
      continue;
    }
    return ricAt(path.dirname(pkgFile), nodeMajor);
  }
  return { why: `aws-lambda-ric is not installed (looked from ${tried.join(' and ')}); ${ricAdvice(nodeMajor)} to run the real runtime client` };
}

/** The aws-lambda-ric installed in `dir`, 3.x or 4.x. */
function ricAt(dir: string, nodeMajor: number): RicLookup {
  let version = '';
  try {
    version = String(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8')).version ?? '');
  } catch {
    // unreadable: judged by its files below
  }
  const major = Number(version.split('.')[0]);
  // 4.x: index.mjs and rapid-client.node at the root; 3.x: both in dist/.
  const layout = major >= 4 ? { entry: 'index.mjs', native: 'rapid-client.node' } : { entry: 'dist/index.mjs', native: 'dist/rapid-client.node' };
  if (!(major >= 3)) return { why: `${dir} holds aws-lambda-ric ${version || '(unknown version)'}; 3.x or 4.x is needed: ${ricAdvice(nodeMajor)}` };
  const entry = path.join(dir, layout.entry);
  if (!fs.existsSync(entry)) return { why: `${dir} (aws-lambda-ric ${version}) has no ${layout.entry}; reinstall it: ${ricAdvice(nodeMajor)}` };
  if (!fs.existsSync(path.join(dir, layout.native))) {
    return { why: `${dir} (aws-lambda-ric ${version}) has no ${layout.native}: its native client was not built for this host; ${ricAdvice(nodeMajor)}` };
  }
  return { found: { client: 'aws-lambda-ric', entry, version, major }, why: '' };
}

/** The argv that starts a found aws-lambda-ric in a layout. */
export function ricChoice(found: NonNullable<RicLookup['found']>, layout: Layout): ClientChoice {
  const argv = found.major >= 4 ? [found.entry] : [path.join(layout.runtime, SCRIPTS.awsLambdaRic3), found.entry];
  return { client: found.client, entry: found.entry, argv, version: found.version };
}

/** The built-in bootstrap in a layout. */
export function bootstrapChoice(layout: Layout): ClientChoice {
  const entry = path.join(layout.runtime, SCRIPTS.bootstrap);
  return { client: 'bootstrap', entry, argv: [entry] };
}
