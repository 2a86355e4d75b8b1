import { describe, expect, it } from '@jest/globals';
import { InvalidActionError } from '../src';
import { parseAction } from '../src/internal/DashboardServer';

const refusal = (body: string) => {
  try {
    parseAction(body);
  } catch (e) {
    return e;
  }
  throw new Error(`accepted ${body}`);
};

describe("the dashboard's actions", () => {
  it('accepts every action the page sends', () => {
    expect(parseAction('{"action":"kill","node":2}')).toEqual({ action: 'kill', node: 2 });
    expect(parseAction('{"action":"heal"}')).toEqual({ action: 'heal' });
    expect(parseAction('{"action":"put","node":0,"key":"k","value":"v","consistency":"all"}')).toEqual({
      action: 'put',
      node: 0,
      key: 'k',
      value: 'v',
      consistency: 'all',
    });
    expect(parseAction('{"action":"get","node":4,"key":"k","consistency":"one"}')).toEqual({
      action: 'get',
      node: 4,
      key: 'k',
      consistency: 'one',
    });
  });

  it.each([
    ['not JSON', '{"action":'],
    ['not an object', '42'],
    ['an unknown action', '{"action":"reboot","node":1}'],
    ['a node that is not an integer', '{"action":"kill","node":"1"}'],
    ['a missing node', '{"action":"restart"}'],
    ['an empty key', '{"action":"get","node":1,"key":"","consistency":"one"}'],
    ['an unknown consistency', '{"action":"get","node":1,"key":"k","consistency":"most"}'],
    ['a value that is not a string', '{"action":"put","node":1,"key":"k","value":3,"consistency":"one"}'],
  ])('refuses %s with an InvalidActionError', (_what, body) => {
    const e = refusal(body);
    expect(e).toBeInstanceOf(InvalidActionError);
    expect((e as InvalidActionError).code).toBe('DEMO_ERR_INVALID_ACTION');
  });
});
