import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkKey } from './CacheClient';
import {
  CacheError,
  CacheStoppedError,
  CacheTimeoutError,
  ConsistencyUnavailableError,
  InvalidConsistencyError,
  InvalidJsonError,
  InvalidOptionError,
  ValueTooLargeError,
} from './CacheError';
import { CONSISTENCIES, type Consistency } from './CacheSettings';
import type { CacheNode } from './startCache';

/** Options of {@link startHttpApi}. */
export interface HttpApiOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

/** A running HTTP API. */
export interface HttpApi {
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the cache over HTTP on one node:
 *
 * - `GET /keys/:key?consistency=one|quorum|all`: 200 `{ key, value }`, or 404 when absent;
 * - `PUT /keys/:key?consistency=...&ttlMs=...` with the JSON value as body: 204;
 * - `DELETE /keys/:key?consistency=...`: 204;
 * - `GET /stats`: this node's {@link CacheStats}; `GET /health`: `{ status, ready, address, members }`.
 *
 * Errors are JSON `{ error: { code, message } }`: 400 for a bad request (bad JSON, key too long, unknown
 * consistency, bad ttlMs), 413 for a value over the size limit, 503 with a `reason` when the consistency cannot
 * be met, 504 when the coordinator did not answer.
 *
 * @example
 * ```ts
 * const api = await startHttpApi(cache, { port: 8080 });
 * // curl -X PUT localhost:8080/keys/greeting -d '"hello"'; curl localhost:8080/keys/greeting?consistency=all
 * await api.close();
 * ```
 */
export async function startHttpApi(cache: CacheNode, options: HttpApiOptions = {}): Promise<HttpApi> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(cache, req, res).catch((e: unknown) => sendError(res, e));
  });
  // Keep-alive sockets would hold `close` open; requests are short.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(cache: CacheNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://cache');
  const path = url.pathname;
  if (path === '/stats' || path === '/health') {
    if (req.method !== 'GET') return sendJson(res, 405, errorBody('CACHE_ERR_METHOD', 'use GET'));
    const stats = cache.stats();
    if (path === '/stats') return sendJson(res, 200, stats);
    return sendJson(res, 200, {
      status: 'ok',
      ready: stats.ready,
      address: stats.address,
      members: stats.members,
    });
  }
  if (!path.startsWith('/keys/'))
    return sendJson(res, 404, errorBody('CACHE_ERR_NOT_FOUND', `no route ${path}`));
  let key: string;
  try {
    key = decodeURIComponent(path.slice('/keys/'.length));
  } catch {
    return sendJson(res, 400, errorBody('CACHE_ERR_INVALID_KEY', 'key is not valid percent-encoding'));
  }
  checkKey(key, cache.settings.maxKeyLength);
  const consistency = parseConsistency(
    url.searchParams.get('consistency'),
    cache.settings.defaultConsistency,
  );
  switch (req.method) {
    case 'GET': {
      const value = await cache.client.get(key, { consistency });
      if (value === undefined) return sendJson(res, 404, errorBody('CACHE_ERR_NOT_FOUND', `no key ${key}`));
      return sendJson(res, 200, { key, value });
    }
    case 'PUT': {
      const ttl = url.searchParams.get('ttlMs');
      let ttlMs: number | undefined;
      if (ttl !== null) {
        ttlMs = Number(ttl);
        if (!/^[0-9]+$/.test(ttl) || !Number.isSafeInteger(ttlMs) || ttlMs <= 0)
          throw new InvalidOptionError('ttlMs', ttl);
      }
      const body = await readBody(req, cache.settings.maxValueBytes);
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch (e) {
        throw new InvalidJsonError((e as Error).message);
      }
      await cache.client.put(key, value, { consistency, ttlMs });
      return send(res, 204, '');
    }
    case 'DELETE':
      await cache.client.delete(key, { consistency });
      return send(res, 204, '');
    default:
      return sendJson(res, 405, errorBody('CACHE_ERR_METHOD', 'use GET, PUT or DELETE'));
  }
}

function parseConsistency(given: string | null, fallback: Consistency): Consistency {
  if (given === null) return fallback;
  if (!CONSISTENCIES.includes(given as Consistency)) throw new InvalidConsistencyError(given);
  return given as Consistency;
}

/** The body as text; a `ValueTooLargeError` as soon as it grows past `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > max) {
        failed = true;
        reject(new ValueTooLargeError(size, max));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

function statusOf(e: CacheError): number {
  if (e instanceof ConsistencyUnavailableError) return 503;
  if (e instanceof CacheStoppedError) return 503;
  if (e instanceof CacheTimeoutError) return 504;
  if (e instanceof ValueTooLargeError) return 413;
  return 400;
}

function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof CacheError) {
    const body = errorBody(e.code, e.message);
    if (e instanceof ConsistencyUnavailableError) body.error.reason = e.reason;
    // A body still arriving after an early 413 is not read: close the connection rather than drain it.
    if (e instanceof ValueTooLargeError) res.setHeader('connection', 'close');
    return sendJson(res, statusOf(e), body);
  }
  sendJson(res, 500, errorBody('CACHE_ERR_INTERNAL', String(e)));
}

function errorBody(
  code: string,
  message: string,
): { error: { code: string; message: string; reason?: string } } {
  return { error: { code, message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json');
}

function send(res: ServerResponse, status: number, body: string, type?: string): void {
  if (res.headersSent) return;
  if (type) res.setHeader('content-type', type);
  res.statusCode = status;
  res.end(body);
}
