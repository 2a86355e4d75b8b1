import { MalformedMessageError, Serialization } from '@troupe/remote';
import { ElectionSettings, fileStorage, registerElectionProtocol } from '../src';
import { findOverlappingLeases } from '../sim/leaderScenario';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const from = 'troupe://app@127.0.0.1:4711';

describe('the election protocol on the wire', () => {
  const serialization = new Serialization();
  registerElectionProtocol(serialization);
  const decode = (manifest: string, data: unknown) => () => serialization.fromWire(manifest, data);

  it('decodes well-formed messages', () => {
    const messages = [
      { type: 'leader/heartbeat', term: 3, from, round: 7 },
      { type: 'leader/heartbeat-ack', term: 3, from, round: 7, ok: true },
      { type: 'leader/pre-vote', term: 4, from },
      { type: 'leader/pre-vote-reply', term: 3, forTerm: 4, from, granted: false },
      { type: 'leader/vote', term: 4, from },
      { type: 'leader/vote-reply', term: 4, forTerm: 4, from, granted: true },
      { type: 'leader/hello', term: 4, from },
    ];
    for (const m of messages) expect(serialization.fromWire(m.type, m)).toEqual(m);
  });

  it('refuses malformed ones with MalformedMessageError', () => {
    const bad: [string, unknown][] = [
      ['leader/heartbeat', { type: 'leader/heartbeat', term: -1, from, round: 1 }],
      ['leader/heartbeat', { type: 'leader/heartbeat', term: 1.5, from, round: 1 }],
      ['leader/heartbeat', { type: 'leader/heartbeat', term: 1, from: 'nobody', round: 1 }],
      ['leader/heartbeat', { type: 'leader/heartbeat', term: 1, from }],
      ['leader/heartbeat-ack', { type: 'leader/heartbeat-ack', term: 1, from, round: 1, ok: 'yes' }],
      ['leader/pre-vote', { type: 'leader/pre-vote', term: '2', from }],
      ['leader/pre-vote-reply', { type: 'leader/pre-vote-reply', term: 1, from, granted: true }],
      ['leader/vote', { type: 'leader/vote', term: 2, from: `${from}/user/x` }],
      ['leader/vote-reply', { type: 'leader/vote-reply', term: 2, forTerm: 2, from, granted: 1 }],
      ['leader/vote', [1, 2]],
      ['leader/vote', null],
    ];
    for (const [manifest, data] of bad) {
      expect(decode(manifest, data)).toThrow(MalformedMessageError);
    }
  });

  it('may be registered twice in one registry', () => {
    expect(() => registerElectionProtocol(serialization)).not.toThrow();
  });
});

describe('election settings', () => {
  it('defaults to Raft timings, with a lease shorter than the shortest election timeout', () => {
    const s = ElectionSettings.defaults();
    expect(s).toMatchObject({ electionTimeoutMinMs: 150, electionTimeoutMaxMs: 300, heartbeatMs: 50 });
    expect(s.leaseMs).toBeLessThan(s.electionTimeoutMinMs);
    expect(s.checkQuorumMs).toBe(150);
  });
});

describe('file storage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-election-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the term and vote across instances, as across a restart', () => {
    const path = join(dir, 'a', 'election.json');
    expect(fileStorage(path).load()).toBeUndefined();
    fileStorage(path).save({ term: 5, votedFor: from });
    expect(fileStorage(path).load()).toEqual({ term: 5, votedFor: from });
    fileStorage(path).save({ term: 6, votedFor: undefined });
    expect(fileStorage(path).load()).toEqual({ term: 6, votedFor: undefined });
  });

  it('treats a malformed file as empty', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"term": -3}');
    expect(fileStorage(path).load()).toBeUndefined();
    writeFileSync(path, 'not json');
    expect(fileStorage(path).load()).toBeUndefined();
  });
});

describe('the lease oracle of the simulation', () => {
  it('finds two nodes holding leases at the same instant, and only that', () => {
    const lease = (node: string, from: number, until: number) => ({ node, term: 1, from, until });
    expect(findOverlappingLeases([lease('a', 0, 100), lease('b', 100, 200), lease('a', 150, 250)])).toEqual([
      lease('b', 100, 200),
      lease('a', 150, 250),
    ]);
    expect(findOverlappingLeases([lease('a', 0, 100), lease('b', 100, 200)])).toBeUndefined();
    expect(findOverlappingLeases([lease('a', 0, 100), lease('a', 50, 200)])).toBeUndefined();
    // A lease cut to nothing (its node crashed or stepped down as it was granted) holds no instant.
    expect(findOverlappingLeases([lease('a', 0, 100), lease('b', 50, 50)])).toBeUndefined();
  });
});
