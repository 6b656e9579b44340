// @ts-check
/**
 * cdk-vectordb-layer local invoker: the entry point for aws-lambda-ric 3.x,
 * which exports `run(appRoot, handler)` from dist/index.mjs instead of
 * starting itself as 4.x does. Runs it as Lambda's runtime does: the task
 * root and `_HANDLER` from the environment.
 *
 *   node aws-lambda-ric-3.mjs <path of aws-lambda-ric/dist/index.mjs>
 */
import { pathToFileURL } from 'node:url';

const entry = process.argv[2];
if (!entry) throw new Error('usage: aws-lambda-ric-3.mjs <aws-lambda-ric/dist/index.mjs>');
const ric = await import(pathToFileURL(entry).href);
await ric.run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
