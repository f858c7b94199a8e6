import { describe, expect, it } from 'vitest';

import { SnapshotGate } from './snapshot-gate';

/** A promise and the function that settles it, to step the gate by hand. */
function step(): { done: Promise<void>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SnapshotGate', () => {
  it('starts a change only after the collections under way end, and holds new ones until it ends', async () => {
    const gate = new SnapshotGate();
    const events: string[] = [];
    const first = step();
    const collecting = gate.collect(async () => {
      events.push('collect 1 starts');
      await first.done;
      events.push('collect 1 ends');
    });
    const reload = step();
    const changing = gate.change(async () => {
      events.push('change starts');
      await reload.done;
      events.push('change ends');
      return 'applied';
    });
    // Arrives while the change waits: goes after it, not beside the first collection.
    const later = gate.collect(async () => {
      events.push('collect 2');
    });
    await tick();
    expect(events).toEqual(['collect 1 starts']);
    first.finish();
    await tick();
    expect(events).toEqual(['collect 1 starts', 'collect 1 ends', 'change starts']);
    reload.finish();
    expect(await changing).toBe('applied');
    await Promise.all([collecting, later]);
    expect(events).toEqual(['collect 1 starts', 'collect 1 ends', 'change starts', 'change ends', 'collect 2']);
  });

  it('lets collections run side by side, and opens again after a change that throws', async () => {
    const gate = new SnapshotGate();
    const a = step();
    const events: string[] = [];
    const one = gate.collect(async () => {
      events.push('a starts');
      await a.done;
    });
    const two = gate.collect(async () => {
      events.push('b starts');
    });
    await two;
    expect(events).toEqual(['a starts', 'b starts']);
    a.finish();
    await one;
    await expect(
      gate.change(async () => {
        throw new Error('refused');
      })
    ).rejects.toThrow('refused');
    expect(await gate.collect(async () => 'after')).toBe('after');
  });
});
