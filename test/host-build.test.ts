/**
 * The same props give the same layer bytes on every host, or another asset
 * hash (src/private/layer/host-build.ts): where this host cannot make the canonical
 * layer (no strip for the target on PATH; not Linux, so no load check), AUTO
 * builds in Docker when an engine answers and says why, else here with a
 * warning, and an unstripped binary gets a hash of its own. Hosts are
 * simulated: PATHs with and without strip, an injected platform. Fast tier:
 * no build, no network.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LayerBuildMethod, VectorDbLayer, VectorDbLayerProps } from '../src';
import { withEnv } from './support/env';
import { tempDir } from './support/files';
import { which } from './support/platforms';
import { appAt, dockerStub } from './support/synth';
import { EngineProbe } from '../src/private/common/container-engine';
import * as assetHash from '../src/private/layer/asset-hash';
import { layerAssetHash } from '../src/private/layer/asset-hash';
import { BuildHost, canonicalGaps, chooseBuild } from '../src/private/layer/host-build';

/** A folder of executables with these names (empty scripts). */
function binWith(...names: string[]): string {
  const dir = tempDir('bin');
  for (const n of names) fs.writeFileSync(path.join(dir, n), '#!/bin/sh\n', { mode: 0o755 });
  return dir;
}

const linux = (PATH: string, arch = 'x64'): BuildHost => ({ platform: 'linux', arch, env: { PATH } });
const darwin = (PATH: string): BuildHost => ({ platform: 'darwin', arch: 'arm64', env: { PATH } });
const answers: EngineProbe = { name: 'docker', executable: '/usr/local/bin/docker', version: '27.1.1' };
const silent: EngineProbe = { name: 'docker', why: 'docker is not on PATH' };
const never = (): EngineProbe => {
  throw new Error('the engine was probed');
};

describe('what keeps a host from the canonical layer', () => {
  test('a Linux x86_64 host with strip: nothing', () => {
    expect(canonicalGaps('x86_64', true, linux(binWith('strip')))).toEqual({ strip: undefined, loadCheck: undefined });
  });

  test('a PATH without strip: the strip gap names what was looked for', () => {
    expect(canonicalGaps('x86_64', true, linux(binWith('node'))).strip).toBe('no strip for x86_64 is on PATH (looked for strip, x86_64-linux-gnu-strip)');
    expect(canonicalGaps('arm64', true, linux(binWith('strip'))).strip).toBe('no strip for arm64 is on PATH (looked for aarch64-linux-gnu-strip)');
    expect(canonicalGaps('arm64', true, linux(binWith('aarch64-linux-gnu-strip'))).strip).toBeUndefined();
  });

  test('strip off: no strip is needed', () => {
    expect(canonicalGaps('x86_64', false, linux(binWith())).strip).toBeUndefined();
  });

  test('macOS: its own strip does not count (not ELF), the Linux triplet\'s does; no load check either way', () => {
    const gaps = canonicalGaps('x86_64', true, darwin(binWith('strip')));
    expect(gaps.strip).toBe('no strip for x86_64 is on PATH (looked for x86_64-linux-gnu-strip)');
    expect(gaps.loadCheck).toBe('a Linux binary does not load on darwin, so the built layer cannot be load-checked here');
    expect(canonicalGaps('x86_64', true, darwin(binWith('x86_64-linux-gnu-strip'))).strip).toBeUndefined();
  });

  test('Windows: a strip found through PATHEXT counts', () => {
    const dir = binWith('x86_64-linux-gnu-strip.exe');
    expect(canonicalGaps('x86_64', true, { platform: 'win32', arch: 'x64', env: { PATH: dir, PATHEXT: '.EXE' } }).strip).toBeUndefined();
  });
});

describe('where AUTO builds', () => {
  const base = { method: 'auto', architecture: 'x86_64', strip: true, npmCanBuild: true } as const;

  test('a host that makes the canonical layer builds it here and never probes an engine', () => {
    expect(chooseBuild({ ...base, host: linux(binWith('strip')), engine: never })).toEqual({ inDocker: false, unstripped: false, infos: [] });
  });

  test('no strip and an engine that answers: Docker, and an info note says why', () => {
    const c = chooseBuild({ ...base, host: linux(binWith()), engine: () => answers });
    expect(c).toEqual({
      inDocker: true,
      unstripped: false,
      infos: ['built in Docker (docker 27.1.1): this host cannot make the canonical layer itself: no strip for x86_64 is on PATH (looked for strip, x86_64-linux-gnu-strip)'],
    });
  });

  test('macOS with the triplet\'s strip and an engine: Docker, for the load check', () => {
    const c = chooseBuild({ ...base, host: darwin(binWith('x86_64-linux-gnu-strip')), engine: () => answers });
    expect(c.inDocker).toBe(true);
    expect(c.infos[0]).toMatch(/cannot make the canonical layer itself: a Linux binary does not load on darwin/);
  });

  test('no strip and no engine: here, unstripped in the hash, a warning naming the consequence and both fixes', () => {
    const c = chooseBuild({ ...base, host: darwin(binWith()), engine: () => silent });
    expect(c.inDocker).toBe(false);
    expect(c.unstripped).toBe(true);
    expect(c.warning).toBe('no strip for x86_64 is on PATH (looked for x86_64-linux-gnu-strip): the layer is built with its native binary unstripped (10-30% larger) '
      + 'under an asset hash of its own (its hash records "unstripped"), so it differs from the layer a host with strip builds and deploys. '
      + 'Install binutils for x86_64 Linux (Debian/Ubuntu: apt-get install binutils on an x86_64 host, binutils-x86-64-linux-gnu on others; Homebrew: brew install x86_64-linux-gnu-binutils), '
      + 'or start Docker (docker is not on PATH), and AUTO builds the layer in Docker; or set strip to false to keep the binary as published everywhere');
    expect(c.infos).toEqual(['the layer was built here without a load check: a Linux binary does not load on darwin, so the built layer cannot be load-checked here '
      + '(start Docker (docker is not on PATH), and AUTO builds and checks it in a container; `cdk-vectordb-layer invoke --container` runs a function with it)']);
  });

  test('LOCAL never probes an engine and still records an unstripped binary; DOCKER is Docker', () => {
    const local = chooseBuild({ ...base, method: 'local', host: linux(binWith()), engine: never });
    expect(local).toMatchObject({ inDocker: false, unstripped: true });
    expect(local.warning).toMatch(/or set buildMethod to LayerBuildMethod\.AUTO with Docker running, or DOCKER;/);
    expect(chooseBuild({ ...base, method: 'docker', host: linux(binWith()), engine: never })).toEqual({ inDocker: true, unstripped: false, infos: [] });
  });

  test('an npm too old for cross-platform installs: Docker, as before', () => {
    expect(chooseBuild({ ...base, npmCanBuild: false, engine: never }).inDocker).toBe(true);
  });
});

describe('the asset hash records an unstripped binary', () => {
  const inputs = { sdk: 'vectordb', version: '0.4.2', architecture: 'x86_64', strip: true } as const;

  test('unstripped moves the hash; left off, it moves nothing', () => {
    expect(layerAssetHash({ ...inputs, unstripped: true })).not.toBe(layerAssetHash(inputs));
    expect(layerAssetHash({ ...inputs, unstripped: false })).toBe(layerAssetHash(inputs));
    expect(layerAssetHash({ ...inputs, unstripped: true })).not.toBe(layerAssetHash({ ...inputs, strip: false }));
  });

  /**
   * The layer's asset key and annotations from a synth without bundling, with
   * PATH (and CDK_DOCKER) as given. The key is the hash the layer gives its
   * asset (the S3 key with real bundling): aws-cdk-lib 2.224 keys a skipped
   * asset by it too, newer ones (2.278.0) by the staging construct's id.
   */
  function synth(env: Record<string, string | undefined>, props: VectorDbLayerProps = {}) {
    const spy = jest.spyOn(assetHash, 'stagedAssetHash');
    try {
      return withEnv(env, () => {
        const { stack } = appAt(tempDir('host'), { 'aws:cdk:bundling-stacks': [] });
        new VectorDbLayer(stack, 'L', { version: '0.4.2', ...props });
        Template.fromStack(stack);
        expect(spy).toHaveBeenCalledTimes(1);
        return { key: `${spy.mock.results[0].value}.zip`, annotations: Annotations.fromStack(stack) };
      });
    } finally {
      spy.mockRestore();
    }
  }
  /**
   * node and npm (the synth asks npm its version), and nothing else of the
   * host's. npm is the one on PATH, followed to its npm-cli.js: `npm root -g`
   * would answer beside whichever node runs it, and an official Node.js build
   * from the registry (CI's Node.js 22/24 runs) carries no npm there.
   */
  const node = (() => {
    const dir = tempDir('node-bin');
    fs.symlinkSync(process.execPath, path.join(dir, 'node'));
    const npm = which('npm');
    if (!npm) throw new Error('no npm on PATH');
    fs.symlinkSync(fs.realpathSync(npm), path.join(dir, 'npm'));
    return dir;
  })();

  test('a synth on a PATH without strip (and no engine): another key, the warning on the layer', () => {
    const withStrip = synth({ PATH: `${binWith('strip')}:${node}`, CDK_DOCKER: undefined });
    const without = synth({ PATH: `${binWith()}:${node}`, CDK_DOCKER: undefined });
    expect(without.key).not.toBe(withStrip.key);
    withStrip.annotations.hasNoWarning('*', Match.anyValue());
    without.annotations.hasWarning('/Stack/L', Match.stringLikeRegexp('^no strip for x86_64 is on PATH .*its hash records "unstripped".*\\[ack: cdk-vectordb-layer:unstripped-layer\\]$'));
    // Strip off asks for no strip: the same key with or without one.
    expect(synth({ PATH: `${binWith()}:${node}` }, { strip: false }).key).toBe(synth({ PATH: `${binWith('strip')}:${node}` }, { strip: false }).key);
  });

  test('a synth on a PATH without strip and an engine that answers: Docker\'s key, an info note, no warning', () => {
    const docker = dockerStub();
    const auto = synth({ PATH: `${binWith()}:${node}`, CDK_DOCKER: docker.executable });
    expect(auto.key).toBe(synth({ PATH: `${binWith('strip')}:${node}` }, { buildMethod: LayerBuildMethod.DOCKER }).key);
    auto.annotations.hasInfo('/Stack/L', Match.stringLikeRegexp(`^built in Docker \\(${docker.executable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .+\\): this host cannot make the canonical layer itself: no strip for x86_64`));
    auto.annotations.hasNoWarning('*', Match.anyValue());
    expect(docker.calls().map((c) => c[0])).toContain('version');
  });

  test('arm64 on a PATH with the host\'s strip only: unstripped', () => {
    const r = synth({ PATH: `${binWith('strip')}:${node}`, CDK_DOCKER: undefined }, { architecture: lambda.Architecture.ARM_64 });
    r.annotations.hasWarning('/Stack/L', Match.stringLikeRegexp('^no strip for arm64 is on PATH \\(looked for aarch64-linux-gnu-strip\\).*aarch64-linux-gnu-binutils'));
  });
});
