import {
  type ActorSystem,
  type ActorRef,
  type Behavior,
  receive,
  setup,
  SupervisorStrategy,
} from '@troupe/core';

/** What the demo's own actors understand: a crash on request, so that supervision can be watched at work. */
export type WorkerCommand = { readonly type: 'crash' } | { readonly type: 'work' };

/** Thrown by a worker told to crash; its supervisor restarts it. */
export class RequestedCrashError extends Error {
  readonly code = 'DEMO_ERR_REQUESTED_CRASH';
  constructor() {
    super('crash requested from the dashboard');
    this.name = 'RequestedCrashError';
  }
}

const WORKERS = ['worker-1', 'worker-2', 'worker-3'];

/**
 * Starts `/user/workers` with three children that do a little work every half second (so that the message rates
 * are not all cluster chatter) and crash when told to. The supervisor restarts a crashed worker after a backoff,
 * and each decision is a `supervision` event the dashboard lists. A `crash` goes to the workers in turn.
 */
export function startWorkers(system: ActorSystem): ActorRef<WorkerCommand> {
  return system.spawn(supervisor(), {
    name: 'workers',
    supervisorStrategy: SupervisorStrategy.oneForOne()
      .withLimit(20, 10_000)
      .withBackoff({ minMs: 300, maxMs: 3000 }),
  });
}

function supervisor(): Behavior<WorkerCommand> {
  return setup<WorkerCommand>((ctx) => {
    const children = WORKERS.map((name) => ctx.spawn(worker(), name));
    let next = 0;
    return receive<WorkerCommand>((_ctx, msg) => {
      if (msg.type === 'crash') children[next++ % children.length].tell(msg);
    });
  });
}

function worker(): Behavior<WorkerCommand> {
  return setup<WorkerCommand>((ctx) => {
    ctx.timers.startTimerAtFixedRate('work', { type: 'work' }, 500);
    return receive<WorkerCommand>((_ctx, msg) => {
      if (msg.type === 'crash') throw new RequestedCrashError();
    });
  });
}
