import {
  type ActorRef,
  ask,
  type Listing,
  receiveMessage,
  Receptionist,
  type Registered,
  ServiceKey,
  stopped,
} from '../src';
import { type TestSystem, testSystem } from './testSystem';

type Ping = { type: 'ping' } | { type: 'stop' };
const PingKey = new ServiceKey<Ping>('ping');
const OtherKey = new ServiceKey<Ping>('other');

const pinger = () => receiveMessage<Ping>((m) => (m.type === 'stop' ? stopped() : undefined));

/** Finds the services under `key` by asking the receptionist. */
async function find<M>(t: TestSystem, key: ServiceKey<M>): Promise<ReadonlyArray<ActorRef<M>>> {
  const reply = ask(t.system.receptionist, (r: ActorRef<Listing<M>>) => Receptionist.find(key, r));
  await t.settle();
  const listing = await reply;
  expect(listing.key.id).toBe(key.id);
  return listing.services;
}

/** An actor that records every listing it gets, as the paths of its services. */
function subscriber(t: TestSystem, name: string) {
  const listings: string[][] = [];
  const ref = t.system.spawn(
    receiveMessage<Listing<Ping>>((l) => void listings.push(l.services.map((s) => s.path))),
    name,
  );
  return { ref, listings };
}

describe('the receptionist', () => {
  it('finds nothing under a key nobody registered', async () => {
    const t = testSystem();
    expect(await find(t, PingKey)).toEqual([]);
  });

  it('finds registered actors under their key, in registration order', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    const b = t.system.spawn(pinger(), 'b');
    const c = t.system.spawn(pinger(), 'c');
    t.system.receptionist.tell(Receptionist.register(PingKey, b));
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(OtherKey, c));
    expect(await find(t, PingKey)).toEqual([b, a]);
    expect(await find(t, OtherKey)).toEqual([c]);
  });

  it('treats two keys with the same id as the same key', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    t.system.receptionist.tell(Receptionist.register(new ServiceKey<Ping>('ping'), a));
    expect(await find(t, new ServiceKey<Ping>('ping'))).toEqual([a]);
  });

  it('lists an actor registered twice only once', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    expect(await find(t, PingKey)).toEqual([a]);
  });

  it('acknowledges a registration to the given reply-to', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    const ack = ask(t.system.receptionist, (r: ActorRef<Registered<Ping>>) =>
      Receptionist.register(PingKey, a, r),
    );
    await t.settle();
    const registered = await ack;
    expect(registered.key.id).toBe('ping');
    expect(registered.service).toBe(a);
  });

  it('sends a subscriber the current listing at once, and a new listing on each change', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    const b = t.system.spawn(pinger(), 'b');
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    await t.settle();
    const sub = subscriber(t, 'sub');
    t.system.receptionist.tell(Receptionist.subscribe(PingKey, sub.ref));
    await t.settle();
    expect(sub.listings).toEqual([['/user/a']]);
    t.system.receptionist.tell(Receptionist.register(PingKey, b));
    await t.settle();
    t.system.receptionist.tell(Receptionist.deregister(PingKey, a));
    await t.settle();
    expect(sub.listings).toEqual([['/user/a'], ['/user/a', '/user/b'], ['/user/b']]);
  });

  it('sends a subscriber an empty listing at once when nothing is registered yet', async () => {
    const t = testSystem();
    const sub = subscriber(t, 'sub');
    t.system.receptionist.tell(Receptionist.subscribe(PingKey, sub.ref));
    await t.settle();
    expect(sub.listings).toEqual([[]]);
  });

  it('does not notify subscribers of other keys, nor of registrations that change nothing', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    const sub = subscriber(t, 'sub');
    t.system.receptionist.tell(Receptionist.subscribe(PingKey, sub.ref));
    t.system.receptionist.tell(Receptionist.register(OtherKey, a));
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(
      Receptionist.deregister(OtherKey, t.system.spawn(pinger(), 'never-registered')),
    );
    await t.settle();
    expect(sub.listings).toEqual([[], ['/user/a']]);
  });

  it('removes a registered actor that stops from listings, and tells subscribers', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    const b = t.system.spawn(pinger(), 'b');
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(PingKey, b));
    const sub = subscriber(t, 'sub');
    t.system.receptionist.tell(Receptionist.subscribe(PingKey, sub.ref));
    await t.settle();
    a.tell({ type: 'stop' });
    await t.settle();
    expect(await find(t, PingKey)).toEqual([b]);
    expect(sub.listings).toEqual([['/user/a', '/user/b'], ['/user/b']]);
  });

  it('removes a stopped actor from every key it was registered under', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(OtherKey, a));
    await t.settle();
    t.system.stop(a);
    await t.settle();
    expect(await find(t, PingKey)).toEqual([]);
    expect(await find(t, OtherKey)).toEqual([]);
  });

  it('does not list an actor that was already dead when it was registered', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    t.system.stop(a);
    await t.settle();
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    await t.settle();
    expect(await find(t, PingKey)).toEqual([]);
  });

  it('deregisters an actor, which stays alive but is no longer listed', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    const b = t.system.spawn(pinger(), 'b');
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(PingKey, b));
    t.system.receptionist.tell(Receptionist.deregister(PingKey, a));
    expect(await find(t, PingKey)).toEqual([b]);
    expect(t.eventsOf('actor-stopped')).toEqual([]);
  });

  it('can register an actor again after deregistering it, and drops it when it then stops', async () => {
    const t = testSystem();
    const a = t.system.spawn(pinger(), 'a');
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    t.system.receptionist.tell(Receptionist.deregister(PingKey, a));
    t.system.receptionist.tell(Receptionist.register(PingKey, a));
    expect(await find(t, PingKey)).toEqual([a]);
    t.system.stop(a);
    await t.settle();
    expect(await find(t, PingKey)).toEqual([]);
  });

  it('stops notifying a subscriber after unsubscribe', async () => {
    const t = testSystem();
    const sub = subscriber(t, 'sub');
    t.system.receptionist.tell(Receptionist.subscribe(PingKey, sub.ref));
    await t.settle();
    t.system.receptionist.tell(Receptionist.unsubscribe(PingKey, sub.ref));
    t.system.receptionist.tell(Receptionist.register(PingKey, t.system.spawn(pinger(), 'a')));
    await t.settle();
    expect(sub.listings).toEqual([[]]);
  });

  it('forgets a subscriber that stopped: no dead letters for it on later changes', async () => {
    const t = testSystem();
    const sub = subscriber(t, 'sub');
    t.system.receptionist.tell(Receptionist.subscribe(PingKey, sub.ref));
    await t.settle();
    t.system.stop(sub.ref);
    await t.settle();
    t.system.receptionist.tell(Receptionist.register(PingKey, t.system.spawn(pinger(), 'a')));
    await t.settle();
    expect(t.eventsOf('dead-letter')).toEqual([]);
  });
});
