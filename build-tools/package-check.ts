/**
 * `npx projen package:check`: what each jsii target gets, checked here.
 *
 * 1. `jsii-pacmak --code-only` for python, java, dotnet and go into dist/code,
 *    and each generated source must expose the constructs and their props.
 * 2. The Python wheel and sdist are built from the generated source with the
 *    Python build tools (Debian's python3-build, python3-wheel,
 *    python3-setuptools, twine) and pass `twine check`.
 * 3. `npm pack --dry-run`: the recipe in layer-assets/, lib/ and every file
 *    an entry point of package.json `exports` names ship; sources,
 *    tests, examples and benchmarks do not.
 * 4. The tarball `package:js` wrote works as installed: unpacked into a
 *    scratch app, a VectorDbFunction synthesized with it, and its own `invoke`
 *    answers (./package-check-invoke.ts).
 * Needs a compiled .jsii (run after `npx projen compile` or `npx projen build`)
 * and, for 4, the tarball of `npx projen package:js`.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkPackedInvoke, packedTarball } from './package-check-invoke';

const root = path.resolve(__dirname, '..');
const codeDir = path.join(root, 'dist', 'code');
const failures: string[] = [];
const say = (line: string) => process.stdout.write(`${line}\n`);

function run(file: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(file, args, { cwd: root, encoding: 'utf-8', shell: false, maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${String(r.stdout ?? '').slice(-2000)}${String(r.stderr ?? '').slice(-2000)}`);
  }
  return String(r.stdout);
}

function expectIn(language: string, file: string, patterns: RegExp[]) {
  const p = path.join(codeDir, file);
  if (!fs.existsSync(p)) {
    failures.push(`${language}: ${file} was not generated`);
    return;
  }
  const text = fs.readFileSync(p, 'utf-8');
  for (const re of patterns) {
    if (!re.test(text)) failures.push(`${language}: ${file} does not match ${re}`);
  }
}

if (!fs.existsSync(path.join(root, '.jsii'))) {
  throw new Error('no .jsii assembly: run `npx projen compile` first');
}

// 1. Sources for every target.
fs.rmSync(codeDir, { recursive: true, force: true });
run(process.execPath, [require.resolve('jsii-pacmak/bin/jsii-pacmak'), '--code-only', '--target', 'python', '--target', 'java', '--target', 'dotnet', '--target', 'go', '--outdir', codeDir]);
const constructs = ['VectorDbLayer', 'VectorDbFunction'];
const props = ['VectorDbLayerProps', 'VectorDbFunctionProps'];
expectIn('python', 'python/src/cdk_vectordb_layer/__init__.py', [
  ...constructs.map((c) => new RegExp(`^class ${c}\\(`, 'm')),
  ...props.map((p) => new RegExp(`^class ${p}\\(`, 'm')),
]);
for (const name of [...constructs, ...props]) {
  expectIn('java', `java/src/main/java/io/github/cdk_vectordb_layer/${name}.java`, [new RegExp(`public (class|interface) ${name}\\b`)]);
  expectIn('dotnet', `dotnet/CdkVectorDbLayer/CdkVectorDbLayer/${name}.cs`, [new RegExp(`public (class|interface) I?${name}\\b`)]);
  expectIn('go', `go/cdkvectordblayer/${name}.go`, [new RegExp(constructs.includes(name) ? `func New${name}\\(` : `type ${name} struct`)]);
}
say(`sources: python, java, dotnet, go generated in ${path.relative(root, codeDir)}`);

// 2. The Python wheel and sdist.
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import build, wheel, setuptools'], { shell: false }).status === 0);
// The Python wheel is built where Python's build tools are (CI installs them);
// elsewhere that step is skipped with a note, unless CDK_VECTORDB_LAYER_TEST_REQUIRE names python.
const requirePython = (process.env.CDK_VECTORDB_LAYER_TEST_REQUIRE ?? '').split(',').map((s) => s.trim()).includes('python');
const twineFound = spawnSync('twine', ['--version'], { shell: false }).status === 0;
if (!python || !twineFound) {
  const missing = 'python: no python3 with the build, wheel and setuptools modules, or no twine (Debian: apt-get install python3-build python3-wheel python3-setuptools twine)';
  if (requirePython) failures.push(missing);
  else say(`${missing}: the wheel is not built here (skipped)`);
} else {
  const pyDist = path.join(root, 'dist', 'python-check');
  fs.rmSync(pyDist, { recursive: true, force: true });
  run(python, ['-m', 'build', '--no-isolation', '--skip-dependency-check', '--outdir', pyDist, path.join(codeDir, 'python')]);
  const built = fs.readdirSync(pyDist);
  const wheel = built.find((f) => f.endsWith('.whl'));
  const sdist = built.find((f) => f.endsWith('.tar.gz'));
  if (!wheel || !sdist) failures.push(`python: expected a wheel and an sdist, got ${built.join(', ')}`);
  const twine = ['twine'].find((t) => spawnSync(t, ['--version'], { shell: false }).status === 0);
  if (!twine) {
    failures.push('python: twine not found (Debian: apt-get install twine)');
  } else {
    run(twine, ['check', ...built.map((f) => path.join(pyDist, f))]);
  }
  for (const f of built) say(`python: ${f} ${fs.statSync(path.join(pyDist, f)).size} bytes, twine check passed`);
}

// 3. What npm would publish.
const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const packJson = fs.existsSync(npmCli)
  ? run(process.execPath, [npmCli, 'pack', '--dry-run', '--json', '--ignore-scripts'])
  : run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
const pack = JSON.parse(packJson.slice(packJson.indexOf('[')))[0] as { files: Array<{ path: string }>; size: number; unpackedSize: number; filename: string };
const files = pack.files.map((f) => f.path);
for (const required of ['lib/index.js', 'lib/index.d.ts', '.jsii', 'bin/cdk-vectordb-layer', 'layer-assets/build-layer.js', 'layer-assets/recipe/build.js',
  'layer-assets/recipe/loader-template.js', 'layer-assets/types/recipe/build.d.ts', 'layer-assets/sdks.json', 'layer-assets/pins/vectordb-0.21.2-x86_64/package-lock.json',
  'lib/invoke/scripts/bootstrap.cjs', 'lib/runtime/index.js', 'lib/maintenance-handler/index.js', 'README.md', 'LICENSE']) {
  if (!files.includes(required)) failures.push(`npm pack: ${required} is missing`);
}
for (const forbidden of [/^src\/(?!invoke\/scripts\/)/, /^test\//, /^examples\//, /^bench\//, /^build-tools\//, /^\.ci\//, /^\.tmp\//, /\.test\.[jt]s$/]) {
  const hits = files.filter((f) => forbidden.test(f));
  if (hits.length > 0) failures.push(`npm pack: ships ${hits.slice(0, 3).join(', ')} (${forbidden})`);
}
// Every file an entry point of package.json `exports` names (cdk-vectordb-layer/runtime among them) ships.
const exportTargets = (value: unknown): string[] => typeof value === 'string' ? [value] : Object.values(value as Record<string, unknown>).flatMap(exportTargets);
const { exports: entryPoints } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf-8'));
for (const target of exportTargets(entryPoints).filter((t) => !t.includes('*'))) {
  if (!files.includes(target.replace(/^\.\//, ''))) failures.push(`npm pack: ${target}, an entry point of package.json exports, is missing`);
}
// Every script the invoker runs (src/invoke/scripts, copied by compile) ships in lib/.
for (const script of fs.readdirSync(path.join(root, 'src', 'invoke', 'scripts'))) {
  if (!files.includes(`lib/invoke/scripts/${script}`)) failures.push(`npm pack: lib/invoke/scripts/${script} is missing (the compile task copies src/invoke/scripts)`);
}
say(`npm pack: ${pack.filename} ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${files.length} files`);

// 4. The packed tarball, installed: its invoke runs a function synthesized with it.
const tarball = packedTarball();
if (!tarball) {
  failures.push('packed invoke: no dist/js/cdk-vectordb-layer@*.tgz (run `npx projen package:js` first)');
} else {
  const invoked = checkPackedInvoke(tarball, path.join(root, '.tmp', 'package-check-invoke'));
  for (const line of invoked.lines) say(`packed invoke: ${line}`);
  if (!invoked.ok) failures.push(`packed invoke (${path.relative(root, tarball)}): ${invoked.failure}`);
}

if (failures.length > 0) {
  process.stderr.write(`package:check failed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
  process.exit(1);
}
say('package:check passed');
