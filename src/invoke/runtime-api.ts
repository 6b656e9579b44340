/**
 * The Lambda Runtime API, served on 127.0.0.1 for the runtime client in the
 * child process (GET next, POST response / error / init error), and the
 * mailbox through which it and the child's exit reach the run loop.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 */
import * as http from 'http';
import { isRecord } from './cloud-assembly';
import { JsonValue, LambdaError } from './types';

/** Lambda's limit on a synchronous response payload. */
const MAX_RESPONSE_BYTES = 6291556;

/** What the run loop waits for: a request of the runtime, the child's exit, or a deadline. */
export type Happening =
  | { readonly kind: 'next' }
  | { readonly kind: 'done'; readonly id: string; readonly result?: JsonValue; readonly error?: LambdaError }
  | { readonly kind: 'init-error'; readonly error: LambdaError }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly kind: 'timeout' };

/** Happenings from the server and the child, taken one at a time. */
export class Mailbox {
  private readonly queue: Happening[] = [];
  private waiter?: (h: Happening) => void;

  public post(h: Happening): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(h);
    } else {
      this.queue.push(h);
    }
  }

  public async take(timeoutMs: number): Promise<Happening> {
    const queued = this.queue.shift();
    if (queued) return queued;
    return new Promise<Happening>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ kind: 'timeout' });
      }, Math.max(0, timeoutMs));
      this.waiter = (h) => {
        clearTimeout(timer);
        resolve(h);
      };
    });
  }
}

function parseError(body: string, fallbackType: string | undefined): LambdaError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) {
      return {
        errorType: typeof parsed.errorType === 'string' ? parsed.errorType : fallbackType ?? 'Error',
        errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : body,
        trace: Array.isArray(parsed.trace) ? parsed.trace.map(String) : [],
      };
    }
  } catch {
    // not JSON: the body is the message
  }
  return { errorType: fallbackType ?? 'Error', errorMessage: body, trace: [] };
}

function parseResponse(body: string): JsonValue {
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    return body;
  }
}

/**
 * The Runtime API server: parks the runtime's GET /next until the run loop
 * delivers an event, and posts what the runtime sends back to the mailbox.
 */
export class RuntimeApi {
  public requests = 0;
  private readonly server: http.Server;
  private parkedNext?: http.ServerResponse;
  private readonly known = new Set<string>();

  constructor(private readonly mailbox: Mailbox) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
  }

  public async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the Runtime API server has no port');
    return `127.0.0.1:${address.port}`;
  }

  /** Answers the parked GET /next with an event. */
  public deliver(id: string, event: string, headers: Record<string, string>): void {
    const res = this.parkedNext;
    if (!res) throw new Error('no runtime is waiting for an event');
    this.parkedNext = undefined;
    this.known.add(id);
    res.writeHead(200, { ...headers, 'Lambda-Runtime-Aws-Request-Id': id, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(event) });
    res.end(event);
  }

  public close(): void {
    this.parkedNext?.destroy();
    this.parkedNext = undefined;
    this.server.closeAllConnections();
    this.server.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.route(req, res, Buffer.concat(chunks).toString('utf-8')));
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      this.parkedNext = res;
      this.mailbox.post({ kind: 'next' });
      return;
    }
    if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      accepted(res);
      this.mailbox.post({ kind: 'init-error', error: parseError(body, header(req, 'lambda-runtime-function-error-type')) });
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && m) {
      const id = decodeURIComponent(m[1]);
      if (!this.known.delete(id)) {
        refuse(res, 400, 'InvalidRequestID', `unknown request id ${id}`);
        return;
      }
      accepted(res);
      this.mailbox.post(invocationOutcome(req, id, m[2] === 'error', body));
      return;
    }
    refuse(res, 404, 'NotFound', `no such Runtime API route: ${req.method} ${url}`);
  }
}

/** The response or error of an invocation, as posted (a streamed response reports its error in trailers). */
function invocationOutcome(req: http.IncomingMessage, id: string, isError: boolean, body: string): Happening {
  const trailerType = req.trailers['lambda-runtime-function-error-type'];
  const trailerBody = req.trailers['lambda-runtime-function-error-body'];
  if (isError) return { kind: 'done', id, error: parseError(body, header(req, 'lambda-runtime-function-error-type')) };
  if (trailerType) return { kind: 'done', id, error: parseError(trailerBody ? Buffer.from(trailerBody, 'base64').toString('utf-8') : '', trailerType) };
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    return { kind: 'done', id, error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`, trace: [] } };
  }
  return { kind: 'done', id, result: parseResponse(body) };
}

function accepted(res: http.ServerResponse): void {
  res.writeHead(202, { 'Content-Type': 'application/json' });
  res.end('{"status":"OK"}');
}

function refuse(res: http.ServerResponse, status: number, errorType: string, errorMessage: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ errorType, errorMessage }));
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
