import * as http from 'http';

/**
 * Forwards one request to a server on 127.0.0.1:`port` and pipes its answer
 * back, calling `onResponse` first (the recording proxies' hook).
 *
 * When the upstream fails before answering, the client gets a 502 naming the
 * error; when it fails after its headers were forwarded (a connection reset
 * mid-body), the client's response is cut, as a real reset would cut it.
 */
export function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  port: number,
  onResponse: (upstream: http.IncomingMessage) => void = () => undefined,
): void {
  const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    onResponse(up);
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', (e) => {
    if (res.headersSent) {
      res.destroy(e);
      return;
    }
    res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(upstream);
}
