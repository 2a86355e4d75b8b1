import { freePorts } from '@troupe/testkit';
import { until } from '@troupe/testkit';
import { CacheNodeProcess } from '../src/cli/startNodeProcess';

jest.setTimeout(120_000);

const put = async (url: string, key: string, value: unknown): Promise<number> =>
  (await fetch(`${url}/keys/${key}?consistency=quorum`, { method: 'PUT', body: JSON.stringify(value) }))
    .status;

/**
 * A read, retried while the answer is 503 (a loaded machine can make a replica miss the deadline): only what a
 * read returns is judged, never whether it was available at the first attempt.
 */
const get = async (url: string, key: string, consistency = 'quorum') => {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/keys/${key}?consistency=${consistency}`);
    const body = (await res.json()) as { value?: unknown; error?: { reason?: string } };
    if (res.status !== 503 || attempt >= 50) return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Polls `check` every 100 ms until it holds, for at most `timeoutMs` (the caller asserts afterwards). */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('three cache node processes over WebSocket', () => {
  const processes: CacheNodeProcess[] = [];
  afterAll(async () => {
    // Every child goes, whatever happened in the test.
    await Promise.all(processes.map((p) => p.stop()));
  });

  it('keeps every acknowledged write readable at quorum through a kill -9, and the restarted node catches up', async () => {
    const ports = await freePorts(3);
    const seeds = ports.slice(0, 2).map((p) => `troupe://cache@127.0.0.1:${p}`);
    const start = (port: number) => {
      const p = new CacheNodeProcess({ port, seeds, secret: 'cache-process-test-secret' });
      processes.push(p);
      return p;
    };
    const [a, b, victim] = ports.map(start);
    const ready = (p: CacheNodeProcess) => p.lines.some((l) => l.event === 'ready') && p.url !== undefined;
    await until(
      () => [a, b, victim].every(ready),
      60_000,
      `three ready nodes (${processes.map((p) => p.errors)})`,
    );
    // Every ring has all three members before writing, so that every write goes to all three.
    await eventually(async () => {
      for (const p of [a, b, victim]) {
        const health = (await (await fetch(`${p.url}/health`)).json()) as {
          members: string[];
          ready: boolean;
        };
        if (health.members.length !== 3 || !health.ready) return false;
      }
      return true;
    }, 30_000);
    const acknowledged = new Map<string, unknown>();
    const write = async (url: string, key: string, value: unknown) => {
      // Retried until acknowledged: only acknowledged writes are promised.
      for (let attempt = 0; attempt < 50; attempt++) {
        if ((await put(url, key, value)) === 204) return acknowledged.set(key, value);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`write of ${key} never acknowledged`);
    };
    for (let i = 0; i < 30; i++) await write(i % 2 === 0 ? a.url! : b.url!, `k${i}`, { i, before: true });

    victim.kill('SIGKILL');
    await victim.exited;
    for (let i = 30; i < 60; i++) await write(i % 2 === 0 ? a.url! : b.url!, `k${i}`, { i, before: false });
    for (const [key, value] of acknowledged) {
      const res = await get(a.url!, key);
      expect({ key, status: res.status, value: res.body.value }).toEqual({ key, status: 200, value });
    }

    // Restarted at the same address with an empty store: it catches up from the other two.
    const restarted = start(victim.options.port);
    await until(() => ready(restarted), 60_000, `restarted node ready (${restarted.errors})`);
    const statsOf = async (url: string) => (await (await fetch(`${url}/stats`)).json()) as { keys: number };
    await eventually(async () => (await statsOf(restarted.url!)).keys === acknowledged.size, 30_000);
    expect((await statsOf(restarted.url!)).keys).toBe(acknowledged.size);
    // Its own replica answers a read at consistency one, and has every acknowledged value.
    for (const [key, value] of acknowledged) {
      const res = await get(restarted.url!, key, 'one');
      expect({ key, value: res.body.value }).toEqual({ key, value });
    }
  });
});
