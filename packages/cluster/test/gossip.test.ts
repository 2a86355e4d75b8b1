import { ClusterSettings, decideDowning, type Member, type MemberStatus } from '../src';
import { heartbeatReceivers } from '../src/internal/heartbeat';
import {
  compareVersions,
  EMPTY_GOSSIP,
  isConverged,
  leaderOf,
  merge,
  removeMembers,
  unreachableMembers,
  withMembers,
  withObservation,
  withSeen,
} from '../src/internal/Gossip';
import { MalformedMessageError, Serialization } from '@troupe/remote';
import {
  gossipFromWire,
  gossipToWire,
  isGossipWire,
  registerClusterProtocol,
} from '../src/internal/protocol';
import { keyOf } from '../src/Member';

const m = (name: string, status: MemberStatus = 'up', upNumber = 1, incarnation = 'i1'): Member => ({
  address: `troupe://c@${name}`,
  incarnation,
  status,
  upNumber,
});
const k = (name: string, incarnation = 'i1') => `troupe://c@${name} ${incarnation}`;

describe('gossip', () => {
  it('orders vector clocks: same, before, after, concurrent', () => {
    const a = new Map([['x', 1]]);
    expect(compareVersions(a, new Map([['x', 1]]))).toBe('same');
    expect(compareVersions(a, new Map([['x', 2]]))).toBe('before');
    expect(compareVersions(new Map([['x', 2]]), a)).toBe('after');
    expect(compareVersions(new Map([['x', 2]]), new Map([['y', 1]]))).toBe('concurrent');
    expect(compareVersions(new Map(), new Map([['y', 1]]))).toBe('before');
  });

  it('merges concurrent views member by member, the later status winning', () => {
    const base = withMembers(EMPTY_GOSSIP, k('a'), [m('a'), m('b'), m('c', 'joining', 0)]);
    const left = withMembers(base, k('a'), [m('b', 'down')]);
    const right = withMembers(base, k('c'), [m('b', 'leaving'), m('c', 'up', 3)]);
    expect(compareVersions(left.version, right.version)).toBe('concurrent');
    const merged = merge(left, right);
    expect(merged.members.get(k('b'))!.status).toBe('down');
    expect(merged.members.get(k('c'))!.status).toBe('up');
    expect(merged.members.get(k('c'))!.upNumber).toBe(3);
    expect(compareVersions(merged.version, left.version)).toBe('after');
    expect(compareVersions(merged.version, right.version)).toBe('after');
    expect(merged.seen.size).toBe(0);
  });

  it('never brings a removed member back from a stale view', () => {
    const base = withMembers(EMPTY_GOSSIP, k('a'), [m('a'), m('b')]);
    const removed = removeMembers(withMembers(base, k('a'), [m('b', 'down')]), k('a'), [k('b')], 0);
    const stale = withMembers(base, k('b'), [m('b', 'up', 2)]);
    const merged = merge(stale, removed);
    expect(merged.members.has(k('b'))).toBe(false);
    expect(merged.tombstones.has(k('b'))).toBe(true);
    expect([...merged.version.keys()]).not.toContain(k('b'));
  });

  it('counts an unreachable member only on the word of an observer that is not down', () => {
    let g = withMembers(EMPTY_GOSSIP, k('a'), [m('a'), m('b'), m('c')]);
    g = withObservation(g, k('a'), k('b'), false);
    expect([...unreachableMembers(g)]).toEqual([k('b')]);
    g = withMembers(g, k('c'), [m('a', 'down')]);
    expect(unreachableMembers(g).size).toBe(0);
  });

  it('converges when every reachable up member has seen the version and the unreachable are down', () => {
    let g = withMembers(EMPTY_GOSSIP, k('a'), [m('a'), m('b'), m('c')]);
    expect(isConverged(g, k('a'))).toBe(false);
    g = withSeen(withSeen(g, k('b')), k('c'));
    expect(isConverged(g, k('a'))).toBe(true);
    g = withObservation(g, k('a'), k('c'), false);
    g = withSeen(g, k('b'));
    expect(isConverged(g, k('a'))).toBe(false); // c unreachable and not down
    g = withSeen(withMembers(g, k('a'), [m('c', 'down')]), k('b'));
    expect(isConverged(g, k('a'))).toBe(true); // c is down: no vote needed
  });

  it('picks the lowest reachable up member as leader, and a joining one while nobody is up', () => {
    let g = withMembers(EMPTY_GOSSIP, k('b'), [m('b', 'joining', 0), m('c', 'joining', 0)]);
    expect(leaderOf(g)!.address).toBe('troupe://c@b');
    g = withMembers(g, k('b'), [m('a', 'joining', 0), m('c', 'up', 1)]);
    expect(leaderOf(g)!.address).toBe('troupe://c@c');
    g = withObservation(g, k('b'), k('c'), false);
    expect(leaderOf(g)!.address).toBe('troupe://c@a');
  });

  it('survives the wire and refuses malformed gossip', () => {
    let g = withMembers(EMPTY_GOSSIP, k('a'), [m('a'), m('b', 'leaving', 2)]);
    g = withObservation(g, k('a'), k('b'), false);
    g = removeMembers(g, k('a'), [k('z')], 0);
    const wire = gossipToWire(g);
    expect(isGossipWire(wire)).toBe(true);
    const back = gossipFromWire(wire, 0);
    expect([...back.members.values()]).toEqual([...g.members.values()]);
    expect(back.reachability.get(k('a'))!.unreachable.has(k('b'))).toBe(true);
    expect(isGossipWire({ ...wire, members: [{ ...wire.members[0], status: 'zombie' }] })).toBe(false);
    expect(isGossipWire({ ...wire, seen: ['no key here'] })).toBe(false);
    expect(isGossipWire({ ...wire, version: [['x', -1]] })).toBe(false);
  });

  it('takes numbered heartbeats and answers off the wire, and refuses them without a valid number', () => {
    const serialization = new Serialization();
    registerClusterProtocol(serialization);
    const from = { from: 'troupe://c@a', incarnation: 'i1' };
    const beat = { type: 'troupe/cluster.heartbeat', ...from, to: 'i2', seq: 7 };
    const answer = { type: 'troupe/cluster.heartbeat-rsp', ...from, seq: 7 };
    expect(serialization.fromWire(beat.type, beat)).toEqual(beat);
    expect(serialization.fromWire(answer.type, answer)).toEqual(answer);
    for (const seq of [undefined, -1, 1.5, '7'])
      for (const message of [beat, answer])
        expect(() => serialization.fromWire(message.type, { ...message, seq })).toThrow(
          MalformedMessageError,
        );
  });
});

describe('downing decisions', () => {
  const five = ['a', 'b', 'c', 'd', 'e'].map((n) => m(n));
  const unreachable = (...names: string[]) => new Set(names.map((n) => k(n)));
  const keepMajority = { strategy: 'keep-majority' } as const;

  it('keeps the majority: the side of three downs the two, the side of two downs itself', () => {
    expect(decideDowning(keepMajority, five, unreachable('d', 'e'))).toBe('down-unreachable');
    expect(decideDowning(keepMajority, five, unreachable('a', 'b', 'c'))).toBe('down-self');
  });

  it('splits equal halves by the lowest address: its side survives', () => {
    const four = five.slice(0, 4);
    expect(decideDowning(keepMajority, four, unreachable('c', 'd'))).toBe('down-unreachable');
    expect(decideDowning(keepMajority, four, unreachable('a', 'b'))).toBe('down-self');
    expect(decideDowning(keepMajority, four, unreachable('b', 'd'))).toBe('down-unreachable'); // a's side
    expect(decideDowning(keepMajority, four, unreachable('a', 'c'))).toBe('down-self');
  });

  it('counts only up and leaving members, and decides nothing with nobody unreachable', () => {
    const members = [...five, m('f', 'joining', 0), m('g', 'joining', 0)];
    expect(decideDowning(keepMajority, members, unreachable('d', 'e'))).toBe('down-unreachable');
    expect(decideDowning(keepMajority, five, unreachable())).toBe('none');
    expect(decideDowning(keepMajority, [...five.slice(0, 4), m('e', 'down')], unreachable('e'))).toBe('none');
  });

  it('applies a static quorum', () => {
    const quorum = { strategy: 'static-quorum', quorumSize: 3 } as const;
    expect(decideDowning(quorum, five, unreachable('d', 'e'))).toBe('down-unreachable');
    expect(decideDowning(quorum, five, unreachable('c', 'd', 'e'))).toBe('down-self');
    expect(decideDowning({ strategy: 'none' }, five, unreachable('c', 'd', 'e'))).toBe('none');
  });
});

describe('heartbeat receivers', () => {
  const ten = 'abcdefghij'.split('').map((n) => m(n));

  it('are everyone else in a cluster of at most six', () => {
    expect(heartbeatReceivers(ten.slice(0, 6), new Set(), k('a'), 5).map((x) => x.address)).toHaveLength(5);
  });

  it('are the next five on the ring in a larger cluster, wrapping around, plus the unreachable', () => {
    const names = (xs: Member[]) => xs.map((x) => x.address.slice(-1)).join('');
    expect(names(heartbeatReceivers(ten, new Set(), k('h'), 5))).toBe('ijabc');
    expect(names(heartbeatReceivers(ten, new Set([k('i'), k('e')]), k('h'), 5))).toBe('ijabcde');
  });

  it('leave every member monitored by exactly five others', () => {
    const watchers = new Map<string, number>();
    for (const self of ten)
      for (const r of heartbeatReceivers(ten, new Set(), keyOf(self), 5))
        watchers.set(r.address, (watchers.get(r.address) ?? 0) + 1);
    expect([...watchers.values()]).toEqual(Array(10).fill(5));
  });
});

describe('cluster settings', () => {
  it('default to Akka production values and offer fast ones for tests', () => {
    const d = ClusterSettings.defaults();
    expect([
      d.heartbeatIntervalMs,
      d.phiThreshold,
      d.acceptableHeartbeatPauseMs,
      d.minStdDeviationMs,
    ]).toEqual([1000, 8, 3000, 100]);
    const f = ClusterSettings.fast();
    expect([
      f.heartbeatIntervalMs,
      f.acceptableHeartbeatPauseMs,
      f.gossipIntervalMs,
      f.stableAfterMs,
    ]).toEqual([100, 300, 100, 2000]);
  });

  it('refuse bad values with CLUSTER_ERR_INVALID_SETTINGS', () => {
    expect(() => ClusterSettings.defaults({ gossipIntervalMs: 0 })).toThrow(
      expect.objectContaining({ code: 'CLUSTER_ERR_INVALID_SETTINGS' }),
    );
    expect(() => ClusterSettings.fast({ downing: { strategy: 'static-quorum', quorumSize: 0 } })).toThrow(
      expect.objectContaining({ code: 'CLUSTER_ERR_INVALID_SETTINGS' }),
    );
  });
});
