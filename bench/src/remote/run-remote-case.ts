// Client-process entry of one remote case: forks the case's server process, connects and warms up. Then:
//
// - forked by the harness (section.ts), with an IPC channel: reports { type: 'ready' }, takes one sample per
//   { type: 'sample' } and answers { type: 'sample', stats }, and on { type: 'stop' } stops its server and
//   exits. The harness interleaves the samples of the cases it compares.
// - run alone, to try one case (it writes nothing): takes the plan's samples back to back and prints the result.
//
//   node --import tsx src/remote/run-remote-case.ts troupe-ask-1
import { RESULT_PREFIX } from '../measurement.js';
import { findRemoteCase, type RemoteCase } from './cases.js';
import { measureRemote, type SampleStats, takeSample, warmUp } from './measure-remote.js';
import type { RemoteClient } from './remote-client.js';
import { PIN_ENV, pinCase, pinMode } from './pin-processes.js';
import { ServerProcess } from './server-process.js';

/** Harness → case over IPC. */
export type CaseCommand = { type: 'sample' } | { type: 'stop' };
/** Case → harness over IPC. */
export type CaseReport = { type: 'ready' } | { type: 'sample'; stats: SampleStats };

async function driven(remoteCase: RemoteCase, client: RemoteClient): Promise<void> {
  const send = (r: CaseReport) => process.send!(r);
  let n = await warmUp(client, remoteCase.plan);
  send({ type: 'ready' });
  // One command at a time: the harness waits for each answer before the next command.
  for await (const cmd of commands()) {
    if (cmd.type === 'stop') return;
    const { stats, next } = await takeSample(client, remoteCase.plan, n);
    n = next;
    send({ type: 'sample', stats });
  }
}

async function* commands(): AsyncGenerator<CaseCommand> {
  const queue: CaseCommand[] = [];
  let wake: (() => void) | undefined;
  let gone = false;
  process.on('message', (cmd: CaseCommand) => {
    queue.push(cmd);
    wake?.();
  });
  process.once('disconnect', () => {
    gone = true;
    wake?.();
  });
  for (;;) {
    const cmd = queue.shift();
    if (cmd) yield cmd;
    else if (gone) return;
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

async function main(): Promise<void> {
  const remoteCase = findRemoteCase(process.argv[2]);
  const server = await ServerProcess.start(remoteCase.server, remoteCase.name);
  const pin = pinMode(process.env[PIN_ENV]);
  if (pin) pinCase(pin, server.pid);
  try {
    const client = await remoteCase.connect(server.address);
    if (process.send) {
      await driven(remoteCase, client);
      await client.close();
      await server.stop();
      // Exit explicitly: a node's timers may outlive its shutdown by a tick.
      process.exit(0);
    }
    const measurements = await measureRemote(client, remoteCase.plan);
    await client.close();
    await server.stop();
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(measurements)}\n`, () => process.exit(0));
  } catch (err) {
    await server.stop();
    throw err;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
