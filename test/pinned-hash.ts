/**
 * The asset hash (and S3 key) of `new VectorDbLayer(stack, 'L', { version: '0.4.2' })`
 * built on the host. It changes, on purpose, when the build-side code changes
 * (layer-assets/build-layer.js, layer-assets/recipe/*.js), when vectordb's entry
 * in sdks.json changes, or when the 0.4.2 x86_64 pin does; then record the new
 * value here in the same commit. A hash that moves without such a change
 * rebuilds and redeploys every user's layer for nothing.
 */
export const PINNED_HASH = '8c423ec7e5a6716a5090583a3ce526d21082bab465f9a40d878677889b02225c';
