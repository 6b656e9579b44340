/**
 * A Docker-compatible container engine on this host (docker, or podman, which
 * takes the same arguments), and whether it answers: the layer build asks for
 * the one aws-cdk-lib runs (`CDK_DOCKER`, else `docker`), the invoker's
 * container mode for any (`CDK_DOCKER`, else docker, else podman).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { onPath } from './on-path';

/** An engine found on PATH, and whether its server answered. */
export interface EngineProbe {
  /** The name as asked (`CDK_DOCKER`'s value, `docker` or `podman`). */
  readonly name: string;
  /** The executable, when found. */
  readonly executable?: string;
  /** The server's version, when it answered. */
  readonly version?: string;
  /** Why it cannot be used (not on PATH, or no server answers), when it cannot. */
  readonly why?: string;
}

const probes = new Map<string, EngineProbe>();

/** The executable a name stands for: a path as given, else a PATH lookup. */
function locate(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (name.includes('/') || name.includes('\\')) {
    try {
      return fs.statSync(name).isFile() ? path.resolve(name) : undefined;
    } catch {
      return undefined;
    }
  }
  return onPath(name, env, platform);
}

/**
 * `<name> version --format {{.Server.Version}}` (the docker client answers
 * without a daemon, so the server's version is asked), once per name and PATH
 * in this process.
 */
export function probeEngine(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): EngineProbe {
  const key = JSON.stringify([name, env.PATH ?? env.Path ?? '', env.DOCKER_HOST ?? '', env.CONTAINERS_CONF ?? '', platform]);
  const known = probes.get(key);
  if (known) return known;
  const executable = locate(name, env, platform);
  let probe: EngineProbe;
  if (!executable) {
    probe = { name, why: `${name} is not on PATH` };
  } else {
    const r = spawnSync(executable, ['version', '--format', '{{.Server.Version}}'], { env, encoding: 'utf-8', shell: false, windowsHide: true, timeout: 15_000 });
    const version = (r.stdout ?? '').trim();
    if (!r.error && r.status === 0 && version !== '') {
      probe = { name, executable, version };
    } else {
      const said = (r.error?.message ?? `${r.stderr ?? ''}${r.stdout ?? ''}`).trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? `exit ${r.status}`;
      probe = { name, executable, why: `${name} is on PATH but no engine answers (\`${name} version\`: ${said.slice(0, 200)})` };
    }
  }
  probes.set(key, probe);
  return probe;
}

/** The engine aws-cdk-lib's Docker bundling runs: `CDK_DOCKER`, else `docker`. */
export function cdkDockerEngine(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): EngineProbe {
  return probeEngine(env.CDK_DOCKER || 'docker', env, platform);
}

/**
 * The first engine that answers: `CDK_DOCKER` when set, else docker, else
 * podman; or, when none does, every reason (the first probe's name).
 */
export function anyEngine(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): EngineProbe {
  const names = env.CDK_DOCKER ? [env.CDK_DOCKER] : ['docker', 'podman'];
  const tried = names.map((n) => probeEngine(n, env, platform));
  return tried.find((p) => p.version !== undefined) ?? { name: names[0], why: tried.map((p) => p.why).join('; ') };
}
