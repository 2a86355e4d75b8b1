import type { RemotePlan } from './measure-remote.js';
import type { ServerKind } from './protocol.js';
import type { RemoteClient } from './remote-client.js';

// Imported on demand, so that a raw case's processes never load Troupe.
const raw = () => import('./raw-client.js');
const troupe = () => import('./troupe-client.js');

export type RemoteCaseName =
  | 'ws-1-per-frame'
  | 'ws-100-per-frame'
  | 'troupe-tell'
  | 'ws-req-1'
  | 'troupe-ask-1'
  | 'ws-req-100'
  | 'troupe-ask-100';

/** One remote case: a server process of some kind, and a client process measuring against it. */
export interface RemoteCase {
  name: RemoteCaseName;
  server: ServerKind;
  plan: RemotePlan;
  connect(serverAddress: string): Promise<RemoteClient>;
}

const TELLS: RemotePlan = {
  nominal: 2_000_000,
  step: 100,
  latency: false,
  samples: 9,
  sampleMs: 400,
  warmUpMs: 2_500,
};
// Round trips one at a time: longer samples, so that each p99 rests on thousands of round trips.
const REQUESTS_1: RemotePlan = {
  nominal: 200_000,
  step: 1,
  latency: true,
  samples: 7,
  sampleMs: 1_000,
  warmUpMs: 2_500,
};
const REQUESTS_100: RemotePlan = {
  nominal: 1_000_000,
  step: 100,
  latency: false,
  samples: 9,
  sampleMs: 400,
  warmUpMs: 2_500,
};

/** Every case; `remoteGroups` says which are measured together. */
export const remoteCases: readonly RemoteCase[] = [
  {
    name: 'ws-1-per-frame',
    server: 'ws-1-per-frame',
    plan: TELLS,
    connect: async (address) => (await raw()).rawTellClient(address, 1),
  },
  {
    name: 'ws-100-per-frame',
    server: 'ws-100-per-frame',
    plan: TELLS,
    connect: async (address) => (await raw()).rawTellClient(address, 100),
  },
  {
    name: 'troupe-tell',
    server: 'troupe',
    plan: TELLS,
    connect: async (address) => (await troupe()).troupeTellClient(address),
  },
  {
    name: 'ws-req-1',
    server: 'ws-req',
    plan: REQUESTS_1,
    connect: async (address) => (await raw()).rawRequestClient(address, 1),
  },
  {
    name: 'troupe-ask-1',
    server: 'troupe',
    plan: REQUESTS_1,
    connect: async (address) => (await troupe()).troupeAskClient(address, 1),
  },
  {
    name: 'ws-req-100',
    server: 'ws-req',
    plan: REQUESTS_100,
    connect: async (address) => (await raw()).rawRequestClient(address, 100),
  },
  {
    name: 'troupe-ask-100',
    server: 'troupe',
    plan: REQUESTS_100,
    connect: async (address) => (await troupe()).troupeAskClient(address, 100),
  },
];

export function findRemoteCase(name: string): RemoteCase {
  const found = remoteCases.find((c) => c.name === name);
  if (!found)
    throw new Error(`unknown remote case ${name}; one of ${remoteCases.map((c) => c.name).join(', ')}`);
  return found;
}

/**
 * Cases compared with one another are measured together: each in its own pair of processes, all warmed up
 * first, then their samples taken in turn (a sample of each, then the next round), so that a neighbour's load
 * or a slower patch of the machine falls on all of them alike rather than on whichever ran at the time.
 */
export const remoteGroups: readonly (readonly RemoteCaseName[])[] = [
  ['ws-1-per-frame', 'ws-100-per-frame', 'troupe-tell'],
  ['ws-req-1', 'troupe-ask-1'],
  ['ws-req-100', 'troupe-ask-100'],
];
