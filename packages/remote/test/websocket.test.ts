import { WebSocketTransport } from '@troupe/transport-ws';
import { describeRemoteConformance } from '../conformance/remoteConformance';

const secret = 'conformance-secret';

describeRemoteConformance('WebSocket', {
  transport: (address) =>
    new WebSocketTransport({ host: '127.0.0.1', port: address ? Number(address.split(':')[1]) : 0, secret }),
});
