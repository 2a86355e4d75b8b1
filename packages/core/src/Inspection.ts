/** What an inspection listener can be told about. */
export type InspectionKind = 'spawned' | 'stopped' | 'failed' | 'restarted' | 'received';

export const INSPECTION_KINDS: readonly InspectionKind[] = [
  'spawned',
  'stopped',
  'failed',
  'restarted',
  'received',
];

interface InspectionBase {
  /** The actor's path, such as `/user/shop/cart`. */
  readonly path: string;
  /** The system clock's time of the event. */
  readonly timestamp: number;
}

export interface ActorSpawnedInspection extends InspectionBase {
  readonly kind: 'spawned';
}
export interface ActorStoppedInspection extends InspectionBase {
  readonly kind: 'stopped';
}
export interface ActorFailedInspection extends InspectionBase {
  readonly kind: 'failed';
  readonly error: unknown;
}
export interface ActorRestartedInspection extends InspectionBase {
  readonly kind: 'restarted';
  readonly error: unknown;
}
/** A message handed to the actor's behaviour (user messages, timer messages, `watchWith` messages). */
export interface MessageReceivedInspection extends InspectionBase {
  readonly kind: 'received';
  /** `message.type` when it is a string, else the constructor's name (`Object`), else `typeof` (`number`). */
  readonly messageType: string;
  /** Messages still waiting in the actor's mailbox behind this one. */
  readonly mailboxSize: number;
}

/** One event of {@link ActorSystem.inspect}'s stream. */
export type InspectionEvent =
  | ActorSpawnedInspection
  | ActorStoppedInspection
  | ActorFailedInspection
  | ActorRestartedInspection
  | MessageReceivedInspection;

export interface InspectOptions {
  /**
   * Share of `received` events delivered, from 0 (none) to 1 (every one; the default). In between, each
   * message is kept when the system's random source draws below it, so a seeded system samples the same
   * messages every run (and those draws shift the sequence other users of the random source see).
   */
  sample?: number;
  /** Which kinds to deliver. Default: all of them. */
  events?: readonly InspectionKind[];
}

/**
 * Where an actor is in its lifecycle: `alive` (running or idle), `busy` (waiting for the promise its handler
 * returned), `suspended` (failed, waiting for its supervisor or a restart backoff), `restarting` (stopping its
 * children before a restart), `stopping`, `terminated`.
 */
export type ActorStatus = 'alive' | 'busy' | 'suspended' | 'restarting' | 'stopping' | 'terminated';

/** One actor in {@link ActorSystem.actorTree}'s snapshot. */
export interface ActorTreeNode {
  readonly path: string;
  readonly name: string;
  readonly status: ActorStatus;
  /** Items waiting in the user queue: messages, plus timer ticks and `Terminated` notices. */
  readonly mailboxSize: number;
  /** In start order. */
  readonly children: readonly ActorTreeNode[];
}

/**
 * A short tag for a message, as inspection and dashboards group them: `message.type` when it is a string, else
 * the constructor's name (`Object` for a plain object), else `typeof` (`null` for null).
 *
 * @example
 * ```ts
 * messageTypeOf({ type: 'add', n: 1 }); // 'add'
 * messageTypeOf(new Date()); // 'Date'
 * messageTypeOf(42); // 'number'
 * ```
 */
export function messageTypeOf(message: unknown): string {
  if (message === null) return 'null';
  const t = typeof message;
  if (t !== 'object') return t;
  try {
    const type = (message as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    const name = (message as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  } catch {
    // A getter or proxy that throws: the message is still delivered, only its tag is unknown.
    return 'unknown';
  }
}
