import { type ActorRef, receive, receiveMessage, setup, stopped } from '@troupe/core';
import { Registry } from 'prom-client';
import { createNodeMetrics, type NodeMetrics, ObservabilityError } from '../src';
import { manualSystem, parseExposition, valueOf } from './manualSystem';

type Cmd = { type: 'work' } | { type: 'fail' } | { type: 'stop' };

const worker = receive<Cmd>((_ctx, m) => {
  if (m.type === 'fail') throw new Error('boom');
  if (m.type === 'stop') return stopped();
});

const started: NodeMetrics[] = [];
afterEach(() => {
  for (const m of started.splice(0)) m.stop();
});

function metricsFor(...args: Parameters<typeof createNodeMetrics>): NodeMetrics {
  const m = createNodeMetrics(...args);
  started.push(m);
  return m;
}

async function scrape(metrics: NodeMetrics) {
  return parseExposition(await metrics.metricsText());
}

describe('createNodeMetrics', () => {
  it('counts messages handled, dead letters by reason and restarts after known activity', async () => {
    const t = manualSystem();
    const metrics = metricsFor({ system: t.system, labels: { node: 'a' } });
    const ref = t.system.spawn(worker, 'w');
    for (let i = 0; i < 10; i++) ref.tell({ type: 'work' });
    await t.settle();
    let { samples } = await scrape(metrics);
    expect(valueOf(samples, 'troupe_messages_handled_total', { node: 'a' })).toBe(10);
    expect(valueOf(samples, 'troupe_actor_restarts_total')).toBe(0);

    ref.tell({ type: 'fail' }); // the 11th message, and a restart
    await t.settle();
    ref.tell({ type: 'stop' }); // the 12th
    await t.settle();
    ref.tell({ type: 'work' }); // to a stopped actor: two dead letters
    ref.tell({ type: 'work' });
    t.system.deadLetters.tell('explicitly dead');
    ({ samples } = await scrape(metrics));

    expect(valueOf(samples, 'troupe_messages_handled_total')).toBe(12);
    expect(valueOf(samples, 'troupe_actor_restarts_total')).toBe(1);
    expect(valueOf(samples, 'troupe_actor_failures_total')).toBe(1);
    expect(valueOf(samples, 'troupe_dead_letters_total', { reason: 'recipient-terminated' })).toBe(2);
    expect(valueOf(samples, 'troupe_dead_letters_total', { reason: 'explicit' })).toBe(1);
  });

  it('writes a well-formed exposition with every named metric typed and labelled with the node', async () => {
    const t = manualSystem();
    const metrics = metricsFor({ system: t.system, labels: { node: 'a', region: 'eu' } });
    const { types, samples } = await scrape(metrics);
    expect(Object.fromEntries(types)).toEqual({
      troupe_mailbox_depth: 'gauge',
      troupe_mailbox_depth_total: 'gauge',
      troupe_actors: 'gauge',
      troupe_messages_handled_total: 'counter',
      troupe_dead_letters_total: 'counter',
      troupe_actor_restarts_total: 'counter',
      troupe_actor_failures_total: 'counter',
      troupe_transport_connections: 'gauge',
      troupe_transport_bytes_sent_total: 'counter',
      troupe_transport_bytes_received_total: 'counter',
    });
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.labels).toMatchObject({ node: 'a', region: 'eu' });
  });

  it('reports the deepest mailboxes by path, up to mailboxTopN, and the total depth of all of them', async () => {
    const t = manualSystem();
    const metrics = metricsFor({ system: t.system, labels: { node: 'a' }, mailboxTopN: 2 });
    const gates: (() => void)[] = [];
    const blocked = (name: string): ActorRef<string> =>
      t.system.spawn(
        receiveMessage<string>(() => new Promise<void>((r) => gates.push(r))),
        name,
      );
    const depths: Record<string, number> = { b1: 1, b2: 3, b3: 5 };
    for (const [name, depth] of Object.entries(depths)) {
      const ref = blocked(name);
      // The first message blocks the actor; the rest wait in its mailbox.
      for (let i = 0; i <= depth; i++) ref.tell(`m${i}`);
    }
    await t.settle();
    const { samples } = await scrape(metrics);

    const byPath = samples
      .filter((s) => s.name === 'troupe_mailbox_depth')
      .map((s) => [s.labels.path, s.value]);
    expect(byPath).toEqual([
      ['/user/b3', 5],
      ['/user/b2', 3],
    ]);
    expect(valueOf(samples, 'troupe_mailbox_depth_total')).toBe(9);
    // Three blocked actors, and the receptionist under /system.
    expect(valueOf(samples, 'troupe_actors')).toBe(4);

    // Each release lets an actor take its next message, which blocks it again: drain them all.
    for (let round = 0; round < 6; round++) {
      for (const release of gates.splice(0)) release();
      await t.settle();
    }
    const after = (await scrape(metrics)).samples;
    expect(after.filter((s) => s.name === 'troupe_mailbox_depth')).toEqual([]);
    expect(valueOf(after, 'troupe_mailbox_depth_total')).toBe(0);
  });

  it('keeps several nodes in one process apart, each in its own registry', async () => {
    const a = manualSystem();
    const b = manualSystem();
    const ma = metricsFor({ system: a.system, labels: { node: 'a' } });
    const mb = metricsFor({ system: b.system, labels: { node: 'b' } });
    const ref = a.system.spawn(worker);
    for (let i = 0; i < 3; i++) ref.tell({ type: 'work' });
    await a.settle();
    expect(ma.registry).not.toBe(mb.registry);
    expect(valueOf((await scrape(ma)).samples, 'troupe_messages_handled_total', { node: 'a' })).toBe(3);
    expect(valueOf((await scrape(mb)).samples, 'troupe_messages_handled_total', { node: 'b' })).toBe(0);
  });

  it('registers into a registry it is given, next to the application metrics, and removes only its own on stop', async () => {
    const t = manualSystem();
    const registry = new Registry();
    const { Counter } = await import('prom-client');
    new Counter({ name: 'app_orders_total', help: 'orders', registers: [registry] }).inc(7);
    const metrics = createNodeMetrics({ system: t.system, registry, labels: { node: 'a' } });
    expect(metrics.registry).toBe(registry);
    const text = await registry.metrics();
    expect(text).toContain('app_orders_total{node="a"} 7');
    expect(text).toContain('troupe_actors');

    metrics.stop();
    metrics.stop();
    const left = parseExposition(await registry.metrics());
    expect([...left.types.keys()]).toEqual(['app_orders_total']);
    // Stopped: no longer listening to the system.
    expect(t.system.events.wants('dead-letter')).toBe(false);
  });

  it.each([
    ['no node label', { labels: {} }],
    ['an empty node label', { labels: { node: '' } }],
    ['an invalid label name', { labels: { node: 'a', 'bad-name': 'x' } }],
    ['a label the metrics use', { labels: { node: 'a', reason: 'x' } }],
    ['a negative top-N', { labels: { node: 'a' }, mailboxTopN: -1 }],
    ['a fractional top-N', { labels: { node: 'a' }, mailboxTopN: 1.5 }],
  ])('refuses %s with OBS_ERR_INVALID_OPTION', (_what, options) => {
    const t = manualSystem();
    let error: unknown;
    try {
      createNodeMetrics({ system: t.system, ...(options as { labels: { node: string } }) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ObservabilityError);
    expect((error as ObservabilityError).code).toBe('OBS_ERR_INVALID_OPTION');
  });

  it('refuses something that is not an actor system', () => {
    expect(() => createNodeMetrics({ system: {} as never, labels: { node: 'a' } })).toThrow(
      ObservabilityError,
    );
  });
});

describe('inspection from outside core', () => {
  it('is available to an observer through system.inspect and actorTree', async () => {
    const t = manualSystem();
    const kinds: string[] = [];
    const off = t.system.inspect((e) => kinds.push(e.kind));
    t.system
      .spawn(
        setup<Cmd>(() => worker),
        'w',
      )
      .tell({ type: 'work' });
    await t.settle();
    off();
    expect(kinds).toEqual(['spawned', 'received']);
    expect(t.system.actorTree().children[0].children.map((c) => c.path)).toEqual(['/user/w']);
  });
});
