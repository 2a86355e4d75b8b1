import {
  type ActorRef,
  ActorError,
  InvalidArgumentError,
  receive,
  receiveMessage,
  setup,
  stopped,
} from '@troupe/core';
import { ExpectationFailedError, useTestKit } from '@troupe/testkit';

type Pong = { type: 'pong'; n: number } | { type: 'other' };

describe('TestProbe', () => {
  const kit = useTestKit();

  /** An actor that tells `to` each message it gets, `delayMs` of virtual time later (its timer's tick is `{ due }`). */
  const delayer = <M>(to: ActorRef<M>, delayMs: number) =>
    setup<M | { due: M }>((ctx) => {
      let i = 0;
      return receiveMessage((m) => {
        if (typeof m === 'object' && m !== null && 'due' in m) to.tell(m.due);
        else ctx.timers.startSingleTimer(i++, { due: m }, delayMs);
      });
    });
  /** An actor whose timers make it tell `to` `message` every `everyMs`. */
  const chatty = <M>(to: ActorRef<M>, message: M, everyMs: number) =>
    setup<'tick'>((ctx) => {
      ctx.timers.startTimerAtFixedRate('t', 'tick', everyMs);
      return receiveMessage(() => to.tell(message));
    });

  describe('expectMessage', () => {
    it('takes a message equal to the expected value, deeply', async () => {
      const probe = kit().createProbe<Pong>();
      probe.ref.tell({ type: 'pong', n: 1 });
      await expect(probe.expectMessage({ type: 'pong', n: 1 })).resolves.toEqual({ type: 'pong', n: 1 });
      expect(probe.pending).toEqual([]);
    });

    it('accepts a predicate, and Jest asymmetric matchers inside a value', async () => {
      const probe = kit().createProbe<Pong>();
      probe.ref.tell({ type: 'pong', n: 7 });
      probe.ref.tell({ type: 'pong', n: 8 });
      const first = await probe.expectMessage((m): m is { type: 'pong'; n: number } => m.type === 'pong');
      expect(first.n).toBe(7);
      await probe.expectMessage({ type: 'pong', n: expect.any(Number) });
    });

    it('waits on virtual time for a message sent later, and stops the clock when it arrives', async () => {
      const probe = kit().createProbe<string>();
      const d = kit().system.spawn(delayer(probe.ref, 2500));
      d.tell('late');
      await probe.expectMessage('late', 3000);
      expect(kit().clock.now()).toBe(2500);
    });

    it('fails with ExpectationFailedError at the virtual deadline when nothing arrives', async () => {
      const probe = kit().createProbe<string>();
      const error = await probe.expectMessage('x', 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error).toBeInstanceOf(ActorError);
      expect(error).toMatchObject({ code: 'TESTKIT_ERR_EXPECTATION', window: [0, 1000] });
      expect(kit().clock.now()).toBe(1000);
      expect((error as Error).message).toBe(
        `probe /user/probe-1: expected a message equal to "x" within 1000 ms (virtual time 0 → 1000), ` +
          `but no message arrived.\nMessages received: none.`,
      );
    });

    it('fails on a next message that does not match, saying what was expected and listing what arrived', async () => {
      const probe = kit().createProbe<Pong>();
      probe.ref.tell({ type: 'other' });
      probe.ref.tell({ type: 'pong', n: 2 });
      const error = (await probe
        .expectMessage({ type: 'pong', n: 2 })
        .catch((e: unknown) => e)) as ExpectationFailedError;
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error.code).toBe('TESTKIT_ERR_EXPECTATION');
      expect(error.message).toContain('expected a message equal to { type: "pong", n: 2 }');
      expect(error.message).toContain('but the next message was { type: "other" }');
      expect(error.message).toContain(
        'Messages received (2):\n  t=0  { type: "other" }\n  t=0  { type: "pong", n: 2 }',
      );
      expect(error.received.map((r) => r.message)).toEqual([{ type: 'other' }, { type: 'pong', n: 2 }]);
      // The mismatch is taken: the matching one is next.
      await probe.expectMessage({ type: 'pong', n: 2 }, 0);
    });

    it('treats a predicate that throws as a mismatch and keeps its error as the cause', async () => {
      const probe = kit().createProbe<number>();
      probe.ref.tell(1);
      const error = (await probe
        .expectMessage((n) => {
          expect(n).toBe(2);
          return true;
        })
        .catch((e: unknown) => e)) as ExpectationFailedError;
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error.message).toContain('the predicate threw');
      expect(error.cause).toBeInstanceOf(Error);
    });

    it('says what earlier expectations took when nothing new arrives', async () => {
      const probe = kit().createProbe<string>();
      probe.ref.tell('first');
      await probe.expectMessage('first');
      await expect(probe.expectMessage('second', 10)).rejects.toThrow(
        'no message arrived (earlier expectations took 1; the last was "first" at t=0)',
      );
    });

    it('refuses a negative window with InvalidArgumentError', async () => {
      const probe = kit().createProbe<string>();
      expect(() => probe.expectMessage('x', -1)).toThrow(InvalidArgumentError);
    });

    it('waits the kit default of 3000 virtual ms when not told', async () => {
      const probe = kit().createProbe<string>();
      await expect(probe.receiveMessage()).rejects.toMatchObject({ window: [0, 3000] });
    });
  });

  describe('expectNoMessage', () => {
    it('passes on a silent actor, after the whole window of virtual time', async () => {
      const probe = kit().createProbe<string>();
      kit().system.spawn(receiveMessage<string>((m) => probe.ref.tell(m)));
      await probe.expectNoMessage(500);
      expect(kit().clock.now()).toBe(500);
    });

    it('fails on a chatty actor with ExpectationFailedError, saying what arrived and when', async () => {
      const probe = kit().createProbe<string>();
      kit().system.spawn(chatty(probe.ref, 'chatter', 200));
      const error = (await probe.expectNoMessage(500).catch((e: unknown) => e)) as ExpectationFailedError;
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error.code).toBe('TESTKIT_ERR_EXPECTATION');
      expect(error.message).toContain(
        'expected no message within 500 ms (virtual time 0 → 500), but "chatter" arrived at t=200',
      );
      expect(kit().clock.now()).toBe(200);
    });

    it('fails at once when a message is already waiting', async () => {
      const probe = kit().createProbe<string>();
      probe.ref.tell('early');
      await expect(probe.expectNoMessage(1000)).rejects.toBeInstanceOf(ExpectationFailedError);
      expect(kit().clock.now()).toBe(0);
    });
  });

  describe('receiveMessages and fishForMessage', () => {
    it('receives n messages in order', async () => {
      const probe = kit().createProbe<number>();
      kit().system.spawn(
        setup<'tick'>((ctx) => {
          let n = 0;
          ctx.timers.startTimerAtFixedRate('t', 'tick', 100);
          return receiveMessage(() => probe.ref.tell(++n));
        }),
      );
      expect(await probe.receiveMessages(3, 300)).toEqual([1, 2, 3]);
      expect(kit().clock.now()).toBe(300);
    });

    it('fails listing the messages that did arrive when fewer than n do', async () => {
      const probe = kit().createProbe<string>();
      probe.ref.tell('one');
      const error = (await probe.receiveMessages(2, 50).catch((e: unknown) => e)) as ExpectationFailedError;
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error.message).toContain('expected 2 messages within 50 ms');
      expect(error.message).toContain('only 1 arrived');
      expect(error.message).toContain('t=0  "one"');
    });

    it('fishes past messages that do not match', async () => {
      const probe = kit().createProbe<Pong>();
      probe.ref.tell({ type: 'other' });
      probe.ref.tell({ type: 'pong', n: 1 });
      probe.ref.tell({ type: 'pong', n: 2 });
      const hit = await probe.fishForMessage((m) => m.type === 'pong' && m.n === 2);
      expect(hit).toEqual({ type: 'pong', n: 2 });
      expect(probe.pending).toEqual([]);
    });

    it('fails listing what it skipped when nothing matches in time', async () => {
      const probe = kit().createProbe<Pong>();
      probe.ref.tell({ type: 'other' });
      const error = (await probe
        .fishForMessage((m) => m.type === 'pong', 100)
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error.message).toContain('none of the 1 that arrived matched');
      expect(error.message).toContain('{ type: "other" }');
    });
  });

  describe('expectTerminated', () => {
    it('sees an actor stop at its virtual time', async () => {
      const probe = kit().createProbe<never>();
      const mortal = kit().system.spawn(
        setup<'die'>((ctx) => {
          ctx.timers.startSingleTimer('die', 'die', 750);
          return receiveMessage(() => stopped());
        }),
        'mortal',
      );
      await probe.expectTerminated(mortal, 1000);
      expect(kit().clock.now()).toBe(750);
    });

    it('sees an actor that had already terminated', async () => {
      const probe = kit().createProbe<never>();
      const gone = kit().system.spawn(receive<never>(() => undefined));
      kit().system.stop(gone);
      await kit().runUntilIdle();
      await probe.expectTerminated(gone, 0);
    });

    it('fails with ExpectationFailedError when the actor lives on', async () => {
      const probe = kit().createProbe<never>();
      const immortal = kit().system.spawn(
        receive<never>(() => undefined),
        'immortal',
      );
      const error = (await probe.expectTerminated(immortal, 100).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ExpectationFailedError);
      expect(error.message).toContain('expected troupe://test/user/immortal to terminate within 100 ms');
    });
  });

  describe('as a real actor', () => {
    it('lives under /user, where lookup finds it, and its messages are dead letters once stopped', async () => {
      const probe = kit().createProbe<string>('observer');
      expect(probe.ref.path).toBe('/user/observer');
      expect(kit().system.lookup('/user/observer')).toBe(probe.ref);
      probe.stop();
      await kit().runUntilIdle();
      probe.ref.tell('too late');
      expect(kit().eventsOf('dead-letter')).toEqual([expect.objectContaining({ message: 'too late' })]);
    });

    it('runs expectations of one kit one after another, each with its full window', async () => {
      const a = kit().createProbe<string>();
      const b = kit().createProbe<string>();
      kit().system.spawn(delayer(a.ref, 800)).tell('to a');
      kit().system.spawn(delayer(b.ref, 1500)).tell('to b');
      await Promise.all([a.expectMessage('to a', 1000), b.expectMessage('to b', 1000)]);
      expect(kit().clock.now()).toBe(1500);
    });
  });
});
