import { afterEach, describe, expect, it } from 'vitest';

import type { CgroupSample } from '../cgroups/cgroup';
import type { Container, ContainerManager } from './manager';
import { ContainerMetricSource, ioResource } from './metrics-source';
import { StartFailures } from './start-failures';

const sample = (limits: CgroupSample['limits']): CgroupSample => ({ oomKills: 0, pidsLimitHits: 0, limits });

describe('the io resource', () => {
  it('is reads and writes together, without a limit, when neither direction has one', () => {
    expect(ioResource({ ioReadBytesPerSecond: 100, ioWriteBytesPerSecond: 50 }, sample({}))).toEqual({
      type: 'io',
      usage: 150,
      limit: undefined,
    });
    expect(ioResource({}, sample({})).usage).toBeUndefined();
  });

  it('is the limited direction, usage and limit, so usage / limit is its utilization', () => {
    expect(ioResource({ ioReadBytesPerSecond: 900, ioWriteBytesPerSecond: 10 }, sample({ ioWriteBps: 1000 }))).toEqual({
      type: 'io',
      usage: 10,
      limit: 1000,
    });
  });

  it('is the direction nearest its limit when both have one', () => {
    const rates = { ioReadBytesPerSecond: 900, ioWriteBytesPerSecond: 500 };
    expect(ioResource(rates, sample({ ioReadBps: 10_000, ioWriteBps: 1000 }))).toEqual({
      type: 'io',
      usage: 500,
      limit: 1000,
    });
    expect(ioResource(rates, sample({ ioReadBps: 1000, ioWriteBps: 10_000 }))).toEqual({
      type: 'io',
      usage: 900,
      limit: 1000,
    });
  });
});

/** A manager of `n` running containers whose cgroups count how often they are read. */
function fleetOf(n: number) {
  let reads = 0;
  let memory = 1000;
  const containers = Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    name: `c${i}`,
    profileName: 'default',
    state: 'running',
    restarts: 0,
    startedAt: Date.now(),
    cgroup: {
      sample: (): CgroupSample => {
        reads++;
        return { memoryBytes: memory, cpuSeconds: 1, oomKills: 0, pidsLimitHits: 0, limits: {} };
      },
      // One file, holding the memory use, read by whoever asked for the paths.
      sampleRead: () => ({
        paths: [`/cgroup/c${i}/memory.current`],
        parse: (texts: ReadonlyArray<string | undefined>): CgroupSample => ({
          memoryBytes: texts[0] === undefined ? undefined : Number(texts[0]),
          oomKills: 0,
          pidsLimitHits: 0,
          limits: {},
        }),
      }),
    },
  }));
  const manager = {
    list: () => containers,
    retired: { list: () => [] },
    created: n,
    startFailures: new StartFailures(),
  } as unknown as ContainerManager;
  return {
    manager,
    containers: containers as unknown as Container[],
    reads: () => reads,
    setMemory: (bytes: number) => (memory = bytes),
  };
}

function memoryOf(source: ContainerMetricSource, id: string): number | undefined {
  const samples = source.collect().get('zviz_memory_usage_bytes') as Array<{
    labels: { container_id: string };
    value: number;
  }>;
  return samples.find((s) => s.labels.container_id === id)?.value;
}

describe('ContainerMetricSource at a thousand containers', () => {
  let source: ContainerMetricSource | undefined;
  afterEach(() => source?.stopSampling());

  it('renders a scrape from the last sample: no cgroup file is read at scrape time', () => {
    const fleet = fleetOf(1000);
    source = new ContainerMetricSource(fleet.manager);
    source.sample();
    expect(fleet.reads()).toBe(1000);
    fleet.setMemory(2000);
    expect(memoryOf(source, 'c7')).toBe(1000);
    source.collect();
    expect(fleet.reads()).toBe(1000);
    // The cgroup denial total reads the same samples.
    expect(fleet.containers.reduce((n, c) => n + source!.latestSample(c).oomKills, 0)).toBe(0);
    expect(fleet.reads()).toBe(1000);
    source.sample();
    expect(memoryOf(source, 'c7')).toBe(2000);
  });

  it('reads a container without a sample yet at once (it just started)', () => {
    const fleet = fleetOf(3);
    source = new ContainerMetricSource(fleet.manager);
    expect(memoryOf(source, 'c1')).toBe(1000);
    expect(fleet.reads()).toBe(3);
  });

  it('samples on its timer a slice of containers per turn of the event loop', async () => {
    const fleet = fleetOf(1000);
    source = new ContainerMetricSource(fleet.manager);
    source.startSampling(20);
    expect(fleet.reads()).toBe(1000); // the first sample, at once
    // Wait for the timer's round to begin, then count what one turn of the loop reads.
    while (fleet.reads() === 1000) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const afterOneTurn = fleet.reads() - 1000;
    // No further tick: on a loaded machine the next 20 ms tick could start a
    // second round between two of these turns. The round under way goes on.
    source.stopSampling();
    expect(afterOneTurn).toBeGreaterThan(0);
    expect(afterOneTurn).toBeLessThan(1000);
    while (fleet.reads() < 2000) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(fleet.reads()).toBe(2000);
  });

  it("with a reader off the main thread, hands it every container's files in a few batches and parses what it reads", async () => {
    const fleet = fleetOf(1000);
    const batches: number[] = [];
    let memory = 7;
    const readFiles = async (paths: readonly string[]) => {
      batches.push(paths.length);
      await new Promise((resolve) => setTimeout(resolve, 1));
      // c3's cgroup is gone meanwhile: its file cannot be read.
      return paths.map((p) => (p.includes('/c3/') ? null : String(memory)));
    };
    source = new ContainerMetricSource(fleet.manager, readFiles);
    source.startSampling(20);
    expect(fleet.reads()).toBe(1000); // the first sample, at once, here
    while (batches.length < 10) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    memory = 8;
    source.stopSampling();
    // Wait for the round under way to end (a round of ten batches, each after the last).
    while (batches.length % 10 !== 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches.slice(0, 10)).toEqual(new Array(10).fill(100));
    // None read here after the first sample, and what the reader read is what a scrape shows.
    expect(fleet.reads()).toBe(1000);
    expect(memoryOf(source, 'c7')).toBeGreaterThanOrEqual(7);
    expect(memoryOf(source, 'c3')).toBeUndefined();
  });

  it('reads here what the reader failed to read, rather than skip the round', async () => {
    const fleet = fleetOf(150);
    const readFiles = () => Promise.reject(new Error('no pool'));
    source = new ContainerMetricSource(fleet.manager, readFiles);
    source.startSampling(20);
    expect(fleet.reads()).toBe(150);
    while (fleet.reads() < 300) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    source.stopSampling();
    expect(fleet.reads()).toBeGreaterThanOrEqual(300);
  });
});

describe("ContainerMetricSource's labels", () => {
  /** Every labels object of a scrape's samples, with the container each names. */
  function labelsOf(source: ContainerMetricSource): Array<{ family: string; labels: Record<string, string> }> {
    return [...source.collect()].flatMap(([family, samples]) =>
      samples.map((s) => ({ family, labels: s.labels as Record<string, string> }))
    );
  }

  it('are the same objects at every scrape (the renderer keeps their rendered form on them)', () => {
    const fleet = fleetOf(3);
    const source = new ContainerMetricSource(fleet.manager);
    source.sample();
    const first = labelsOf(source);
    const second = labelsOf(source);
    expect(second.length).toBe(first.length);
    expect(first.length).toBeGreaterThan(3 * 10);
    second.forEach((s, i) => expect(s.labels).toBe(first[i].labels));
    // Each container's resources have their own labels, and each says which.
    const usage = second.filter((s) => s.family === 'zviz_resource_usage').map((s) => s.labels);
    expect(usage.map((l) => `${l.container_id}/${l.resource_type}`)).toContain('c2/memory');
    expect(new Set(usage).size).toBe(usage.length);
  });

  it('of a container gone from the manager are forgotten, and a new state gets labels of its own', () => {
    const fleet = fleetOf(2);
    const source = new ContainerMetricSource(fleet.manager);
    source.sample();
    const before = labelsOf(source).find(
      (s) => s.family === 'zviz_memory_usage_bytes' && s.labels.container_id === 'c1'
    );
    const [c0, c1] = fleet.containers;
    // c1 leaves (and is not retired): what is kept for it goes at the next sample.
    fleet.containers.splice(1, 1);
    source.sample();
    expect(labelsOf(source).some((s) => s.labels.container_id === 'c1')).toBe(false);
    fleet.containers.push(c1);
    (c0 as { state: string }).state = 'stopped';
    source.sample();
    const after = labelsOf(source);
    const again = after.find((s) => s.family === 'zviz_memory_usage_bytes' && s.labels.container_id === 'c1');
    expect(again?.labels).toEqual(before?.labels);
    expect(again?.labels).not.toBe(before?.labels);
    expect(after.filter((s) => s.family === 'zviz_container_state').map((s) => s.labels)).toEqual([
      { container_id: 'c0', state: 'stopped' },
      { container_id: 'c1', state: 'running' },
    ]);
  });
});

describe('zviz_container_start_failures_total', () => {
  it("shows every reason from the start, 0 where none failed so, then the manager's counts", () => {
    const fleet = fleetOf(1);
    const source = new ContainerMetricSource(fleet.manager);
    const failures = () =>
      Object.fromEntries(
        (source.collect().get('zviz_container_start_failures_total') ?? []).map((s) => [
          (s.labels as Record<string, string>).reason,
          (s as { value: number }).value,
        ])
      );
    expect(failures()).toEqual({ timeout: 0, setup: 0, exec: 0, agent: 0, output: 0 });
    fleet.manager.startFailures.add('timeout');
    fleet.manager.startFailures.add('setup');
    fleet.manager.startFailures.add('setup');
    expect(failures()).toEqual({ timeout: 1, setup: 2, exec: 0, agent: 0, output: 0 });
  });
});
