import { type ActorRef, ask, AskTimeoutError, receive, receiveMessage, setup } from '@troupe/core';
import { isActorRef, messageType, Serialization } from '@troupe/remote';
import type { NemesisSchedule, RandomNemesisOptions } from '../nemesis';
import { simulate, type SimNode, type SimRemotingOptions, type Simulation } from '../simulate';

type Ping = { type: 'sim/ping'; n: number; from: string; replyTo: ActorRef<Pong> };
type Pong = { type: 'sim/pong'; n: number; node: string };
type Note = { type: 'sim/note'; from: string; generation: number; seq: number };
type PingerMessage =
  | { type: 'tick' }
  | { type: 'stop' }
  | { type: 'answer'; ask: AskRecord; reply: Pong }
  | { type: 'failed'; ask: AskRecord; error: unknown };

/** One ask a pinger made, and how it ended. */
export interface AskRecord {
  readonly node: string;
  readonly generation: number;
  readonly n: number;
  readonly to: string;
  /** Shared virtual time it was made. */
  readonly issuedAt: number;
  outcome?: 'ok' | 'timeout' | 'wrong-answer' | 'error';
  detail?: string;
}

/** What a `ping` run did, for the runner to print. */
export interface PingReport {
  readonly asks: number;
  readonly answered: number;
  readonly timedOut: number;
  /** Asks lost with the node that made them. */
  readonly lostWithNode: number;
  readonly notes: number;
  readonly steps: number;
  readonly virtualMs: number;
  /** How many trace records of each kind (deliver, drop, duplicate, node-crash, nemesis…) the run wrote. */
  readonly traceKinds: Readonly<Record<string, number>>;
  readonly traceHash: string;
}

/** Options of {@link pingScenario}; the defaults are the registered scenario. */
export interface PingScenarioOptions {
  nodes?: number;
  /** How long the nemesis is at work; then 2 s of recovery, and 1 s in which every ask must be answered. Default 5000. */
  durationMs?: number;
  nemesis?: NemesisSchedule | 'random' | 'none' | { random: RandomNemesisOptions };
  skewMs?: number;
  /** Mean time between two asks of one node. Default 50 ms. */
  meanIntervalMs?: number;
  askTimeoutMs?: number;
  remoting?: SimRemotingOptions;
}

/** The `ping` application's message registry. */
export function pingSerialization(): Serialization {
  return new Serialization()
    .register(
      messageType<Ping>(
        'sim/ping',
        (m) => Number.isInteger(m.n) && typeof m.from === 'string' && isActorRef(m.replyTo),
      ),
    )
    .register(messageType<Pong>('sim/pong', (m) => Number.isInteger(m.n) && typeof m.node === 'string'))
    .register(
      messageType<Note>(
        'sim/note',
        (m) => typeof m.from === 'string' && Number.isInteger(m.generation) && Number.isInteger(m.seq),
      ),
    );
}

interface PingHistory {
  /** The shared virtual time; set once the scenario starts. */
  now: () => number;
  readonly asks: AskRecord[];
  /** Notes sent, by `node/generation`. */
  readonly notesSent: Map<string, number>;
  /** Notes received that no sender ever sent (by their claimed sender and number). */
  readonly phantomNotes: Note[];
  notesReceived: number;
  readonly pingers: Map<string, ActorRef<PingerMessage>>;
}

/**
 * The application: every node answers pings (`/user/pong`), counts notes (`/user/sink`), and runs a pinger
 * that, on a randomised timer, asks a random other node's `pong` and tells a random other node's `sink`. The
 * history it writes is the oracle's, not the application's: production code would not have it.
 */
function pingApp(history: PingHistory, nodes: number, meanIntervalMs: number, askTimeoutMs: number) {
  return (node: SimNode): void => {
    const { name, generation, system } = node;
    system.spawn(
      receiveMessage<Ping>((m) => m.replyTo.tell({ type: 'sim/pong', n: m.n, node: name })),
      'pong',
    );
    system.spawn(
      receiveMessage<Note>((m) => {
        history.notesReceived++;
        if (m.seq >= (history.notesSent.get(`${m.from}/${m.generation}`) ?? 0)) history.phantomNotes.push(m);
      }),
      'sink',
    );
    const others = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`).filter((n) => n !== name);
    const pongs = others.map((peer) => node.node.refFor<Ping>(`troupe://${system.name}@${peer}/user/pong`));
    const sinks = others.map((peer) => node.node.refFor<Note>(`troupe://${system.name}@${peer}/user/sink`));
    const key = `${name}/${generation}`;
    const pinger = system.spawn(
      setup<PingerMessage>((ctx) => {
        const random = ctx.system.random;
        const next = (): void =>
          ctx.timers.startSingleTimer('tick', { type: 'tick' }, 1 + random.next() * 2 * meanIntervalMs);
        let n = 0;
        next();
        return receive<PingerMessage>((_ctx, m) => {
          switch (m.type) {
            case 'tick': {
              const k = Math.floor(random.next() * others.length);
              const record: AskRecord = {
                node: name,
                generation,
                n: n++,
                to: others[k],
                issuedAt: history.now(),
              };
              history.asks.push(record);
              ctx.pipeToSelf(
                ask(
                  pongs[k],
                  (replyTo: ActorRef<Pong>): Ping => ({ type: 'sim/ping', n: record.n, from: name, replyTo }),
                  { timeoutMs: askTimeoutMs },
                ),
                (reply): PingerMessage => ({ type: 'answer', ask: record, reply }),
                (error): PingerMessage => ({ type: 'failed', ask: record, error }),
              );
              const seq = history.notesSent.get(key) ?? 0;
              history.notesSent.set(key, seq + 1);
              sinks[Math.floor(random.next() * sinks.length)].tell({
                type: 'sim/note',
                from: name,
                generation,
                seq,
              });
              next();
              return;
            }
            case 'stop':
              ctx.timers.cancelAll();
              return;
            case 'answer': {
              const { ask: record, reply } = m;
              const right = reply.n === record.n && reply.node === record.to;
              settle(record, right ? 'ok' : 'wrong-answer', right ? undefined : JSON.stringify(reply));
              return;
            }
            case 'failed':
              settle(
                m.ask,
                m.error instanceof AskTimeoutError ? 'timeout' : 'error',
                m.error instanceof AskTimeoutError ? undefined : String(m.error),
              );
              return;
          }
        });
      }),
      'pinger',
    );
    history.pingers.set(key, pinger);
  };
}

function settle(record: AskRecord, outcome: NonNullable<AskRecord['outcome']>, detail?: string): void {
  if (record.outcome !== undefined) {
    // An ask settles once; a second outcome is itself a violation, kept for the checks to find.
    record.detail = `settled twice: ${record.outcome}, then ${outcome}`;
    record.outcome = 'error';
    return;
  }
  record.outcome = outcome;
  if (detail !== undefined) record.detail = detail;
}

/**
 * The busy cluster: five nodes asking and telling each other all the time, under a random nemesis
 * (partitions, drops, duplicates, reorders, delays, crash-and-restarts, clock skew), then a quiet end.
 * Properties: every ask gets the right answer from the node it asked, or times out, never anything else; an ask
 * made after the cluster has been quiet for 2 s gets its answer; every ask of a node that is still alive has
 * settled by the end; no note arrives that was never sent.
 *
 * @example
 * ```ts
 * const report = await pingScenario(42);
 * console.log(`${report.answered}/${report.asks} answered`);
 * ```
 */
export async function pingScenario(seed: number, options: PingScenarioOptions = {}): Promise<PingReport> {
  const nodes = options.nodes ?? 5;
  const nemesisMs = options.durationMs ?? 5000;
  const askTimeoutMs = options.askTimeoutMs ?? 500;
  // Heartbeats find a dead peer within 1 s and backoff retries within 0.5 s: 2 s of quiet is enough to recover.
  const quietFrom = nemesisMs + 2000;
  const stopAt = quietFrom + 1000;
  const history: PingHistory = {
    now: () => 0,
    asks: [],
    notesSent: new Map(),
    phantomNotes: [],
    notesReceived: 0,
    pingers: new Map(),
  };
  return simulate(
    {
      name: 'ping',
      seed,
      nodes,
      durationMs: stopAt,
      skewMs: options.skewMs ?? 200,
      nemesis: options.nemesis ?? {
        random: {
          endMs: nemesisMs,
          maxDown: 1,
          restartAfterMs: { minMs: 100, maxMs: 1500 },
        },
      },
      remoting: options.remoting ?? {
        heartbeatIntervalMs: 200,
        unreachableAfterMs: 1000,
        reconnect: { minMs: 20, maxMs: 500 },
      },
      serialization: pingSerialization,
      setup: pingApp(history, nodes, options.meanIntervalMs ?? 50, askTimeoutMs),
    },
    async (sim: Simulation) => {
      history.now = () => sim.clock.now();
      await sim.run(stopAt);
      // Stop asking, and give the last asks the time to be answered or to time out.
      for (const node of sim.nodes)
        if (node.alive) history.pingers.get(`${node.name}/${node.generation}`)?.tell({ type: 'stop' });
      await sim.run(askTimeoutMs + 100);
      return checkPing(sim, history, quietFrom);
    },
  );
}

function checkPing(sim: Simulation, history: PingHistory, quietFrom: number): PingReport {
  const alive = new Set(sim.nodes.filter((n) => n.alive).map((n) => `${n.name}/${n.generation}`));
  const wrong = history.asks.filter((a) => a.outcome === 'wrong-answer');
  sim.check(
    wrong.length === 0,
    `${wrong.length} asks got an answer from the wrong node or for another ask`,
    wrong.slice(0, 5),
  );
  const errors = history.asks.filter((a) => a.outcome === 'error');
  sim.check(
    errors.length === 0,
    `${errors.length} asks ended neither answered nor timed out`,
    errors.slice(0, 5),
  );
  const open = history.asks.filter((a) => a.outcome === undefined && alive.has(`${a.node}/${a.generation}`));
  sim.check(open.length === 0, `${open.length} asks of live nodes never settled`, open.slice(0, 5));
  const unanswered = history.asks.filter(
    (a) => a.issuedAt >= quietFrom && alive.has(`${a.node}/${a.generation}`) && a.outcome !== 'ok',
  );
  sim.check(
    unanswered.length === 0,
    `${unanswered.length} asks made after the cluster had been quiet for 2 s (t >= ${quietFrom}) got no answer`,
    unanswered.slice(0, 5),
  );
  sim.check(
    history.phantomNotes.length === 0,
    `${history.phantomNotes.length} notes arrived that were never sent`,
    history.phantomNotes.slice(0, 5),
  );
  const stats = sim.stats();
  const count = (o: AskRecord['outcome']): number => history.asks.filter((a) => a.outcome === o).length;
  const traceKinds: Record<string, number> = {};
  for (const r of sim.trace) traceKinds[r.kind] = (traceKinds[r.kind] ?? 0) + 1;
  return {
    asks: history.asks.length,
    answered: count('ok'),
    timedOut: count('timeout'),
    lostWithNode: count(undefined),
    notes: history.notesReceived,
    steps: stats.steps,
    virtualMs: stats.virtualMs,
    traceKinds,
    traceHash: sim.traceHash(),
  };
}
