/**
 * s3rver (a real S3-compatible server, on 127.0.0.1) for the tests, with
 * the one fix LanceDB needs: s3rver 3.7.1's filesystem store stops walking
 * at every folder below the delimiter, so a delimiter listing
 * (`prefix=current/&delimiter=/`, how LanceDB's tableNames() finds tables)
 * never reaches `current/vectors.lance/_versions/1.manifest`. This lists
 * without the delimiter and groups the keys, as S3 does. Shared by every S3 test.
 */
/** The part of s3rver's API the tests use (the package ships no types). */
export interface S3rverServer {
  readonly store: { listObjects(bucket: string, options: ListOptions): Promise<Listing> };
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
interface ListOptions { readonly delimiter?: string; readonly prefix?: string; readonly maxKeys?: number }
interface Listing { readonly objects: Array<{ key: string }>; readonly commonPrefixes: string[]; readonly isTruncated: boolean }

/** Starts s3rver on a free port of 127.0.0.1, storing in `directory`, with `bucket`; returns it and its endpoint. */
export async function startS3rver(directory: string, bucket: string): Promise<{ server: S3rverServer; endpoint: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver: new (options: Record<string, unknown>) => S3rverServer = require('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const list = server.store.listObjects.bind(server.store);
  server.store.listObjects = async (b, options) => {
    if (!options.delimiter) return list(b, options);
    const { delimiter, prefix = '', maxKeys = Infinity } = options;
    const all = await list(b, { ...options, delimiter: undefined, maxKeys: Infinity });
    const objects: Listing['objects'] = [];
    const commonPrefixes = new Set<string>();
    for (const o of all.objects) {
      const at = o.key.slice(prefix.length).indexOf(delimiter);
      if (at === -1) objects.push(o);
      else commonPrefixes.add(o.key.slice(0, prefix.length + at + 1));
    }
    return { objects: objects.slice(0, maxKeys), commonPrefixes: [...commonPrefixes].sort(), isTruncated: objects.length > maxKeys };
  };
  const { port } = await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}` };
}
