/**
 * The asset hash (and S3 key) of `new VectorDbLayer(stack, 'L', { version: '0.4.2' })`
 * built on the host. It changes, on purpose, when the build-side code changes
 * (layer-assets/build-layer.js, layer-assets/recipe/*.js), when vectordb's entry
 * in sdks.json changes, or when the 0.4.2 x86_64 pin does; then record the new
 * value here in the same commit. A hash that moves without such a change
 * rebuilds and redeploys every user's layer for nothing.
 */
export const PINNED_HASH = '34945f861bf5dd39068dda70ad47e8f203e28725583b6459ae97acac202ecde4';
