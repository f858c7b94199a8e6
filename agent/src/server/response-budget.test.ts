// The budget's rules against a table of held answers the test sets: shares,
// priority, the lone oversized answer, and room made from slow readers only.
import { describe, expect, it } from 'vitest';

import { ResponseBudget, type PendingAnswers } from './response-budget';

/** Held answers: `slow` are those whose clients stopped reading (droppable); `reading` never are. */
function answers(slow: number[], reading: number[]): PendingAnswers & { slow: number[] } {
  return {
    slow,
    pendingBytes: () => [...slow, ...reading].reduce((a, b) => a + b, 0),
    dropSlowReaders(bytes: number) {
      let freed = 0;
      while (freed < bytes && slow.length > 0) {
        freed += slow.shift()!;
      }
      return freed;
    },
  };
}

describe('ResponseBudget', () => {
  it('gives the JSON API three quarters of the budget and /metrics all of it', () => {
    const budget = new ResponseBudget(1000, answers([], [700]));
    expect(budget.admit(50, 'bulk')).toBe(true);
    expect(budget.admit(51, 'bulk')).toBe(false);
    expect(budget.admit(300, 'scrape')).toBe(true);
    expect(budget.admit(301, 'scrape')).toBe(false);
  });

  it('never refuses a probe', () => {
    const budget = new ResponseBudget(1000, answers([], [5000]));
    expect(budget.admit(2000, 'probe')).toBe(true);
  });

  it('makes room by dropping slow readers, only as many as needed', () => {
    const held = answers([300, 300, 300], [100]);
    const budget = new ResponseBudget(1000, held);
    // 1000 held, the share is 750: 550 must go, so two of the three.
    expect(budget.admit(300, 'bulk')).toBe(true);
    expect(held.slow).toEqual([300]);
  });

  it('refuses what does not fit once every slow reader is gone', () => {
    const held = answers([100], [600]);
    const budget = new ResponseBudget(1000, held);
    expect(budget.admit(200, 'bulk')).toBe(false);
    expect(held.slow).toEqual([]);
  });

  it('sends an answer larger than its share only when nothing else is held', () => {
    expect(new ResponseBudget(1000, answers([], [])).admit(5000, 'bulk')).toBe(true);
    expect(new ResponseBudget(1000, answers([], [1])).admit(5000, 'bulk')).toBe(false);
    const held = answers([400], []);
    expect(new ResponseBudget(1000, held).admit(5000, 'bulk')).toBe(true);
    expect(held.slow).toEqual([]);
  });

  it('has room for anything until its share is full', () => {
    expect(new ResponseBudget(1000, answers([], [749])).hasRoom('bulk')).toBe(true);
    expect(new ResponseBudget(1000, answers([], [750])).hasRoom('bulk')).toBe(false);
    expect(new ResponseBudget(1000, answers([], [750])).hasRoom('scrape')).toBe(true);
  });
});
