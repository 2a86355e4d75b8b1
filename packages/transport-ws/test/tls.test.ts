import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectFailedError } from '@troupe/transport';
import type { WebSocketTlsOptions } from '../src';
import { cleanup, nextMessage, startNode } from './rawPeer';

let dir = '';
let cert: Buffer;
let key: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-tls-'));
  // A throwaway self-signed certificate for 127.0.0.1, made for this run only.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'c.pem'));
  key = readFileSync(join(dir, 'k.pem'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(cleanup);

describe('TLS', () => {
  it('carries messages both ways over wss:// between nodes that trust the same CA', async () => {
    const tls: WebSocketTlsOptions = { cert, key, ca: cert };
    const a = await startNode({ tls });
    const b = await startNode({ tls });
    const conn = await a.transport.connect(b.identity.address);
    expect(conn.peer).toEqual(b.identity);
    const inbound = await b.connection();
    const atB = nextMessage(inbound);
    expect(conn.send(new Uint8Array([1, 2, 3]))).toBe('ok');
    expect([...(await atB)]).toEqual([1, 2, 3]);
    const atA = nextMessage(conn);
    expect(inbound.send(new Uint8Array([4]))).toBe('ok');
    expect([...(await atA)]).toEqual([4]);
  });

  it('refuses to dial a node whose certificate it cannot verify, with ConnectFailedError', async () => {
    const server = await startNode({ tls: { cert, key, ca: cert } });
    const client = await startNode({ tls: { cert, key, rejectUnauthorized: true } });
    const error = await client.transport.connect(server.identity.address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectFailedError);
    expect((error as ConnectFailedError).code).toBe('TRANSPORT_ERR_CONNECT');
    expect(server.connections).toEqual([]);
  });

  it('refuses a plain ws:// dial to a TLS node with ConnectFailedError', async () => {
    const server = await startNode({ tls: { cert, key, ca: cert } });
    const plain = await startNode();
    await expect(plain.transport.connect(server.identity.address)).rejects.toBeInstanceOf(ConnectFailedError);
    expect(server.connections).toEqual([]);
  });
});
