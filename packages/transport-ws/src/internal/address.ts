import { isIPv4 } from 'node:net';

/** A parsed `host:port` address; IPv6 hosts are written in brackets (`[::1]:4711`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const ADDRESS_RE = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/;

/** Parses `host:port`; throws a RangeError for anything else, so `connect` can wrap it in a ConnectFailedError. */
export function parseAddress(address: string): HostPort {
  const match = ADDRESS_RE.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) throw new RangeError(`not a host:port address: ${address}`);
  return { host: match[1] ?? match[2], port };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Only these hosts may run without a secret: nothing off this machine can reach them. '0.0.0.0' and '::' are
 * deliberately not loopback, since they listen on every interface.
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  return /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}
