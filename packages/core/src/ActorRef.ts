/**
 * The address of an actor that accepts messages of type `M`, and nothing else: sending anything else is a
 * compile error. Refs are contravariant, so an `ActorRef<A | B>` can be used where an `ActorRef<A>` is expected.
 *
 * `tell` never throws and never blocks: a message that cannot be delivered becomes a dead letter on the event
 * stream, with a reason.
 *
 * @example
 * ```ts
 * type Greet = { type: 'greet'; name: string };
 * const greeter: ActorRef<Greet> = system.spawn(greeterBehavior, 'greeter');
 * greeter.tell({ type: 'greet', name: 'Ada' });
 * ```
 */
export interface ActorRef<in M> {
  /** Path inside its system, such as `/user/parent/child`. */
  readonly path: string;
  /** Last segment of the path. */
  readonly name: string;
  tell(message: M): void;
  /** Full address, such as `troupe://demo/user/parent/child`. */
  toString(): string;
}
