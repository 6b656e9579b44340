/**
 * A local S3 server (s3rver, a real S3-compatible server) behind a recording
 * proxy: every request LanceDB sends is kept (method, path, query, the
 * headers that change what a request is, the status), and mapped to the IAM
 * action S3 authorizes it with. How the actions of each access level were
 * found (test/integ/s3-actions.test.ts).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { tempDir } from '../helpers';

/** The part of s3rver's API the tests use (the package ships no types). */
interface S3rverServer {
  readonly store: { listObjects(bucket: string, options: ListOptions): Promise<Listing> };
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
interface ListOptions { readonly delimiter?: string; readonly prefix?: string; readonly maxKeys?: number }
interface Listing { readonly objects: Array<{ key: string }>; readonly commonPrefixes: string[]; readonly isTruncated: boolean }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (options: Record<string, unknown>) => S3rverServer = require('s3rver');

/** One request as the server saw it. */
export interface S3Request {
  readonly method: string;
  /** The path, decoded: `/<bucket>/<key>`. */
  readonly path: string;
  /** The query parameters' names (`uploads`, `uploadId`, `list-type`, `delete`...). */
  readonly query: string[];
  /** A listing's `prefix` parameter. */
  readonly listPrefix?: string;
  /** `If-None-Match`, `If-Match` and `x-amz-copy-source`, when sent. */
  readonly headers: Record<string, string>;
  readonly status: number;
}

/** A running server and what it recorded. */
export interface RecordingS3 {
  /** The endpoint to give LanceDB (`aws_endpoint`): the recording proxy. */
  readonly endpoint: string;
  /** The folder s3rver keeps the bucket in. */
  readonly storeDir: string;
  /** Every request so far, in order. */
  readonly requests: S3Request[];
  close(): Promise<void>;
}

/**
 * s3rver 3.7.1's filesystem store stops walking at every folder below the
 * delimiter, so a delimiter listing (how LanceDB finds tables) reports no
 * common prefix. This lists without the delimiter and groups the keys, as
 * S3 does. Nothing else of s3rver is changed.
 */
function fixDelimiterListing(s: S3rverServer) {
  const list = s.store.listObjects.bind(s.store);
  s.store.listObjects = async (bucket, options) => {
    if (!options.delimiter) return list(bucket, options);
    const { delimiter, prefix = '', maxKeys = Infinity } = options;
    const all = await list(bucket, { ...options, delimiter: undefined, maxKeys: Infinity });
    const objects: Listing['objects'] = [];
    const commonPrefixes = new Set<string>();
    for (const o of all.objects) {
      const at = o.key.slice(prefix.length).indexOf(delimiter);
      if (at === -1) objects.push(o);
      else commonPrefixes.add(o.key.slice(0, prefix.length + at + 1));
    }
    return { objects: objects.slice(0, maxKeys), commonPrefixes: [...commonPrefixes].sort(), isTruncated: objects.length > maxKeys };
  };
}

/** Starts s3rver with `bucket` on a free loopback port, and the recording proxy in front of it. */
export async function startRecordingS3(bucket: string): Promise<RecordingS3> {
  const storeDir = tempDir('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: storeDir, configureBuckets: [{ name: bucket, configs: [] }] });
  fixDelimiterListing(server);
  const { port } = await server.run();
  const requests: S3Request[] = [];
  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const headers: Record<string, string> = {};
    for (const h of ['if-none-match', 'if-match', 'x-amz-copy-source']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      requests.push({ method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: [...url.searchParams.keys()], listPrefix: url.searchParams.get('prefix') ?? undefined, headers, status: up.statusCode ?? 0 });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    storeDir,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
    },
  };
}

/**
 * The IAM action S3 checks for a request (the S3 API reference's "Permissions"
 * of each operation): object reads and HEAD are s3:GetObject; PUT, a copy's
 * target and every step of a multipart upload s3:PutObject (a copy also reads
 * its source: s3:GetObject); DELETE and DeleteObjects s3:DeleteObject; an
 * abandoned multipart upload s3:AbortMultipartUpload; listing s3:ListBucket.
 */
export function s3Actions(r: S3Request): string[] {
  const hasKey = r.path.split('/').filter(Boolean).length > 1;
  const q = new Set(r.query);
  if (!hasKey) {
    if (r.method === 'POST' && q.has('delete')) return ['s3:DeleteObject'];
    if (r.method === 'GET' && q.has('uploads')) return ['s3:ListBucketMultipartUploads'];
    return ['s3:ListBucket'];
  }
  switch (r.method) {
    case 'GET':
      return q.has('uploadId') ? ['s3:ListMultipartUploadParts'] : ['s3:GetObject'];
    case 'HEAD':
      return ['s3:GetObject'];
    case 'PUT':
      return r.headers['x-amz-copy-source'] ? ['s3:PutObject', 's3:GetObject'] : ['s3:PutObject'];
    case 'POST':
      return ['s3:PutObject'];
    case 'DELETE':
      return q.has('uploadId') ? ['s3:AbortMultipartUpload'] : ['s3:DeleteObject'];
    default:
      return [`unknown:${r.method}`];
  }
}

/** A request in one line: `PUT /bucket/key?uploads [if-none-match=*] -> 200`. */
export function describeRequest(r: S3Request): string {
  const query = r.query.length ? `?${r.query.map((q) => (q === 'prefix' ? `prefix=${r.listPrefix}` : q)).join('&')}` : '';
  const headers = Object.entries(r.headers).map(([k, v]) => ` [${k}=${v}]`).join('');
  return `${r.method} ${r.path}${query}${headers} -> ${r.status}`;
}
