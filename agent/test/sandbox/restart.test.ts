// Restart policies: on-failure restarts failed runs up to its maximum,
// always restarts until stopped, no never; states and counts follow.
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { ContainerMetricSource } from '../../src/containers/metrics-source';
import { builtin, run, sandbox, type Sandbox } from './harness';

describeWhere([root, seccompUserNotif], 'restart policy', () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox('restart');
  });
  afterAll(() => box.close());

  it('on-failure:2 restarts a failing workload twice, with backoff, then stays failed', async () => {
    const states: string[] = [];
    const onRestarting = (e: { delayMs: number }) => states.push(`restarting ${e.delayMs}`);
    box.manager.on('restarting', onRestarting);
    const started = Date.now();
    const result = await run(box, {
      profile: builtin('default'),
      restart: { mode: 'on-failure', maxRestarts: 2 },
      command: ['/bin/sh', '-c', 'echo run; exit 3'],
      keep: true,
    });
    box.manager.off('restarting', onRestarting);
    expect(result.end.exitCode).toBe(3);
    expect(result.container.restarts).toBe(2);
    expect(result.container.state).toBe('failed');
    expect(result.stdout).toBe('run\nrun\nrun\n');
    expect(states).toEqual(['restarting 100', 'restarting 200']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const source = new ContainerMetricSource(box.manager);
    const restarts = source.collect().get('zviz_container_restarts_total') as Array<{
      labels: Record<string, string>;
      value: number;
    }>;
    expect(restarts.find((s) => s.labels.container_id === result.container.id)?.value).toBe(2);
    await box.manager.remove(result.container);
  });

  it('on-failure does not restart a successful run; the state is exited', async () => {
    const result = await run(box, {
      profile: builtin('default'),
      restart: { mode: 'on-failure', maxRestarts: 0 },
      command: ['/bin/true'],
      keep: true,
    });
    expect(result.container.restarts).toBe(0);
    expect(result.container.state).toBe('exited');
    expect(result.end.exitCode).toBe(0);
    await box.manager.remove(result.container);
  });

  it('always restarts even successful runs, until stopped', async () => {
    const result = await run(box, {
      profile: builtin('default'),
      restart: { mode: 'always', maxRestarts: 0 },
      command: ['/bin/true'],
      whileRunning: async (container) => {
        while (container.restarts < 3) {
          await new Promise((r) => setTimeout(r, 20));
        }
        await box.manager.stop(container);
      },
      keep: true,
    });
    expect(result.container.restarts).toBeGreaterThanOrEqual(3);
    expect(['exited', 'failed']).toContain(result.container.state);
    await box.manager.remove(result.container);
  });
});
