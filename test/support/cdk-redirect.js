// Preloaded (NODE_OPTIONS=--require) into the node processes of a run against
// another aws-cdk-lib (.ci/lib/cdk-latest.sh): `aws-cdk-lib`, `aws-cdk-lib/...`
// and `constructs` resolve from CDK_VECTORDB_LAYER_CDK_DIR first, as
// test/support/jest-cdk.config.js maps them inside jest.
'use strict';
const Module = require('module');

const dir = process.env.CDK_VECTORDB_LAYER_CDK_DIR;
if (dir) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    if (request === 'aws-cdk-lib' || request.startsWith('aws-cdk-lib/') || request === 'constructs') {
      return resolve.call(this, request, parent, isMain, { ...options, paths: [dir] });
    }
    return resolve.call(this, request, parent, isMain, options);
  };
}
