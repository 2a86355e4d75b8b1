import { describeTransportConformance } from '../../transport/conformance/transportConformance';
import { MemoryNetwork } from '../src';

// One network per test: the suite's cleanup runs after every transport closed, and shutting the network down
// then proves nothing was left pending.
let net = new MemoryNetwork();

describeTransportConformance('memory', {
  create: (options) => net.transport(options),
  deadAddress: () => 'nobody-listens-here',
  cleanup: async () => {
    const { inFlight } = net.stats();
    net.shutdown();
    net = new MemoryNetwork();
    expect(inFlight).toBe(0);
  },
});
