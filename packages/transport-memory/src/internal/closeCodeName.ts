import { CloseCodes } from '@troupe/transport';

const names = new Map<number, string>(Object.entries(CloseCodes).map(([name, code]) => [code, name]));

/** @internal A close code's name in `CloseCodes` for events, or the number when it has none (1006). */
export function closeCodeName(code: number): string {
  return names.get(code) ?? String(code);
}
