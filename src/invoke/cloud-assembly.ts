/**
 * Reading a cloud assembly (cdk.out): its stacks (nested stages included),
 * their Lambda functions, and the code and layer assets those point to.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FunctionInfo, LayerInfo, LocalInvokeError } from './types';

/** Memory when the template sets none (Lambda's default). */
const DEFAULT_MEMORY_MB = 128;

interface StackArtifact {
  readonly id: string;
  readonly stackName: string;
  readonly displayName: string;
  readonly assemblyDir: string;
  readonly templateFile: string;
  readonly assetsFile?: string;
  /** Construct paths by logical id, from the artifact's `aws:cdk:logicalId` metadata (present even when templates carry no path metadata). */
  readonly paths: ReadonlyMap<string, string>;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The value as an object, or an empty one. */
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf-8');
  } catch (e) {
    throw new LocalInvokeError(`cannot read ${what} ${file}: ${(e as Error).message}`, 'NO_CLOUD_ASSEMBLY');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LocalInvokeError(`${what} ${file} is not valid JSON: ${(e as Error).message}`, 'NO_CLOUD_ASSEMBLY');
  }
}

/** Construct paths by logical id, from a stack artifact's `aws:cdk:logicalId` metadata. */
function logicalIdPaths(metadata: unknown): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [constructPath, entries] of Object.entries(rec(metadata))) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      const { type, data } = rec(entry);
      if (type === 'aws:cdk:logicalId' && typeof data === 'string') paths.set(data, constructPath.replace(/^\//, ''));
    }
  }
  return paths;
}

/** A stack artifact of the manifest, with its asset manifest (a dependency of type `cdk:asset-manifest`). */
function stackArtifact(assemblyDir: string, id: string, artifact: Record<string, unknown>, artifacts: Record<string, unknown>): StackArtifact {
  const props = rec(artifact.properties);
  const deps = Array.isArray(artifact.dependencies) ? artifact.dependencies : [];
  const assetsId = deps.find((d) => typeof d === 'string' && rec(artifacts[d]).type === 'cdk:asset-manifest');
  const assetsFile = typeof assetsId === 'string' ? rec(rec(artifacts[assetsId]).properties).file : undefined;
  return {
    id,
    stackName: typeof props.stackName === 'string' ? props.stackName : id,
    displayName: typeof artifact.displayName === 'string' ? artifact.displayName : id,
    assemblyDir,
    templateFile: path.join(assemblyDir, String(props.templateFile)),
    assetsFile: typeof assetsFile === 'string' ? path.join(assemblyDir, assetsFile) : undefined,
    paths: logicalIdPaths(artifactMetadata(assemblyDir, artifact)),
  };
}

/**
 * A stack artifact's metadata: in the manifest, and in the file its
 * `additionalMetadataFile` names (aws-cdk-lib 2.278.0 writes it there, apart).
 */
function artifactMetadata(assemblyDir: string, artifact: Record<string, unknown>): Record<string, unknown> {
  const file = artifact.additionalMetadataFile;
  if (typeof file !== 'string') return rec(artifact.metadata);
  const apart = path.join(assemblyDir, file);
  return { ...rec(artifact.metadata), ...(fs.existsSync(apart) ? rec(readJson(apart, 'the stack metadata file')) : {}) };
}

/** Stack artifacts of a cloud assembly, including those of nested assemblies (stages). */
function stackArtifacts(assemblyDir: string, depth = 0): StackArtifact[] {
  const manifestFile = path.join(assemblyDir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    const why = fs.existsSync(assemblyDir) ? 'has no manifest.json' : 'does not exist';
    throw new LocalInvokeError(`${assemblyDir} ${why}: it is not a cloud assembly. Run \`cdk synth\` (or app.synth()) first and pass its output folder (cdk.out)`, 'NO_CLOUD_ASSEMBLY');
  }
  const artifacts = rec(rec(readJson(manifestFile, 'cloud assembly manifest')).artifacts);
  const out: StackArtifact[] = [];
  for (const [id, value] of Object.entries(artifacts)) {
    const artifact = rec(value);
    const props = rec(artifact.properties);
    if (artifact.type === 'aws:cloudformation:stack' && typeof props.templateFile === 'string') {
      out.push(stackArtifact(assemblyDir, id, artifact, artifacts));
    } else if (artifact.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string' && depth < 10) {
      out.push(...stackArtifacts(path.join(assemblyDir, props.directoryName), depth + 1));
    }
  }
  return out;
}

/** The asset a resource property points to, from the `aws:asset:*` metadata or the asset manifest. */
function assetOf(stack: StackArtifact, meta: Record<string, unknown>, s3Key: unknown, assetsManifest: () => unknown): string | undefined {
  if (typeof meta['aws:asset:path'] === 'string') {
    return path.resolve(stack.assemblyDir, meta['aws:asset:path']);
  }
  if (typeof s3Key !== 'string') return undefined;
  const assets = assetsManifest();
  const files = isRecord(assets) && isRecord(assets.files) ? assets.files : {};
  for (const entry of Object.values(files)) {
    if (!isRecord(entry) || !isRecord(entry.source) || typeof entry.source.path !== 'string') continue;
    const destinations = isRecord(entry.destinations) ? Object.values(entry.destinations) : [];
    if (destinations.some((d) => isRecord(d) && d.objectKey === s3Key)) {
      return path.resolve(stack.assemblyDir, entry.source.path);
    }
  }
  return undefined;
}

function describeExpr(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** What reading one template needs: the stack, its resources, and its asset manifest (read once, when needed). */
interface TemplateContext {
  readonly stack: StackArtifact;
  readonly resources: Record<string, unknown>;
  readonly assetsManifest: () => unknown;
}

/** The function's `Layers`, each with its asset when it is a layer of this app. */
function layersOf(t: TemplateContext, layers: unknown): LayerInfo[] {
  return (Array.isArray(layers) ? layers : []).map((layer: unknown, index: number): LayerInfo => {
    if (typeof layer === 'string') return { index, arn: layer, description: layer };
    const ref = rec(layer).Ref;
    if (typeof ref !== 'string') return { index, description: describeExpr(layer) };
    const target = rec(t.resources[ref]);
    if (target.Type !== 'AWS::Lambda::LayerVersion') return { index, logicalId: ref, description: `{"Ref":"${ref}"}` };
    const layerMeta = rec(target.Metadata);
    const layerPath = typeof layerMeta['aws:cdk:path'] === 'string' ? layerMeta['aws:cdk:path'] : t.stack.paths.get(ref) ?? ref;
    const assetPath = assetOf(t.stack, layerMeta, rec(rec(target.Properties).Content).S3Key, t.assetsManifest);
    return { index, logicalId: ref, assetPath, description: `${layerPath} (${ref})` };
  });
}

/** One `AWS::Lambda::Function` resource as the invoker sees it. */
function functionOf(t: TemplateContext, logicalId: string, resource: Record<string, unknown>): FunctionInfo {
  const props = rec(resource.Properties);
  const meta = rec(resource.Metadata);
  const code = rec(props.Code);
  const resourcePath = typeof meta['aws:cdk:path'] === 'string' ? meta['aws:cdk:path'] : t.stack.paths.get(logicalId);
  const timeout = Number(props.Timeout);
  const memory = Number(props.MemorySize);
  const architectures = Array.isArray(props.Architectures) ? props.Architectures : [];
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    stackId: t.stack.id,
    stackName: t.stack.stackName,
    logicalId,
    path: resourcePath?.replace(/\/Resource$/, ''),
    resourcePath,
    templateFile: t.stack.templateFile,
    functionName: text(props.FunctionName),
    handler: text(props.Handler),
    runtime: text(props.Runtime),
    architecture: text(architectures[0]) ?? 'x86_64',
    environment: rec(rec(props.Environment).Variables),
    timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
    memorySize: Number.isFinite(memory) && memory > 0 ? memory : DEFAULT_MEMORY_MB,
    codeAssetPath: assetOf(t.stack, meta, code.S3Key, t.assetsManifest),
    inlineCode: text(code.ZipFile),
    layers: layersOf(t, props.Layers),
  };
}

function functionsOfStack(stack: StackArtifact): FunctionInfo[] {
  const resources = rec(rec(readJson(stack.templateFile, 'template')).Resources);
  let assets: unknown;
  const assetsManifest = () => {
    if (assets === undefined) assets = stack.assetsFile && fs.existsSync(stack.assetsFile) ? readJson(stack.assetsFile, 'asset manifest') : {};
    return assets;
  };
  const t: TemplateContext = { stack, resources, assetsManifest };
  return Object.entries(resources)
    .filter(([, value]) => rec(value).Type === 'AWS::Lambda::Function')
    .map(([logicalId, value]) => functionOf(t, logicalId, rec(value)));
}

/** Every `AWS::Lambda::Function` in a cloud assembly, with what the invoker needs to run it. */
export function listFunctions(cdkOut: string): FunctionInfo[] {
  const dir = path.resolve(cdkOut);
  return stackArtifacts(dir).flatMap(functionsOfStack);
}

/** A function as messages name it: its path, logical id, runtime and handler. */
export function label(f: FunctionInfo): string {
  const where = f.path ?? `${f.stackId}/${f.logicalId}`;
  return `${where} (logical id ${f.logicalId}${f.runtime ? `, ${f.runtime}` : ''}${f.handler ? `, ${f.handler}` : ''})`;
}

/** The function named by a construct path, a logical id, or `Stack/LogicalId`. */
export function findFunction(cdkOut: string, functionId: string): FunctionInfo {
  const all = listFunctions(cdkOut);
  const id = functionId.replace(/^\/+|\/+$/g, '');
  const matches = all.filter((f) => f.resourcePath === id || f.path === id || f.logicalId === id
    || [f.stackId, f.stackName].some((s) => `${s}/${f.logicalId}` === id));
  if (matches.length === 1) return matches[0];
  const list = all.length > 0 ? all.map((f) => `  ${label(f)}`).join('\n') : '  (none)';
  if (matches.length === 0) {
    throw new LocalInvokeError(`no Lambda function ${JSON.stringify(functionId)} in ${path.resolve(cdkOut)}; the functions there are:\n${list}`, 'UNKNOWN_FUNCTION');
  }
  throw new LocalInvokeError(`${JSON.stringify(functionId)} names ${matches.length} functions in ${path.resolve(cdkOut)}; use the construct path or Stack/LogicalId:\n${matches.map((f) => `  ${label(f)}`).join('\n')}`, 'AMBIGUOUS_FUNCTION');
}
