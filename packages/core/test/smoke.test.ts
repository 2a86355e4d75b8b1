import { type ActorRef, ask, receive } from '../src';
import { testSystem } from './testSystem';

describe('an actor', () => {
  it('answers an ask with its state', async () => {
    const { system, settle } = testSystem();
    type Msg = { type: 'inc' } | { type: 'get'; replyTo: ActorRef<number> };
    let n = 0;
    const ref = system.spawn(
      receive<Msg>((_ctx, m) => {
        if (m.type === 'inc') n++;
        else m.replyTo.tell(n);
      }),
    );
    ref.tell({ type: 'inc' });
    const p = ask(ref, (replyTo: ActorRef<number>): Msg => ({ type: 'get', replyTo }));
    await settle();
    await expect(p).resolves.toBe(1);
  });
});
