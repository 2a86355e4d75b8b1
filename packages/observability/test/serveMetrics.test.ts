import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createNodeMetrics,
  metricsHandler,
  type MetricsServer,
  type NodeMetrics,
  ObservabilityError,
  serveMetrics,
} from '../src';
import { manualSystem, parseExposition, valueOf } from './manualSystem';

function fetchText(
  url: string,
  method = 'GET',
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveMetrics', () => {
  let metrics: NodeMetrics;
  const servers: MetricsServer[] = [];
  beforeEach(() => {
    metrics = createNodeMetrics({ system: manualSystem().system, labels: { node: 'web' } });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    metrics.stop();
  });

  async function serve(): Promise<MetricsServer> {
    const server = await serveMetrics({ host: '127.0.0.1', port: 0 }, metrics);
    servers.push(server);
    return server;
  }

  it('answers GET /metrics with the exposition and prom-client content type', async () => {
    const server = await serve();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const res = await fetchText(server.url);
    expect(res.status).toBe(200);
    expect(res.type).toBe(metrics.registry.contentType);
    // The receptionist is the one live actor of a fresh system.
    expect(valueOf(parseExposition(res.body).samples, 'troupe_actors', { node: 'web' })).toBe(1);
  });

  it('answers 404 for another path and 405 for another method', async () => {
    const server = await serve();
    expect((await fetchText(server.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetchText(server.url, 'POST')).status).toBe(405);
    const head = await fetchText(server.url, 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('rejects with OBS_ERR_LISTEN when the port is taken', async () => {
    const server = await serve();
    const error = await serveMetrics({ port: server.port }, metrics).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObservabilityError);
    expect((error as ObservabilityError).code).toBe('OBS_ERR_LISTEN');
  });

  it('rejects an invalid port with OBS_ERR_INVALID_OPTION', async () => {
    const error = await serveMetrics({ port: 70_000 }, metrics).catch((e: unknown) => e);
    expect((error as ObservabilityError).code).toBe('OBS_ERR_INVALID_OPTION');
  });
});

describe('metricsHandler', () => {
  it('plugs into an application server', async () => {
    const metrics = createNodeMetrics({ system: manualSystem().system, labels: { node: 'app' } });
    const handler = metricsHandler(metrics);
    const server: Server = createServer((req, res) =>
      req.url === '/metrics' ? handler(req, res) : res.writeHead(200).end('app'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetchText(`${base}/`)).body).toBe('app');
      expect((await fetchText(`${base}/metrics`)).body).toContain(
        'troupe_messages_handled_total{node="app"} 0',
      );
    } finally {
      await new Promise((r) => server.close(r));
      metrics.stop();
    }
  });
});
