// The audit component in a real agent, with a write queue too small for what
// arrives: the events it drops are counted against their containers, and
// /health says degraded (the audit component and the event pipeline) while
// drops happen, and ok again once they stopped.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';

import { freePort } from '@zviz/test-support/ports';
import { Agent } from '../agent';
import { loadConfig } from '../assembly/load-config';
import { decision } from '../../test/support/decision-events';
import { AgentLog } from '../log/logger';
import { DEGRADED_WINDOW_MS } from '../events/loss';
import { AuditComponent } from './component';

let agent: Agent | undefined;
let dir: string | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await agent?.stop();
  agent = undefined;
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('counts events its full queue drops per container, and is degraded while it drops', async () => {
  dir = mkdtempSync(join(tmpdir(), 'zviz-audit-component-'));
  const port = await freePort();
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `metrics:\n  address: 127.0.0.1:${port}\nlogging:\n  output: ${join(dir, 'zviz.log')}\n` +
      `  audit:\n    path: ${join(dir, 'audit.json')}\n    queue_size: 2\n`
  );
  const loaded = loadConfig({ path, env: {} });
  if (!loaded.ok) {
    throw new Error(loaded.errors.join('\n'));
  }
  agent = await Agent.start({
    config: loaded.config,
    load: { path, env: {} },
    log: AgentLog.create(loaded.config.logging),
    components: [(ctx) => new AuditComponent(ctx)],
  });
  expect(agent.health()).toMatchObject({ status: 'healthy', components: { audit: { status: 'ok' } } });

  // One batch of 5: two fit the queue; three are dropped, two of them b's.
  agent.hub.publish([
    decision({ container_id: 'a' }),
    decision({ container_id: 'a' }),
    decision({ container_id: 'a' }),
    decision({ container_id: 'b' }),
    decision({ container_id: 'b' }),
  ]);
  const health = agent.health();
  expect(health.status).toBe('degraded');
  expect(health.components.audit).toMatchObject({ status: 'degraded', dropped: 3 });
  expect(health.components.audit.reason).toMatch(/^3 events dropped in the last 10 s: the write queue/);
  expect(health.components.events).toMatchObject({ status: 'degraded', dropped: { audit_queue_full: 3 } });
  const text = (await agent.registry.scrape('text')).body.toString();
  expect(text).toContain('zviz_container_events_dropped_total{container_id="a",reason="audit_queue_full"} 1\n');
  expect(text).toContain('zviz_container_events_dropped_total{container_id="b",reason="audit_queue_full"} 2\n');

  await vi.waitFor(() => expect(agent!.health().components.audit.written).toBe(2));
  expect(readFileSync(join(dir, 'audit.json'), 'utf8').trim().split('\n')).toHaveLength(2);
  // Once no drop happened for the window, both are ok again; the counts stay.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + DEGRADED_WINDOW_MS + 1000 });
  expect(agent.health()).toMatchObject({
    status: 'healthy',
    components: { audit: { status: 'ok', dropped: 3, written: 2 }, events: { status: 'ok' } },
  });
});
