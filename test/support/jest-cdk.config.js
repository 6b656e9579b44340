// Jest configuration for a run against another aws-cdk-lib than the lock
// file's (.ci/lib/cdk-latest.sh): the project's own configuration (package.json
// "jest"), with every import of aws-cdk-lib and constructs, from the tests, the
// sources and the packages they load, mapped to the folder
// CDK_VECTORDB_LAYER_CDK_DIR names (a node_modules holding both). Nothing
// tracked changes; node children get the same through cdk-redirect.js.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = process.env.CDK_VECTORDB_LAYER_CDK_DIR;
if (!dir || !fs.existsSync(path.join(dir, 'aws-cdk-lib', 'package.json')) || !fs.existsSync(path.join(dir, 'constructs', 'package.json'))) {
  throw new Error(`test/support/jest-cdk.config.js: CDK_VECTORDB_LAYER_CDK_DIR must name a node_modules folder holding aws-cdk-lib and constructs, got ${JSON.stringify(dir)} (bash .ci/lib/cdk-latest.sh installs one)`);
}
const base = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf-8')).jest;

module.exports = {
  ...base,
  rootDir: root,
  moduleNameMapper: {
    ...base.moduleNameMapper,
    '^aws-cdk-lib$': path.join(dir, 'aws-cdk-lib'),
    '^aws-cdk-lib/(.*)$': path.join(dir, 'aws-cdk-lib', '$1'),
    '^constructs$': path.join(dir, 'constructs'),
  },
  // No junit report or coverage of this run: it would overwrite the main run's.
  reporters: ['default'],
  collectCoverage: false,
};
