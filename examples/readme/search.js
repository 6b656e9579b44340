// search.js: a CommonJS handler (the NodejsFunction default format).
const { connect, openOrCreateTable, search } = require('cdk-vectordb-layer/runtime');

const DOCS = [
  { id: 1, vector: [0.9, 0.1, 0.1], kind: 'news', text: 'Node.js 24 on Lambda' },
  { id: 2, vector: [0.8, 0.2, 0.1], kind: 'news', text: 'A new LanceDB release' },
  { id: 3, vector: [0.1, 0.9, 0.1], kind: 'faq', text: 'How do I attach the layer?' },
  { id: 4, vector: [0.2, 0.2, 0.9], kind: 'faq', text: 'Which SDK does my handler get?' },
];

let docs; // the table, opened once per execution environment

exports.handler = async (event) => {
  // connect() reads VECTORDB_URI and VECTORDB_SDK (set by VectorDbFunction) and loads the SDK from the layer.
  docs ??= connect().then((db) => openOrCreateTable(db, 'docs', DOCS));
  // The 2 nearest FAQ entries, as plain objects with _distance: the same rows on either SDK.
  return search(await docs, event.vector, { limit: 2, filter: "kind = 'faq'" });
};
