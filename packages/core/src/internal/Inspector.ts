import { InvalidArgumentError } from '../ActorError';
import type { SystemEvent } from '../EventStream';
import {
  INSPECTION_KINDS,
  type InspectionEvent,
  type InspectionKind,
  type InspectOptions,
  messageTypeOf,
} from '../Inspection';
import type { ActorCell } from './ActorCell';
import type { SystemInternals } from './SystemInternals';

interface Receiver {
  readonly listener: (event: InspectionEvent) => void;
  readonly sample: number;
}

/** @internal The system as inspection sees it: it sets the hot-path hook, and clears it when unused. */
export interface InspectorHost extends SystemInternals {
  inspector: Inspector | null;
}

/**
 * @internal The listeners of `received` events. The system holds one only while there is at least one such
 * listener, so that the dispatcher's hot path pays a single null check when nobody inspects. Lifecycle
 * events need no hook: they come from the event stream, which already skips events nobody listens to.
 */
export class Inspector {
  private receivers: Receiver[] = [];

  constructor(private readonly sys: InspectorHost) {}

  /** Called with every message about to be handed to a behaviour, while someone listens. */
  received(cell: ActorCell, message: unknown): void {
    let event: InspectionEvent | undefined;
    // A listener may unsubscribe from inside its callback: iterate over the array as it was.
    for (const r of this.receivers) {
      if (r.sample < 1 && !(this.sys.random.next() < r.sample)) continue;
      event ??= {
        kind: 'received',
        path: cell.path,
        timestamp: this.sys.clock.now(),
        messageType: messageTypeOf(message),
        mailboxSize: cell.mailboxSize,
      };
      this.deliver(r.listener, event);
    }
  }

  private deliver(listener: (event: InspectionEvent) => void, event: InspectionEvent): void {
    try {
      listener(event);
    } catch (e) {
      // The listener runs inside the dispatcher: its failure is reported, never the actor's.
      this.sys.writeLog('error', event.path, 'inspection listener threw', e);
    }
  }

  static subscribe(
    sys: InspectorHost,
    listener: (event: InspectionEvent) => void,
    options: InspectOptions = {},
  ): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('inspect needs a listener function');
    const sample = options.sample ?? 1;
    if (typeof sample !== 'number' || !(sample >= 0 && sample <= 1)) {
      throw new InvalidArgumentError(`inspection sample must be between 0 and 1, not ${String(sample)}`);
    }
    const kinds = new Set<InspectionKind>(options.events ?? INSPECTION_KINDS);
    for (const k of kinds) {
      if (!INSPECTION_KINDS.includes(k))
        throw new InvalidArgumentError(`unknown inspection event ${String(k)}`);
    }
    const offs: (() => void)[] = [];
    const forward = (event: InspectionEvent): void => {
      try {
        listener(event);
      } catch (e) {
        sys.writeLog('error', event.path, 'inspection listener threw', e);
      }
    };
    const lifecycle = (e: SystemEvent): void => {
      switch (e.type) {
        case 'actor-spawned':
          forward({ kind: 'spawned', path: e.ref.path, timestamp: e.timestamp });
          return;
        case 'actor-stopped':
          forward({ kind: 'stopped', path: e.ref.path, timestamp: e.timestamp });
          return;
        case 'actor-failed':
          forward({ kind: 'failed', path: e.ref.path, timestamp: e.timestamp, error: e.error });
          return;
        case 'actor-restarted':
          forward({ kind: 'restarted', path: e.ref.path, timestamp: e.timestamp, error: e.error });
          return;
      }
    };
    if (kinds.has('spawned')) offs.push(sys.events.subscribe('actor-spawned', lifecycle));
    if (kinds.has('stopped')) offs.push(sys.events.subscribe('actor-stopped', lifecycle));
    if (kinds.has('failed')) offs.push(sys.events.subscribe('actor-failed', lifecycle));
    if (kinds.has('restarted')) offs.push(sys.events.subscribe('actor-restarted', lifecycle));
    // A listener that would never get a received event costs the hot path nothing.
    if (kinds.has('received') && sample > 0) {
      const receiver: Receiver = { listener, sample };
      const inspector = sys.inspector ?? (sys.inspector = new Inspector(sys));
      inspector.receivers = [...inspector.receivers, receiver];
      offs.push(() => {
        const left = inspector.receivers.filter((r) => r !== receiver);
        inspector.receivers = left;
        if (left.length === 0 && sys.inspector === inspector) sys.inspector = null;
      });
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      for (const off of offs) off();
    };
  }
}
