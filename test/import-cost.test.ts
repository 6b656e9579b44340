/**
 * What importing the package loads: a synth never runs the recipe's build
 * (installer, compressor, worker threads) nor the handlers' runtime helper,
 * so `require('cdk-vectordb-layer')` loads neither (they load on first use),
 * and semver's functions load one by one, never its index (all of semver).
 * Each guarded module is replaced by a recorder in a fresh module registry,
 * so a top-level import added back anywhere under src/ fails here.
 */
import { LAMBDA_UNZIPPED_LIMIT_BYTES } from '../src';
import { recipeBuild } from '../src/private/layer/recipe';

/** Modules a plain import must not load (paths from this file), and one it must (the control). */
const LAZY = [
  '../layer-assets/recipe/build.js', '../layer-assets/recipe/compress.js', '../layer-assets/recipe/install.js',
  // The build-side modules a synth of a built layer needs few of: each on first use (src/private/layer/recipe.ts).
  '../layer-assets/recipe/binary.js', '../layer-assets/recipe/elf.js', '../layer-assets/recipe/lockfile.js', '../layer-assets/recipe/manifest.js',
  '../layer-assets/recipe/npm.js', '../layer-assets/recipe/prune.js', '../layer-assets/recipe/registry.js', '../layer-assets/recipe/versions.js',
  'zlib', '../src/runtime/index', '../src/runtime/session', '../src/runtime/maintenance', 'semver',
];
const EAGER = ['../src/runtime/settings', '../layer-assets/recipe/sdks.js', 'semver/functions/valid'];

/** Requires `entry` in a fresh registry; which of `watched` it loaded, sorted. */
function loadedBy(entry: string, watched: string[]): string[] {
  const loaded: string[] = [];
  jest.isolateModules(() => {
    for (const m of watched) {
      jest.doMock(m, () => {
        loaded.push(m);
        return jest.requireActual(m);
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(entry);
  });
  for (const m of watched) jest.dontMock(m);
  return [...new Set(loaded)].sort();
}

test('importing the package loads neither the recipe\'s build nor its other build-side modules, zlib, the runtime helper or semver\'s index (and does load the modules a synth needs)', () => {
  expect(loadedBy('../src', [...LAZY, ...EAGER])).toEqual([...EAGER].sort());
});

test('the runtime helper still loads when a handler imports it', () => {
  expect(loadedBy('../src/runtime', ['../src/runtime/index', '../src/runtime/session'])).toEqual(['../src/runtime/index', '../src/runtime/session']);
});

test('the recipe\'s build, loaded on first use, is the recipe\'s module, and its Lambda size limit is the public one', () => {
  expect(recipeBuild()).toBe(recipeBuild());
  expect(typeof recipeBuild().buildLayer).toBe('function');
  expect(recipeBuild().LAMBDA_UNZIPPED_LIMIT_BYTES).toBe(LAMBDA_UNZIPPED_LIMIT_BYTES);
});
