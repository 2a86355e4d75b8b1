import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RESULT_PREFIX, type Measurement } from './measurement.js';

const CASE_TIMEOUT_MS = 120_000;

/** Runs one case in its own node process, so every case starts from an empty V8 heap. */
export function runInChild(scenario: string, contender: string): Promise<Measurement> {
  const entry = join(__dirname, 'run-case.ts');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', entry, scenario, contender], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) {
        resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Measurement);
      } else {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new Error(`${scenario}/${contender}: ${why}\n${stdout.trim()}`));
      }
    });
  });
}
