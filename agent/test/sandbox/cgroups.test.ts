// Containers get their limits from cgroups, report usage against them, and
// limit hits are counted as "cgroup" refusals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { ContainerMetricSource } from '../../src/containers/metrics-source';
import type { ValueSample } from '../../src/metrics/source';
import { builtin, run, sandbox, type Sandbox } from './harness';

const MiB = 1024 * 1024;

function series(source: ContainerMetricSource, family: string): ValueSample[] {
  return (source.collect().get(family) ?? []) as ValueSample[];
}

describeWhere([root, seccompUserNotif], 'container cgroups', () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox('cgroups');
  });
  afterAll(() => box.close());

  it('applies memory, CPU and pids limits and reports usage, utilization and alert levels', async () => {
    const source = new ContainerMetricSource(box.manager);
    let seen: Record<string, ValueSample[]> = {};
    let limitsInCgroup: Record<string, string> = {};
    const result = await run(box, {
      profile: builtin('default'),
      limits: { memoryBytes: 64 * MiB, cpus: 0.5, pids: 64 },
      // Busy for a while so the sampler sees CPU use, then read our own cgroup's limit files.
      command: ['/bin/sh', '-c', 'i=0; while [ $i -lt 40000 ]; do i=$((i+1)); done; sleep 0.3'],
      whileRunning: async (container) => {
        const v1 = container.cgroup.v1Procs.map((p) => p.replace(/\/cgroup\.procs$/, ''));
        const read = (name: string) => {
          for (const dir of [container.cgroup.v2Dir, ...v1]) {
            try {
              return readFileSync(join(dir ?? '', name), 'utf8').trim();
            } catch {
              // Not in this hierarchy.
            }
          }
          return '';
        };
        limitsInCgroup =
          container.cgroup.v2Dir && read('memory.max')
            ? { memory: read('memory.max'), cpu: read('cpu.max'), pids: read('pids.max') }
            : { memory: read('memory.limit_in_bytes'), cpu: read('cpu.cfs_quota_us'), pids: read('pids.max') };
        source.sample(Date.now());
        await new Promise((r) => setTimeout(r, 250));
        source.sample(Date.now());
        seen = Object.fromEntries(
          [
            'zviz_resource_limit',
            'zviz_resource_usage',
            'zviz_resource_utilization_ratio',
            'zviz_resource_alert_level',
            'zviz_memory_usage_bytes',
            'zviz_cpu_usage_seconds',
            'zviz_container_uptime_seconds',
            'zviz_containers_by_state',
            'zviz_container_info',
          ].map((f) => [f, series(source, f)])
        );
      },
      keep: true,
    });
    const id = result.container.id;
    expect(limitsInCgroup.memory).toBe(String(64 * MiB));
    expect(limitsInCgroup.cpu).toMatch(/^50000( 100000)?$/);
    expect(limitsInCgroup.pids).toBe('64');

    const limit = (type: string) =>
      seen.zviz_resource_limit.find((s) => s.labels.container_id === id && s.labels.resource_type === type)?.value;
    expect(limit('memory')).toBe(64 * MiB);
    expect(limit('cpu')).toBe(0.5);
    expect(limit('pids')).toBe(64);
    const usage = (type: string) =>
      seen.zviz_resource_usage.find((s) => s.labels.container_id === id && s.labels.resource_type === type)?.value;
    expect(usage('memory')).toBeGreaterThan(0);
    expect(usage('pids')).toBeGreaterThanOrEqual(1);
    expect(usage('cpu')).toBeGreaterThan(0);
    // The quota holds: half a CPU, with some slack for the sampling window.
    expect(usage('cpu')).toBeLessThan(0.75);
    const ratio = seen.zviz_resource_utilization_ratio.find(
      (s) => s.labels.container_id === id && s.labels.resource_type === 'memory'
    )?.value;
    expect(ratio).toBeCloseTo((usage('memory') ?? 0) / (64 * MiB), 5);
    for (const s of seen.zviz_resource_alert_level.filter((x) => x.labels.container_id === id)) {
      expect([0, 1, 2, 3]).toContain(s.value);
    }
    expect(seen.zviz_memory_usage_bytes.find((s) => s.labels.container_id === id)?.value).toBe(usage('memory'));
    expect(seen.zviz_cpu_usage_seconds.find((s) => s.labels.container_id === id)?.value).toBeGreaterThan(0);
    expect(seen.zviz_container_uptime_seconds.find((s) => s.labels.container_id === id)?.value).toBeGreaterThan(0);
    expect(seen.zviz_containers_by_state.find((s) => s.labels.state === 'running')?.value).toBeGreaterThanOrEqual(1);
    expect(seen.zviz_container_info.find((s) => s.labels.container_id === id)?.labels).toMatchObject({
      profile: 'default',
    });

    // Removed: its series are gone.
    await box.manager.remove(result.container);
    expect(series(source, 'zviz_resource_limit').filter((s) => s.labels.container_id === id)).toEqual([]);
    expect(series(source, 'zviz_container_info').filter((s) => s.labels.container_id === id)).toEqual([]);
  });

  it("keeps a removed container's final counters and state for the retention period, then drops them", async () => {
    const kept = sandbox('retention', { retentionMs: 1500 });
    try {
      const source = new ContainerMetricSource(kept.manager);
      const expired: string[] = [];
      kept.manager.on('expired', (e: { id: string }) => expired.push(e.id));
      const result = await run(kept, {
        profile: builtin('default'),
        limits: { memoryBytes: 64 * MiB },
        // CPU to count, then a failure to keep.
        command: ['/bin/sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3'],
      });
      const id = result.container.id;
      const mine = (family: string) => series(source, family).filter((s) => s.labels.container_id === id);
      // Removed (its cgroup is gone), yet still shown with its final values.
      expect(kept.manager.list()).toEqual([]);
      expect(mine('zviz_cpu_usage_seconds')[0]?.value).toBeGreaterThan(0);
      expect(mine('zviz_container_state')).toEqual([{ labels: { container_id: id, state: 'failed' }, value: 1 }]);
      expect(mine('zviz_container_exit_code')[0]?.value).toBe(3);
      expect(mine('zviz_container_info')[0]?.labels).toMatchObject({ profile: 'default' });
      expect(series(source, 'zviz_containers_total')[0]?.value).toBe(1);
      expect(series(source, 'zviz_containers_by_state').find((s) => s.labels.state === 'failed')?.value).toBe(1);
      // Gauges of a running workload are not kept: an ended job has no usage, no alert level.
      expect(mine('zviz_resource_usage')).toEqual([]);
      expect(mine('zviz_resource_alert_level')).toEqual([]);
      expect(mine('zviz_memory_usage_bytes')).toEqual([]);
      expect(expired).toEqual([]);

      await waitFor('the retention to end', async () => expired.includes(id), { timeoutMs: 5000, intervalMs: 50 });
      for (const family of source.families) {
        expect(mine(family), family).toEqual([]);
      }
      expect(series(source, 'zviz_containers_total')[0]?.value).toBe(0);
    } finally {
      await kept.close();
    }
  });

  it('counts OOM kills and pids-limit hits as cgroup refusals, also after removal', async () => {
    const before = box.manager.cgroupDenials();
    const oom = await run(box, {
      profile: builtin('default'),
      limits: { memoryBytes: 32 * MiB },
      command: ['/usr/bin/python3', '-c', 'x = bytearray(256 * 1024 * 1024)'],
      keep: true,
    });
    expect(oom.end.signal).toBe(9);
    const source = new ContainerMetricSource(box.manager);
    const oomKills = series(source, 'zviz_container_oom_kills_total').find(
      (s) => s.labels.container_id === oom.container.id
    )?.value;
    expect(oomKills).toBe(1);
    await box.manager.remove(oom.container);

    const forks = await run(box, {
      profile: builtin('default'),
      limits: { pids: 8 },
      command: ['/bin/sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done 2>/dev/null; wait; true'],
      keep: true,
    });
    const hits =
      series(source, 'zviz_container_pids_limit_hits_total').find((s) => s.labels.container_id === forks.container.id)
        ?.value ?? 0;
    expect(hits).toBeGreaterThan(0);
    await box.manager.remove(forks.container);
    expect(box.manager.cgroupDenials() - before).toBe(1 + hits);
  });
});
