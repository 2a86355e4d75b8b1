// The example from README.md, verbatim: if this file needs a change, so does the README.
import { type ActorRef, ask, receiveMessage, RecipientTerminatedError, setup, stopped } from '@troupe/core';
import { createTestInbox, installMatchers, testBehavior, useTestKit } from '@troupe/testkit';

installMatchers(expect);

type Tick = { type: 'tick' };
type Cmd = Tick | { type: 'get'; replyTo: ActorRef<number> } | { type: 'quit' };

/** Counts a tick every second and reports each count to `report`. */
const counter = (report: ActorRef<number>) =>
  setup<Cmd>((ctx) => {
    let n = 0;
    ctx.timers.startTimerAtFixedRate('tick', { type: 'tick' }, 1000);
    return receiveMessage<Cmd>((msg) => {
      if (msg.type === 'tick') report.tell(++n);
      else if (msg.type === 'get') msg.replyTo.tell(n);
      else return stopped();
    });
  });

describe('counter', () => {
  const kit = useTestKit({ seed: 42 }); // a fresh system on virtual time for each test

  it('counts ten ticks in ten virtual seconds', async () => {
    const probe = kit().createProbe<number>();
    kit().system.spawn(counter(probe.ref), 'counter');

    await kit().advance(10_000); // instant in real time
    expect(await probe.receiveMessages(10, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await probe.expectNoMessage(999); // waits 999 virtual ms, not real ones
  });

  it('answers an ask with the count so far', async () => {
    const probe = kit().createProbe<number>();
    const ref = kit().system.spawn(counter(probe.ref), 'counter');
    await kit().advance(3500);

    const reply = ask(ref, (replyTo: ActorRef<number>) => ({ type: 'get' as const, replyTo }));
    await kit().runUntilIdle();
    await expect(reply).resolves.toBe(3);
    expect(probe).toHaveReceived(3);
  });

  it('stops on quit, after which asks are refused', async () => {
    const probe = kit().createProbe<number>();
    const ref = kit().system.spawn(counter(probe.ref), 'counter');
    ref.tell({ type: 'quit' });
    await probe.expectTerminated(ref);

    const reply = ask(ref, (replyTo: ActorRef<number>) => ({ type: 'get' as const, replyTo }));
    await expect(reply).rejects.toBeInstanceOf(RecipientTerminatedError);
  });

  it('is unit-tested without a system', () => {
    const report = createTestInbox<number>('report');
    const unit = testBehavior(counter(report.ref)); // runs the setup synchronously, records its effects
    expect(unit.activeTimers).toEqual([
      expect.objectContaining({ key: 'tick', mode: 'fixed-rate', intervalMs: 1000 }),
    ]);
    unit.fireTimer('tick');
    report.expectMessage(1);

    const replies = unit.createInbox<number>();
    unit.run({ type: 'get', replyTo: replies.ref });
    replies.expectMessage(1);
    unit.run({ type: 'quit' });
    expect(unit.isAlive).toBe(false);
  });
});
