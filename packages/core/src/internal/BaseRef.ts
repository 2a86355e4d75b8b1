import type { ActorRef } from '../ActorRef';
import type { InternalRef } from './InternalRef';
import type { SysMsg } from './SysMsg';

/**
 * The common base of every ref implementation, local or remote: a class (not only an interface) so that a
 * serializer can recognise any ref with one `instanceof`. It adds no state.
 */
export abstract class BaseRef<M = any> implements InternalRef<M>, ActorRef<M> {
  abstract readonly path: string;
  abstract readonly name: string;
  abstract tell(message: M): void;
  abstract sendSystem(msg: SysMsg): void;
}
