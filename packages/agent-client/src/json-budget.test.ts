import { expect, it } from 'vitest';

import { ANSWER_BUDGETS, EVENT_BUDGET } from './agent';
import { jsonOverBudget } from './json-budget';

const budget = { values: 10, depth: 3 };

it('counts objects and arrays opened, strings and commas; nothing inside strings', () => {
  // { "a" : [ 1 , 2 ] , "b" : "x" } → { "a" [ , , "b" "x" = 7
  expect(jsonOverBudget('{"a":[1,2],"b":"x"}', { values: 7, depth: 2 })).toBeUndefined();
  expect(jsonOverBudget('{"a":[1,2],"b":"x"}', { values: 6, depth: 2 })).toBe('more than 6 JSON values');
  // Brackets, commas and escaped quotes inside a string are the string's.
  expect(jsonOverBudget('["{[,,,\\"[[[[", "\\\\"]', budget)).toBeUndefined();
});

it('refuses depth beyond the bound, and many values at any depth', () => {
  expect(jsonOverBudget('[[[]]]', budget)).toBeUndefined();
  expect(jsonOverBudget('[[[[]]]]', budget)).toBe('nested more than 3 deep');
  expect(jsonOverBudget(`[${'0,'.repeat(10)}0]`, budget)).toBe('more than 10 JSON values');
  expect(jsonOverBudget(`[${'{},'.repeat(1e6)}{}]`, budget)).toBe('more than 10 JSON values');
});

it('leaves malformed JSON to JSON.parse (an unterminated string is one value)', () => {
  expect(jsonOverBudget('{"a":"never ends', budget)).toBeUndefined();
  expect(jsonOverBudget('', budget)).toBeUndefined();
});

it("passes a full page of the agent API's largest events", () => {
  const event = {
    seq: 123456789,
    timestamp: '2026-12-07T17:00:00.123456Z',
    event_type: 'decision',
    container_id: 'ci-job-17',
    syscall: 'openat',
    args: {
      path: `/${'a,{["'.repeat(600)}`,
      resolved: '/workspace/a',
      flags: 'O_RDONLY|O_CLOEXEC',
      address: 'unix:/run/x.sock',
      rule: 3,
      note: 'judged, "quoted", [bracketed]',
    },
    decision: 'deny',
    latency_us: 12.5,
    layer: 'broker',
    pid: 4242,
    profile: 'strict',
    errno: 13,
  };
  expect(jsonOverBudget(JSON.stringify(event), EVENT_BUDGET)).toBeUndefined();
  const page = JSON.stringify({ events: Array.from({ length: 1000 }, () => event), next: 1, missed: 0 });
  expect(jsonOverBudget(page, ANSWER_BUDGETS.decisions)).toBeUndefined();
});
