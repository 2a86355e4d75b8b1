import {
  CloseCodes,
  ConnectFailedError,
  type Connection,
  type NodeIdentity,
  SystemMismatchError,
  TransportClosedError,
  type TransportEvent,
  type TransportHandler,
} from '@troupe/transport';
import type { MemoryConnection } from './MemoryConnection';
import { MemoryLink } from './MemoryLink';
import { guard, type NetworkCore } from './NetworkCore';

/** @internal A connect in progress; every `connect` to the same address meanwhile shares it. */
export interface Dial {
  readonly address: string;
  readonly seq: number;
  readonly promise: Promise<Connection>;
  settled: boolean;
  succeed(connection: Connection): void;
  fail(error: Error): void;
}

/**
 * @internal What a `MemoryTransport` is: one node on the network, its identity once listening, its connections
 * by peer address, its dials. Created when the network hands out the address; gone from the network (and the
 * address free again) once it closes or crashes.
 */
export class MemoryNode {
  state: 'idle' | 'listening' | 'closed' = 'idle';
  identity: NodeIdentity | undefined;
  /** Open connections by peer address: at most one per peer. A closing connection is no longer here. */
  readonly connections = new Map<string, MemoryConnection>();
  /** Every link not yet closed, closing ones included, for a crash to cut. */
  readonly links = new Set<MemoryLink>();
  private readonly dials = new Map<string, Dial>();
  private handler: TransportHandler | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly core: NetworkCore,
    readonly address: string,
    readonly maxMessageBytes: number,
    readonly maxBufferedBytes: number,
  ) {}

  listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    if (this.state === 'closed') return Promise.reject(new TransportClosedError());
    if (this.state === 'listening') return Promise.reject(new Error(`${this.address} is already listening`));
    const identity: NodeIdentity = Object.freeze({
      system: local.system,
      incarnation: local.incarnation,
      address: this.address,
    });
    this.identity = identity;
    this.handler = handler;
    this.state = 'listening';
    this.emit({ type: 'listening', detail: this.address });
    return Promise.resolve(identity);
  }

  connect(address: string): Promise<Connection> {
    if (this.state !== 'listening') return Promise.reject(new TransportClosedError());
    const existing = this.connections.get(address);
    if (existing) return Promise.resolve(existing);
    const pending = this.dials.get(address);
    if (pending) return pending.promise;
    const dial = createDial(address, this.core.nextSeq());
    this.dials.set(address, dial);
    this.core.dials.add(dial);
    // The handshake is a step of its own, so a connect never completes inside the call, as over a socket.
    this.core.scheduler.schedule(0, () => this.completeDial(dial));
    return dial.promise;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.leave();
      this.closing = Promise.all(
        [...this.links].map((link) =>
          link.state === 'open' ? link.close(CloseCodes.goingAway, 'transport closed') : link.whenClosed(),
        ),
      ).then(() => undefined);
    }
    return this.closing;
  }

  /** The node vanishes: its links are cut at once, and both ends hear 1006 as from a lost socket. */
  crash(): void {
    this.leave();
    this.closing ??= Promise.resolve();
    for (const link of [...this.links]) link.abort('connection lost');
  }

  /** The network is shutting down: stop, without telling the handler anything more. */
  halt(): void {
    this.leave();
    this.closing ??= Promise.resolve();
    this.handler = undefined;
  }

  emit(event: TransportEvent): void {
    const onEvent = this.handler?.onEvent;
    if (onEvent) guard((e: TransportEvent) => onEvent.call(this.handler, e), event);
  }

  private leave(): void {
    this.state = 'closed';
    if (this.core.nodes.get(this.address) === this) this.core.nodes.delete(this.address);
  }

  private completeDial(dial: Dial): void {
    if (dial.settled) return;
    this.dials.delete(dial.address);
    this.core.dials.delete(dial);
    if (this.state !== 'listening') return dial.fail(new TransportClosedError());
    const existing = this.connections.get(dial.address);
    if (existing) {
      // The peer dialled us while our dial was pending and its handshake ran first. Over a socket both
      // handshakes would finish and one connection would be closed with 4006; here the race is decided before
      // a second connection exists, so nothing is closed and nothing sent is lost.
      if (existing.link.seq > dial.seq)
        this.emit({
          type: 'duplicate-connection',
          peer: dial.address,
          detail: `crossed dials: keeping the connection ${dial.address} dialled`,
        });
      return dial.succeed(existing);
    }
    if (dial.address === this.address)
      return dial.fail(new ConnectFailedError(dial.address, new Error('a node cannot connect to itself')));
    const target = this.core.nodes.get(dial.address);
    if (!target || target.state !== 'listening')
      return dial.fail(new ConnectFailedError(dial.address, new Error(`nobody listens at ${dial.address}`)));
    if (this.core.partitions.blocked(this.address, target.address))
      return dial.fail(
        new ConnectFailedError(
          dial.address,
          new Error(`${this.address} is partitioned from ${dial.address}`),
        ),
      );
    const ours = this.identity!;
    const theirs = target.identity!;
    if (theirs.system !== ours.system) {
      const error = new SystemMismatchError(ours.system, theirs.system);
      target.emit({
        type: 'handshake-failed',
        peer: this.address,
        code: error.code,
        detail: `peer belongs to system ${ours.system}, not ${theirs.system}`,
      });
      return dial.fail(error);
    }
    const link = new MemoryLink(this.core, this, ours, target, theirs, this.core.nextSeq());
    target.handOver(link.acceptorEnd);
    this.handOver(link.dialerEnd);
    dial.succeed(link.dialerEnd);
  }

  private handOver(connection: MemoryConnection): void {
    const handler = this.handler;
    if (handler) guard((c: Connection) => handler.onConnection(c), connection);
  }
}

function createDial(address: string, seq: number): Dial {
  let resolve!: (connection: Connection) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<Connection>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const dial: Dial = {
    address,
    seq,
    promise,
    settled: false,
    succeed(connection) {
      dial.settled = true;
      resolve(connection);
    },
    fail(error) {
      dial.settled = true;
      reject(error);
    },
  };
  return dial;
}
