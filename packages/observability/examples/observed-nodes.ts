// Two nodes in one process over an in-memory network, each with its own metrics and pino logs, and an
// inspection stream on one of them. Run with `npm run example -w @troupe/observability`.
import { createActorSystem, receive } from '@troupe/core';
import { startRemoting } from '@troupe/remote';
import { MemoryNetwork } from '@troupe/transport-memory';
import { createNodeMetrics, pinoLogging, serveMetrics } from '../src';

async function startNode(net: MemoryNetwork, name: string) {
  const logging = pinoLogging({ node: name, level: 'info' }); // default 'warn': failures only
  const system = createActorSystem({ name: 'demo', ...logging.systemOptions });
  logging.attach(system); // dead letters and supervision decisions too
  const metrics = createNodeMetrics({ system, labels: { node: name } });
  const transport = metrics.instrumentTransport(net.transport({ address: name }));
  const node = await startRemoting({ system, transport });
  return { node, metrics };
}

async function main(): Promise<void> {
  const net = new MemoryNetwork();
  const a = await startNode(net, 'a');
  const b = await startNode(net, 'b');

  const seen: string[] = [];
  const stopInspecting = a.node.system.inspect((e) => seen.push(`${e.kind} ${e.path}`), { sample: 1 });

  let greeted = 0;
  a.node.system.spawn(
    receive<string>((ctx, name) => {
      ctx.log.info(`hello ${name}`); // {"level":30,...,"node":"a","path":"/user/greeter","msg":"hello Ada"}
      greeted++;
    }),
    'greeter',
  );
  for (const name of ['Ada', 'Grace', 'Edsger'])
    b.node.refFor<string>(`${a.node.address}/user/greeter`).tell(name);
  b.node.refFor<string>(`${a.node.address}/user/nobody`).tell('lost'); // a dead letter on a
  while (greeted < 3) await new Promise((r) => setTimeout(r, 10));

  console.log('inspection on a:', seen);
  const user = a.node.system.actorTree().children[0];
  console.log(
    'actors under /user on a:',
    user.children.map((c) => `${c.path} (${c.status}, ${c.mailboxSize})`),
  );

  const server = await serveMetrics({ port: 0 }, a.metrics);
  const text = await (await fetch(server.url)).text();
  console.log(
    text
      .split('\n')
      .filter((line) => line.startsWith('troupe_'))
      .join('\n'),
  );

  stopInspecting();
  await server.close();
  await b.node.shutdown();
  await a.node.shutdown();
  a.metrics.stop();
  b.metrics.stop();
}

void main();
