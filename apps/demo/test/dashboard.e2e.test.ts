import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DemoProcess, processExists, waitFor } from './demoProcess';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', 'test-output');
/** In the page: the cache panel shows the answer to the last put or get. */
const answered = () => document.getElementById('cache-result')?.dataset.ok !== undefined;

/**
 * The demo end to end, as a newcomer meets it: `npm start`'s program, five node processes, their metrics, the
 * dashboard in a headless Chromium, a leader killed from the page and replaced, a key put and read back, then
 * Ctrl-C and a second start.
 */
describe('the demo, end to end', () => {
  let demo: DemoProcess;
  let browser: Browser | undefined;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test drives Debian's chromium (as root: apt-get install -y chromium; .ci/run does it)`,
      );
    }
    demo = new DemoProcess();
    url = await demo.url();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  }, 30_000);

  it("serves each node's Prometheus metrics at /metrics, labelled with the node, and counts a worker's crash and restart", async () => {
    await demo.explain(waitFor(async () => (await demo.state()).upMembers === 5, 60_000));
    const metricsUrl = async () => {
      const status = (await demo.state()).nodes[1].status;
      if (!status?.metrics.available)
        throw new Error(`node 1 has no metrics: ${JSON.stringify(status?.metrics)}`);
      return status.metrics.value.url;
    };
    const scrape = async () => {
      const res = await fetch(await metricsUrl());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseMetrics(await res.text());
    };

    // Connected to every other member, sending and receiving bytes.
    const before = await waitFor(async () => {
      const m = await scrape();
      return m.get('troupe_transport_connections{node="node-1"}') === 4 ? m : undefined;
    }, 30_000);
    expect(before.get('troupe_transport_bytes_sent_total{node="node-1"}')).toBeGreaterThan(0);
    expect(before.get('troupe_transport_bytes_received_total{node="node-1"}')).toBeGreaterThan(0);
    expect(before.get('troupe_actors{node="node-1"}')).toBeGreaterThan(5);
    for (const series of before.keys()) expect(series).toContain('node="node-1"');

    const post = (body: object) => fetch(`${url}/api/action`, { method: 'POST', body: JSON.stringify(body) });
    const refused = await post({ action: 'crash-worker', node: 9 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: string }).code).toBe('DEMO_ERR_INVALID_ACTION');
    expect((await post({ action: 'crash-worker', node: 1 })).status).toBe(200);
    const after = await waitFor(async () => {
      const m = await scrape();
      return (m.get('troupe_actor_restarts_total{node="node-1"}') ?? 0) >= 1 ? m : undefined;
    }, 10_000);
    const failures = (m: Map<string, number>) => m.get('troupe_actor_failures_total{node="node-1"}') ?? 0;
    expect(failures(after)).toBe(failures(before) + 1);
    expect(after.get('troupe_messages_handled_total{node="node-1"}')).toBeGreaterThan(
      before.get('troupe_messages_handled_total{node="node-1"}')!,
    );
  }, 90_000);

  it('shows five members and a leader, elects a new one within 3 s of the leader being killed from the page, and puts and gets a key', async () => {
    await page.goto(url);
    await demo.explain(
      page.waitForFunction(() => document.getElementById('member-count')?.textContent === '5', undefined, {
        timeout: 60_000,
      }),
    );
    const leaderAttr = () => page.locator('#leader').getAttribute('data-index');
    await demo.explain(
      page.waitForFunction(() => document.getElementById('leader')?.dataset.index !== undefined, undefined, {
        timeout: 30_000,
      }),
    );
    // Elections may still be settling after the start: kill a leader that has held its term for a second.
    let since = Date.now();
    let seen = '';
    const settled = await demo.explain(
      waitFor(async () => {
        const { leader } = await demo.state();
        const now = JSON.stringify(leader);
        if (now !== seen) [seen, since] = [now, Date.now()];
        return leader?.index !== undefined && Date.now() - since >= 1000 ? leader : undefined;
      }, 30_000),
    );
    await page.waitForFunction(
      (i) => document.getElementById('leader')?.dataset.index === String(i),
      settled.index,
      { timeout: 5000 },
    );
    const first = Number(await leaderAttr());
    expect(first).toBe(settled.index);
    expect(await page.locator(`[data-node="${first}"].node`).getAttribute('data-state')).toBe('running');

    // The clock starts when the server answers the click: the leader's process is gone by then.
    const killed = page.waitForResponse(
      (r) => r.url().endsWith('/api/action') && r.request().method() === 'POST',
    );
    await page.click(`button[data-action="kill"][data-node="${first}"]`);
    expect((await killed).ok()).toBe(true);
    const killedAt = Date.now();
    await demo.explain(
      page.waitForFunction(
        (old) => {
          const i = document.getElementById('leader')?.dataset.index;
          return i !== undefined && i !== String(old);
        },
        first,
        { timeout: 3000, polling: 50 },
      ),
    );
    const second = Number(await leaderAttr());
    const shownMs = Date.now() - killedAt;
    expect(second).not.toBe(first);
    expect(await page.locator(`[data-node="${first}"].node`).getAttribute('data-state')).toBe('killed');
    // The same interval by the orchestrator's clock, which no test-side delay can shorten: from its log line
    // for the kill (written before the SIGKILL) to its first line naming another leader.
    const events = (await demo.state()).events;
    const killLine = [...events].reverse().find((e) => e.text.startsWith(`node ${first} killed`));
    const leaderLine = events.find(
      (e) =>
        e.t >= (killLine?.t ?? Infinity) &&
        /^leader: node \d/.test(e.text) &&
        !e.text.startsWith(`leader: node ${first} `),
    );
    if (!killLine || !leaderLine)
      throw new Error(`no change of leader logged after the kill\n${await demo.describe()}`);
    const electedMs = leaderLine.t - killLine.t;
    expect(electedMs).toBeLessThan(3000);
    process.stdout.write(
      `killed leader node ${first}: node ${second} leads ${electedMs} ms after the kill, on the page ${shownMs} ms after the kill answered\n`,
    );

    const key = `e2e-${Date.now()}`;
    const via = (first + 1) % 5;
    await page.selectOption('#cache-node', String(via));
    await page.selectOption('#cache-consistency', 'quorum');
    await page.fill('#cache-key', key);
    await page.fill('#cache-value', 'from the browser');
    await page.click('#cache-put');
    await demo.explain(page.waitForFunction(answered, undefined, { timeout: 10_000 }));
    expect(await page.locator('#cache-result').getAttribute('data-ok')).toBe('true');

    await page.selectOption('#cache-node', String((first + 2) % 5));
    await page.click('#cache-get');
    await demo.explain(page.waitForFunction(answered, undefined, { timeout: 10_000 }));
    expect(await page.locator('#cache-result').getAttribute('data-value')).toBe('from the browser');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(OUTPUT, 'dashboard.png'))).toBe(true);
  }, 120_000);

  it('stops every node process on Ctrl-C, and a second start right after works on the same dashboard port', async () => {
    // The second start runs three nodes, not five: the same code path, and half the start-up time on two cores.
    const state = await demo.state();
    const pids = state.nodes.map((n) => n.pid).filter((p): p is number => p !== undefined);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    const port = new URL(url).port;
    expect(await demo.stop()).toBe(0);
    await waitFor(() => pids.every((pid) => !processExists(pid)), 10_000);

    const again = new DemoProcess(['--port', port, '--nodes', '3']);
    try {
      expect(await again.url()).toBe(url);
      await waitFor(async () => (await again.state()).upMembers === 3, 60_000);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 120_000);
});

/** The samples of a Prometheus text exposition, by series (`name{labels}`). */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
