import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';

import type { ContainerLifecycle } from './component';
import { traceContainers } from './tracer-link';

describe('containers traced by the tracer', () => {
  it('traces each started container by its cgroup id and drops it when its retained series expire', async () => {
    const lifecycle = new EventEmitter() as ContainerLifecycle & EventEmitter;
    const calls: string[] = [];
    const warnings: string[] = [];
    traceContainers(
      lifecycle,
      {
        trace: (id, cgroup) => void calls.push(`trace ${id} ${String(cgroup)}`),
        untrace: (id) => void calls.push(`untrace ${id}`),
      },
      (message) => warnings.push(message)
    );
    lifecycle.emit('started', {
      id: 'c1',
      name: 'c1',
      pid: 10,
      cgroupId: '4242',
      cgroupPath: '/sys/fs/cgroup/zviz/c1',
    });
    lifecycle.emit('started', { id: 'c2', name: 'c2', pid: 11, cgroupPath: '/sys/fs/cgroup/memory/zviz/c2' });
    lifecycle.emit('removed', { id: 'c1' });
    await new Promise((r) => setImmediate(r));
    // Removed, its final series still shown: still traced.
    expect(calls).toEqual(['trace c1 4242']);
    lifecycle.emit('expired', { id: 'c1' });
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['trace c1 4242', 'untrace c1']);
    expect(warnings).toEqual(['container not traced: this host has no cgroup v2 hierarchy']);
  });

  it('traces a container before its workload runs, and drops one whose first run failed to start', async () => {
    const lifecycle = new EventEmitter() as ContainerLifecycle & EventEmitter;
    const calls: string[] = [];
    traceContainers(lifecycle, {
      trace: (id, cgroup) => void calls.push(`trace ${id} ${String(cgroup)}`),
      untrace: (id) => void calls.push(`untrace ${id}`),
    });
    lifecycle.emit('launching', { id: 'c1', name: 'c1', cgroupId: '4242' });
    expect(calls).toEqual(['trace c1 4242']);
    lifecycle.emit('launching', { id: 'c2', name: 'c2', cgroupId: '4343' });
    lifecycle.emit('launch-failed', { id: 'c2' });
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['trace c1 4242', 'trace c2 4343', 'untrace c2']);
  });
});
