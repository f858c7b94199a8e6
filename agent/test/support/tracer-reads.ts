// Synthetic reads of the tracer's maps, the shape the addon hands over
// (agent/src/tracer/native.ts), for tests of what is made of them: many
// cgroups with syscall counts, syscall latencies, file-system latencies and
// byte counts, and blocked time. `round` advances the counts of some cgroups
// only, as between two reads of a node where most containers sleep.
import { METRIC } from '../../src/tracer/families';
import type { NativeSnapshot } from '../../src/tracer/native';

export const READ_GEOMETRY = { histBuckets: 21, baseNsTrace: 100_000, baseNsSyscall: 1_000 };
const WIDTH = 5 + READ_GEOMETRY.histBuckets;

export const READ_SYSCALL_NAMES = Array.from({ length: 512 }, (_, nr) => `sys_${nr}`);

export function cgroupOf(i: number): bigint {
  return 1000n + BigInt(i);
}

/** The snapshot of `cgroups` cgroups at read `round`; every `busyEvery`th cgroup's counts grow with it. */
export function syntheticRead(cgroups: number, round: number, busyEvery = 5, comm = ''): NativeSnapshot {
  const entries: Array<{ cgroup: bigint; metric: number; sub: number; values: number[] }> = [];
  const syscallCounts: NativeSnapshot['syscallCounts'] = [];
  for (let c = 0; c < cgroups; c++) {
    const grown = c % busyEvery === 0 ? round : 0;
    const calls = new Float64Array(512);
    for (let nr = 0; nr < 12; nr++) {
      calls[(nr * 7 + c) % 400] = 10 + nr + grown * (nr + 1);
    }
    syscallCounts.push({ cgroupId: cgroupOf(c), calls });
    const latency = (count: number, sumNs: number) => {
      const values = new Array<number>(WIDTH).fill(0);
      values[0] = count;
      values[1] = sumNs;
      values[3] = 5_000 + c;
      values[4] = 1e9 + round;
      values[5 + (c % 8)] = Math.ceil(count / 2);
      values[5 + ((c + 3) % 20)] += Math.floor(count / 2);
      return values;
    };
    entries.push({ cgroup: cgroupOf(c), metric: METRIC.syscall, sub: c % 400, values: latency(4 + grown, 9e4) });
    for (let op = 0; op < 3; op++) {
      const values = latency(20 + op + grown, 3e6 + op);
      values[2] = 4096 * (op + 1 + grown);
      entries.push({ cgroup: cgroupOf(c), metric: METRIC.fs, sub: op, values });
    }
    entries.push({ cgroup: cgroupOf(c), metric: METRIC.cpuBlock, sub: 0, values: latency(3 + grown, 7e7) });
  }
  const values = new Float64Array(entries.length * WIDTH);
  entries.forEach((e, i) => values.set(e.values, i * WIDTH));
  return {
    takenAtNs: 2e9 + round,
    syscallCounts,
    stats: {
      cgroupIds: BigUint64Array.from(entries.map((e) => e.cgroup)),
      metrics: Uint16Array.from(entries.map((e) => e.metric)),
      subs: Uint16Array.from(entries.map((e) => e.sub)),
      comms: entries.map(() => comm),
      values,
      width: WIDTH,
    },
    lost: new Float64Array(32),
    maps: [{ name: 'stats', entries: entries.length, capacity: 16384 }],
    programs: [],
  };
}
