// I/O limits on the real kernel: a workload that really reads and writes
// the disk (dd with O_DIRECT, so every byte reaches the device from the
// workload itself) is held to --io-read-bps/--io-write-bps by the cgroup
// files this host has (blkio throttling on v1 and hybrid hosts, io.max on
// v2), and the metrics report usage, limit, utilization and alert level
// for `io` while it runs.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { listDisks } from '../../src/cgroups/block-devices';
import type { Container } from '../../src/containers/manager';
import { ContainerMetricSource } from '../../src/containers/metrics-source';
import type { ValueSample } from '../../src/metrics/source';
import { builtin, run, sandbox, workspace, type Sandbox } from './harness';

const MiB = 1024 * 1024;
const LIMIT = MiB;
/** 3 MiB at 1 MiB/s: about three seconds when throttled, milliseconds when not. */
const BLOCKS = ['bs=256K', 'count=12'];

interface Observed {
  limit?: number;
  usage: number[];
  ratio: number[];
  level: number[];
  files: string;
}

/** Samples the container's io series every 250 ms while it runs, and reads its limit files. */
function watch(box: Sandbox, observed: Observed): (container: Container) => Promise<void> {
  return async (container) => {
    const source = new ContainerMetricSource(box.manager);
    const dirs = [container.cgroup.v2Dir, ...container.cgroup.v1Procs.map((p) => p.replace(/\/cgroup\.procs$/, ''))];
    observed.files = dirs
      .flatMap((dir) =>
        ['io.max', 'blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device'].map((f) => {
          try {
            return `${f}: ${readFileSync(join(dir ?? '', f), 'utf8').trim()}`;
          } catch {
            return '';
          }
        })
      )
      .filter(Boolean)
      .join('\n');
    source.sample();
    while (container.state === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      source.sample();
      const out = source.collect();
      const io = (family: string) =>
        (out.get(family) as ValueSample[]).find(
          (s) => s.labels.container_id === container.id && s.labels.resource_type === 'io'
        )?.value;
      observed.limit = io('zviz_resource_limit') ?? observed.limit;
      for (const [key, family] of [
        ['usage', 'zviz_resource_usage'],
        ['ratio', 'zviz_resource_utilization_ratio'],
        ['level', 'zviz_resource_alert_level'],
      ] as const) {
        const value = io(family);
        if (value !== undefined) {
          observed[key].push(value);
        }
      }
    }
  };
}

describeWhere([root, seccompUserNotif], 'I/O limits', () => {
  let box: Sandbox;
  let ws: string;
  beforeAll(() => {
    box = sandbox('io');
    ws = workspace();
  });
  afterAll(() => box.close());

  async function dd(args: string[], limits: { ioReadBps?: number; ioWriteBps?: number }, observed?: Observed) {
    const started = performance.now();
    const result = await run(box, {
      profile: builtin('default'),
      cwd: ws,
      limits,
      command: ['/usr/bin/dd', ...args, ...BLOCKS],
      whileRunning: observed ? watch(box, observed) : undefined,
      keep: true,
    });
    const seconds = (performance.now() - started) / 1000;
    const sample = result.container.cgroup.sample();
    await box.manager.remove(result.container);
    expect(result.end.exitCode, result.stderr).toBe(0);
    // dd's own time ("... copied, 0.0123 s, ..."): the copy alone, without the
    // container's start, which a loaded node makes take seconds.
    const own = /copied, ([\d.]+) s,/.exec(result.stderr);
    expect(own, result.stderr).not.toBeNull();
    return { seconds, ddSeconds: Number(own![1]), sample };
  }

  it('holds direct writes to --io-write-bps, and reports io usage, limit, utilization and alert level', async () => {
    const disk = listDisks().map((d) => d.device);
    const free = await dd(['if=/dev/zero', 'of=io.bin', 'oflag=direct'], {});
    expect(statSync(join(ws, 'io.bin')).size).toBe(3 * MiB);
    const observed: Observed = { usage: [], ratio: [], level: [], files: '' };
    const held = await dd(['if=/dev/zero', 'of=io.bin', 'oflag=direct'], { ioWriteBps: LIMIT }, observed);

    // The limit is in the kernel's files, for every disk.
    for (const device of disk) {
      expect(observed.files).toMatch(new RegExp(`${device} (${LIMIT}|rbps=max wbps=${LIMIT})`));
    }
    // The bytes reached the device through the cgroup...
    expect(held.sample.ioWriteBytes).toBeGreaterThanOrEqual(3 * MiB);
    // ...at no more than the limit (with the kernel's slice of slack), where
    // the same writes unlimited go many times faster (dd's own time: under
    // load the unlimited run took 2.5 s from start to end, its container's
    // start and end included, which looked slower than twice the limit).
    expect((3 * MiB) / held.seconds).toBeLessThan(LIMIT * 1.25);
    expect((3 * MiB) / free.ddSeconds).toBeGreaterThan(LIMIT * 2);
    // What the metrics said while it ran.
    expect(observed.limit).toBe(LIMIT);
    // A window of 250 ms holds a whole number of 256 KiB writes, so single
    // readings jump around the limit; their mean is the rate.
    const mean = observed.usage.reduce((a, b) => a + b, 0) / observed.usage.length;
    expect(mean).toBeGreaterThan(LIMIT * 0.5);
    expect(mean).toBeLessThan(LIMIT * 1.3);
    expect(Math.max(...observed.ratio)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...observed.level)).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('holds direct reads to --io-read-bps', async () => {
    const observed: Observed = { usage: [], ratio: [], level: [], files: '' };
    const held = await dd(['if=io.bin', 'of=/dev/null', 'iflag=direct'], { ioReadBps: LIMIT }, observed);
    expect(held.sample.ioReadBytes).toBeGreaterThanOrEqual(3 * MiB);
    expect((3 * MiB) / held.seconds).toBeLessThan(LIMIT * 1.25);
    expect(observed.limit).toBe(LIMIT);
    expect(Math.max(...observed.ratio)).toBeGreaterThanOrEqual(0.8);
  }, 30_000);
});
