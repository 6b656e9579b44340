/**
 * The asset hash (and S3 key) of `new VectorDbLayer(stack, 'L', { version: '0.4.2' })`
 * built on the host. It changes, on purpose, when the build-side code changes
 * (layer-assets/build-layer.js, layer-assets/recipe/*.js), when vectordb's entry
 * in sdks.json changes, or when the 0.4.2 x86_64 pin does; then record the new
 * value here in the same commit. A hash that moves without such a change
 * rebuilds and redeploys every user's layer for nothing.
 */
export const PINNED_HASH = '14a2e3a3c158bbc4f3e8a1e0e3d2cd30f6ebe8c2e587025f5b8022a0d88377e3';
