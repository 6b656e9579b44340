import * as lambda from 'aws-cdk-lib/aws-lambda';
import { recipeElf, recipeVersions } from './recipe';

/** A Node.js Lambda runtime and the C library its operating system provides. */
export interface NodeRuntimeFact {
  readonly runtime: lambda.Runtime;
  readonly major: number;
  readonly os: string;
  readonly glibc: string;
}

/**
 * Every `NODEJS_<n>_X` runtime the installed aws-cdk-lib defines, from 18 on,
 * oldest first. nodejs18.x runs on Amazon Linux 2 (glibc 2.26); nodejs20.x and
 * later on Amazon Linux 2023 (glibc 2.34).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export function knownNodeRuntimes(): NodeRuntimeFact[] {
  const facts: NodeRuntimeFact[] = [];
  for (const key of Object.getOwnPropertyNames(lambda.Runtime)) {
    const m = /^NODEJS_(\d+)_X$/.exec(key);
    if (!m) continue;
    const major = Number(m[1]);
    const runtime = (lambda.Runtime as unknown as Record<string, lambda.Runtime>)[key];
    if (major < 18 || !(runtime instanceof lambda.Runtime)) continue;
    facts.push(major < 20
      ? { runtime, major, os: 'Amazon Linux 2', glibc: '2.26' }
      : { runtime, major, os: 'Amazon Linux 2023', glibc: '2.34' });
  }
  return facts.sort((a, b) => a.major - b.major);
}

/** The fact for a runtime, when it is a known Node.js runtime. */
export function nodeRuntimeFact(runtime: lambda.Runtime): NodeRuntimeFact | undefined {
  return knownNodeRuntimes().find((f) => f.runtime.name === runtime.name);
}

/**
 * Node.js runtimes able to load a binary that needs `glibc` (undefined: no
 * symbol versions needed), for an SDK whose `engines.node` is `engines`.
 */
export function compatibleNodeRuntimes(glibc: string | undefined | null, engines?: string | null): lambda.Runtime[] {
  const minMajor = recipeVersions.minimumNodeMajor(engines) ?? 0;
  return knownNodeRuntimes()
    .filter((f) => !glibc || recipeElf.compareDotted(f.glibc, glibc) >= 0)
    .filter((f) => f.major >= minMajor)
    .map((f) => f.runtime);
}
