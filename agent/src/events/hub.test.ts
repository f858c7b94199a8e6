import type { DecisionEvent } from '@zviz/shared/agent-api';
import { describe, expect, it } from 'vitest';

import { decision } from '../../test/support/decision-events';
import { EventHub } from './hub';

const seqs = (events: DecisionEvent[]) => events.map((e) => e.seq);

describe('EventHub', () => {
  it('numbers events from 1 and hands each batch to subscribers', () => {
    const hub = new EventHub(10);
    const seen: number[][] = [];
    hub.subscribe((events) => seen.push(events.map((e) => e.seq)));
    hub.publish([decision(), decision()]);
    hub.publish([decision()]);
    expect(seen).toEqual([[1, 2], [3]]);
    expect(hub.lastSeq).toBe(3);
  });

  it('answers since= with newer events, oldest first, and counts those that left the ring', () => {
    const hub = new EventHub(4);
    hub.publish(Array.from({ length: 10 }, () => decision()));
    expect(hub.query({ since: 0, limit: 100 })).toMatchObject({ next: 10, missed: 6 });
    expect(seqs(hub.query({ since: 0, limit: 100 }).events)).toEqual([7, 8, 9, 10]);
    expect(seqs(hub.query({ since: 8, limit: 100 }).events)).toEqual([9, 10]);
    expect(hub.query({ since: 8, limit: 100 }).missed).toBe(0);
    expect(hub.query({ since: 10, limit: 100 })).toEqual({ events: [], next: 10, missed: 0 });
  });

  it('pages with limit: next is the last event returned', () => {
    const hub = new EventHub(100);
    hub.publish(Array.from({ length: 5 }, () => decision()));
    const page = hub.query({ since: 0, limit: 2 });
    expect(seqs(page.events)).toEqual([1, 2]);
    expect(page.next).toBe(2);
    expect(seqs(hub.query({ since: page.next, limit: 2 }).events)).toEqual([3, 4]);
  });

  it('without since returns the newest events', () => {
    const hub = new EventHub(100);
    hub.publish(Array.from({ length: 5 }, () => decision()));
    expect(seqs(hub.query({ limit: 2 }).events)).toEqual([4, 5]);
  });

  it('filters by syscall, decision and container', () => {
    const hub = new EventHub(100);
    hub.publish([
      decision({ syscall: 'openat', decision: 'deny' }),
      decision({ syscall: 'connect', decision: 'allow', container_id: 'other' }),
      decision({ syscall: 'openat', decision: 'allow' }),
    ]);
    const q = (filter: Parameters<EventHub['query']>[0]['filter']) =>
      seqs(hub.query({ since: 0, limit: 10, filter }).events);
    expect(q({ syscalls: new Set(['openat']) })).toEqual([1, 3]);
    expect(q({ decisions: new Set(['deny']) })).toEqual([1]);
    expect(q({ containers: new Set(['other']) })).toEqual([2]);
    expect(q({ syscalls: new Set(['openat']), decisions: new Set(['allow']) })).toEqual([3]);
  });

  it('restarts from the oldest event when since is ahead (an agent restart)', () => {
    const hub = new EventHub(100);
    hub.publish([decision(), decision()]);
    expect(seqs(hub.query({ since: 500, limit: 10 }).events)).toEqual([1, 2]);
  });

  it('keeps the newest events when resized', () => {
    const hub = new EventHub(10);
    hub.publish(Array.from({ length: 8 }, () => decision()));
    hub.resize(3);
    expect(seqs(hub.query({ since: 0, limit: 10 }).events)).toEqual([6, 7, 8]);
    hub.publish([decision()]);
    expect(seqs(hub.query({ since: 0, limit: 10 }).events)).toEqual([7, 8, 9]);
  });

  it('counts syscall events from 0, before the first one', () => {
    expect(new EventHub(10).collect().get('zviz_audit_events_total')).toEqual([
      { labels: { event_type: 'syscall' }, value: 0 },
    ]);
  });

  it('isolates a failing subscriber and counts events by type', () => {
    const errors: unknown[] = [];
    const hub = new EventHub(10, (e) => errors.push(e));
    const got: number[] = [];
    hub.subscribe(() => {
      throw new Error('boom');
    });
    hub.subscribe((events) => got.push(events.length));
    hub.publish([decision(), decision({ event_type: 'container' })]);
    expect(errors).toHaveLength(1);
    expect(got).toEqual([2]);
    expect(hub.collect().get('zviz_audit_events_total')).toEqual([
      { labels: { event_type: 'syscall' }, value: 1 },
      { labels: { event_type: 'container' }, value: 1 },
    ]);
  });
});
