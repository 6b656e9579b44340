/**
 * The CDK twin of the classic Serverless "LanceDB on Lambda" example: one
 * layer with the vectordb SDK shared by an `ingest` function (creates or
 * appends a table of vectors) and a `search` function (nearest neighbours of a
 * query vector). The database location comes from VECTORDB_URI.
 *
 *   npx cdk synth --app "npx ts-node examples/app.ts"
 */
import * as path from 'path';
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { VectorDbFunction, VectorDbLayer } from '../src';

export interface ExampleStackProps extends StackProps {
  /**
   * Where LanceDB keeps the table: a folder (ephemeral under /tmp on Lambda),
   * or an s3:// URI.
   * @default '/tmp/vectordb'
   */
  readonly databaseUri?: string;
}

export class ExampleStack extends Stack {
  public readonly layer: VectorDbLayer;
  public readonly ingest: VectorDbFunction;
  public readonly search: VectorDbFunction;

  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id, props);
    this.layer = new VectorDbLayer(this, 'VectorDb');
    const common = {
      layer: this.layer,
      memorySize: 1024,
      timeout: Duration.seconds(30),
      environment: { VECTORDB_URI: props.databaseUri ?? '/tmp/vectordb', VECTORDB_TABLE: 'vectors' },
    };
    this.ingest = new VectorDbFunction(this, 'ingest', { ...common, entry: path.join(__dirname, 'handlers', 'ingest.ts') });
    this.search = new VectorDbFunction(this, 'search', { ...common, entry: path.join(__dirname, 'handlers', 'search.ts') });
  }
}

if (require.main === module) {
  const app = new App();
  new ExampleStack(app, 'VectorDbExample', { databaseUri: process.env.VECTORDB_URI });
  app.synth();
}
