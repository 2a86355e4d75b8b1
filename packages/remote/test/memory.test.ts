import { MemoryNetwork } from '@troupe/transport-memory';
import { describeRemoteConformance } from '../conformance/remoteConformance';

let net = new MemoryNetwork();

describeRemoteConformance('the in-memory transport', {
  transport: (address) => net.transport(address ? { address } : {}),
  cleanup: async () => {
    net = new MemoryNetwork();
  },
});
