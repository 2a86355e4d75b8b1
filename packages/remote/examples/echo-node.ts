/**
 * A node with an echo actor that any other node can ask:
 *
 *   npm run example:echo-node -- --port 4711 --secret s3cret
 *
 * Stop it with Ctrl-C.
 */
import { receive } from '@troupe/core';
import { WebSocketTransport } from '@troupe/transport-ws';
import { createNode } from '../src';
import { type EchoRequest, echoSerialization, parseArgs } from './echoProtocol';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const port = Number(args.port ?? 4711);
  const host = args.host ?? '127.0.0.1';
  const node = await createNode({
    name: args.system ?? 'echo',
    transport: new WebSocketTransport({ host, port, secret: args.secret }),
    serialization: echoSerialization(),
    logLevel: 'warn',
  });
  node.system.spawn(
    receive<EchoRequest>((_ctx, m) =>
      m.replyTo.tell({ type: 'echo/reply', text: m.text, node: node.address }),
    ),
    'echo',
  );
  node.onEvent((e) => {
    if (e.type === 'transport' && e.event.type !== 'listening')
      console.log(`transport: ${e.event.type} ${e.event.code ?? ''} ${e.event.detail ?? ''}`);
  });
  console.log(`echo node up: ${node.address}/user/echo`);
  const stop = () => {
    console.log('shutting down');
    void node.shutdown().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(`echo-node: ${e?.code ?? ''} ${e?.message ?? e}`);
  process.exit(1);
});
