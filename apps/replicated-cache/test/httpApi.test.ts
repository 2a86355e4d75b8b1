import { createNode, type RemoteNode } from '@troupe/remote';
import { MemoryNetwork } from '@troupe/transport-memory';
import { type CacheNode, type HttpApi, startCache, startHttpApi } from '../src';

describe('the HTTP API', () => {
  let net: MemoryNetwork;
  let node: RemoteNode;
  let cache: CacheNode;
  let api: HttpApi;

  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(api.url + path, { method, body });
    const text = await res.text();
    return {
      status: res.status,
      body: text.length > 0 ? (JSON.parse(text) as Record<string, any>) : undefined,
    };
  };

  beforeEach(async () => {
    net = new MemoryNetwork();
    node = await createNode({ name: 'cache', transport: net.transport(), logLevel: 'off' });
  });

  afterEach(async () => {
    await api?.close();
    await cache.stop();
    await node.shutdown();
    net.shutdown();
  });

  describe('on a cache of one node', () => {
    beforeEach(async () => {
      cache = startCache(node, { settings: { maxKeyLength: 16, maxValueBytes: 64 } });
      api = await startHttpApi(cache, { host: '127.0.0.1', port: 0 });
    });

    it('listens on 127.0.0.1 and reports health and stats', async () => {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await call('GET', '/health')).toEqual({
        status: 200,
        body: { status: 'ok', ready: true, address: node.address, members: [node.address] },
      });
      const stats = await call('GET', '/stats');
      expect(stats.body).toMatchObject({ hits: 0, misses: 0, evictions: 0, keys: 0 });
    });

    it('puts, gets and deletes JSON values', async () => {
      expect(await call('PUT', '/keys/user%3A1?consistency=all', '{"name":"Ada"}')).toEqual({
        status: 204,
        body: undefined,
      });
      expect(await call('GET', '/keys/user%3A1?consistency=quorum')).toEqual({
        status: 200,
        body: { key: 'user:1', value: { name: 'Ada' } },
      });
      expect((await call('DELETE', '/keys/user%3A1')).status).toBe(204);
      const missing = await call('GET', '/keys/user%3A1');
      expect(missing.status).toBe(404);
      expect(missing.body!.error.code).toBe('CACHE_ERR_NOT_FOUND');
      expect((await call('GET', '/stats')).body).toMatchObject({ hits: 1, misses: 1, puts: 1, deletes: 1 });
    });

    it('passes ttlMs on to the entry (expiry itself is shown on virtual time)', async () => {
      const before = Date.now();
      expect((await call('PUT', '/keys/session?ttlMs=60000', '"s"')).status).toBe(204);
      const [, entry] = cache.entries().find(([k]) => k === 'session')!;
      expect(entry.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
      expect(entry.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it.each([
      ['a body that is not JSON', 'PUT', '/keys/k', '{oops', 400, 'CACHE_ERR_INVALID_JSON'],
      [
        'a key over the length limit',
        'GET',
        '/keys/' + 'x'.repeat(17),
        undefined,
        400,
        'CACHE_ERR_KEY_TOO_LONG',
      ],
      [
        'a value over the size limit',
        'PUT',
        '/keys/k',
        JSON.stringify('x'.repeat(100)),
        413,
        'CACHE_ERR_VALUE_TOO_LARGE',
      ],
      [
        'an unknown consistency',
        'GET',
        '/keys/k?consistency=most',
        undefined,
        400,
        'CACHE_ERR_INVALID_CONSISTENCY',
      ],
      ['a bad ttlMs', 'PUT', '/keys/k?ttlMs=soon', '1', 400, 'CACHE_ERR_INVALID_OPTION'],
      ['an empty key', 'GET', '/keys/', undefined, 400, 'CACHE_ERR_INVALID_KEY'],
      ['bad percent-encoding', 'GET', '/keys/%E0%A4%A', undefined, 400, 'CACHE_ERR_INVALID_KEY'],
      ['an unknown route', 'GET', '/nothing', undefined, 404, 'CACHE_ERR_NOT_FOUND'],
      ['an unsupported method', 'POST', '/keys/k', '1', 405, 'CACHE_ERR_METHOD'],
    ])('answers %s with a clear 4xx error', async (_what, method, path, body, status, code) => {
      const res = await call(method, path, body);
      expect(res.status).toBe(status);
      expect(res.body!.error.code).toBe(code);
      expect(cache.stats().entries).toBe(0);
    });
  });

  it('answers 503 with a reason when the requested consistency cannot be met', async () => {
    // Two members that never answer: only `one` can be served, by this node's own replica.
    const members = [node.address, 'troupe://cache@mem-98', 'troupe://cache@mem-99'];
    cache = startCache(node, { members, settings: { requestTimeoutMs: 100, syncRetryMs: 50 } });
    api = await startHttpApi(cache, { port: 0 });
    const res = await call('PUT', '/keys/k?consistency=quorum', '1');
    expect(res.status).toBe(503);
    expect(res.body!.error.code).toBe('CACHE_ERR_CONSISTENCY_UNAVAILABLE');
    expect(res.body!.error.reason).toMatch(/2 of 3 replicas needed/);
  });
});
