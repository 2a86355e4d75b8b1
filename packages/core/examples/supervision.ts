/**
 * `npm start` (until the demo cluster exists): a small supervision tree that crashes and heals.
 *
 *   /user/shop              one-for-one, at most 5 restarts in 10 s, backoff from 200 ms
 *   └── /user/shop/cashier  counts good coins; throws on a forged one
 *
 * The cashier crashes on a forged coin and is restarted, with a fresh till, after a backoff; the coins paid
 * meanwhile wait in its mailbox and are counted after the restart. Every supervision decision printed here
 * comes from the system's event stream; the cashier is found through the receptionist.
 */
import {
  type ActorRef,
  ask,
  createActorSystem,
  Receptionist,
  receive,
  ServiceKey,
  setup,
  SupervisorStrategy,
} from '../src';

type CashierMsg = { type: 'pay'; coin: 'good' | 'forged' } | { type: 'total'; replyTo: ActorRef<number> };

const CashierKey = new ServiceKey<CashierMsg>('cashier');

class ForgedCoinError extends Error {}

const cashier = setup<CashierMsg>((ctx) => {
  ctx.log.info('opens with an empty till');
  ctx.system.receptionist.tell(Receptionist.register(CashierKey, ctx.self));
  let total = 0;
  return receive<CashierMsg>((_ctx, msg) => {
    if (msg.type === 'total') return msg.replyTo.tell(total);
    if (msg.coin === 'forged') throw new ForgedCoinError('a forged coin');
    total += 1;
  });
});

const shop = setup<never>((ctx) => {
  ctx.spawn(cashier, 'cashier');
  return receive<never>(() => undefined);
});

async function main(): Promise<void> {
  const system = createActorSystem({
    name: 'shop',
    logLevel: 'info',
    logSink: (e) => console.log(`  [${e.level}] ${e.source}: ${e.message}`),
  });
  system.events.subscribe('supervision', (e) =>
    console.log(
      `  supervision: ${e.supervisor.path} will ${e.directive} ${e.child.path}` +
        (e.delayMs ? ` in ${Math.round(e.delayMs)} ms` : '') +
        ` (${e.error instanceof Error ? e.error.message : String(e.error)})`,
    ),
  );
  system.events.subscribe('actor-restarted', (e) => console.log(`  restarted: ${e.ref.path}`));

  system.spawn(shop, {
    name: 'shop',
    supervisorStrategy: SupervisorStrategy.oneForOne()
      .withLimit(5, 10_000)
      .withBackoff({ minMs: 200, maxMs: 2000 }),
  });

  let found: ActorRef<CashierMsg> | undefined;
  while (!found) {
    const listing = await ask(system.receptionist, Receptionist.find(CashierKey));
    found = listing.services[0];
  }
  const till = found;
  const total = () => ask(till, (replyTo: ActorRef<number>): CashierMsg => ({ type: 'total', replyTo }));

  console.log('paying three good coins');
  for (let i = 0; i < 3; i++) till.tell({ type: 'pay', coin: 'good' });
  console.log(`till holds ${await total()}`);

  console.log('paying a forged coin, then two good ones');
  till.tell({ type: 'pay', coin: 'forged' });
  till.tell({ type: 'pay', coin: 'good' });
  till.tell({ type: 'pay', coin: 'good' });
  console.log(`till holds ${await total()} (fresh state after the restart, plus the two coins that waited)`);

  console.log('shutting down');
  await system.terminate();
  console.log('done');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
