/**
 * A local S3 server (s3rver, a real S3-compatible server) behind a recording
 * proxy: every request LanceDB sends is kept (method, path, query, the
 * headers that change what a request is, the status), and mapped to the IAM
 * action S3 authorizes it with. How the actions of each access level were
 * found (test/integ/s3-actions.test.ts).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { tempDir } from './files';
import { forward } from './forward';
import { startS3rver } from './s3rver';

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
  /** The keys a DeleteObjects request (`POST /bucket?delete`) names. */
  readonly deleteKeys?: string[];
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

/** Options of `startRecordingS3`. */
export interface RecordingS3Options {
  /**
   * Answer a PUT with `If-None-Match: *` on an existing key with 412
   * Precondition Failed, as S3 has since August 2024: s3rver 3.7.1 ignores the
   * header and overwrites. The check and the PUT are one step per key.
   */
  readonly conditionalWrites?: boolean;
}

/** Starts s3rver with `bucket` on a free loopback port, and the recording proxy in front of it. */
export async function startRecordingS3(bucket: string, options: RecordingS3Options = {}): Promise<RecordingS3> {
  const storeDir = tempDir('s3rver');
  // s3rver with the delimiter-listing fix LanceDB needs (./s3rver.ts); nothing else of it is changed.
  const { server, endpoint: direct } = await startS3rver(storeDir, bucket);
  const port = Number(new URL(direct).port);
  const requests: S3Request[] = [];
  /** Per key, the conditional PUT in progress. */
  const locks = new Map<string, Promise<void>>();
  const exists = (p: string) => new Promise<boolean>((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, method: 'HEAD', path: p }, (r) => {
      r.resume();
      resolve(r.statusCode === 200);
    }).on('error', reject).end();
  });
  const proxy = http.createServer(async (req, res) => {
    const conditional = options.conditionalWrites && req.method === 'PUT' && req.headers['if-none-match'] === '*';
    if (!conditional) return record(req, res);
    const key = new URL(req.url ?? '/', 'http://local').pathname;
    const before = locks.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => (release = resolve));
    locks.set(key, before.then(() => mine));
    await before;
    try {
      if (await exists(key)) {
        req.resume();
        requests.push({ method: 'PUT', path: decodeURIComponent(key), query: [], headers: { 'if-none-match': '*' }, status: 412 });
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
      await new Promise<void>((resolve) => {
        record(req, res);
        res.on('close', resolve);
      });
    } finally {
      release();
    }
  });
  const record = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const headers: Record<string, string> = {};
    for (const h of ['if-none-match', 'if-match', 'x-amz-copy-source']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const chunks: Buffer[] = [];
    const deleteObjects = req.method === 'POST' && url.searchParams.has('delete');
    if (deleteObjects) req.on('data', (c: Buffer) => chunks.push(c));
    forward(req, res, port, (up) => {
      const deleteKeys = deleteObjects ? [...Buffer.concat(chunks).toString('utf-8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]) : undefined;
      requests.push({
        method: req.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        query: [...url.searchParams.keys()],
        listPrefix: url.searchParams.get('prefix') ?? undefined,
        headers,
        status: up.statusCode ?? 0,
        ...(deleteKeys ? { deleteKeys } : {}),
      });
    });
  };
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

/** The keys a request deletes (`DELETE` of one object, or DeleteObjects), without the bucket. */
export function deletedKeys(r: S3Request, bucket: string): string[] {
  if (r.method === 'DELETE' && !r.query.includes('uploadId')) return [r.path.slice(bucket.length + 2)];
  return r.deleteKeys ?? [];
}

/** A request in one line: `PUT /bucket/key?uploads [if-none-match=*] -> 200`. */
export function describeRequest(r: S3Request): string {
  const query = r.query.length ? `?${r.query.map((q) => (q === 'prefix' ? `prefix=${r.listPrefix}` : q)).join('&')}` : '';
  const headers = Object.entries(r.headers).map(([k, v]) => ` [${k}=${v}]`).join('');
  return `${r.method} ${r.path}${query}${headers} -> ${r.status}`;
}
