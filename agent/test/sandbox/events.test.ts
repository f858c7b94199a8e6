// Decision events on their way from the broker to JavaScript, with the real
// addon and real workloads: each container's events beyond its budget are
// counted against it, a full queue drops and counts, chunks stay small, and
// every decision is either delivered or counted: none is lost silently.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import type { NewDecisionEvent } from '../../src/events/hub';
import { BrokerEvents, CHUNK } from '../../src/broker/events';
import type { Container } from '../../src/containers/manager';
import { addon, BIN, buildWorkloads, builtin, lines, run, sandbox, type Sandbox } from './harness';
import { GUIDE_AUDIT_FIELDS } from '../support/decision-events';

/** Refusals the broker decided for a container: each one is a decision event. */
function notable(container: Container): number {
  const { counts } = container.currentDecisions();
  return counts.log + counts.deny + counts.trap + counts.kill;
}

/** Everything the addon counted as dropped so far, per container. */
function drops(events: BrokerEvents): Map<string, { rateLimited: number; queueFull: number }> {
  const out = new Map<string, { rateLimited: number; queueFull: number }>();
  for (const d of events.takeDrops()) {
    const entry = out.get(d.container) ?? { rateLimited: 0, queueFull: 0 };
    entry.rateLimited += d.rateLimited;
    entry.queueFull += d.queueFull;
    out.set(d.container, entry);
  }
  return out;
}

describeWhere([root, seccompUserNotif], 'decision events from the broker', () => {
  let box: Sandbox;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('events');
  });
  afterAll(() => box.close());

  async function refuse(calls: number, whileRunning?: (c: Container) => void) {
    const result = await run(box, {
      profile: builtin('default'),
      command: [join(BIN, 'refuse'), String(calls)],
      keep: true,
      whileRunning,
    });
    expect(result.end.exitCode).toBe(0);
    expect(lines(result.stdout).get('refused')).toBe(String(calls));
    return result.container;
  }

  it('admits a burst of a container’s events, counts the rest against it, and loses none', async () => {
    const received: NewDecisionEvent[] = [];
    // One event a second after a burst of 100: the workload's 3,000 refusals outrun it.
    const events = new BrokerEvents(addon(), (batch) => received.push(...batch), {
      capacity: 100_000,
      rate: 1,
      burst: 100,
    });
    drops(events); // start from zero
    const container = await refuse(3000);
    events.drainNow();
    const mine = received.filter((e) => e.container_id === container.id);
    const dropped = drops(events).get(container.id);
    expect(mine.length).toBeGreaterThanOrEqual(100);
    expect(mine.length).toBeLessThan(3000);
    expect(dropped?.queueFull).toBe(0);
    expect(mine.length + (dropped?.rateLimited ?? 0)).toBe(notable(container));
    // What passed is whole: the audit record's fields, in its order.
    expect(Object.keys(mine[0]).slice(0, 8)).toEqual(GUIDE_AUDIT_FIELDS);
    expect(mine.filter((e) => e.syscall === 'ptrace')[0]).toMatchObject({
      event_type: 'syscall',
      decision: 'deny',
      profile: 'default',
      pid: expect.any(Number),
      errno: expect.any(Number),
    });
    expect(mine[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await box.manager.remove(container);
  });

  it('budgets each container on its own: a second container still gets its burst', async () => {
    const received: NewDecisionEvent[] = [];
    const events = new BrokerEvents(addon(), (batch) => received.push(...batch), {
      capacity: 100_000,
      rate: 1,
      burst: 50,
    });
    drops(events);
    const first = await refuse(500);
    const second = await refuse(20);
    events.drainNow();
    const of = (c: Container) => received.filter((e) => e.container_id === c.id).length;
    const dropped = drops(events);
    expect(of(second)).toBe(notable(second));
    expect(dropped.get(second.id)).toBeUndefined();
    expect(of(first) + (dropped.get(first.id)?.rateLimited ?? 0)).toBe(notable(first));
    expect(dropped.get(first.id)?.rateLimited).toBeGreaterThan(0);
    await box.manager.remove(first);
    await box.manager.remove(second);
  });

  it('applies new limits to the next container at once (a reload)', async () => {
    const received: NewDecisionEvent[] = [];
    const events = new BrokerEvents(addon(), (batch) => received.push(...batch), {
      capacity: 100_000,
      rate: 1,
      burst: 10,
    });
    drops(events);
    const before = await refuse(200);
    events.setLimits({ capacity: 100_000, rate: 1, burst: 1000 });
    const after = await refuse(200);
    events.drainNow();
    const of = (c: Container) => received.filter((e) => e.container_id === c.id).length;
    const dropped = drops(events);
    expect(of(before)).toBeLessThan(200);
    expect(of(before) + (dropped.get(before.id)?.rateLimited ?? 0)).toBe(notable(before));
    expect(of(after)).toBe(notable(after));
    expect(dropped.get(after.id)).toBeUndefined();
    await box.manager.remove(before);
    await box.manager.remove(after);
  });

  it('drops and counts events when JavaScript cannot take them, and hands them over in small chunks', async () => {
    const batches: number[] = [];
    const received: NewDecisionEvent[] = [];
    const events = new BrokerEvents(
      addon(),
      (batch) => {
        batches.push(batch.length);
        received.push(...batch);
      },
      { capacity: 2000, rate: 1_000_000, burst: 1_000_000 }
    );
    drops(events);
    const calls = 5000;
    const container = await refuse(calls, (c) => {
      // Hold the event loop until the workload has made every call: the
      // queue (2,000) fills and the rest cannot wait.
      const deadline = Date.now() + 30_000;
      while (c.currentDecisions().counts.deny < calls && Date.now() < deadline) {
        // busy: nothing else may run
      }
    });
    // Let the wake-up and the chunks run.
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.drainNow();
    const mine = received.filter((e) => e.container_id === container.id).length;
    const dropped = drops(events).get(container.id);
    expect(dropped?.queueFull).toBeGreaterThan(0);
    expect(dropped?.rateLimited).toBe(0);
    expect(mine + (dropped?.queueFull ?? 0)).toBe(notable(container));
    expect(Math.max(...batches)).toBeLessThanOrEqual(CHUNK);
    expect(batches.length).toBeGreaterThan(1);
    await box.manager.remove(container);
  });
});
