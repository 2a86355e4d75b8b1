import { type ActorRef, ask, createActorSystem, type DeadLetterEvent, receive } from '@troupe/core';
import {
  type Connection,
  ForwardingConnection,
  ForwardingTransport,
  type SendResult,
  type Transport,
} from '@troupe/transport';
import { MemoryNetwork, type MemoryTransportOptions } from '@troupe/transport-memory';
import { eventually } from '../../transport/conformance/transportConformance';
import { messageType, type RemoteNode, Serialization, startRemoting } from '../src';

type Note = { type: 'test/note'; n: number; text: string };
type Question = { type: 'test/question'; n: number; replyTo: ActorRef<Note> };

/** Counts the transport messages a node sends, and their bytes. */
class CountingConnection extends ForwardingConnection {
  constructor(
    inner: Connection,
    private readonly counts: { sent: number; bytes: number },
  ) {
    super(inner);
  }
  override send(message: Uint8Array): SendResult {
    const result = super.send(message);
    if (result === 'ok') {
      this.counts.sent++;
      this.counts.bytes += message.byteLength;
    }
    return result;
  }
}

/** A transport whose connections are each wrapped by `decorate` (a decorator's connection). */
class WrappingTransport extends ForwardingTransport {
  constructor(
    inner: Transport,
    private readonly decorate: (connection: Connection) => Connection,
  ) {
    super(inner);
  }
  protected wrapConnection(connection: Connection): Connection {
    return this.decorate(connection);
  }
}

const counting = (inner: Transport, counts: { sent: number; bytes: number }): Transport =>
  new WrappingTransport(inner, (c) => new CountingConnection(c, counts));

const serialization = () =>
  new Serialization()
    .register(messageType<Note>('test/note'))
    .register(messageType<Question>('test/question'));

/** A node (its system named `name`) on `transport`, with the test's messages registered. */
function startNode(name: string, transport: Transport): Promise<RemoteNode> {
  return startRemoting({
    system: createActorSystem({ name, logLevel: 'off' }),
    transport,
    serialization: serialization(),
  });
}

describe('batching: what one node tells another in one turn', () => {
  let net: MemoryNetwork;
  const nodes: RemoteNode[] = [];

  beforeEach(() => {
    net = new MemoryNetwork();
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
  });

  async function pair(options: { sender?: MemoryTransportOptions; receiver?: MemoryTransportOptions } = {}) {
    const counts = { sent: 0, bytes: 0 };
    const receiver = await startNode('batch', net.transport({ address: 'receiver', ...options.receiver }));
    const sender = await startNode(
      'batch',
      counting(net.transport({ address: 'sender', ...options.sender }), counts),
    );
    nodes.push(sender, receiver);
    const got: number[] = [];
    receiver.system.spawn(
      receive<Note>((_ctx, m) => void got.push(m.n)),
      'inbox',
    );
    const dead: DeadLetterEvent[] = [];
    sender.system.events.subscribe('dead-letter', (e) => dead.push(e));
    const inbox = sender.refFor<Note>(`${receiver.address}/user/inbox`);
    // Connected before anything is counted.
    inbox.tell({ type: 'test/note', n: -1, text: '' });
    await eventually(() => got.length === 1);
    got.length = 0;
    counts.sent = 0;
    counts.bytes = 0;
    return { inbox, got, dead, counts, sender };
  }

  it('goes as one transport message, and arrives whole and in order', async () => {
    const { inbox, got, counts } = await pair();
    for (let n = 0; n < 500; n++) inbox.tell({ type: 'test/note', n, text: 'hello' });
    await eventually(() => got.length === 500);
    expect(got).toEqual([...Array(500).keys()]);
    expect(counts.sent).toBe(1);
    // After the first envelope, only payloads go: far less than 500 full envelopes with their paths.
    expect(counts.bytes).toBeLessThan(500 * 40);
  });

  it('sends the replies of one turn to many asks as one message, each to its own ask, without repeating heads', async () => {
    const counts = { sent: 0, bytes: 0 };
    const asker = await startNode('batch', net.transport({ address: 'asker' }));
    const answerer = await startNode('batch', counting(net.transport({ address: 'answerer' }), counts));
    nodes.push(asker, answerer);
    answerer.system.spawn(
      receive<Question>((_ctx, q) => q.replyTo.tell({ type: 'test/note', n: q.n * 10, text: '' })),
      'oracle',
    );
    const oracle = asker.refFor<Question>(`${answerer.address}/user/oracle`);
    const question = (n: number) =>
      ask(oracle, (replyTo: ActorRef<Note>): Question => ({ type: 'test/question', n, replyTo }));
    await question(-1); // connected before anything is counted
    counts.sent = 0;
    counts.bytes = 0;
    const answers = await Promise.all([...Array(200).keys()].map(async (n) => (await question(n)).n));
    expect(answers).toEqual([...Array(200).keys()].map((n) => n * 10));
    // The 200 questions arrive in one message and are answered in one turn.
    expect(counts.sent).toBe(1);
    // Each reply carries its path and payload (some 40 bytes), not the incarnation (21 characters) and manifest
    // again (over 70).
    expect(counts.bytes / 200).toBeLessThan(50);
  });

  it('is cut into transport messages of at most 64 KiB (plus one envelope)', async () => {
    const { inbox, got, counts } = await pair();
    const text = 'x'.repeat(1000);
    for (let n = 0; n < 300; n++) inbox.tell({ type: 'test/note', n, text });
    await eventually(() => got.length === 300);
    expect(got).toEqual([...Array(300).keys()]);
    expect(counts.sent).toBeGreaterThanOrEqual(Math.ceil((300 * 1000) / (65 * 1024)));
    expect(counts.bytes / counts.sent).toBeLessThanOrEqual(64 * 1024 + 1100);
  });

  it('dead-letters only a message over the size limit, and delivers those told before and after it', async () => {
    const { inbox, got, dead } = await pair({ sender: { maxMessageBytes: 16 * 1024 } });
    inbox.tell({ type: 'test/note', n: 1, text: 'small' });
    inbox.tell({ type: 'test/note', n: 2, text: 'x'.repeat(20 * 1024) });
    inbox.tell({ type: 'test/note', n: 3, text: 'small' });
    await eventually(() => got.length === 2 && dead.length === 1);
    expect(got).toEqual([1, 3]);
    expect(dead[0]).toMatchObject({ reason: 'too-large', message: { n: 2 } });
  });

  it('dead-letters each message of a batch the transport refuses for backpressure, and none twice', async () => {
    const { inbox, got, dead, sender } = await pair({ sender: { maxBufferedBytes: 1024 } });
    const text = 'y'.repeat(200);
    const total = 2000;
    // A listener that tells the same peer while the refused batch is being dead-lettered: its message is not lost.
    let toldFromListener = false;
    sender.system.events.subscribe('dead-letter', () => {
      if (toldFromListener) return;
      toldFromListener = true;
      inbox.tell({ type: 'test/note', n: total, text });
    });
    for (let n = 0; n < total; n++) inbox.tell({ type: 'test/note', n, text });
    await eventually(() => got.length + dead.length === total + 1);
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((d) => d.reason === 'backpressure')).toBe(true);
    // What arrived came in order, and with the dead letters makes up every message exactly once.
    expect([...got].sort((a, b) => a - b)).toEqual(got);
    const all = [...got, ...dead.map((d) => (d.message as Note).n)].sort((a, b) => a - b);
    expect(all).toEqual([...Array(total + 1).keys()]);
  });
});

describe('promptness: where in the event loop remoting hands messages on', () => {
  const nodes: RemoteNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
  });

  /** Records, in order, the sends and flushes asked of a connection, and marks the end of each delivery. */
  class RecordingConnection extends ForwardingConnection {
    constructor(
      inner: Connection,
      private readonly log: string[],
    ) {
      super(inner);
    }
    override send(message: Uint8Array): SendResult {
      this.log.push('send');
      return super.send(message);
    }
    override flush(): void {
      this.log.push('flush');
      super.flush();
    }
    override onMessage(listener: (message: Uint8Array) => void): void {
      super.onMessage((message) => {
        listener(message);
        // Queued after whatever the listener queued: it runs once the delivery's task has ended.
        queueMicrotask(() => this.log.push('delivery task ended'));
      });
    }
  }

  const recording = (inner: Transport, log: string[]): Transport =>
    new WrappingTransport(inner, (c) => new RecordingConnection(c, log));

  async function pair() {
    const net = new MemoryNetwork();
    const senderLog: string[] = [];
    const receiverLog: string[] = [];
    const receiver = await startNode(
      'prompt',
      recording(net.transport({ address: 'receiver' }), receiverLog),
    );
    const sender = await startNode('prompt', recording(net.transport({ address: 'sender' }), senderLog));
    nodes.push(sender, receiver);
    receiver.system.spawn(
      receive<Note>((_ctx, m) => void receiverLog.push(`handled ${m.n}`)),
      'inbox',
    );
    const inbox = sender.refFor<Note>(`${receiver.address}/user/inbox`);
    inbox.tell({ type: 'test/note', n: 0, text: '' });
    await eventually(() => receiverLog.includes('handled 0'));
    senderLog.length = 0;
    receiverLog.length = 0;
    return { inbox, senderLog, receiverLog };
  }

  it('has the recipient handle a message from a peer before the task that delivered it ends', async () => {
    const { inbox, receiverLog } = await pair();
    inbox.tell({ type: 'test/note', n: 1, text: '' });
    inbox.tell({ type: 'test/note', n: 2, text: '' });
    await eventually(() => receiverLog.includes('delivery task ended'));
    expect(receiverLog).toEqual(['handled 1', 'handled 2', 'delivery task ended']);
  });

  it('asks the transport to flush each batch as soon as it is handed over, not on the transport’s own schedule', async () => {
    const { inbox, senderLog } = await pair();
    for (let n = 1; n <= 100; n++) inbox.tell({ type: 'test/note', n, text: '' });
    await eventually(() => senderLog.length >= 2);
    expect(senderLog).toEqual(['send', 'flush']);
  });
});
