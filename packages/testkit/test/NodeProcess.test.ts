import { join } from 'node:path';
import { createServer } from 'node:net';
import { freePorts, NodeProcess, NodeProcessError } from '../src';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(__dirname, 'fixtures', 'jsonLines.ts');

// Each test starts a real tsx child process, which takes seconds on a loaded machine.
jest.setTimeout(60_000);

interface Line {
  readonly event: string;
  readonly text?: string;
  readonly args?: string[];
  readonly marker?: string | null;
}

describe('NodeProcess', () => {
  const started: NodeProcess<Line>[] = [];
  const start = (args: string[] = [], env?: Record<string, string>): NodeProcess<Line> => {
    const p = new NodeProcess<Line>({ script: SCRIPT, args, cwd: ROOT, env });
    started.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('parses every JSON line the child prints, ignores other output and keeps its stderr', async () => {
    const p = start(['--flag', 'x'], { JSON_LINES_MARKER: 'm1' });
    const ready = await p.waitForLine((l) => l.event === 'ready', 30_000);
    expect(ready).toEqual({ event: 'ready', args: ['--flag', 'x'], marker: 'm1' });
    expect(p.lines).toEqual([ready]);
    expect(p.errors).toContain('starting');
    expect(p.alive).toBe(true);
    expect(p.pid).toEqual(expect.any(Number));
  });

  it('waits for a line still to come, and tells listeners of every line', async () => {
    const p = start();
    await p.waitForLine((l) => l.event === 'ready', 30_000);
    const heard: string[] = [];
    const off = p.onLine((l) => heard.push(l.event));
    const echo = p.waitForLine((l) => l.event === 'echo', 30_000);
    p.writeLine('hello');
    expect(await echo).toEqual({ event: 'echo', text: 'hello' });
    off();
    p.writeLine('again');
    await p.waitForLine((l) => l.text === 'again', 30_000);
    expect(heard).toEqual(['echo']);
    expect(p.lastLine()).toEqual({ event: 'echo', text: 'again' });
    expect(p.lastLine((l) => l.event === 'ready')?.event).toBe('ready');
  });

  it('rejects a wait with a timeout error when no such line comes in time', async () => {
    const p = start();
    await expect(p.waitForLine((l) => l.event === 'never', 50)).rejects.toMatchObject({
      code: 'TESTKIT_ERR_PROCESS_TIMEOUT',
    });
  });

  it('rejects a wait with an exited error when the child exits first', async () => {
    const p = start(['--exit']);
    const wait = p.waitForLine((l) => l.event === 'never', 30_000);
    await expect(wait).rejects.toBeInstanceOf(NodeProcessError);
    await expect(wait).rejects.toMatchObject({ code: 'TESTKIT_ERR_PROCESS_EXITED' });
    expect(await p.exited).toBe(3);
  });

  it('kills the child with SIGKILL by default', async () => {
    const p = start();
    await p.waitForLine((l) => l.event === 'ready', 30_000);
    p.kill();
    expect(await p.exited).toBeNull();
    expect(p.alive).toBe(false);
  });

  it('stops gracefully with a gentler signal when the child handles it', async () => {
    const p = start();
    await p.waitForLine((l) => l.event === 'ready', 30_000);
    await p.stop('SIGINT', 30_000);
    expect(await p.exited).toBe(0);
    expect(p.lastLine()?.event).toBe('bye');
  });

  it('falls back to SIGKILL when the child ignores the gentler signal for the grace period', async () => {
    const p = start(['--ignore-sigint']);
    await p.waitForLine((l) => l.event === 'ready', 30_000);
    await p.stop('SIGINT', 200);
    expect(await p.exited).toBeNull();
    expect(p.alive).toBe(false);
  });
});

describe('freePorts', () => {
  it('gives distinct ports that can be listened on at 127.0.0.1', async () => {
    const ports = await freePorts(3);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((r) => server.close(r));
    }
  });
});
