/**
 * Whether this host makes the canonical layer, and where AUTO builds.
 *
 * The canonical layer is what a Linux host of the target's architecture (or
 * the build container) makes: the binary stripped by a `strip` for the target
 * and loaded once after the build. Same props, same bytes, on every host, or
 * another asset hash: never one hash for two contents. So:
 * - no `strip` for the target on PATH (macOS or Windows without binutils for
 *   Linux, a Linux host without the cross binutils): the binary stays as
 *   published, and the hash records it (`unstripped`), with a warning naming
 *   the fix;
 * - not Linux: the bytes are the same but nothing here loads them (a note);
 * - AUTO with either gap builds in Docker when an engine answers (a note says
 *   why), which makes the canonical layer there.
 * The strip lookup mirrors the recipe's (layer-assets/recipe/binary.js
 * `findStrip`: `strip` or the triplet's on the target's own host, else the
 * triplet's only), as a file lookup on PATH; the construct checks afterwards
 * that the build agreed.
 */
import { recipeSdks } from './recipe';
import { LayerArchitecture } from '../common/architecture';
import { cdkDockerEngine, EngineProbe } from '../common/container-engine';
import { onPath } from '../common/on-path';

/** The host as the decision sees it. Defaults to this process's (tests give others). */
export interface BuildHost {
  /** `process.platform`. */
  readonly platform: NodeJS.Platform;
  /** `process.arch`. */
  readonly arch: string;
  /** PATH (and `CDK_DOCKER`) for the lookups. */
  readonly env: NodeJS.ProcessEnv;
}

/** This process's host. */
export function thisHost(): BuildHost {
  return { platform: process.platform, arch: process.arch, env: process.env };
}

/** What keeps this host from making the canonical layer itself (nothing: both undefined). */
export interface CanonicalGaps {
  /** Why the binary would stay unstripped (strip is requested and no strip for the target is on PATH). */
  readonly strip?: string;
  /** Why the built layer cannot be loaded here (not Linux). */
  readonly loadCheck?: string;
}

const TRIPLET = { x86_64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' } as const;

/** The strip executables the recipe tries for the architecture on this host, in its order. */
export function stripCandidates(architecture: LayerArchitecture, host: BuildHost): string[] {
  const triplet = `${TRIPLET[architecture]}-strip`;
  return host.platform === 'linux' && host.arch === recipeSdks.CPU_BY_ARCHITECTURE[architecture] ? ['strip', triplet] : [triplet];
}

/** The gaps between this host's build and the canonical layer. */
export function canonicalGaps(architecture: LayerArchitecture, strip: boolean, host: BuildHost = thisHost()): CanonicalGaps {
  const candidates = stripCandidates(architecture, host);
  const hasStrip = candidates.some((c) => onPath(c, host.env, host.platform) !== undefined);
  return {
    strip: strip && !hasStrip ? `no strip for ${architecture} is on PATH (looked for ${candidates.join(', ')})` : undefined,
    loadCheck: host.platform !== 'linux' ? `a Linux binary does not load on ${host.platform}, so the built layer cannot be load-checked here` : undefined,
  };
}

/** The binutils that give a strip for the architecture, by package manager. */
export function binutilsAdvice(architecture: LayerArchitecture): string {
  return architecture === 'arm64'
    ? 'binutils for aarch64 (Debian/Ubuntu: apt-get install binutils-aarch64-linux-gnu; Homebrew: brew install aarch64-linux-gnu-binutils)'
    : 'binutils for x86_64 Linux (Debian/Ubuntu: apt-get install binutils on an x86_64 host, binutils-x86-64-linux-gnu on others; Homebrew: brew install x86_64-linux-gnu-binutils)';
}

/** AUTO's and LOCAL's choice, and what synth says about it. */
export interface BuildChoice {
  /** Build in Docker. */
  readonly inDocker: boolean;
  /** The local build keeps the binary unstripped although strip is on: the hash records it. */
  readonly unstripped: boolean;
  /** Info notes (why Docker; a layer not load-checked). */
  readonly infos: string[];
  /** The warning for an unstripped layer (its consequence and the fix). */
  readonly warning?: string;
}

/** How a layer is built: `LayerBuildMethod`'s values. */
export type BuildMethod = 'auto' | 'docker' | 'local';

/** Every build method, for the props check. */
export const BUILD_METHODS: readonly BuildMethod[] = ['auto', 'docker', 'local'];

/** What the choice needs to know. */
export interface BuildChoiceRequest {
  readonly method: BuildMethod;
  readonly architecture: LayerArchitecture;
  readonly strip: boolean;
  /** The host's npm installs another platform's packages (npm >= 10.4). */
  readonly npmCanBuild: boolean;
  readonly host?: BuildHost;
  /** Probes the engine aws-cdk-lib would run (asked only when AUTO needs to know). */
  readonly engine?: (host: BuildHost) => EngineProbe;
}

/**
 * Where the layer is built: DOCKER in Docker; LOCAL here; AUTO here when this
 * host makes the canonical layer, else in Docker when an engine answers, else
 * here with what differs said (and an unstripped binary recorded in the hash).
 */
export function chooseBuild(request: BuildChoiceRequest): BuildChoice {
  if (request.method === 'docker') return { inDocker: true, unstripped: false, infos: [] };
  if (request.method === 'auto' && !request.npmCanBuild) return { inDocker: true, unstripped: false, infos: [] };
  const host = request.host ?? thisHost();
  const gaps = canonicalGaps(request.architecture, request.strip, host);
  const reasons = [gaps.strip, gaps.loadCheck].filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return { inDocker: false, unstripped: false, infos: [] };
  let engineWhy: string | undefined;
  if (request.method === 'auto') {
    const engine = (request.engine ?? ((h: BuildHost) => cdkDockerEngine(h.env, h.platform)))(host);
    if (engine.version !== undefined) {
      return {
        inDocker: true,
        unstripped: false,
        infos: [`built in Docker (${engine.name} ${engine.version}): this host cannot make the canonical layer itself: ${reasons.join('; ')}`],
      };
    }
    engineWhy = engine.why;
  }
  const docker = request.method === 'auto'
    ? `start Docker (${engineWhy}), and AUTO builds the layer in Docker`
    : 'set buildMethod to LayerBuildMethod.AUTO with Docker running, or DOCKER';
  const infos = gaps.loadCheck
    ? [`the layer was built here without a load check: ${gaps.loadCheck} (${request.method === 'auto' ? `start Docker (${engineWhy}), and AUTO builds and checks it in a container` : 'build in Docker to check it'}; \`cdk-vectordb-layer invoke --container\` runs a function with it)`]
    : [];
  const warning = gaps.strip
    ? `${gaps.strip}: the layer is built with its native binary unstripped (10-30% larger) under an asset hash of its own (its hash records "unstripped"), so it differs from the layer a host with strip builds and deploys. Install ${binutilsAdvice(request.architecture)}, or ${docker}; or set strip to false to keep the binary as published everywhere`
    : undefined;
  return { inDocker: false, unstripped: gaps.strip !== undefined, infos, warning };
}
