// search.mts: an ES module handler in TypeScript (bundling: { format: OutputFormat.ESM }).
import { connect, openOrCreateTable, search } from 'cdk-vectordb-layer/runtime';

type Doc = { id: number; vector: number[]; kind: string; text: string };

const DOCS: Doc[] = [
  { id: 1, vector: [0.9, 0.1, 0.1], kind: 'news', text: 'Node.js 24 on Lambda' },
  { id: 2, vector: [0.8, 0.2, 0.1], kind: 'news', text: 'A new LanceDB release' },
  { id: 3, vector: [0.1, 0.9, 0.1], kind: 'faq', text: 'How do I attach the layer?' },
  { id: 4, vector: [0.2, 0.2, 0.9], kind: 'faq', text: 'Which SDK does my handler get?' },
];

// Top-level await: once per execution environment, during init. connect() reads VECTORDB_URI
// and VECTORDB_SDK (set by VectorDbFunction) and loads the SDK from the layer.
const db = await connect();
const docs = await openOrCreateTable(db, 'docs', DOCS);

export const handler = async (event: { vector: number[] }) => {
  // The 2 nearest FAQ entries, as plain objects with _distance: the same rows on either SDK.
  return search<Doc & { _distance: number }>(docs, event.vector, { limit: 2, filter: "kind = 'faq'" });
};
