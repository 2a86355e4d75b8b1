// Troupe's client: a node of its own (createNode + WebSocketTransport, same secret as the server) talking to the
// server node's sink and echo actors through refs from `refFor`.
import { type ActorRef, ask, receive } from '@troupe/core';
import { createNode, type RemoteNode } from '@troupe/remote';
import { WebSocketTransport } from '@troupe/transport-ws';
import { deferred } from '../deferred.js';
import { driveRequests } from './drive-requests.js';
import {
  type BenchAck,
  type BenchMsg,
  type BenchReply,
  type BenchReq,
  type BenchStart,
  PAYLOAD,
  SECRET,
  SYSTEM,
  WINDOW,
} from './protocol.js';
import type { RemoteClient } from './remote-client.js';
import { benchSerialization } from './troupe-serialization.js';

const ASK_TIMEOUT_MS = 30_000;

interface ClientNode {
  node: RemoteNode;
  echo: ActorRef<BenchReq>;
  /** Rejects at the first dead letter: a lost message would otherwise leave a trial waiting for ever. */
  failed: Promise<never>;
}

async function clientNode(serverAddress: string): Promise<ClientNode> {
  const node = await createNode({
    name: SYSTEM,
    transport: new WebSocketTransport({ host: '127.0.0.1', port: 0, secret: SECRET }),
    serialization: benchSerialization(),
    logLevel: 'off',
  });
  const failed = new Promise<never>((_, reject) => {
    node.system.events.subscribe('dead-letter', (e) =>
      reject(new Error(`dead letter (${e.reason}) for ${e.recipient}`)),
    );
  });
  failed.catch(() => undefined);
  const echo = node.refFor<BenchReq>(`${serverAddress}/user/echo`);
  // Connect (dial, handshake) before anything is timed.
  await ask(
    echo,
    (replyTo: ActorRef<BenchReply>): BenchReq => ({ type: 'bench/req', n: 0, payload: PAYLOAD, replyTo }),
    {
      timeoutMs: ASK_TIMEOUT_MS,
    },
  );
  return { node, echo, failed };
}

type TellerMsg = { type: 'go' } | BenchAck;

/**
 * Tells: an actor on the client node tells the remote sink `n` messages, WINDOW at most unacknowledged,
 * topping the window up on every acknowledgement; done when the sink has acknowledged all `n`.
 */
export async function troupeTellClient(serverAddress: string): Promise<RemoteClient> {
  const { node, failed } = await clientNode(serverAddress);
  const sink = node.refFor<BenchStart | BenchMsg>(`${serverAddress}/user/sink`);
  return {
    async run(n) {
      const done = deferred();
      let sent = 0;
      const sendUpTo = (limit: number): void => {
        while (sent < limit) sink.tell({ type: 'bench/msg', n: sent++, payload: PAYLOAD });
      };
      const teller = node.system.spawn(
        receive<TellerMsg>((ctx, m) => {
          if (m.type === 'go') {
            sink.tell({ type: 'bench/start', total: n, replyTo: ctx.self });
            sendUpTo(Math.min(n, WINDOW));
          } else if (m.count >= n) {
            done.resolve();
          } else {
            sendUpTo(Math.min(n, m.count + WINDOW));
          }
        }),
      );
      teller.tell({ type: 'go' });
      await Promise.race([done.promise, failed]);
      node.system.stop(teller);
    },
    close: () => node.shutdown(),
  };
}

/** Asks of the remote echo actor from outside any actor, `inFlight` outstanding, as an application would. */
export async function troupeAskClient(serverAddress: string, inFlight: number): Promise<RemoteClient> {
  const { node, echo, failed } = await clientNode(serverAddress);
  const request = (n: number): Promise<BenchReply> =>
    ask(
      echo,
      (replyTo: ActorRef<BenchReply>): BenchReq => ({ type: 'bench/req', n, payload: PAYLOAD, replyTo }),
      {
        timeoutMs: ASK_TIMEOUT_MS,
      },
    );
  return {
    run: (n, rtts) => Promise.race([driveRequests(request, inFlight, n, rtts), failed]),
    close: () => node.shutdown(),
  };
}
