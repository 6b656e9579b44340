import { awscdk, javascript } from 'projen';

/**
 * One naming scheme for every jsii target: the npm name `cdk-vectordb-layer`,
 * `cdk_vectordb_layer` where a language wants an identifier, `CdkVectorDbLayer`
 * where it wants PascalCase.
 */
const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-vectordb-layer',
  description: 'LanceDB (vectordb and @lancedb/lancedb) for AWS Lambda in one line of CDK: a Lambda layer with the right linux-gnu native binary, and a NodejsFunction that uses it.',
  author: 'cdk-vectordb-layer maintainers',
  authorAddress: 'maintainers@cdk-vectordb-layer.dev',
  repositoryUrl: 'https://github.com/cdk-vectordb-layer/cdk-vectordb-layer.git',
  license: 'Apache-2.0',
  stability: 'experimental',
  keywords: ['awscdk', 'cdk', 'lambda', 'lambda-layer', 'lancedb', 'vectordb', 'vector-database'],

  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  tsconfigDevFile: 'tsconfig.dev.json',

  // NODEJS_24_X first appears in aws-cdk-lib 2.224.0.
  cdkVersion: '2.224.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  minNodeVersion: '20.0.0',

  // Version ranges (engines.node) and precedence, for every check of an SDK version.
  bundledDeps: ['semver@^7.7.2'],
  devDeps: [
    '@types/semver@^7.7.0',
    // NodejsFunction bundles with a local esbuild, so tests never need Docker.
    'esbuild@^0.28.0',
    // The local invoker drives the real AWS Lambda runtime interface client.
    'aws-lambda-ric@^4.0.2',
    // A real S3-compatible server for the storage round trip, and the AwsSolutions checks.
    's3rver@^3.7.1',
    'cdk-nag@^2.38.0',
  ],

  publishToPypi: {
    distName: 'cdk-vectordb-layer',
    module: 'cdk_vectordb_layer',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdk_vectordb_layer',
    mavenGroupId: 'io.github.cdk-vectordb-layer',
    mavenArtifactId: 'cdk-vectordb-layer',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkVectorDbLayer',
    packageId: 'CdkVectorDbLayer',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-vectordb-layer/cdk-vectordb-layer-go',
    packageName: 'cdkvectordblayer',
  },

  jestOptions: {
    // A snapshot that changes must fail the run, not be rewritten by it.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      // Tests build real layers through the npm registry.
      testTimeout: 10 * 60 * 1000,
      // Layer builds are heavy on disk and network: one file at a time.
      maxWorkers: 1,
    },
  },

  bin: { 'cdk-vectordb-layer': 'bin/cdk-vectordb-layer' },
  eslintOptions: {
    // One dev tsconfig at the root covers src, test and examples.
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'projenrc', '.projenrc.ts'],
  },

  gitignore: ['/.tmp/', 'cdk.out/', '.jsii.tabl.json'],
});

project.tsconfigDev.addInclude('.projenrc.ts');

// The main job: synthesize the example with a real layer build, then ingest and
// search through the local invoker. No Docker, no AWS.
project.addTask('demo', {
  description: 'Synthesize examples/app.ts and run its ingest and search functions locally',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json examples/demo.ts',
  receiveArgs: true,
});

// Speed and size, measured; not part of the test run.
const bench = project.addTask('bench', {
  description: 'Measure layer build time and size (vs a plain npm install and the floor), synth cost and local cold start; writes bench/results.{md,json} and the README Benchmarks section',
});
bench.exec('ts-node --transpile-only --project tsconfig.dev.json bench/run.ts');

// What each jsii target gets: README and @example snippets compile and translate
// (rosetta, strict), python/java/dotnet/go sources expose the constructs, the
// Python wheel and sdist build and pass twine check, npm pack ships the recipe.
project.package.addField('jsiiRosetta', { strict: true });
const packageCheck = project.addTask('package:check', {
  description: 'Check every jsii target: rosetta strict, generated sources, Python wheel + twine, npm pack contents',
});
packageCheck.exec('jsii-rosetta extract --strict');
packageCheck.exec('ts-node --transpile-only --project tsconfig.dev.json build-tools/package-check.ts');

// Regenerate the lockfiles in layer-assets/pins from layer-assets/sdks.json.
project.addTask('pins', {
  description: 'Regenerate layer-assets/pins lockfiles for every pinned SDK version',
  exec: 'node layer-assets/update-pins.js',
  receiveArgs: true,
});

// Supply chain (SECURITY.md): every pin's lockfile policy, every tarball against its
// lockfile sha512, and npm registry signatures of the pins and of this project.
project.addTask('audit:signatures', {
  description: 'Check the pinned layer lockfiles (policy, sha512 of every tarball) and npm registry signatures (npm audit signatures); --integrity-only skips the signatures',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/audit-signatures.ts',
  receiveArgs: true,
});


// The recipe that builds the layer ships with the package and runs on the host or in the build image.
project.addPackageIgnore('!/layer-assets/');
// What users never need: examples, benchmarks, build tools, CI, and the pin generator.
for (const pattern of ['/examples/', '/bench/', '/build-tools/', '/.ci/', '/dist/', '/tsconfig.dev.json', '/.tmp/', '/layer-assets/update-pins.js']) {
  project.addPackageIgnore(pattern);
}

project.synth();
