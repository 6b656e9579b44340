/** A function as the local invoker reads it from a template, with nothing on disk. */
import type { FunctionInfo } from '../../src/invoke/types';

/** A function as the invoker reads it from a template, with nothing on disk: for the invoker's decisions (emulation, container). */
export function fakeFunction(architecture: 'x86_64' | 'arm64', runtime = 'nodejs22.x'): FunctionInfo {
  return {
    stackId: 'Stack',
    stackName: 'Stack',
    logicalId: 'Fn',
    path: 'Stack/Fn',
    templateFile: '/nowhere/Stack.template.json',
    handler: 'index.handler',
    runtime,
    architecture,
    environment: {},
    memorySize: 128,
    layers: [],
  };
}
