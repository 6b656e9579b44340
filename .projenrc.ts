import { awscdk, github, javascript } from 'projen';

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
  // zlib.crc32 (the layer zip) needs Node.js 20.15; CI runs the tests on 20, 22 and 24.
  minNodeVersion: '20.15.0',

  // Version ranges (engines.node) and precedence, for every check of an SDK version.
  bundledDeps: ['semver@^7.7.2'],
  devDeps: [
    '@types/semver@^7.7.0',
    // NodejsFunction bundles with a local esbuild, so tests never need Docker.
    'esbuild@^0.28.0',
    // Not aws-lambda-ric, which the local invoker drives when a project has it: its install
    // compiles curl (minutes, and a C toolchain), so .ci/lib/ric.sh builds 3.x and 4.x where its tests run.
    // A real S3-compatible server for the storage round trip, and the AwsSolutions checks.
    's3rver@^3.7.1',
    'cdk-nag@^2.38.0',
    // The aws-cdk CLI: test/integ/cdk-init-app.test.ts makes a stock `cdk init` app with it.
    'aws-cdk@^2.1149.0',
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
      // Two files at once on CI's 2 cores: most integ tests wait on npm, qemu or
      // a container more than they compute. Real builds run with the layer cache
      // off or their own, so two workers never share a build.
      maxWorkers: 2,
      // Layers the tests build go to a cache of this checkout (.tmp/layer-cache), never the user's.
      setupFiles: ['<rootDir>/test/setup-env.js'],
      // Downloads and caches of the tests (Node.js builds, sysroots) live in .tmp.
      modulePathIgnorePatterns: ['<rootDir>/.tmp/'],
      // test/full runs with `npx projen test:full` (see below), not in `npx projen build`.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/.tmp/', '<rootDir>/test/full/'],
    },
  },

  bin: { 'cdk-vectordb-layer': 'bin/cdk-vectordb-layer' },
  eslintOptions: {
    // One dev tsconfig at the root covers src, test, examples and the recipe's JavaScript.
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
    dirs: ['src', 'layer-assets'],
    devdirs: ['test', 'examples', 'bench', 'build-tools', 'projenrc', '.projenrc.ts'],
    fileExtensions: ['.ts', '.js', '.cjs', '.mjs'],
  },
  tsconfigDev: {
    compilerOptions: {
      // The recipe (layer-assets/**/*.js) and the invoker's scripts are JavaScript with JSDoc types.
      allowJs: true,
    },
  },

  gitignore: ['/.tmp/', 'cdk.out/', '.jsii.tabl.json'],

  // The build job runs .ci/run (below), which fails when the build changes a
  // file: no job pushes the build's changes back to the branch.
  buildWorkflowOptions: { mutableBuild: false },
});

project.tsconfigDev.addInclude('.projenrc.ts');

// Three tiers. `npx projen test` (and so `npx projen build`, what CI runs) runs
// the fast one (no network, no build; about a minute) and test/integ (real
// layers through the npm registry, Docker in a real engine, each runtime's
// Node.js, arm64 under qemu, the invoker, compressed binaries, the cache;
// about ten minutes on two cores). test/full holds the long suites (the whole
// (SDK, version, architecture, runtime) matrix, the NodejsFunction
// differential, hostile input, faults, reproducibility from fresh checkouts,
// the CLI's zips, the runtime helper's bundles, the test support's own checks):
// `npx projen test:full`, before a release.
project.addTask('test:fast', {
  description: 'The fast tier: no network, no layer build',
  exec: 'jest --passWithNoTests --coverage=false --testPathIgnorePatterns /node_modules/ /test/integ/ /test/full/ /.tmp/',
  receiveArgs: true,
});
project.addTask('test:integ', {
  description: 'The slow tier of every commit: real layer builds, the npm registry, esbuild, LanceDB, a container engine and arm64 emulation where present',
  exec: 'jest --passWithNoTests --coverage=false test/integ',
  receiveArgs: true,
});
project.addTask('test:full', {
  description: 'The long tier, before a release: the whole matrix, the NodejsFunction differential, hostile input, faults, reproducibility, the CLI zips, the runtime helper bundles',
  exec: 'jest --passWithNoTests --coverage=false --testPathIgnorePatterns /node_modules/ /.tmp/ -- test/full',
  receiveArgs: true,
});
project.addTask('test:cdk-latest', {
  description: 'The fast tier and the example\'s end to end test against the newest aws-cdk-lib on the registry (or the version given), installed into .tmp/ (the lock file keeps the oldest accepted); after compile',
  exec: 'bash .ci/lib/cdk-latest.sh',
  receiveArgs: true,
});
for (const js of ['layer-assets/build-layer.js', 'layer-assets/recipe/*.js', 'src/invoke/scripts/*.cjs', 'src/invoke/scripts/*.mjs']) {
  project.tsconfigDev.addInclude(js);
}

// The recipe's JavaScript and the invoker's scripts are linted like the rest
// (projen's default ignores *.js); CommonJS there uses require.
for (const pattern of ['!layer-assets/build-layer.js', '!layer-assets/recipe/*.js', '!src/invoke/scripts/*.cjs', '!src/invoke/scripts/*.mjs']) {
  project.eslint?.addIgnorePattern(pattern);
}
project.eslint?.addIgnorePattern('layer-assets/types/');
// Handler fixtures and the docs' handler snippets (examples/readme) are inputs of the tests
// (bundled, invoked), written as users write them: they import an SDK this
// project does not install.
project.eslint?.addIgnorePattern('test/fixtures/');
project.eslint?.addIgnorePattern('examples/readme/');
project.tsconfigDev.addExclude('examples/readme');
project.eslint?.addOverride({
  files: ['layer-assets/**/*.js', 'src/invoke/scripts/*.cjs', 'src/invoke/scripts/*.mjs'],
  rules: {
    '@typescript-eslint/no-require-imports': 'off',
    'import/no-extraneous-dependencies': 'off',
    'import/no-unresolved': 'off',
  },
});
// Every construct error names the path, the prop, the value and the fix: it
// goes through src/private/common/errors.ts, never a bare Error.
project.eslint?.addOverride({
  files: ['src/vector-db-layer.ts', 'src/vector-db-function.ts', 'src/database.ts', 'src/sdk.ts'],
  rules: {
    'no-restricted-syntax': ['error', {
      selector: "ThrowStatement > NewExpression[callee.name='Error']",
      message: 'Construct errors go through propError/constructError (src/private/common/errors.ts): path, prop, value and fix.',
    }],
  },
});

// The recipe is JavaScript with JSDoc types: type-check it and derive its
// declarations (layer-assets/types), which the host code imports, before compile
// (tsc -p layer-assets/tsconfig.json through the compiler API, each file with its generated header).
const recipeTypes = project.addTask('recipe:types', {
  description: 'Type-check the layer recipe (JSDoc) and write its declarations, marked generated, to layer-assets/types',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/recipe-types.ts',
});
project.preCompileTask.spawn(recipeTypes);
project.gitattributes.addAttributes('/layer-assets/types/**', 'linguist-generated');
// The invoker's scripts (// @ts-check JSDoc), type-checked the same way.
const scriptTypes = project.addTask('scripts:types', {
  description: 'Type-check the local invoker\'s scripts (src/invoke/scripts, JSDoc)',
  exec: 'tsc --ignoreConfig --noEmit --allowJs --checkJs --strict --module node16 --moduleResolution node16 --target es2022 --types node --skipLibCheck src/invoke/scripts/*.cjs src/invoke/scripts/*.mjs',
});
project.preCompileTask.spawn(scriptTypes);

// The invoker's scripts are real files in src/invoke/scripts; they ship beside
// the compiled invoker. Part of compile itself, so that every compile (not only
// a build, which runs post-compile) leaves a lib/ whose invoke works when packed.
project.compileTask.exec('node -e "require(\'fs\').cpSync(\'src/invoke/scripts\', \'lib/invoke/scripts\', { recursive: true })"');

// Facts of every published SDK version (registry metadata and the binaries), for the constructs' checks.
project.addTask('facts', {
  description: 'Regenerate src/private/facts/sdk-facts.generated.ts from the npm registry and the native binaries',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/sdk-facts.ts',
  receiveArgs: true,
});
// Generated, as projen marks its own files: GitHub folds it in diffs and leaves it out of language stats.
project.gitattributes.addAttributes('/src/private/facts/sdk-facts.generated.ts', 'linguist-generated');

// The main job: synthesize the example with a real layer build, then ingest and
// search through the local invoker. No Docker, no AWS.
project.addTask('demo', {
  description: 'Synthesize examples/app.ts and run its ingest and search functions locally',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json examples/demo.ts',
  receiveArgs: true,
});

// Speed and size, measured; not part of the test run.
const bench = project.addTask('bench', {
  description: 'Measure layer build time and size (vs a plain npm install and the floor), synth cost, local cold start, the compressed binary (sizes and cold start against the uncompressed layer) and the machine-wide layer cache (warm vs cold, 20 Apps in one process, disk per cdk.out, a real `cdk synth`); writes bench/results.{md,json} with the commit each part measured',
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

// `npx projen build` packages the npm tarball and checks every language's
// sources (package:check), with or without CI set: a fresh machine has no
// Maven, .NET or Go toolchain for package-all (the release workflow runs it).
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);
project.packageTask.spawn(packageCheck);

// Regenerate the lockfiles in layer-assets/pins (all, or `-- <sdk>@<version>:<arch>` to add one).
project.addTask('pins', {
  description: 'Regenerate layer-assets/pins lockfiles (every pin, or -- <sdk>@<version>:<arch> to add one)',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/update-pins.ts',
  receiveArgs: true,
});

// Supply chain (SECURITY.md): every pin's lockfile policy, every tarball against its
// lockfile sha512, and npm registry signatures of the pins and of this project.
project.addTask('audit:signatures', {
  description: 'Check the pinned layer lockfiles (policy, sha512 of every tarball) and npm registry signatures (npm audit signatures); --integrity-only skips the signatures',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/audit-signatures.ts',
  receiveArgs: true,
});


// GitHub runs what CI runs here: .ci/run on a fresh clone, as root, with every
// platform the tests need set up (.ci/lib: podman, qemu and an arm64 sysroot,
// the Node.js builds, memory cgroups) and required, so that no platform test
// passes by skipping. .ci/lib is written for Debian (it fetches Debian
// bookworm packages through the host's apt sources, arm64 ones included, which
// an Ubuntu runner's sources do not serve), so the job runs in a privileged
// Debian container (podman, binfmt, cgroups); podman's storage is a folder of
// the runner's disk (overlay on the container's overlay root does not work).
// The build workflow's job is .ci/run (then the artifact for the package-*
// jobs); the release workflow's release job waits for .ci/run --full (the
// same, then test:full, the release tier).
const ciJob = (args: string, checkout: github.workflows.JobStep): github.workflows.Job => ({
  runsOn: ['ubuntu-latest'],
  // (--privileged goes in by an override below: GitHub takes container.options as one string.)
  container: { image: 'debian:bookworm', volumes: ['/mnt/cdk-vectordb-layer-containers:/var/lib/containers'] },
  timeoutMinutes: args === '--full' ? 150 : 90,
  permissions: { contents: github.workflows.JobPermission.READ },
  steps: [
    {
      id: 'install_git',
      name: 'Install git (a real checkout, for the tree check), what setup-node needs and getfacl',
      run: 'apt-get update -q && apt-get install -y -q --no-install-recommends git ca-certificates curl xz-utils acl',
    },
    checkout,
    {
      // The workspace belongs to the runner's user; npm, run by root, would run
      // install scripts as that owner, and git would call the checkout unsafe.
      id: 'own_clone',
      name: 'The clone belongs to root, who runs CI, as on a fresh clone here',
      run: 'chown -R "$(id -u):$(id -g)" .',
    },
    ...project.renderWorkflowSetup({ mutable: false }).filter((step) => step.uses?.startsWith('actions/setup-node')),
    { id: 'ci_run', name: `bash .ci/run${args ? ` ${args}` : ''}`, run: `bash .ci/run${args ? ` ${args}` : ''}` },
  ],
});
const buildWorkflow = project.buildWorkflow!;
const buildCi = ciJob('', github.WorkflowSteps.checkout({
  with: { ref: '${{ github.event.pull_request.head.ref }}', repository: '${{ github.event.pull_request.head.repo.full_name }}' },
}));
buildWorkflow.workflow.updateJob('build', {
  ...buildCi,
  env: { CI: 'true' },
  outputs: { artifact_id: { stepId: 'upload_artifact', outputName: 'artifact-id' } },
  steps: [
    ...buildCi.steps,
    { name: 'Backup artifact permissions', continueOnError: true, run: 'cd dist && getfacl -R . > permissions-backup.acl' },
    github.WorkflowSteps.uploadArtifact({ id: 'upload_artifact', with: { name: 'build-artifact', path: 'dist', overwrite: true } }),
  ],
});
buildWorkflow.workflow.file!.addOverride('jobs.build.container.options', '--privileged');
project.release!.addJobs({ ci_full: ciJob('--full', github.WorkflowSteps.checkout()) });
const releaseFile = project.github!.tryFindWorkflow('release')!.file!;
releaseFile.addOverride('jobs.ci_full.container.options', '--privileged');
releaseFile.addOverride('jobs.release.needs', ['ci_full']);

// Entry points: the constructs, and the runtime helper for handlers as
// `cdk-vectordb-layer/runtime`, each with its types, for `require` and `import`
// alike (TypeScript's NodeNext resolution, which `cdk init` apps use, reads only
// `exports`; typesVersions serves the older `node` resolution). The deep paths
// users already import (`cdk-vectordb-layer/lib/runtime`, files under lib/) and
// what tools read (package.json, the jsii assembly) stay reachable.
const runtimeEntry = { types: './lib/runtime/index.d.ts', default: './lib/runtime/index.js' };
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './runtime': runtimeEntry,
  './lib/runtime': runtimeEntry,
  './lib/*': './lib/*',
  './package.json': './package.json',
  './.jsii': './.jsii',
});
project.package.addField('typesVersions', { '*': { runtime: ['lib/runtime/index.d.ts'] } });

// The recipe that builds the layer ships with the package and runs on the host or in the build image.
project.addPackageIgnore('!/layer-assets/');
// What users never need: examples, benchmarks, build tools, CI, and the pin generator.
for (const pattern of ['/examples/', '/bench/', '/build-tools/', '/.ci/', '/dist/', '/tsconfig.dev.json', '/.tmp/', '/layer-assets/tsconfig.json']) {
  project.addPackageIgnore(pattern);
}

project.synth();
