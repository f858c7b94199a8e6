// Joins the agents' container list with the cgroup metrics in Prometheus,
// one row per container.
import type { DataFrame } from '@grafana/data';

import { lastValues } from './queries';
import type { ContainersResource } from '@zviz/shared/resources';

export const ALERT_LEVELS = ['none', 'warning', 'critical', 'emergency'] as const;

export interface ContainerRow {
  id: string;
  name: string;
  profile: string;
  state: string;
  agent: string;
  uptimeSeconds?: number;
  restarts?: number;
  memoryBytes?: number;
  /** Usage over limit per resource type, 0..1 (above 1 when exceeded). */
  utilization: Record<string, number>;
  /** Highest alert level over the resource types, and which one. */
  alertLevel: number;
  alertResource?: string;
}

export function containerRows(list: ContainersResource | undefined, frames: DataFrame[]): ContainerRow[] {
  const rows = new Map<string, ContainerRow>();
  const row = (id: string, agent = ''): ContainerRow => {
    let r = rows.get(id);
    if (!r) {
      r = { id, name: id, profile: '', state: 'unknown', agent, utilization: {}, alertLevel: 0 };
      rows.set(id, r);
    }
    return r;
  };
  for (const c of list?.containers ?? []) {
    Object.assign(row(c.id, c.agent), { name: c.name || c.id, profile: c.profile, state: c.state, agent: c.agent });
  }
  const each = (refId: string, fn: (r: ContainerRow, value: number, labels: Record<string, string>) => void) => {
    for (const { labels, value } of lastValues(frames, refId)) {
      if (labels.container_id) {
        fn(row(labels.container_id, labels.instance), value, labels);
      }
    }
  };
  each('info', (r, _v, l) => {
    r.name = r.name === r.id && l.name ? l.name : r.name;
    r.profile = r.profile || l.profile || '';
  });
  each('uptime', (r, v) => (r.uptimeSeconds = v));
  each('restarts', (r, v) => (r.restarts = Math.round(v)));
  each('memory', (r, v) => (r.memoryBytes = v));
  each('utilization', (r, v, l) => (r.utilization[l.resource_type ?? '?'] = v));
  each('alert', (r, v, l) => {
    if (v > r.alertLevel) {
      r.alertLevel = v;
      r.alertResource = l.resource_type;
    }
  });
  return Array.from(rows.values()).sort((a, b) => b.alertLevel - a.alertLevel || a.name.localeCompare(b.name));
}
