import { dataFrameFromJSON } from '@grafana/data';

import { instantFrame } from '../../test/support/frontend/backend';
import { containerRows } from './containerRows';

const frame = (refId: string, value: number, labels: Record<string, string>) =>
  dataFrameFromJSON(instantFrame(refId, value, labels) as Parameters<typeof dataFrameFromJSON>[0]);

describe('containerRows', () => {
  it('joins the agents’ list with cgroup metrics and orders by alert level', () => {
    const rows = containerRows(
      {
        containers: [
          { id: 'a1', name: 'build', profile: 'ci-runner', state: 'running', agent: 'node-1:9090' },
          { id: 'b2', name: 'b2', profile: 'strict', state: 'exited', agent: 'node-1:9090' },
        ],
      },
      [
        frame('uptime', 120, { container_id: 'a1' }),
        frame('restarts', 2.0001, { container_id: 'b2' }),
        frame('utilization', 0.93, { container_id: 'b2', resource_type: 'memory' }),
        frame('alert', 2, { container_id: 'b2', resource_type: 'memory' }),
        frame('alert', 1, { container_id: 'b2', resource_type: 'cpu' }),
        // Known to Prometheus only (the agent list is partial): still shown.
        frame('info', 1, { container_id: 'c3', name: 'orphan', profile: 'default', instance: 'node-2:9090' }),
      ]
    );
    expect(rows.map((r) => r.id)).toEqual(['b2', 'a1', 'c3']);
    expect(rows[0]).toMatchObject({
      restarts: 2,
      alertLevel: 2,
      alertResource: 'memory',
      utilization: { memory: 0.93 },
    });
    expect(rows[1]).toMatchObject({ name: 'build', state: 'running', uptimeSeconds: 120 });
    expect(rows[2]).toMatchObject({ name: 'orphan', profile: 'default', state: 'unknown', agent: 'node-2:9090' });
  });
});
