import type { ActorRef } from '../ActorRef';
import type { SysMsg } from './SysMsg';

/**
 * @internal The seam every ref implements, local or (later) remote, like Proto.Actor's `Process`: user
 * messages through `tell`, system messages (watch, unwatch, death notices) through `sendSystem`.
 */
export interface InternalRef<M = any> extends ActorRef<M> {
  sendSystem(msg: SysMsg): void;
}
