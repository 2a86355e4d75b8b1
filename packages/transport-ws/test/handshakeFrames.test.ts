import { AuthenticationError, type NodeIdentity, SystemMismatchError } from '@troupe/transport';
import {
  ClientHandshake,
  clientProof,
  type HandshakeFailure,
  MAX_HANDSHAKE_FRAME_BYTES,
  parseFrame,
  ServerHandshake,
  serverProof,
} from '../src/internal/handshake';

const server: NodeIdentity = { system: 's', incarnation: 'i1', address: '127.0.0.1:1' };
const client: NodeIdentity = { system: 's', incarnation: 'i2', address: '127.0.0.1:2' };
const secret = Buffer.from('secret');
const nonce = 'a1'.repeat(32);
const challenge = { type: 'challenge', v: 1, ...server, nonce };

function text(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

function failure(value: unknown): HandshakeFailure {
  return value as HandshakeFailure;
}

describe('handshake frames', () => {
  it('parse a valid challenge', () => {
    expect(parseFrame('challenge', text(challenge), false)).toEqual(challenge);
  });

  it.each<[string, unknown]>([
    ['not JSON', '{"v":1'],
    ['an array', [1]],
    ['null', 'null'],
    ['a string', '"hello"'],
    ['no version', { ...challenge, v: undefined }],
    ['a version that is a string', { ...challenge, v: '1' }],
    ['a missing field', { ...challenge, nonce: undefined }],
    ['an extra field', { ...challenge, extra: 1 }],
    ['another frame type', { ...challenge, type: 'accept' }],
    ['a number as system', { ...challenge, system: 1 }],
    ['an empty system', { ...challenge, system: '' }],
    ['a control character in the address', { ...challenge, address: 'a\nb' }],
    ['an over-long incarnation', { ...challenge, incarnation: 'x'.repeat(257) }],
    ['an uppercase nonce', { ...challenge, nonce: 'A1'.repeat(32) }],
    ['a short nonce', { ...challenge, nonce: 'a1' }],
    ['a __proto__ key', `{"__proto__":{},${JSON.stringify(challenge).slice(1)}`],
    ['an oversized frame', { ...challenge, pad: 'x'.repeat(MAX_HANDSHAKE_FRAME_BYTES) }],
  ])('are a protocol violation when %s', (_name, value) => {
    expect(failure(parseFrame('challenge', text(value), false)).closeCode).toBe('protocolViolation');
  });

  it('are a protocol violation in a binary frame', () => {
    expect(failure(parseFrame('challenge', text(challenge), true)).closeCode).toBe('protocolViolation');
  });

  it('of another version are a version mismatch, whatever else they hold', () => {
    expect(failure(parseFrame('challenge', text({ v: 2, anything: [] }), false)).closeCode).toBe(
      'versionMismatch',
    );
  });
});

describe('the handshake state machines', () => {
  function run(serverSecret: Buffer, clientSecret: Buffer, clientIdentity = client) {
    const s = new ServerHandshake(server, serverSecret);
    const c = new ClientHandshake(clientIdentity, clientSecret, server.address);
    const reply = c.receive(text(s.challenge()), false);
    if (reply.kind !== 'reply') return { server: s, client: c, outcome: reply };
    const done = s.receive(text(reply.frame), false);
    if (done.kind !== 'done') return { server: s, client: c, outcome: done };
    return { server: s, client: c, outcome: c.receive(text(done.reply), false) };
  }

  it('complete with the same secret, each side learning who the other is', () => {
    const { outcome } = run(secret, secret);
    expect(outcome).toEqual({ kind: 'done', peer: server });
  });

  it('fail with authenticationFailed on the server when the secrets differ', () => {
    const { outcome } = run(secret, Buffer.from('other'));
    expect(failure(outcome).closeCode).toBe('authenticationFailed');
    expect(failure(outcome).error).toBeInstanceOf(AuthenticationError);
  });

  it('fail with systemMismatch on the client before it proves anything', () => {
    const { outcome } = run(secret, secret, { ...client, system: 'other' });
    expect(failure(outcome).closeCode).toBe('systemMismatch');
    expect(failure(outcome).error).toBeInstanceOf(SystemMismatchError);
  });

  it('treat a frame after the end as speaking out of turn', () => {
    const { server: s } = run(secret, secret);
    expect(failure(s.receive(text(challenge), false)).closeCode).toBe('protocolViolation');
  });

  it('treat a frame before the challenge was sent as speaking out of turn', () => {
    const s = new ServerHandshake(server, secret);
    expect(failure(s.receive(text(challenge), false)).closeCode).toBe('protocolViolation');
  });

  it('fail with authenticationFailed on the client when the node dialled calls itself by another address', () => {
    const s = new ServerHandshake(server, secret);
    const c = new ClientHandshake(client, secret, '127.0.0.1:9');
    expect(failure(c.receive(text(s.challenge()), false)).closeCode).toBe('authenticationFailed');
  });

  it('do not accept a server proof in place of a client proof over the same nonces and identity', () => {
    const s = new ServerHandshake(server, secret);
    const c = new ClientHandshake(client, secret, server.address);
    const reply = c.receive(text(s.challenge()), false);
    if (reply.kind !== 'reply') throw new Error('expected a reply');
    const response = JSON.parse(reply.frame) as { nonce: string; proof: string };
    expect(response.proof).toBe(clientProof(secret, s.nonce, response.nonce, client));
    // Only the label differs: a proof obtained from a node acting as server cannot be reflected.
    const reflected = { ...response, proof: serverProof(secret, s.nonce, response.nonce, client) };
    expect(failure(s.receive(text(reflected), false)).closeCode).toBe('authenticationFailed');
  });
});
