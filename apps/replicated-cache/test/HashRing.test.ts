import { HashRing } from '../src';

const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);
const members = (n: number) => Array.from({ length: n }, (_, i) => `troupe://cache@10.0.0.${i + 1}:4711`);

describe('the hash ring', () => {
  it('places every key on n distinct members, the same on every node that knows the same members', () => {
    const a = new HashRing(members(5), 64);
    const b = new HashRing([...members(5)].reverse(), 64);
    for (const key of keys.slice(0, 500)) {
      const list = a.preferenceList(key, 3);
      expect(list).toHaveLength(3);
      expect(new Set(list).size).toBe(3);
      expect(b.preferenceList(key, 3)).toEqual(list);
    }
  });

  it('gives fewer replicas when the ring has fewer members than n, and none when it is empty', () => {
    expect(new HashRing(members(2)).preferenceList('k', 3)).toHaveLength(2);
    expect(new HashRing([]).preferenceList('k', 3)).toEqual([]);
  });

  it('spreads primaries roughly evenly with virtual nodes', () => {
    const ring = new HashRing(members(4), 128);
    const counts = new Map<string, number>();
    for (const key of keys) {
      const primary = ring.preferenceList(key, 1)[0];
      counts.set(primary, (counts.get(primary) ?? 0) + 1);
    }
    for (const c of counts.values()) {
      expect(c).toBeGreaterThan(keys.length / 4 / 1.5);
      expect(c).toBeLessThan((keys.length / 4) * 1.5);
    }
  });

  it('moves only keys next to a joining member, and only onto it', () => {
    const before = new HashRing(members(4), 64);
    const after = new HashRing(members(5), 64);
    const joined = members(5)[4];
    let moved = 0;
    for (const key of keys) {
      const was = before.preferenceList(key, 1)[0];
      const now = after.preferenceList(key, 1)[0];
      if (was !== now) {
        moved++;
        expect(now).toBe(joined);
      }
    }
    // About a fifth of the keys move to the new member; none move between old members.
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.3);
  });

  it('hands a leaving member keys to the remaining members and leaves the others in place', () => {
    const before = new HashRing(members(5), 64);
    const gone = members(5)[2];
    const after = new HashRing(
      members(5).filter((m) => m !== gone),
      64,
    );
    for (const key of keys) {
      const was = before.preferenceList(key, 3);
      const now = after.preferenceList(key, 3);
      // Replicas that stay keep the key; only the leaving member's place is taken, by one new member.
      expect(now.filter((m) => was.includes(m))).toHaveLength(was.includes(gone) ? 2 : 3);
    }
  });

  it('lists every distinct preference list on the ring', () => {
    const ring = new HashRing(members(4), 16);
    const lists = ring.allPreferenceLists(3).map((l) => l.join(' '));
    for (const key of keys.slice(0, 300)) expect(lists).toContain(ring.preferenceList(key, 3).join(' '));
  });
});
