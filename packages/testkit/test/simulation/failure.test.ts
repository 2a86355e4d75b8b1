import { type ActorRef, ask, receiveMessage } from '@troupe/core';
import {
  LivelockError,
  PropertyViolation,
  simulate,
  SimulationFailure,
  SimulationUsageError,
} from '../../src/simulation';
import { appSerialization, counterApp, type Echo, type Echoed, newCounts, quickRemoting } from './apps';

async function failureOf(run: Promise<unknown>): Promise<SimulationFailure> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SimulationFailure);
  return error as SimulationFailure;
}

describe('failures', () => {
  it('rejects a scenario that throws with a SimulationFailure naming the seed, the replay command and the last trace events', async () => {
    const failure = await failureOf(
      simulate(
        {
          name: 'broken',
          seed: 1234,
          nodes: 3,
          setup: counterApp(newCounts()),
          serialization: appSerialization,
        },
        async (sim) => {
          await sim.run(500);
          throw new Error('boom');
        },
      ),
    );
    expect(failure.code).toBe('SIM_ERR_FAILED');
    expect(failure.seed).toBe(1234);
    expect(failure.scenario).toBe('broken');
    expect(failure.at).toBe(500);
    expect(failure.replayCommand).toBe('npm run sim -- --scenario broken --seed 1234');
    expect(failure.cause).toEqual(new Error('boom'));
    expect(failure.message).toContain('seed 1234');
    expect(failure.message).toContain('Error: boom');
    expect(failure.message).toContain('replay: npm run sim -- --scenario broken --seed 1234');
    expect(failure.lastEvents).toHaveLength(30);
    expect(failure.message).toContain('last 30 trace events:');
    expect(failure.message.split('\n')).toHaveLength(3 + 30);
    expect(failure.lastEvents.at(-1)).toEqual({ at: 500, kind: 'failure', detail: 'Error: boom' });
    expect(failure.traceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails a broken application with a PropertyViolation: answers that come from the wrong node', async () => {
    // The bug: after 300 ms, node-2's echo answers in the name of node-3.
    const buggyEcho = (name: string, incarnation: string, now: () => number) =>
      receiveMessage<Echo>((m) =>
        m.replyTo.tell({
          type: 'test/echoed',
          text: m.text,
          node: now() > 300 ? 'node-3' : name,
          incarnation,
        }),
      );
    const failure = await failureOf(
      simulate(
        {
          name: 'wrong-node',
          seed: 8,
          nodes: 3,
          serialization: appSerialization,
          setup: (node) =>
            void node.system.spawn(
              buggyEcho(node.name, node.incarnation, () => node.clock.now()),
              'echo',
            ),
        },
        async (sim) => {
          const echo = sim.node('node-1').node.refFor<Echo>('troupe://sim@node-2/user/echo');
          for (let i = 0; i < 10; i++) {
            const reply = await sim.waitFor(
              ask(echo, (replyTo: ActorRef<Echoed>): Echo => ({ type: 'test/echo', text: `${i}`, replyTo }), {
                timeoutMs: 500,
              }),
            );
            sim.record('answer', reply);
            sim.check(reply.node === 'node-2', `answer ${i} came from ${reply.node}, not node-2`, reply);
            await sim.run(100);
          }
        },
      ),
    );
    expect(failure.cause).toBeInstanceOf(PropertyViolation);
    expect((failure.cause as PropertyViolation).code).toBe('SIM_ERR_PROPERTY');
    expect(failure.message).toMatch(/answer 3 came from node-3, not node-2/);
    expect(failure.message).toContain('--scenario wrong-node --seed 8');
    expect(failure.lastEvents.map((r) => r.kind)).toContain('answer');
    expect(failure.lastEvents.at(-2)).toMatchObject({
      kind: 'violation',
      detail: 'answer 3 came from node-3, not node-2',
    });
  });

  it('fails when the application setup throws on a node, naming the node', async () => {
    const failure = await failureOf(
      simulate(
        {
          seed: 5,
          nodes: 3,
          serialization: appSerialization,
          setup: (node) => {
            if (node.name === 'node-2') throw new Error('no config');
          },
        },
        () => undefined,
      ),
    );
    expect(String((failure.cause as Error).message)).toMatch(
      /setup of node-2 \(incarnation g0-\w+\) failed: Error: no config/,
    );
    expect(failure.message).toContain('replay: npm run sim -- --scenario <name> --seed 5');
  });

  it('fails when setup throws on a restarted node, in the middle of a run', async () => {
    const failure = await failureOf(
      simulate(
        {
          seed: 6,
          nodes: 2,
          serialization: appSerialization,
          setup: (node) => {
            if (node.generation > 0) throw new Error('corrupt state on disk');
          },
          nemesis: [{ at: 100, action: { type: 'crash', node: 'node-1', restartAfterMs: 50 } }],
        },
        (sim) => sim.run(1000),
      ),
    );
    expect(failure.at).toBe(150);
    expect(failure.message).toContain('corrupt state on disk');
    expect(failure.lastEvents.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['node-crash', 'node-restart', 'fault']),
    );
  });

  it('fails with a LivelockError when actors keep each other busy and virtual time can never move', async () => {
    const failure = await failureOf(
      simulate(
        {
          seed: 7,
          nodes: 1,
          serialization: appSerialization,
          maxStepsPerInstant: 200,
          setup: (node) => {
            const loop: ActorRef<number> = node.system.spawn(
              receiveMessage<number>((n) => loop.tell(n + 1)),
              'loop',
            );
            loop.tell(0);
          },
        },
        (sim) => sim.run(1000),
      ),
    );
    expect(failure.cause).toBeInstanceOf(LivelockError);
    expect((failure.cause as LivelockError).code).toBe('SIM_ERR_LIVELOCK');
    expect(failure.at).toBe(0);
  });

  it('rejects a waitFor whose promise does not settle in time', async () => {
    const failure = await failureOf(
      simulate({ seed: 1, nodes: 1, serialization: appSerialization, setup: () => undefined }, (sim) =>
        sim.waitFor(new Promise(() => undefined), 250),
      ),
    );
    expect(failure.cause).toBeInstanceOf(PropertyViolation);
    expect(failure.at).toBe(250);
  });

  it('throws SimulationUsageError, unwrapped, when the simulation is misused', async () => {
    const base = {
      seed: 1,
      nodes: 2,
      serialization: appSerialization,
      setup: () => undefined,
      remoting: quickRemoting,
    };
    await expect(simulate({ ...base, nodes: 0 }, () => undefined)).rejects.toMatchObject({
      code: 'SIM_ERR_USAGE',
    });
    await expect(simulate({ ...base, seed: 1.5 }, () => undefined)).rejects.toBeInstanceOf(
      SimulationUsageError,
    );
    await expect(simulate(base, (sim) => sim.node('node-9'))).rejects.toThrow(/no node named "node-9"/);
    await expect(simulate(base, (sim) => Promise.all([sim.run(10), sim.run(10)]))).rejects.toThrow(
      /already running/,
    );
    await expect(simulate(base, (sim) => sim.run(-1))).rejects.toBeInstanceOf(SimulationUsageError);
    let leaked: { run(ms: number): Promise<void> } | undefined;
    await simulate(base, (sim) => void (leaked = sim));
    await expect(leaked!.run(10)).rejects.toThrow(/the simulation is over/);
  });
});
