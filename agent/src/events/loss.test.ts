import { describe, expect, it } from 'vitest';

import type { ValueSample } from '../metrics/source';
import { DEGRADED_WINDOW_MS, EventLoss } from './loss';

function series(loss: EventLoss): Record<string, number> {
  const samples = loss.collect().get('zviz_container_events_dropped_total') as ValueSample[];
  return Object.fromEntries(samples.map((s) => [`${s.labels.container_id}/${s.labels.reason}`, s.value]));
}

describe('EventLoss', () => {
  it('counts drops per container and reason', () => {
    const loss = new EventLoss();
    loss.add('a', 'rate_limit', 5);
    loss.add('a', 'rate_limit', 2);
    loss.add('a', 'audit_queue_full', 1);
    loss.add('b', 'queue_full', 3);
    loss.add('b', 'queue_full', 0);
    expect(series(loss)).toEqual({ 'a/rate_limit': 7, 'a/audit_queue_full': 1, 'b/queue_full': 3 });
  });

  it('folds containers past its budget into "other", which only grows', () => {
    const loss = new EventLoss(2);
    loss.add('a', 'rate_limit', 1);
    loss.add('b', 'rate_limit', 1);
    loss.add('c', 'rate_limit', 4);
    loss.add('d', 'rate_limit', 5);
    loss.add('a', 'rate_limit', 1);
    expect(series(loss)).toEqual({ 'a/rate_limit': 2, 'b/rate_limit': 1, 'other/rate_limit': 9 });
  });

  it('keeps a removed container’s series for two scrapes, then frees its place', () => {
    const loss = new EventLoss(1);
    loss.add('a', 'rate_limit', 1);
    loss.retire('a');
    expect(series(loss)).toEqual({ 'a/rate_limit': 1 });
    expect(series(loss)).toEqual({ 'a/rate_limit': 1 });
    expect(series(loss)).toEqual({});
    loss.add('b', 'rate_limit', 1);
    expect(series(loss)).toEqual({ 'b/rate_limit': 1 });
  });

  it('asks its pollers before every scrape and health report', () => {
    const loss = new EventLoss();
    let pending = 4;
    loss.addPoller(() => {
      loss.add('native', 'queue_full', pending);
      pending = 0;
    });
    expect(series(loss)).toEqual({ 'native/queue_full': 4 });
    pending = 1;
    expect(loss.health()).toMatchObject({ status: 'degraded', dropped: { queue_full: 5 } });
  });

  it('says degraded while drops happen, with counts and no container id, and ok once the window passed', () => {
    let now = 1_000_000;
    const loss = new EventLoss(1000, () => now);
    expect(loss.health()).toEqual({ status: 'ok' });
    loss.add('secret-container-id', 'rate_limit', 1200);
    loss.add('quiet', 'audit_queue_full', 3);
    const degraded = loss.health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.reason).toContain('1,200 of 1 container over the per-container event rate limit');
    expect(degraded.reason).toContain("3 of 1 container the audit log's write queue was full");
    expect(JSON.stringify(degraded)).not.toContain('secret-container-id');
    now += DEGRADED_WINDOW_MS / 2;
    loss.add('secret-container-id', 'rate_limit', 10);
    expect(loss.health()).toMatchObject({ status: 'degraded', dropped: { rate_limit: 1210, audit_queue_full: 3 } });
    now += DEGRADED_WINDOW_MS / 2 + 1000;
    // The first drops left the window; the later ones are still in it.
    expect(loss.health()).toMatchObject({ status: 'degraded', dropped: { rate_limit: 10 } });
    now += DEGRADED_WINDOW_MS;
    expect(loss.health()).toEqual({ status: 'ok' });
    // The counters stay.
    expect(series(loss)).toEqual({
      'secret-container-id/rate_limit': 1210,
      'quiet/audit_queue_full': 3,
    });
  });
});
