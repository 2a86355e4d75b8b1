import {
  type CloseInfo,
  type Connection,
  ForwardingConnection,
  ForwardingTransport,
  type NodeIdentity,
  type SendResult,
  type Transport,
  type TransportEvent,
  type TransportHandler,
} from '../src';

/** A connection that records what it is asked to do and lets the test play the network's part. */
class RecordingConnection implements Connection {
  readonly peer = { system: 'shop', incarnation: 'i1', address: '127.0.0.1:4711' };
  readonly inbound = true;
  readonly maxMessageBytes = 4096;
  bufferedAmount = 0;
  result: SendResult = 'ok';
  readonly calls: string[] = [];
  messageListener?: (message: Uint8Array) => void;
  closeListener?: (info: CloseInfo) => void;

  send(message: Uint8Array): SendResult {
    this.calls.push(`send ${message.join(',')}`);
    return this.result;
  }
  onMessage(listener: (message: Uint8Array) => void): void {
    this.messageListener = listener;
  }
  onClose(listener: (info: CloseInfo) => void): void {
    this.closeListener = listener;
  }
  async close(code?: number, reason?: string): Promise<void> {
    this.calls.push(`close ${code} ${reason}`);
  }
  terminate(): void {
    this.calls.push('terminate');
  }
}

describe('ForwardingConnection', () => {
  it('reports the inner connection’s peer, direction, size limit and buffered bytes as they change', () => {
    const inner = new RecordingConnection();
    const conn = new ForwardingConnection(inner);
    expect(conn.peer).toBe(inner.peer);
    expect(conn.inbound).toBe(true);
    expect(conn.maxMessageBytes).toBe(4096);
    inner.bufferedAmount = 42;
    expect(conn.bufferedAmount).toBe(42);
  });

  it('passes sends through and returns the inner connection’s result', () => {
    const inner = new RecordingConnection();
    const conn = new ForwardingConnection(inner);
    expect(conn.send(new Uint8Array([1, 2]))).toBe('ok');
    inner.result = 'backpressure';
    expect(conn.send(new Uint8Array([3]))).toBe('backpressure');
    expect(inner.calls).toEqual(['send 1,2', 'send 3']);
  });

  it('passes flush through to an inner connection that has one, and is harmless over one that has none', () => {
    const inner = new RecordingConnection();
    const flushing = Object.assign(new RecordingConnection(), {
      flush(this: RecordingConnection) {
        this.calls.push('flush');
      },
    });
    new ForwardingConnection(flushing).flush();
    expect(flushing.calls).toEqual(['flush']);
    expect(() => new ForwardingConnection(inner).flush()).not.toThrow();
    expect(inner.calls).toEqual([]);
  });

  it('hands incoming messages and the close to the listeners set on it', () => {
    const inner = new RecordingConnection();
    const conn = new ForwardingConnection(inner);
    const heard: string[] = [];
    conn.onMessage((m) => heard.push(`message ${m.join(',')}`));
    conn.onClose((info) => heard.push(`closed ${info.code}`));
    inner.messageListener!(new Uint8Array([7]));
    inner.closeListener!({ code: 1000, reason: '' });
    expect(heard).toEqual(['message 7', 'closed 1000']);
  });

  it('passes close and terminate through', async () => {
    const inner = new RecordingConnection();
    const conn = new ForwardingConnection(inner);
    await conn.close(4000, 'bye');
    conn.terminate();
    expect(inner.calls).toEqual(['close 4000 bye', 'terminate']);
  });

  it('lets a subclass change one call and inherit the rest', () => {
    class DroppingConnection extends ForwardingConnection {
      override send(): SendResult {
        return 'ok';
      }
    }
    const inner = new RecordingConnection();
    const conn = new DroppingConnection(inner);
    expect(conn.send()).toBe('ok');
    conn.terminate();
    expect(inner.calls).toEqual(['terminate']);
  });
});

/** A transport whose connections and events the test hands out. */
class ScriptedTransport implements Transport {
  handler: TransportHandler | undefined;
  readonly next = new RecordingConnection();
  closed = false;
  async listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    this.handler = handler;
    return { ...local, address: 'here' };
  }
  async connect(): Promise<Connection> {
    return this.next;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

class MarkingTransport extends ForwardingTransport {
  made = 0;
  protected wrapConnection(connection: Connection): Connection {
    this.made++;
    return new ForwardingConnection(connection);
  }
}

describe('ForwardingTransport', () => {
  it('hands out one wrapper per connection, from connect and from onConnection alike', async () => {
    const inner = new ScriptedTransport();
    const transport = new MarkingTransport(inner);
    const accepted: Connection[] = [];
    await transport.listen({ system: 'shop', incarnation: 'i1' }, { onConnection: (c) => accepted.push(c) });
    const dialled = await transport.connect('there');
    expect(dialled).not.toBe(inner.next);
    expect(await transport.connect('there')).toBe(dialled);
    inner.handler!.onConnection(inner.next);
    expect(accepted).toEqual([dialled]);
    expect(transport.made).toBe(1);
  });

  it('passes events and close through', async () => {
    const inner = new ScriptedTransport();
    const transport = new MarkingTransport(inner);
    const events: TransportEvent[] = [];
    await transport.listen(
      { system: 'shop', incarnation: 'i1' },
      { onConnection: () => {}, onEvent: (e) => events.push(e) },
    );
    inner.handler!.onEvent!({ type: 'warning', detail: 'x' });
    await transport.close();
    expect(events).toEqual([{ type: 'warning', detail: 'x' }]);
    expect(inner.closed).toBe(true);
  });
});
