/**
 * `npm run cache:cli -- <put k v | get k | delete k | stats | health> [--url http://127.0.0.1:7070]
 * [--consistency one|quorum|all] [--ttl ms]`: a small client of a cache node's HTTP API. A value that parses as
 * JSON is stored as that JSON (`42`, `'{"a":1}'`), anything else as a string. The URL defaults to `$CACHE_URL`,
 * else node-1 of `npm run cache`.
 */
import { parseArgs } from 'node:util';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.CACHE_URL ?? 'http://127.0.0.1:7070' },
      consistency: { type: 'string' },
      ttl: { type: 'string' },
    },
  });
  const [command, key, raw] = positionals;
  const query = new URLSearchParams();
  if (values.consistency) query.set('consistency', values.consistency);
  if (values.ttl) query.set('ttlMs', values.ttl);
  const qs = query.size > 0 ? `?${query.toString()}` : '';
  const keyUrl = () => {
    if (key === undefined) throw new Error(`${command} needs a key`);
    return `${values.url}/keys/${encodeURIComponent(key)}${qs}`;
  };
  let res: Response;
  switch (command) {
    case 'put': {
      if (raw === undefined) throw new Error('put needs a key and a value');
      let body: string;
      try {
        JSON.parse(raw);
        body = raw;
      } catch {
        body = JSON.stringify(raw);
      }
      res = await fetch(keyUrl(), { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
      break;
    }
    case 'get':
      res = await fetch(keyUrl());
      break;
    case 'delete':
      res = await fetch(keyUrl(), { method: 'DELETE' });
      break;
    case 'stats':
    case 'health':
      res = await fetch(`${values.url}/${command}`);
      break;
    default:
      console.error('usage: cache:cli -- put <key> <value> | get <key> | delete <key> | stats | health');
      return 2;
  }
  const text = await res.text();
  if (command === 'get' && res.ok)
    console.log(JSON.stringify((JSON.parse(text) as { value: unknown }).value));
  else if (res.status === 204) console.log('ok');
  else console.log(text);
  return res.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(String(e instanceof Error ? e.message : e));
    process.exit(1);
  },
);
