// VectorDbSdk is declared in private/common/sdk.ts, below the public files, so
// private code uses it without importing a public file; this is its public name.
export { VectorDbSdk } from './private/common/sdk';
