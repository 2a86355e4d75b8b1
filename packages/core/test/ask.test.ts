import {
  type ActorRef,
  ask,
  AskTimeoutError,
  InvalidArgumentError,
  receiveMessage,
  RecipientTerminatedError,
  stopped,
  SystemTerminatedError,
} from '../src';
import { testSystem } from './testSystem';

type Req =
  | { type: 'get'; replyTo: ActorRef<string> }
  | { type: 'hold'; replyTo: ActorRef<string> }
  | { type: 'release' };

/** Answers 'get' at once; keeps the reply-to of 'hold' and answers it (twice) on 'release'. */
function server() {
  let held: ActorRef<string> | undefined;
  return receiveMessage<Req>((m) => {
    if (m.type === 'get') m.replyTo.tell('answer');
    else if (m.type === 'hold') held = m.replyTo;
    else {
      held?.tell('late');
      held?.tell('later');
    }
  });
}

/** Tracks a promise's outcome without awaiting it. */
function track<T>(p: Promise<T>) {
  const state: { status: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = {
    status: 'pending',
  };
  p.then(
    (value) => Object.assign(state, { status: 'resolved', value }),
    (error) => Object.assign(state, { status: 'rejected', error }),
  );
  return state;
}

describe('ask', () => {
  it('resolves with the reply', async () => {
    const { system, settle } = testSystem();
    const ref = system.spawn(server());
    const reply = ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'get', replyTo }));
    await settle();
    await expect(reply).resolves.toBe('answer');
  });

  it('resolves each of several concurrent asks with its own reply', async () => {
    const { system, settle } = testSystem();
    type Echo = { n: number; replyTo: ActorRef<number> };
    const ref = system.spawn(receiveMessage<Echo>((m) => m.replyTo.tell(m.n * 10)));
    const replies = [1, 2, 3].map((n) => ask(ref, (replyTo: ActorRef<number>): Echo => ({ n, replyTo })));
    await settle();
    await expect(Promise.all(replies)).resolves.toEqual([10, 20, 30]);
  });

  it('gives each ask a distinct temporary reply-to ref under /temp', async () => {
    const { system, settle } = testSystem();
    const seen: string[] = [];
    const ref = system.spawn(
      receiveMessage<{ replyTo: ActorRef<string> }>((m) => {
        seen.push(m.replyTo.path);
        m.replyTo.tell('ok');
      }),
    );
    const a = ask(ref, (replyTo: ActorRef<string>) => ({ replyTo }));
    const b = ask(ref, (replyTo: ActorRef<string>) => ({ replyTo }));
    await settle();
    await Promise.all([a, b]);
    expect(seen).toHaveLength(2);
    expect(new Set(seen).size).toBe(2);
    for (const p of seen) expect(p).toMatch(/^\/temp\/\$/);
  });

  it('rejects with AskTimeoutError after timeoutMs of virtual time, and not before', async () => {
    const { system, advance } = testSystem();
    const ref = system.spawn(server(), 'silent');
    const state = track(
      ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo }), { timeoutMs: 100 }),
    );
    await advance(99);
    expect(state.status).toBe('pending');
    await advance(1);
    expect(state.status).toBe('rejected');
    expect(state.error).toBeInstanceOf(AskTimeoutError);
    expect(state.error).toMatchObject({
      code: 'ACTOR_ERR_ASK_TIMEOUT',
      timeoutMs: 100,
      target: '/user/silent',
    });
  });

  it('times out after 5000 ms by default', async () => {
    const { system, advance } = testSystem();
    const ref = system.spawn(server());
    const state = track(ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo })));
    await advance(4999);
    expect(state.status).toBe('pending');
    await advance(1);
    expect((state.error as AskTimeoutError).code).toBe('ACTOR_ERR_ASK_TIMEOUT');
  });

  it('turns a reply that comes after the timeout into a dead letter with reason ask-already-completed', async () => {
    const { system, advance, settle, eventsOf } = testSystem();
    const ref = system.spawn(server());
    const state = track(
      ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo }), { timeoutMs: 100 }),
    );
    await advance(100);
    expect(state.status).toBe('rejected');
    ref.tell({ type: 'release' });
    await settle();
    const dead = eventsOf('dead-letter');
    expect(dead.map((d) => [d.message, d.reason])).toEqual([
      ['late', 'ask-already-completed'],
      ['later', 'ask-already-completed'],
    ]);
    expect(dead[0].recipient).toMatch(/^\/temp\/\$/);
  });

  it('takes only the first reply; later replies are dead letters', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(server());
    const reply = ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo }));
    ref.tell({ type: 'release' });
    await settle();
    await expect(reply).resolves.toBe('late');
    expect(eventsOf('dead-letter').map((d) => [d.message, d.reason])).toEqual([
      ['later', 'ask-already-completed'],
    ]);
  });

  it('rejects at once with RecipientTerminatedError when the target has terminated', async () => {
    const { system, settle, clock } = testSystem();
    const ref = system.spawn(server(), 'gone');
    system.stop(ref);
    await settle();
    const reply = ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'get', replyTo }));
    await expect(reply).rejects.toBeInstanceOf(RecipientTerminatedError);
    await expect(reply).rejects.toMatchObject({ code: 'ACTOR_ERR_RECIPIENT_TERMINATED' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects pending asks with SystemTerminatedError when the system terminates', async () => {
    const { system, settle } = testSystem();
    const ref = system.spawn(server());
    const a = track(ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo })));
    const b = track(
      ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo }), { timeoutMs: 60_000 }),
    );
    await settle();
    expect([a.status, b.status]).toEqual(['pending', 'pending']);
    const done = system.terminate();
    await settle();
    await done;
    for (const s of [a, b]) {
      expect(s.status).toBe('rejected');
      expect(s.error).toBeInstanceOf(SystemTerminatedError);
      expect(s.error).toMatchObject({ code: 'ACTOR_ERR_SYSTEM_TERMINATED' });
    }
  });

  it('rejects an ask of a terminated system with SystemTerminatedError', async () => {
    const { system, settle } = testSystem();
    const ref = system.spawn(server());
    const done = system.terminate();
    await settle();
    await done;
    await expect(
      ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'get', replyTo })),
    ).rejects.toBeInstanceOf(SystemTerminatedError);
  });

  it('leaves no pending clock timers once an ask has been answered', async () => {
    const { system, settle, clock } = testSystem();
    const ref = system.spawn(server());
    expect(clock.pendingTimers).toBe(0);
    const reply = ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'get', replyTo }), {
      timeoutMs: 1000,
    });
    expect(clock.pendingTimers).toBe(1);
    await settle();
    await reply;
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves no pending clock timers after a timeout or a system termination', async () => {
    const { system, settle, advance, clock } = testSystem();
    const ref = system.spawn(server());
    const timedOut = track(
      ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo }), { timeoutMs: 10 }),
    );
    await advance(10);
    expect(timedOut.status).toBe('rejected');
    expect(clock.pendingTimers).toBe(0);
    const aborted = track(ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'hold', replyTo })));
    expect(clock.pendingTimers).toBe(1);
    void system.terminate();
    await settle();
    expect(aborted.status).toBe('rejected');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with what the request builder throws, and sends nothing', async () => {
    const { system, settle, clock } = testSystem();
    const got: Req[] = [];
    const ref = system.spawn(receiveMessage<Req>((m) => void got.push(m)));
    const boom = new Error('builder broke');
    const reply = ask(ref, (): Req => {
      throw boom;
    });
    await expect(reply).rejects.toBe(boom);
    await settle();
    expect(got).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([0, -1, NaN])('rejects a timeoutMs of %p with InvalidArgumentError', async (timeoutMs) => {
    const { system } = testSystem();
    const ref = system.spawn(server());
    const reply = ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'get', replyTo }), { timeoutMs });
    await expect(reply).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('times out when the target stops without answering', async () => {
    const { system, advance } = testSystem();
    const ref = system.spawn(receiveMessage<Req>(() => stopped()));
    const state = track(
      ask(ref, (replyTo: ActorRef<string>): Req => ({ type: 'get', replyTo }), { timeoutMs: 50 }),
    );
    await advance(49);
    expect(state.status).toBe('pending');
    await advance(1);
    expect(state.error).toBeInstanceOf(AskTimeoutError);
  });
});
