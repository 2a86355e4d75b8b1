import { createServer } from 'node:net';
import { describeTransportConformance } from '../../transport/conformance/transportConformance';
import { WebSocketTransport } from '../src';

/** A port that was free a moment ago: bound on port 0, then released, so nobody listens there. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dead = '';
beforeAll(async () => {
  dead = `127.0.0.1:${await deadPort()}`;
});

describeTransportConformance('websocket', {
  create: (options) =>
    new WebSocketTransport({
      host: '127.0.0.1',
      port: 0,
      secret: 'conformance-secret',
      maxMessageBytes: options?.maxMessageBytes,
    }),
  deadAddress: () => dead,
});
