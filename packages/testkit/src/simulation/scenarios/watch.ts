import { receive, receiveMessage, setup } from '@troupe/core';
import { Serialization } from '@troupe/remote';
import type { NemesisSchedule, RandomNemesisOptions } from '../nemesis';
import { simulate, type SimNode, type SimRemotingOptions, type Simulation } from '../simulate';

/** One watcher (one per start of each node): what it watched, and the `Terminated` signals it got. */
interface WatcherRecord {
  readonly node: string;
  readonly generation: number;
  /** Target address (`troupe://sim@node-2/user/t-0`) → shared virtual times of each `Terminated` for it. */
  readonly terminated: Map<string, number[]>;
}

/** A remoting event one start of a node saw about a peer. */
interface PeerEvent {
  readonly node: string;
  readonly generation: number;
  readonly type: 'peer-connected' | 'peer-unreachable' | 'peer-restarted';
  readonly peer: string;
  /** The peer's incarnation the event is about (for `peer-restarted`, the one that went away). */
  readonly incarnation: string | undefined;
  readonly at: number;
}

interface WatchHistory {
  now: () => number;
  readonly watchers: WatcherRecord[];
  readonly events: PeerEvent[];
}

/** What a `watch` run did. */
export interface WatchReport {
  readonly watches: number;
  /** Crashes of a node whose actors were being watched. */
  readonly crashes: number;
  /** `Terminated` signals that had to come (a watched node crashed), and did, exactly once each. */
  readonly expectedTerminations: number;
  readonly terminations: number;
  readonly steps: number;
  readonly virtualMs: number;
  readonly traceHash: string;
}

/** Options of {@link watchScenario}; the defaults are the registered scenario. */
export interface WatchScenarioOptions {
  nodes?: number;
  /** Watched actors on each node. Default 2. */
  targetsPerNode?: number;
  durationMs?: number;
  nemesis?: NemesisSchedule | 'random' | 'none' | { random: RandomNemesisOptions };
  remoting?: SimRemotingOptions;
}

/**
 * The application: every node runs a few idle actors (`/user/t-<i>`) and a watcher that watches every one of
 * them on every other node, by address. The history it keeps is the oracle's.
 */
function watchApp(history: WatchHistory, nodes: number, targets: number) {
  return (node: SimNode): void => {
    const { name, generation, system } = node;
    for (let i = 0; i < targets; i++)
      system.spawn(
        receiveMessage<never>(() => undefined),
        `t-${i}`,
      );
    node.node.onEvent((e) => {
      if (e.type === 'peer-connected' || e.type === 'peer-unreachable' || e.type === 'peer-restarted') {
        const incarnation = e.type === 'peer-restarted' ? e.previous : e.incarnation;
        history.events.push({
          node: name,
          generation,
          type: e.type,
          peer: e.peer,
          incarnation,
          at: history.now(),
        });
      }
    });
    const record: WatcherRecord = { node: name, generation, terminated: new Map() };
    history.watchers.push(record);
    system.spawn(
      setup<never>((ctx) => {
        for (let p = 1; p <= nodes; p++) {
          const peer = `node-${p}`;
          if (peer === name) continue;
          for (let i = 0; i < targets; i++) {
            const address = `troupe://${system.name}@${peer}/user/t-${i}`;
            record.terminated.set(address, []);
            ctx.watch(node.node.refFor<never>(address));
          }
        }
        return receive<never>(
          () => undefined,
          (_ctx, signal) => {
            if (signal.type !== 'Terminated') return;
            const times = record.terminated.get(signal.ref.toString());
            if (times) times.push(history.now());
            else record.terminated.set(`unexpected ${signal.ref.toString()}`, [history.now()]);
          },
        );
      }),
      'watcher',
    );
  };
}

/**
 * Remote death watch under crashes: every node watches idle actors on every other node while a random nemesis
 * crashes and restarts nodes (and partitions, drops, duplicates, delays, skews). Properties, for every watcher
 * on a node that stays up: it gets `Terminated` for a watched actor at most once; exactly once when that
 * actor's node crashed after this watcher's node had connected to it; and never without a reason (a crash of
 * that node, or its node declared unreachable or restarted).
 *
 * @example
 * ```ts
 * const report = await watchScenario(7);
 * console.log(`${report.expectedTerminations} Terminated signals, each exactly once`);
 * ```
 */
export async function watchScenario(seed: number, options: WatchScenarioOptions = {}): Promise<WatchReport> {
  const nodes = options.nodes ?? 4;
  const targets = options.targetsPerNode ?? 2;
  const durationMs = options.durationMs ?? 8000;
  const nemesisEnd = Math.round(durationMs * 0.7);
  const history: WatchHistory = { now: () => 0, watchers: [], events: [] };
  return simulate(
    {
      name: 'watch',
      seed,
      nodes,
      durationMs,
      skewMs: 200,
      nemesis: options.nemesis ?? {
        random: {
          endMs: nemesisEnd,
          maxDown: 1,
          restartAfterMs: { minMs: 100, maxMs: 2000 },
          weights: {
            crash: 4,
            partition: 1,
            isolate: 1,
            bridge: 1,
            heal: 2,
            faults: 2,
            'clear-faults': 1,
            skew: 1,
          },
        },
      },
      remoting: options.remoting ?? {
        heartbeatIntervalMs: 200,
        unreachableAfterMs: 1000,
        reconnect: { minMs: 20, maxMs: 500 },
      },
      serialization: () => new Serialization(),
      setup: watchApp(history, nodes, targets),
    },
    async (sim: Simulation) => {
      history.now = () => sim.clock.now();
      await sim.run();
      return checkWatch(sim, history);
    },
  );
}

function checkWatch(sim: Simulation, history: WatchHistory): WatchReport {
  const crashes = sim.incarnations.filter((n) => n.crashedAt !== undefined);
  const survivors = new Set(sim.incarnations.filter((n) => n.alive).map((n) => `${n.name}/${n.generation}`));
  const twice: string[] = [];
  const missing: string[] = [];
  const unjustified: string[] = [];
  let expected = 0;
  let terminations = 0;
  let watches = 0;
  for (const w of history.watchers) {
    if (!survivors.has(`${w.node}/${w.generation}`)) continue;
    const seen = history.events.filter((e) => e.node === w.node && e.generation === w.generation);
    for (const [address, times] of w.terminated) {
      watches++;
      terminations += times.length;
      const peer = address.startsWith('unexpected ')
        ? ''
        : address.slice(address.indexOf('@') + 1).split('/')[0];
      const label = `${w.node}#${w.generation} watching ${address}`;
      if (times.length > 1) twice.push(`${label}: Terminated ${times.length} times, at ${times.join(', ')}`);
      // Its node crashed after we had connected to that very incarnation: the watch had to fire.
      const mustFire = crashes.some(
        (c) =>
          c.name === peer &&
          seen.some(
            (e) =>
              e.type === 'peer-connected' &&
              e.peer === peer &&
              e.incarnation === c.incarnation &&
              e.at < c.crashedAt!,
          ),
      );
      if (mustFire) {
        expected++;
        if (times.length === 0) missing.push(`${label}: no Terminated, though ${peer} crashed`);
      }
      for (const at of times) {
        const reason =
          crashes.some((c) => c.name === peer && c.crashedAt! <= at) ||
          seen.some((e) => e.peer === peer && e.type !== 'peer-connected' && e.at <= at);
        if (!reason)
          unjustified.push(
            `${label}: Terminated at ${at} with no crash, unreachability or restart of ${peer}`,
          );
      }
    }
  }
  sim.check(twice.length === 0, `${twice.length} watches fired more than once`, twice.slice(0, 5));
  sim.check(
    missing.length === 0,
    `${missing.length} watches of actors on a crashed node never fired`,
    missing.slice(0, 5),
  );
  sim.check(
    unjustified.length === 0,
    `${unjustified.length} watches fired for no reason`,
    unjustified.slice(0, 5),
  );
  const stats = sim.stats();
  return {
    watches,
    crashes: crashes.length,
    expectedTerminations: expected,
    terminations,
    steps: stats.steps,
    virtualMs: stats.virtualMs,
    traceHash: sim.traceHash(),
  };
}
