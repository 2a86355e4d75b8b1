import { InvalidAddressError } from './RemoteError';

/** A parsed `troupe://<system>@<host>:<port>/<path>` address. */
export interface ActorAddress {
  readonly system: string;
  /** The transport address: `host:port` over sockets, a name in memory. */
  readonly transport: string;
  /** The actor path, such as `/user/echo`; `undefined` for a node address. */
  readonly path: string | undefined;
}

const RE = /^troupe:\/\/([A-Za-z0-9][A-Za-z0-9_-]*)@([^/\s@]+)(\/[^\s]*)?$/;

/**
 * Parses an actor or node address; throws `InvalidAddressError` for anything else.
 *
 * @example
 * ```ts
 * parseAddress('troupe://shop@127.0.0.1:4711/user/cashier');
 * // { system: 'shop', transport: '127.0.0.1:4711', path: '/user/cashier' }
 * ```
 */
export function parseAddress(address: string): ActorAddress {
  const m = typeof address === 'string' ? RE.exec(address) : null;
  if (!m) throw new InvalidAddressError(String(address));
  const path = m[3];
  if (path !== undefined && (path.includes('//') || path.endsWith('/')))
    throw new InvalidAddressError(address);
  return { system: m[1], transport: m[2], path };
}

/** The address of a node: `troupe://<system>@<transport address>`. */
export function nodeAddress(system: string, transport: string): string {
  return `troupe://${system}@${transport}`;
}
