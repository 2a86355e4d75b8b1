import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeMetrics } from './NodeMetrics';
import { ObservabilityError } from './ObservabilityError';

/**
 * An `http` request handler that answers `GET` (and `HEAD`) with the node's metrics in Prometheus text format,
 * with prom-client's content type; other methods get 405, a failed collection 500. It does not look at the
 * path: mount it where `/metrics` is routed.
 *
 * @example
 * ```ts
 * const handler = metricsHandler(metrics);
 * http.createServer((req, res) => (req.url === '/metrics' ? handler(req, res) : app(req, res)));
 * ```
 */
export function metricsHandler(metrics: NodeMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    metrics.metricsText().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics collection failed: ${String(error)}\n`);
      },
    );
  };
}

export interface MetricsServerOptions {
  /** Default `127.0.0.1`: metrics are not published beyond the machine unless asked. */
  host?: string;
  /** Default 9464 (Prometheus exporters' customary port); 0 picks a free one. */
  port?: number;
}

export interface MetricsServer {
  /** Where Prometheus scrapes: `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (404 for any other path) on a server of its own. Rejects with `ObservabilityError`
 * (`OBS_ERR_LISTEN`) if it cannot listen.
 *
 * @example
 * ```ts
 * const server = await serveMetrics({ port: 9464 }, metrics);
 * console.log(server.url); // http://127.0.0.1:9464/metrics
 * await server.close();
 * ```
 */
export function serveMetrics(options: MetricsServerOptions, metrics: NodeMetrics): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9464;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new ObservabilityError('OBS_ERR_INVALID_OPTION', `invalid port ${String(port)}`));
  }
  const handler = metricsHandler(metrics);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/metrics') handler(req, res);
    else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(
        new ObservabilityError('OBS_ERR_LISTEN', `cannot serve metrics on ${host}:${port}`, { cause: error }),
      );
    });
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${bound}/metrics`,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
