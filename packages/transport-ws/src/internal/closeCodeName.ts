import { type CloseCodeName, CloseCodes } from '@troupe/transport';

const NAMES = new Map<number, CloseCodeName>(
  Object.entries(CloseCodes).map(([name, code]) => [code, name as CloseCodeName]),
);
// Not Troupe's, but common enough to deserve a name in events.
const WS_NAMES = new Map<number, string>([
  [1002, 'protocolError'],
  [1005, 'noStatus'],
  [1006, 'abnormal'],
  [1007, 'invalidPayload'],
  [1011, 'internalError'],
]);

/** A close code as events carry it: its name in {@link CloseCodes}, or the number as a string. */
export function closeCodeName(code: number): string {
  return NAMES.get(code) ?? WS_NAMES.get(code) ?? String(code);
}
