import type { ActorSystem, ActorTreeNode } from '@troupe/core';
import type { ActorNode, RecentEvent } from './protocol';

const MAX_RECENT = 30;

/**
 * Follows one actor system: its actor tree on demand, and the recent supervision decisions, root failures and
 * dead letters from its event stream.
 */
export class SystemObserver {
  private readonly recentEvents: RecentEvent[] = [];
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly system: ActorSystem) {
    const ev = system.events;
    this.unsubscribe.push(
      ev.subscribe('supervision', (e) =>
        this.push({
          t: e.timestamp,
          kind: 'supervision',
          text:
            `${e.supervisor.path} → ${e.directive} ${e.child.path}` +
            (e.delayMs !== undefined ? ` after ${Math.round(e.delayMs)} ms` : '') +
            ` (${describe(e.error)})`,
        }),
      ),
      ev.subscribe('dead-letter', (e) =>
        this.push({
          t: e.timestamp,
          kind: 'dead-letter',
          text: `${e.reason}: ${messageType(e.message)} → ${e.recipient}`,
        }),
      ),
      ev.subscribe('root-failure', (e) =>
        this.push({
          t: e.timestamp,
          kind: 'failure',
          text: `${e.child.path} failed at the root (${describe(e.error)})`,
        }),
      ),
    );
  }

  /** The system's actors as a tree, with their mailbox sizes and statuses. */
  actorTree(): ActorNode {
    return toActorNode(this.system.actorTree());
  }

  recent(): RecentEvent[] {
    return [...this.recentEvents];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
  }

  private push(event: RecentEvent): void {
    this.recentEvents.push(event);
    if (this.recentEvents.length > MAX_RECENT)
      this.recentEvents.splice(0, this.recentEvents.length - MAX_RECENT);
  }
}

function toActorNode(n: ActorTreeNode): ActorNode {
  return {
    name: n.name,
    path: n.path,
    mailbox: n.mailboxSize,
    status: n.status,
    children: n.children.map(toActorNode),
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function messageType(message: unknown): string {
  if (message !== null && typeof message === 'object' && 'type' in message) {
    const t = (message as { type: unknown }).type;
    if (typeof t === 'string') return t;
  }
  return typeof message;
}
