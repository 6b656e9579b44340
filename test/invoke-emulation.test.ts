/**
 * The local invoker's decision for a function of another architecture than
 * the host's (src/invoke/emulation.ts): which case gives which one-line
 * refusal, before anything runs and without running qemu. The run under qemu
 * itself is test/integ/local-invoke-emulation.test.ts. Fast tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { cliInProcess, CliRun } from './support/cli';
import { fakeFunction } from './support/fake-function';
import { tempDir } from './support/files';
import { appAt } from './support/synth';
import { emulationFor, emulationNote, EmulationRequest } from '../src/invoke/emulation';
import { LocalInvokeError } from '../src/invoke/types';

type Arch = 'x86_64' | 'arm64';
const HOST: Arch = process.arch === 'arm64' ? 'arm64' : 'x86_64';
/** The architecture this host must emulate. */
const OTHER: Arch = HOST === 'arm64' ? 'x86_64' : 'arm64';
const FACTS = {
  arm64: { qemu: 'qemu-aarch64-static', loader: 'lib/ld-linux-aarch64.so.1', elf: 'AArch64', cross: 'libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross', cpu: 'arm64' },
  x86_64: { qemu: 'qemu-x86_64-static', loader: 'lib64/ld-linux-x86-64.so.2', elf: 'x86-64', cross: 'libc6-amd64-cross libstdc++6-amd64-cross libatomic1-amd64-cross', cpu: 'x64' },
} as const;

const fnOf = fakeFunction;

/** A folder holding executables that must never run here (they exit 99). */
function binWith(...names: string[]): string {
  const dir = tempDir('emu-bin');
  for (const name of names) fs.writeFileSync(path.join(dir, name), '#!/bin/sh\nexit 99\n', { mode: 0o755 });
  return dir;
}

/** A sysroot with the loader and, unless left out, the libraries Node.js needs (empty files: only their presence is read). */
function sysroot(arch: Arch, leaveOut: string[] = []): string {
  const dir = tempDir('emu-sysroot');
  const files = [FACTS[arch].loader, 'lib/libc.so.6', 'lib/libgcc_s.so.1', `usr/lib/${arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libstdc++.so.6`];
  for (const f of files.filter((n) => !leaveOut.some((l) => n.endsWith(l)))) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '');
  }
  return dir;
}

/** The refusal emulationFor throws: one line, code NO_EMULATION. */
function refusal(request: EmulationRequest): string {
  try {
    emulationFor(request);
  } catch (e) {
    expect(e).toBeInstanceOf(LocalInvokeError);
    expect((e as LocalInvokeError).code).toBe('NO_EMULATION');
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected the emulation to be refused');
}

const empty = () => tempDir('emu-empty');


test('a function of the host\'s architecture runs natively: no emulation, nothing looked up', () => {
  expect(emulationFor({ fn: fnOf(HOST), env: { PATH: '' } })).toBeUndefined();
  expect(emulationFor({ fn: fnOf('arm64'), host: { arch: 'arm64', platform: 'linux' }, env: { PATH: '' } })).toBeUndefined();
  expect(emulationFor({ fn: fnOf('x86_64'), host: { arch: 'x64', platform: 'linux' }, env: { PATH: '' } })).toBeUndefined();
});

test.each([
  ['arm64', 'x64', 'x86_64'],
  ['x86_64', 'arm64', 'arm64'],
] as const)('a %s function on a %s host without qemu on PATH: the line names qemu and the apt-get line', (arch, nodeArch, hostName) => {
  const qemu = FACTS[arch].qemu;
  const message = refusal({ fn: fnOf(arch), host: { arch: nodeArch, platform: 'linux' }, env: { PATH: binWith('node', 'npm') }, crossDir: sysroot(arch) });
  expect(message).toBe(`function Stack/Fn is ${arch} and this host is ${hostName}: ${qemu} or ${qemu.replace('-static', '')} is not on PATH to run it under emulation; `
    + `install qemu-user and an ${arch} libc (Debian/Ubuntu: apt-get install qemu-user-static ${FACTS[arch].cross})`);
});

test('qemu-<cpu> without -static is found too', () => {
  const arch = OTHER;
  // It gets past qemu: the next refusal is about the node build.
  const message = refusal({ fn: fnOf(arch), env: { PATH: binWith(FACTS[arch].qemu.replace('-static', '')) }, sysroot: sysroot(arch), node: process.execPath });
  expect(message).toMatch(/: node \(CLI: --node\) is /);
});

test('not Linux: qemu-user cannot run the function there', () => {
  expect(refusal({ fn: fnOf('arm64'), host: { arch: 'x64', platform: 'darwin' }, env: { PATH: binWith(FACTS.arm64.qemu) } }))
    .toBe('function Stack/Fn is arm64 and this host is x86_64: qemu-user runs Linux executables on a Linux host only, this one is darwin; invoke it on a Linux arm64 host, or a Linux host with qemu-user');
});

describe('the sysroot', () => {
  const arch = OTHER;
  const PATH = binWith(FACTS[OTHER].qemu);

  test('none given, no QEMU_LD_PREFIX and no Debian cross folder: the line names all three and the fix', () => {
    const cross = empty();
    expect(refusal({ fn: fnOf(arch), env: { PATH }, crossDir: cross })).toBe(`function Stack/Fn is ${arch} and this host is ${HOST}: no ${arch} sysroot for qemu: `
      + `no sysroot (CLI: --sysroot DIR) given, QEMU_LD_PREFIX not set, and ${cross} has no ${FACTS[arch].loader}; `
      + `install the ${arch} libc (Debian/Ubuntu: apt-get install ${FACTS[arch].cross}) or give sysroot (CLI: --sysroot DIR)`);
  });

  test('--sysroot without the loader is refused with its value, whatever QEMU_LD_PREFIX and the cross folder hold', () => {
    const bad = empty();
    expect(refusal({ fn: fnOf(arch), env: { PATH, QEMU_LD_PREFIX: sysroot(arch) }, sysroot: bad, crossDir: sysroot(arch) }))
      .toMatch(new RegExp(`: sysroot \\(CLI: --sysroot\\) is ${JSON.stringify(bad)}, which has no ${FACTS[arch].loader}; give a folder that holds`));
  });

  test('QEMU_LD_PREFIX without the loader is refused by name', () => {
    expect(refusal({ fn: fnOf(arch), env: { PATH, QEMU_LD_PREFIX: '/nonexistent' }, crossDir: sysroot(arch) }))
      .toMatch(/: QEMU_LD_PREFIX is "\/nonexistent", which has no /);
  });

  test('a sysroot without libstdc++ and libgcc: the line names them before any Node.js build is fetched', () => {
    const dir = sysroot(arch, ['libstdc++.so.6', 'libgcc_s.so.1']);
    expect(refusal({ fn: fnOf(arch), env: { PATH }, sysroot: dir }))
      .toBe(`function Stack/Fn is ${arch} and this host is ${HOST}: sysroot (CLI: --sysroot) ${JSON.stringify(dir)} has no libgcc_s.so.1, libstdc++.so.6, `
        + `which Node.js needs (libc6, libgcc-s1, libstdc++6 for ${arch}); install them (Debian/Ubuntu: apt-get install ${FACTS[arch].cross}) or give sysroot (CLI: --sysroot DIR) a folder that holds them`);
  });

  test('Debian\'s cross folder is taken when it holds the loader but not its libstdc++ (libc6-*-cross alone)', () => {
    const cross = sysroot(arch, ['libstdc++.so.6']);
    expect(refusal({ fn: fnOf(arch), env: { PATH }, crossDir: cross })).toMatch(new RegExp(`: the cross libc folder ${cross} has no libstdc\\+\\+\\.so\\.6, which Node.js needs`));
  });
});

describe('the Node.js build', () => {
  const arch = OTHER;
  const PATH = binWith(FACTS[OTHER].qemu);

  test('--node for the host\'s architecture is refused by its ELF machine (QEMU_LD_PREFIX is a sysroot)', () => {
    const message = refusal({ fn: fnOf(arch), env: { PATH, QEMU_LD_PREFIX: sysroot(arch) }, node: process.execPath });
    expect(message).toBe(`function Stack/Fn is ${arch} and this host is ${HOST}: node (CLI: --node) is ${JSON.stringify(process.execPath)}, which is not an ${arch} executable (it is for ${FACTS[HOST].elf}); `
      + `give an ${arch} Node.js build (\`npm pack node-linux-${FACTS[arch].cpu}@22\` holds one in package/bin/node), or leave --node out to fetch that one`);
  });

  test('--node that is no ELF file, or no file', () => {
    const text = path.join(empty(), 'node');
    fs.writeFileSync(text, `#!/bin/sh\n${'# a shell script, not a Node.js build\n'.repeat(4)}`, { mode: 0o755 });
    expect(refusal({ fn: fnOf(arch), env: { PATH }, sysroot: sysroot(arch), node: text }))
      .toMatch(new RegExp(`: node \\(CLI: --node\\) is ${JSON.stringify(text)}, which is not an ${arch} executable \\(not an ELF file\\); give an`));
    expect(refusal({ fn: fnOf(arch), env: { PATH }, sysroot: sysroot(arch), node: '/nonexistent/node' })).toMatch(/: node \(CLI: --node\) is "\/nonexistent\/node", which does not exist; /);
  });

  test('without --node and with the cache off: nothing is fetched, the line says to give --node', () => {
    expect(refusal({ fn: fnOf(arch, 'nodejs24.x'), env: { PATH, CDK_VECTORDB_LAYER_CACHE: 'off' }, sysroot: sysroot(arch) }))
      .toBe(`function Stack/Fn is ${arch} and this host is ${HOST}: no ${arch} Node.js build is fetched because CDK_VECTORDB_LAYER_CACHE is off; `
        + `give node (CLI: --node PATH) an ${arch} Node.js build (\`npm pack node-linux-${FACTS[arch].cpu}@24\` holds one in package/bin/node)`);
  });

  test('without --node: the user\'s npm is asked for the runtime\'s major with an argument vector; its failure is the one line, and the cache keeps nothing', () => {
    const cache = empty();
    const bin = binWith(FACTS[OTHER].qemu);
    const log = path.join(cache, '..', `${path.basename(cache)}-npm.json`);
    fs.writeFileSync(path.join(bin, 'npm'), [
      `#!${process.execPath}`,
      `require('fs').writeFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }));`,
      'process.stderr.write("npm error code ETARGET\\nnpm error notarget No matching version found for node-linux-x@20.\\nnpm error A complete log of this run can be found in: /x.log\\n");',
      'process.exit(1);',
      '',
    ].join('\n'), { mode: 0o755 });
    const message = refusal({ fn: fnOf(arch, 'nodejs20.x'), env: { PATH: `${bin}:${path.dirname(process.execPath)}`, CDK_VECTORDB_LAYER_CACHE: cache }, sysroot: sysroot(arch) });
    const spec = `node-linux-${FACTS[arch].cpu}@20`;
    expect(message).toBe(`function Stack/Fn is ${arch} and this host is ${HOST}: no ${arch} Node.js build: \`npm pack ${spec}\` failed `
      + `(exit 1: npm error notarget No matching version found for node-linux-x@20.); fix npm's access to the registry, or give node (CLI: --node PATH) an ${arch} Node.js build`);
    const called = JSON.parse(fs.readFileSync(log, 'utf-8'));
    expect(called.argv).toEqual(['pack', spec, '--json', '--ignore-scripts', '--pack-destination', called.cwd]);
    expect(path.dirname(called.cwd)).toBe(path.join(fs.realpathSync(cache), 'tmp'));
    expect(fs.readdirSync(path.join(cache, 'tmp'))).toEqual([]);
    expect(fs.readdirSync(path.join(cache, 'node'))).toEqual([]);
  });
});

describe('through the CLI', () => {
  const outdir = tempDir('emu-cdkout');
  beforeAll(() => {
    const { app, stack } = appAt(outdir);
    new lambda.Function(stack, 'Other', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: OTHER === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => process.arch;'),
    });
    app.synth();
  });

  test('a PATH without qemu: exit 2 and one line on stderr, before anything runs (no layout made)', async () => {
    const workDir = path.join(empty(), 'work');
    // This PATH has node, npm and the rest, but no qemu.
    const PATH = (process.env.PATH ?? '').split(':').filter((d) => d && !fs.existsSync(path.join(d, FACTS[OTHER].qemu)) && !fs.existsSync(path.join(d, FACTS[OTHER].qemu.replace('-static', '')))).join(':');
    const savedPath = process.env.PATH;
    process.env.PATH = PATH;
    let r: CliRun;
    try {
      r = await cliInProcess(['invoke', outdir, 'Stack/Other', '--work-dir', workDir]);
    } finally {
      process.env.PATH = savedPath;
    }
    const { status, stdout, stderr } = r;
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`cdk-vectordb-layer invoke: function Stack/Other is ${OTHER} and this host is ${HOST}: ${FACTS[OTHER].qemu} or ${FACTS[OTHER].qemu.replace('-static', '')} is not on PATH `
      + `to run it under emulation; install qemu-user and an ${OTHER} libc (Debian/Ubuntu: apt-get install qemu-user-static ${FACTS[OTHER].cross})\n`);
    expect(fs.existsSync(workDir)).toBe(false);
  });

  test('--help names --sysroot', async () => {
    const { status, stdout } = await cliInProcess(['invoke', '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/--sysroot <dir> +for a function of another architecture, run under qemu/);
  });
});

test('the README gives the install line the refusal gives, and the first line\'s words', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf-8').replace(/\s+/g, ' ');
  const message = refusal({ fn: fnOf('arm64'), host: { arch: 'x64', platform: 'linux' }, env: { PATH: '' } });
  const install = /\(Debian\/Ubuntu: (apt-get install [^)]+)\)/.exec(message)![1];
  expect(readme).toContain(`\`${install}\``);
  // The first line as the code writes it for Debian's cross folder and a cached build.
  const note = emulationNote({ ...fnOf('arm64'), path: 'MyStack/Search' }, {
    arch: 'arm64',
    hostArch: 'x86_64',
    qemu: '/usr/bin/qemu-aarch64-static',
    sysroot: '/usr/aarch64-linux-gnu',
    sysrootFrom: 'libc6-arm64-cross',
    node: '/home/me/.cache/cdk-vectordb-layer/node/v22-arm64/bin/node',
    nodeFrom: 'cached',
    timeFactor: 10,
  }, '22.23.5');
  expect(readme).toContain(`\`${note.replace(/\(\/home\/me.*$/, '(...)')}\``);
});
