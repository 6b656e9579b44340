/**
 * Ready-to-paste snippets for a layer zip: serverless.yml, AWS SAM, the AWS
 * CLI and Terraform, printed by `cdk-vectordb-layer build`.
 */
import * as path from 'path';

/** Lambda takes a zip of at most this many bytes directly (`--zip-file`); larger ones go through S3. */
const DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024;

/** A YAML scalar: plain when safe, else double-quoted (JSON strings are valid YAML). */
function yaml(s: string): string {
  return /^[A-Za-z0-9_./][A-Za-z0-9_./@ -]*$/.test(s) && !/ $/.test(s) && !/^(true|false|yes|no|on|off|null|~|[-.\d]+)$/i.test(s) ? s : JSON.stringify(s);
}

/** A word for a POSIX shell: as it is when safe, else single-quoted. */
function sh(s: string): string {
  return /^[A-Za-z0-9_./@:=+,-]+$/.test(s) ? s : `'${s.replace(/'/g, '\'\\\'\'')}'`;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}

export interface SnippetInput {
  readonly sdk: string;
  readonly slug: string;
  readonly version: string;
  readonly architecture: string;
  readonly zip: string;
  readonly zippedBytes: number;
  readonly runtimes: string[];
  readonly externals: string[];
}

/** What every snippet says: names, the newest runtime, the upload route. */
interface Common {
  readonly layerName: string;
  readonly description: string;
  readonly runtime: string;
  readonly zipName: string;
  readonly big: boolean;
}

/** A YAML list, indented, or `[]`. */
function list(items: string[], indent: string): string {
  return items.length > 0 ? items.map((i) => `\n${indent}- ${yaml(i)}`).join('') : ' []';
}

/** serverless.yml, SAM, AWS CLI and Terraform snippets for the zip. */
export function snippets(s: SnippetInput): { serverless: string; sam: string; awsCli: string; terraform: string } {
  const c: Common = {
    layerName: `${s.slug}-${s.version.replace(/[^A-Za-z0-9]/g, '-')}-${s.architecture}`,
    description: `${s.sdk} ${s.version} for Lambda ${s.architecture} (cdk-vectordb-layer)`,
    runtime: s.runtimes[s.runtimes.length - 1] ?? 'nodejs22.x',
    zipName: path.basename(s.zip),
    big: s.zippedBytes > DIRECT_UPLOAD_BYTES,
  };
  return { serverless: serverless(s, c), sam: sam(s, c), awsCli: awsCli(s, c), terraform: terraform(s, c) };
}

function serverless(s: SnippetInput, { description, runtime }: Common): string {
  return [
    '# serverless.yml (serverless-esbuild)',
    'provider:',
    '  name: aws',
    `  runtime: ${runtime}`,
    `  architecture: ${s.architecture}`,
    'layers:',
    `  ${s.slug}:`,
    `    description: ${yaml(description)}`,
    '    package:',
    `      artifact: ${yaml(s.zip)}`,
    `    compatibleRuntimes:${list(s.runtimes, '      ')}`,
    `    compatibleArchitectures:${list([s.architecture], '      ')}`,
    'functions:',
    '  search:',
    '    handler: src/search.handler',
    '    layers:',
    `      - Ref: ${pascal(s.slug)}LambdaLayer`,
    'plugins:',
    '  - serverless-esbuild',
    'custom:',
    '  esbuild:',
    '    bundle: true',
    `    # ${s.externals.join(', ')} come from the layer (/opt/nodejs/node_modules):`,
    '    # external keeps them out of the bundle, exclude keeps the packager from installing them',
    `    external:${list(s.externals, '      ')}`,
    `    exclude:${list(s.externals, '      ')}`,
    '    packager: npm',
    '# Serverless v4 without the plugin: build.esbuild.external and build.esbuild.exclude take the same lists',
  ].join('\n');
}

function sam(s: SnippetInput, { layerName, description, runtime }: Common): string {
  const resource = `${pascal(s.slug)}Layer`;
  return [
    '# template.yaml (AWS SAM)',
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    `  ${resource}:`,
    '    Type: AWS::Serverless::LayerVersion',
    '    Properties:',
    `      LayerName: ${layerName}`,
    `      Description: ${yaml(description)}`,
    `      ContentUri: ${yaml(s.zip)}`,
    `      CompatibleRuntimes:${list(s.runtimes, '        ')}`,
    `      CompatibleArchitectures:${list([s.architecture], '        ')}`,
    '  SearchFunction:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      CodeUri: src/',
    '      Handler: search.handler',
    `      Runtime: ${runtime}`,
    `      Architectures:${list([s.architecture], '        ')}`,
    '      Layers:',
    `        - !Ref ${resource}`,
    '    Metadata:',
    '      BuildMethod: esbuild',
    '      BuildProperties:',
    '        EntryPoints:',
    '          - search.ts',
    `        # ${s.externals.join(', ')} come from the layer: not bundled, not packaged`,
    `        External:${list(s.externals, '          ')}`,
  ].join('\n');
}

function awsCli(s: SnippetInput, { layerName, description, runtime, zipName, big }: Common): string {
  const publish = (content: string[]) => [
    'aws lambda publish-layer-version \\',
    `  --layer-name ${layerName} \\`,
    `  --description ${sh(description)} \\`,
    ...content.map((c) => `  ${c} \\`),
    `  --compatible-runtimes ${s.runtimes.join(' ')} \\`,
    `  --compatible-architectures ${s.architecture}`,
  ];
  return [
    '# AWS CLI',
    ...(big
      ? [
        `# ${zipName} is over Lambda's 50 MB direct upload: publish it through S3`,
        `aws s3 cp ${sh(s.zip)} s3://YOUR-BUCKET/${sh(zipName)}`,
        ...publish([`--content S3Bucket=YOUR-BUCKET,S3Key=${sh(zipName)}`]),
      ]
      : publish([`--zip-file ${sh(`fileb://${s.zip}`)}`])),
    `# bundle the function without ${s.externals.join(', ')} (they come from the layer), e.g.`,
    `#   npx esbuild src/search.ts --bundle --platform=node --target=${runtime.replace(/^nodejs(\d+)\.x$/, 'node$1')} ${s.externals.map((e) => `--external:${e}`).join(' ')} --outfile=dist/search.js`,
  ].join('\n');
}

function terraform(s: SnippetInput, { layerName, description, zipName, big }: Common): string {
  const hcl = (v: string) => JSON.stringify(v).replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
  return [
    '# Terraform (hashicorp/aws)',
    `resource "aws_lambda_layer_version" ${hcl(s.slug)} {`,
    `  layer_name               = ${hcl(layerName)}`,
    `  description              = ${hcl(description)}`,
    ...(big
      ? [
        `  # ${zipName} is over Lambda's 50 MB direct upload: upload it to S3 first`,
        '  s3_bucket                = "YOUR-BUCKET"',
        `  s3_key                   = ${hcl(zipName)}`,
      ]
      : [`  filename                 = ${hcl(s.zip)}`]),
    `  source_code_hash         = filebase64sha256(${hcl(s.zip)})`,
    `  compatible_runtimes      = [${s.runtimes.map(hcl).join(', ')}]`,
    `  compatible_architectures = [${hcl(s.architecture)}]`,
    '}',
    `# functions: layers = [aws_lambda_layer_version.${s.slug}.arn], bundled with ${s.externals.map((e) => `--external:${e}`).join(' ')}`,
  ].join('\n');
}

