// I/O limits on the real kernel: a workload that really reads and writes
// the disk (dd with O_DIRECT, so every byte reaches the device from the
// workload itself) is held to --io-read-bps/--io-write-bps by the cgroup
// files this host has (blkio throttling on v1 and hybrid hosts, io.max on
// v2), and the metrics report usage, limit, utilization and alert level
// for `io` while it runs.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
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

/** dd on the host, outside any container: the device's own pace. Resolves with its exit code once it ended. */
function hostDd(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/dd', [...args, ...BLOCKS], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describeWhere([root, seccompUserNotif], 'I/O limits', () => {
  let box: Sandbox;
  let ws: string;
  beforeAll(() => {
    box = sandbox('io');
    ws = workspace();
  });
  afterAll(() => box.close());

  async function dd(
    args: string[],
    limits: { ioReadBps?: number; ioWriteBps?: number },
    observed: Observed,
    alongside?: (container: Container) => Promise<void>
  ) {
    const started = performance.now();
    const watching = watch(box, observed);
    const result = await run(box, {
      profile: builtin('default'),
      cwd: ws,
      limits,
      command: ['/usr/bin/dd', ...args, ...BLOCKS],
      whileRunning: async (container) => {
        await Promise.all([watching(container), alongside?.(container)]);
      },
      keep: true,
    });
    const seconds = (performance.now() - started) / 1000;
    const sample = result.container.cgroup.sample();
    await box.manager.remove(result.container);
    expect(result.end.exitCode, result.stderr).toBe(0);
    return { seconds, sample };
  }

  it('holds direct writes to --io-write-bps, and reports io usage, limit, utilization and alert level', async () => {
    const disk = listDisks().map((d) => d.device);
    const observed: Observed = { usage: [], ratio: [], level: [], files: '' };
    // The control: the same writes by dd on the host, started once the held
    // container runs, end while it still runs: the limit, not the device, is
    // what holds the container. An order of events, not a speed: a loaded
    // node slows both, and only the held one is made to wait by the kernel.
    let control: { exitCode: number | null; heldState: string } | undefined;
    const held = await dd(['if=/dev/zero', 'of=io.bin', 'oflag=direct'], { ioWriteBps: LIMIT }, observed, async (c) => {
      const exitCode = await hostDd(['if=/dev/zero', `of=${join(ws, 'free.bin')}`, 'oflag=direct']);
      control = { exitCode, heldState: c.state };
    });
    expect(statSync(join(ws, 'io.bin')).size).toBe(3 * MiB);
    expect(statSync(join(ws, 'free.bin')).size).toBe(3 * MiB);
    rmSync(join(ws, 'free.bin'));
    expect(control).toEqual({ exitCode: 0, heldState: 'running' });

    // The limit is in the kernel's files, for every disk.
    for (const device of disk) {
      expect(observed.files).toMatch(new RegExp(`${device} (${LIMIT}|rbps=max wbps=${LIMIT})`));
    }
    // The bytes reached the device through the cgroup...
    expect(held.sample.ioWriteBytes).toBeGreaterThanOrEqual(3 * MiB);
    // ...at no more than the limit (with the kernel's slice of slack): a
    // floor on the time the kernel makes it take, which load only lengthens.
    expect((3 * MiB) / held.seconds).toBeLessThan(LIMIT * 1.25);
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
