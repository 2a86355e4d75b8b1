import { receive, receiveMessage, setup, stopped } from '@troupe/core';
import { ObservabilityError, pinoLogging } from '../src';
import { manualSystem } from './manualSystem';

/** A pino destination that keeps each line, parsed. */
function capture(): { write(line: string): void; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line)) };
}

type Cmd = { type: 'say'; text: string } | { type: 'fail' } | { type: 'stop' };

const talker = receive<Cmd>((ctx, m) => {
  if (m.type === 'say') ctx.log.info(m.text, { extra: 1 });
  if (m.type === 'fail') throw new Error('boom');
  if (m.type === 'stop') return stopped();
});

describe('pinoLogging', () => {
  it('writes actor log lines with node and path fields', async () => {
    const out = capture();
    const logging = pinoLogging({ node: 'shop-1', level: 'info', destination: out });
    const t = manualSystem({ ...logging.systemOptions });
    t.system.spawn(talker, 'cart').tell({ type: 'say', text: 'checked out' });
    await t.settle();
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({
      level: 30,
      node: 'shop-1',
      path: '/user/cart',
      msg: 'checked out',
      data: { extra: 1 },
    });
  });

  it('is quiet by default: info lines are not written, and the system skips them before pino', async () => {
    const out = capture();
    const logging = pinoLogging({ node: 'n', destination: out });
    expect(logging.logger.level).toBe('warn');
    expect(logging.systemOptions.logLevel).toBe('warn');
    const t = manualSystem({ ...logging.systemOptions });
    let enabled: boolean | undefined;
    t.system
      .spawn(
        setup<Cmd>((ctx) => {
          enabled = ctx.log.isEnabled('info');
          return talker;
        }),
        'cart',
      )
      .tell({ type: 'say', text: 'hello' });
    await t.settle();
    expect(out.lines).toEqual([]);
    expect(enabled).toBe(false);
  });

  it('writes an actor failure at error level with the error serialized under err', async () => {
    const out = capture();
    const logging = pinoLogging({ node: 'n', destination: out });
    const t = manualSystem({ ...logging.systemOptions });
    t.system.spawn(talker, 'cart').tell({ type: 'fail' });
    await t.settle();
    const failure = out.lines.find((l) => l.msg === 'actor failed');
    expect(failure).toMatchObject({ level: 50, node: 'n', path: '/user/cart' });
    expect(failure!.err).toMatchObject({ type: 'Error', message: 'boom' });
  });

  it('logs dead letters and supervision decisions once attached, at info', async () => {
    const out = capture();
    const logging = pinoLogging({ node: 'n', level: 'info', destination: out });
    const t = manualSystem({ ...logging.systemOptions });
    const detach = logging.attach(t.system);
    const ref = t.system.spawn(talker, 'cart');
    ref.tell({ type: 'fail' });
    await t.settle();
    ref.tell({ type: 'stop' });
    await t.settle();
    ref.tell({ type: 'say', text: 'too late' });

    expect(out.lines.find((l) => l.directive === 'restart')).toMatchObject({
      level: 30,
      node: 'n',
      path: '/user/cart',
      supervisor: '/user',
      strategy: 'one-for-one',
    });
    expect(out.lines.find((l) => l.msg === 'dead letter')).toEqual(
      expect.objectContaining({
        level: 30,
        node: 'n',
        path: '/user/cart',
        reason: 'recipient-terminated',
        messageType: 'say',
      }),
    );

    detach();
    const before = out.lines.length;
    ref.tell({ type: 'say', text: 'after detach' });
    expect(out.lines).toHaveLength(before);
  });

  it('does not listen for dead letters at the default level, so they cost nothing', () => {
    const logging = pinoLogging({ node: 'n', destination: capture() });
    const t = manualSystem({ ...logging.systemOptions });
    logging.attach(t.system);
    expect(t.system.events.wants('dead-letter')).toBe(false);
    expect(t.system.events.wants('supervision')).toBe(true);
  });

  it('logs a stop decision at warn, which the default level writes', async () => {
    const out = capture();
    const logging = pinoLogging({ node: 'n', destination: out });
    const t = manualSystem({ ...logging.systemOptions });
    logging.attach(t.system);
    // A failing setup is an initialization error, which the default decider answers with stop.
    t.system.spawn(
      setup<never>(() => {
        throw new Error('no config');
      }),
      'broken',
    );
    await t.settle();
    expect(out.lines.find((l) => l.directive === 'stop')).toMatchObject({ level: 40, path: '/user/broken' });
  });

  it('writes nothing at all when silent', async () => {
    const out = capture();
    const logging = pinoLogging({ node: 'n', level: 'silent', destination: out });
    expect(logging.systemOptions.logLevel).toBe('off');
    const t = manualSystem({ ...logging.systemOptions });
    logging.attach(t.system);
    t.system
      .spawn(
        receiveMessage<number>(() => {
          throw new Error('x');
        }),
      )
      .tell(1);
    await t.settle();
    expect(out.lines).toEqual([]);
  });

  it('writes through a logger it is given, binding node on a child', () => {
    const out = capture();
    const parent = pinoLogging({ node: 'ignored', level: 'debug', destination: out }).logger;
    const logging = pinoLogging({ node: 'n2', logger: parent });
    expect(logging.systemOptions.logLevel).toBe('debug');
    logging.systemOptions.logSink({
      type: 'log',
      level: 'debug',
      source: '/user/x',
      message: 'm',
      timestamp: 0,
    });
    expect(out.lines[0]).toMatchObject({ node: 'n2', path: '/user/x', msg: 'm', level: 20 });
  });

  it.each([
    ['an empty node', { node: '' }],
    ['an unknown level', { node: 'n', level: 'loud' }],
  ])('refuses %s with OBS_ERR_INVALID_OPTION', (_what, options) => {
    let error: unknown;
    try {
      pinoLogging(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ObservabilityError);
    expect((error as ObservabilityError).code).toBe('OBS_ERR_INVALID_OPTION');
  });
});
