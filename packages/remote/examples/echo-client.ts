/**
 * Asks an echo node and prints the reply and the round-trip time:
 *
 *   npm run example:echo-client -- --to troupe://echo@127.0.0.1:4711 --secret s3cret [--text hi] [--timeout 3000]
 *
 * Exits 1 when no answer comes: wrong secret, node down, or timeout.
 */
import { type ActorRef, ask } from '@troupe/core';
import { WebSocketTransport } from '@troupe/transport-ws';
import { createNode, parseAddress } from '../src';
import { type EchoReply, type EchoRequest, echoSerialization, parseArgs } from './echoProtocol';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.to) {
    console.error(
      'usage: echo-client --to troupe://echo@host:port[/user/echo] --secret S [--text T] [--timeout MS]',
    );
    return 2;
  }
  const target = parseAddress(args.to);
  const path = target.path ?? '/user/echo';
  const timeoutMs = Number(args.timeout ?? 3000);
  const node = await createNode({
    name: target.system,
    transport: new WebSocketTransport({ host: '127.0.0.1', port: 0, secret: args.secret }),
    serialization: echoSerialization(),
    logLevel: 'off',
    unreachableAfterMs: timeoutMs,
  });
  try {
    const failure = new Promise<never>((_, reject) =>
      node.onEvent((e) => {
        if (e.type !== 'connect-failed') return;
        // Fail fast on what retrying cannot fix.
        const code = (e.error as { code?: string }).code;
        if (code === 'TRANSPORT_ERR_AUTH' || code === 'TRANSPORT_ERR_SYSTEM_MISMATCH') reject(e.error);
      }),
    );
    const echo = node.refFor<EchoRequest>(`troupe://${target.system}@${target.transport}${path}`);
    const started = performance.now();
    const reply = await Promise.race([
      ask(
        echo,
        (replyTo: ActorRef<EchoReply>): EchoRequest => ({
          type: 'echo/request',
          text: args.text ?? 'hello',
          replyTo,
        }),
        {
          timeoutMs,
        },
      ),
      failure,
    ]);
    const rtt = performance.now() - started;
    console.log(`reply from ${reply.node}: ${JSON.stringify(reply.text)} in ${rtt.toFixed(2)} ms`);
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    console.error(`echo-client: no answer (${err.code ?? 'error'}): ${err.message ?? String(e)}`);
    return 1;
  } finally {
    await node.shutdown();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`echo-client: ${e?.code ?? ''} ${e?.message ?? e}`);
    process.exit(1);
  },
);
