// Jest setup: the tests' layers go to a machine-wide layer cache of this
// checkout (.tmp/layer-cache), never the user's own (~/.cache), unless the
// run says where (CI points CDK_VECTORDB_LAYER_CACHE at a folder of the run).
const path = require('path');

if (!process.env.CDK_VECTORDB_LAYER_CACHE) {
  process.env.CDK_VECTORDB_LAYER_CACHE = path.join(__dirname, '..', '.tmp', 'layer-cache');
}
