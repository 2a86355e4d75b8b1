// The baseline's client: a plain `ws` WebSocket and cbor-x's default (plain CBOR) encode and decode.
import { decode, encode } from 'cbor-x';
import { type RawData, WebSocket } from 'ws';
import { driveRequests } from './drive-requests.js';
import {
  type BenchAck,
  type BenchReply,
  type BenchReq,
  type BenchStart,
  benchMsg,
  PAYLOAD,
  WINDOW,
} from './protocol.js';
import type { RemoteClient } from './remote-client.js';

async function open(address: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${address}/`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
  });
}

/**
 * Tells over raw `ws`, `perFrame` messages per frame (1, or 100 CBOR items back to back, each encoded on its
 * own), under the same window and acknowledgements as Troupe's tell.
 */
export async function rawTellClient(address: string, perFrame: number): Promise<RemoteClient> {
  const ws = await open(address);
  let onAck: (count: number) => void = () => undefined;
  ws.on('message', (data: RawData) => onAck((decode(data as Buffer) as BenchAck).count));
  const parts: Buffer[] = new Array<Buffer>(perFrame);
  return {
    run(n) {
      if (n % perFrame !== 0) throw new RangeError(`n must be a multiple of ${perFrame}`);
      return new Promise<void>((resolve) => {
        let sent = 0;
        const sendUpTo = (limit: number): void => {
          if (perFrame === 1) {
            while (sent < limit) ws.send(encode(benchMsg(sent++)));
            return;
          }
          while (sent < limit) {
            for (let k = 0; k < perFrame; k++) parts[k] = encode(benchMsg(sent++));
            ws.send(Buffer.concat(parts));
          }
        };
        onAck = (count) => {
          if (count >= n) resolve();
          else sendUpTo(Math.min(n, count + WINDOW));
        };
        ws.send(encode({ type: 'bench/start', total: n } satisfies BenchStart));
        sendUpTo(Math.min(n, WINDOW));
      });
    },
    close: () => closeSocket(ws),
  };
}

/** Request/response over raw `ws`: one request per frame, replies matched by `n`. */
export async function rawRequestClient(address: string, inFlight: number): Promise<RemoteClient> {
  const ws = await open(address);
  const waiting = new Map<number, () => void>();
  ws.on('message', (data: RawData) => {
    const { n } = decode(data as Buffer) as BenchReply;
    const resolve = waiting.get(n);
    waiting.delete(n);
    resolve?.();
  });
  const request = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      waiting.set(n, resolve);
      ws.send(encode({ type: 'bench/req', n, payload: PAYLOAD } satisfies BenchReq));
    });
  return {
    run: (n, rtts) => driveRequests(request, inFlight, n, rtts),
    close: () => closeSocket(ws),
  };
}
