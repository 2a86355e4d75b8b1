// Server process of a remote case, forked by the client (run-remote-case.ts) with an IPC channel:
//
//   node --import tsx src/remote/server.ts <ws-1-per-frame|ws-100-per-frame|ws-req|troupe>
//
// It listens on 127.0.0.1 (port chosen by the OS), reports { type: 'ready', address } over IPC, and exits on
// { type: 'stop' } or when the client goes away.
import type { ActorRef } from '@troupe/core';
import { decode, decodeMultiple, encode } from 'cbor-x';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import {
  ACK_EVERY,
  type BenchAck,
  type BenchMsg,
  type BenchReq,
  type BenchStart,
  SECRET,
  type ServerCommand,
  type ServerKind,
  type ServerReport,
  SYSTEM,
} from './protocol.js';

const report = (r: ServerReport): void => {
  process.send!(r);
};

/** Counts a trial's messages and acknowledges every ACK_EVERY of them and the last. */
class Counter {
  private count = 0;
  private total = 0;
  constructor(private readonly ack: (count: number) => void) {}
  start(total: number): void {
    this.count = 0;
    this.total = total;
  }
  handled(): void {
    const count = ++this.count;
    if (count % ACK_EVERY === 0 || count === this.total) this.ack(count);
  }
}

type RawMessage = BenchStart | BenchMsg | BenchReq;

/**
 * The hand-written baseline: a `ws` server, cbor-x's default (plain CBOR) encode and decode, a check of the
 * `type` field and nothing else: no envelope, no validation, no actors.
 */
function onRawConnection(kind: Exclude<ServerKind, 'troupe'>, ws: WebSocket): void {
  const counter = new Counter((count) => ws.send(encode({ type: 'bench/ack', count } satisfies BenchAck)));
  const handle = (m: RawMessage): void => {
    switch (m.type) {
      case 'bench/msg':
        counter.handled();
        return;
      case 'bench/req':
        ws.send(encode({ type: 'bench/reply', n: m.n }));
        return;
      case 'bench/start':
        counter.start(m.total);
        return;
    }
  };
  ws.on('message', (data: RawData) => {
    const bytes = data as Buffer;
    // 100 per frame: the frame is 100 CBOR items back to back, each encoded on its own.
    if (kind === 'ws-100-per-frame') decodeMultiple(bytes, (m: RawMessage) => void handle(m));
    else handle(decode(bytes) as RawMessage);
  });
}

async function startRaw(kind: Exclude<ServerKind, 'troupe'>): Promise<() => Promise<void>> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => onRawConnection(kind, ws));
  report({ type: 'ready', address: `127.0.0.1:${(wss.address() as AddressInfo).port}` });
  return () =>
    new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    });
}

/** A Troupe node with a sink (counts tells, acknowledges) and an echo (answers asks). */
async function startTroupe(): Promise<() => Promise<void>> {
  // Imported here, so that a raw case's server never loads Troupe.
  const { receive } = await import('@troupe/core');
  const { createNode } = await import('@troupe/remote');
  const { WebSocketTransport } = await import('@troupe/transport-ws');
  const { benchSerialization } = await import('./troupe-serialization.js');
  const node = await createNode({
    name: SYSTEM,
    transport: new WebSocketTransport({ host: '127.0.0.1', port: 0, secret: SECRET }),
    serialization: benchSerialization(),
    logLevel: 'off',
  });
  let replyTo: ActorRef<BenchAck> | undefined;
  const counter = new Counter((count) => replyTo?.tell({ type: 'bench/ack', count }));
  node.system.spawn(
    receive<BenchStart | BenchMsg>((_ctx, m) => {
      if (m.type === 'bench/msg') {
        counter.handled();
      } else {
        replyTo = m.replyTo;
        counter.start(m.total);
      }
    }),
    'sink',
  );
  node.system.spawn(
    receive<BenchReq>((_ctx, m) => m.replyTo?.tell({ type: 'bench/reply', n: m.n })),
    'echo',
  );
  report({ type: 'ready', address: node.address });
  return () => node.shutdown();
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  if (!process.send) throw new Error('server.ts is forked by run-remote-case.ts, with an IPC channel');
  const kinds: ServerKind[] = ['ws-1-per-frame', 'ws-100-per-frame', 'ws-req', 'troupe'];
  if (!kinds.includes(kind)) throw new Error(`unknown server kind ${kind}`);
  const stop = kind === 'troupe' ? await startTroupe() : await startRaw(kind);
  let stopping = false;
  const exit = () => {
    if (stopping) return;
    stopping = true;
    // Exiting normally (not killed) lets --cpu-prof write its profile; a shutdown that hangs does not hold it.
    setTimeout(() => process.exit(1), 5_000).unref();
    void stop().finally(() => process.exit(0));
  };
  process.on('message', (cmd: ServerCommand) => {
    if (cmd.type === 'stop') exit();
  });
  process.on('disconnect', exit);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
