/**
 * `npm run leader -- --nodes 5 [--chaos] [--chaos-every-ms 3000] [--cluster]`: starts N election nodes, each in
 * its own process, over WebSocket on 127.0.0.1, and shows live each node's role, term and leader. With --chaos it
 * kills the leader's process (`kill -9`) every few seconds (once all N follow one leader), prints how long the
 * survivors took to elect another, and starts the killed node again (it remembers its term and vote in a state
 * file). Ctrl-C stops everything.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePorts, NodeProcess } from './NodeProcess';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    chaos: { type: 'boolean', default: false },
    'chaos-every-ms': { type: 'string', default: '3000' },
    cluster: { type: 'boolean', default: false },
  },
});

const tty = process.stdout.isTTY === true;
const out = (text: string) => void process.stdout.write(text);

async function main(): Promise<void> {
  const n = Number(values.nodes);
  if (!Number.isInteger(n) || n < 1 || n > 15)
    throw new Error(`--nodes must be an integer in [1, 15], got ${values.nodes}`);
  const chaosEvery = Number(values['chaos-every-ms']);
  const stateDir = mkdtempSync(join(tmpdir(), 'troupe-leader-'));
  const ports = await freePorts(n);
  const voters = ports.map((p) => NodeProcess.addressOf(p));
  const start = (port: number) =>
    new NodeProcess(port, { voters, cluster: values.cluster, stateDir, probeMs: 0 });
  const nodes = ports.map(start);
  const failovers: number[] = [];
  const log: string[] = [];
  const note = (line: string) => {
    log.push(line);
    if (!tty) out(line + '\n');
  };
  note(
    `${n} nodes on 127.0.0.1 (${values.cluster ? 'voters: cluster members' : 'static voters'}); Ctrl-C to stop`,
  );

  let drawn = 0;
  let lastPlain = '';
  const render = () => {
    const rows = nodes.map((p) => {
      const l = p.last;
      const role = !p.alive ? 'down' : (l?.role ?? 'starting');
      const leader = l?.leader ? l.leader.split(':').pop() : '-';
      return `  ${String(p.port).padEnd(6)} ${role.padEnd(9)} term ${String(l?.term ?? '-').padEnd(4)} leader ${leader}`;
    });
    if (tty) {
      const text =
        [`${'port'.padEnd(8)} role      term      leader`, ...rows, '', ...log.slice(-12)].join('\n') + '\n';
      out((drawn > 0 ? `\x1b[${drawn}A\x1b[J` : '') + text);
      drawn = text.split('\n').length - 1;
    } else {
      const plain = rows.join('\n');
      if (plain !== lastPlain) out(plain + '\n\n');
      lastPlain = plain;
    }
  };
  const screen = setInterval(render, 100);

  let stopping = false;
  let chaos: NodeJS.Timeout | undefined;
  // Only a whole cluster following one leader is a fair start for a failover: the node killed last time may
  // still be starting, and killing the leader then could leave no majority at all.
  const ready = () => {
    const leaderOf = (p: NodeProcess) => (p.last?.role === 'leader' ? p.address : p.last?.leader);
    const leader = leaderOf(nodes[0]);
    return leader !== undefined && nodes.every((p) => p.alive && leaderOf(p) === leader);
  };
  const kill = async (): Promise<boolean> => {
    const victimIndex = nodes.findIndex((p) => p.alive && p.last?.role === 'leader');
    if (victimIndex < 0 || stopping || !ready()) return false;
    const victim = nodes[victimIndex];
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    const elected = await new Promise<number | undefined>((resolve) => {
      const offs: (() => void)[] = [];
      const timer = setTimeout(() => done(undefined), 10_000);
      const done = (t: number | undefined) => {
        clearTimeout(timer);
        offs.forEach((off) => off());
        resolve(t);
      };
      for (const p of nodes.filter((x) => x !== victim)) {
        const found = p.lines.find((l) => l.t >= killedAt && l.event === 'role' && l.role === 'leader');
        if (found) return done(found.t);
        offs.push(p.onLine((l) => l.event === 'role' && l.role === 'leader' && l.t >= killedAt && done(l.t)));
      }
    });
    if (elected === undefined) note(`killed ${victim.port} (leader): no new leader within 10 s`);
    else {
      failovers.push(elected - killedAt);
      note(`killed ${victim.port} (leader): new leader after ${elected - killedAt} ms`);
    }
    if (!stopping) nodes[victimIndex] = start(victim.port);
    return true;
  };
  if (values.chaos) {
    const loop = (delay: number) => {
      chaos = setTimeout(
        () => void kill().then((killed) => !stopping && loop(killed ? chaosEvery : 200)),
        delay,
      );
    };
    loop(chaosEvery);
  }

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (chaos) clearTimeout(chaos);
    clearInterval(screen);
    render();
    // SIGTERM first, so each node stops its election and closes its sockets; SIGKILL whatever lingers.
    await Promise.all(
      nodes.map(async (p) => {
        const force = setTimeout(() => p.kill('SIGKILL'), 3000);
        await p.stop('SIGTERM');
        clearTimeout(force);
      }),
    );
    rmSync(stateDir, { recursive: true, force: true });
    if (failovers.length > 0) {
      const sorted = [...failovers].sort((a, b) => a - b);
      out(
        `${failovers.length} failovers: median ${sorted[Math.floor((sorted.length - 1) / 2)]} ms, ` +
          `max ${sorted[sorted.length - 1]} ms\n`,
      );
    }
    out('stopped\n');
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
