import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { DemoError, InvalidActionError } from '../DemoError';
import type { DemoCluster } from './DemoCluster';
import type { Consistency } from './protocol';

const PUBLIC = join(__dirname, '..', '..', 'public');
/** Every file the page needs, served from here: the page loads nothing from any other host. */
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
const PUSH_INTERVAL_MS = 500;
const MAX_BODY = 64 * 1024;
const CONSISTENCIES: readonly Consistency[] = ['one', 'quorum', 'all'];

/** An action the page asks for, as posted to `/api/action`. */
export type DashboardAction =
  | { readonly action: 'kill' | 'restart' | 'partition' | 'crash-worker'; readonly node: number }
  | { readonly action: 'heal' }
  | {
      readonly action: 'put';
      readonly node: number;
      readonly key: string;
      readonly value: string;
      readonly consistency: Consistency;
    }
  | {
      readonly action: 'get';
      readonly node: number;
      readonly key: string;
      readonly consistency: Consistency;
    };

/**
 * The dashboard: serves the page and its assets, pushes the cluster's state to every open page over a WebSocket
 * (`/ws`) every half second and after each action, and takes actions as `POST /api/action`.
 */
export class DashboardServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private timer: NodeJS.Timeout | undefined;
  private readonly offChange: () => void;

  constructor(private readonly cluster: DemoCluster) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: '/ws' });
    this.wss.on('connection', (ws) => this.push(ws));
    this.offChange = cluster.onChange(() => this.broadcast());
  }

  /** Listens on 127.0.0.1:`port` (0: any free port); resolves with the page's URL. */
  async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.timer = setInterval(() => this.broadcast(), PUSH_INTERVAL_MS);
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.offChange();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private broadcast(): void {
    if (this.wss.clients.size === 0) return;
    const json = JSON.stringify({ type: 'state', state: this.cluster.state() });
    for (const ws of this.wss.clients) if (ws.readyState === ws.OPEN) ws.send(json);
  }

  private push(ws: WebSocket): void {
    ws.send(JSON.stringify({ type: 'state', state: this.cluster.state() }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' && STATIC[url.pathname]) {
        const { file, type } = STATIC[url.pathname];
        const body = await readFile(join(PUBLIC, file));
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
      } else if (req.method === 'GET' && url.pathname === '/api/state') {
        json(res, 200, this.cluster.state());
      } else if (req.method === 'POST' && url.pathname === '/api/action') {
        const result = await this.act(parseAction(await readBody(req)));
        this.broadcast();
        json(res, 200, { ok: true, result });
      } else {
        json(res, 404, { ok: false, code: 'DEMO_ERR_NOT_FOUND', error: `no ${req.method} ${url.pathname}` });
      }
    } catch (e) {
      if (e instanceof DemoError) json(res, 400, { ok: false, code: e.code, error: e.message });
      else json(res, 500, { ok: false, code: 'DEMO_ERR_INTERNAL', error: String(e) });
    }
  }

  private async act(a: DashboardAction): Promise<unknown> {
    switch (a.action) {
      case 'kill':
        return this.cluster.kill(a.node);
      case 'restart':
        return this.cluster.restart(a.node);
      case 'partition':
        return this.cluster.partition(a.node);
      case 'heal':
        return this.cluster.heal();
      case 'crash-worker':
        return this.cluster.crashWorker(a.node);
      case 'put':
        return this.cluster.put(a.node, a.key, a.value, a.consistency);
      case 'get':
        return this.cluster.get(a.node, a.key, a.consistency);
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) {
        reject(new InvalidActionError('request body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Checks a posted action; anything malformed is an `InvalidActionError`, never a crash. */
export function parseAction(body: string): DashboardAction {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new InvalidActionError('the body is not JSON');
  }
  if (raw === null || typeof raw !== 'object') throw new InvalidActionError('the body is not an object');
  const a = raw as Record<string, unknown>;
  const node = () => {
    if (!Number.isInteger(a.node)) throw new InvalidActionError('node must be an integer');
    return a.node as number;
  };
  const key = () => {
    if (typeof a.key !== 'string' || a.key.length === 0 || a.key.length > 200)
      throw new InvalidActionError('key must be a string of 1 to 200 characters');
    return a.key;
  };
  const consistency = () => {
    if (!CONSISTENCIES.includes(a.consistency as Consistency))
      throw new InvalidActionError(`consistency must be one of ${CONSISTENCIES.join(', ')}`);
    return a.consistency as Consistency;
  };
  switch (a.action) {
    case 'kill':
    case 'restart':
    case 'partition':
    case 'crash-worker':
      return { action: a.action, node: node() };
    case 'heal':
      return { action: 'heal' };
    case 'put':
      if (typeof a.value !== 'string' || a.value.length > 10_000)
        throw new InvalidActionError('value must be a string of at most 10,000 characters');
      return { action: 'put', node: node(), key: key(), value: a.value, consistency: consistency() };
    case 'get':
      return { action: 'get', node: node(), key: key(), consistency: consistency() };
    default:
      throw new InvalidActionError(`unknown action ${JSON.stringify(a.action)}`);
  }
}
