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
