import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { CATALOG_BY_NAME } from '../metrics/catalog';
import { compileFamily, renderSamples } from '../metrics/render';
import type { ValueSample } from '../metrics/source';
import { samplesOfRendered } from '../../test/support/rendered-samples';
import { READ_GEOMETRY, READ_SYSCALL_NAMES, cgroupOf, syntheticRead } from '../../test/support/tracer-reads';
import { resolveTracerConfig } from './config';
import { TRACER_FAMILIES, type TracerFamily } from './families';
import { TracerMetrics, type FamilyState } from './metrics';
import { ReadShaper, packRead, unpackRead, type PackedRead, type ShapeRequest } from './read-shaper';

const CGROUPS = 40;
// Room for some cgroups' rows only: the rest fold into `other`.
const config = resolveTracerConfig({ series_limits: { syscalls: 300, fs: 200, cpu_block: 60 } });
const families = TRACER_FAMILIES.map((f) => [f, { active: true, reason: '' }] as [TracerFamily, FamilyState]);
const containerOf = (cgroup: bigint) => `c${cgroup}`;

function request(round: number, cgroups = CGROUPS): ShapeRequest {
  const ids = Array.from({ length: cgroups }, (_, i) => cgroupOf(i));
  return {
    snapshot: syntheticRead(CGROUPS, round),
    cgroups: BigUint64Array.from(ids),
    containers: ids.map(containerOf),
    families,
    bpfStatsEnabled: false,
  };
}

describe('ReadShaper', () => {
  it('renders what TracerMetrics makes of the same reads, read for read, with the overflow counted', () => {
    const shaper = new ReadShaper({ config, geometry: READ_GEOMETRY, syscallNames: READ_SYSCALL_NAMES });
    const known = new Set(Array.from({ length: CGROUPS }, (_, i) => cgroupOf(i)));
    const reference = new TracerMetrics({
      config,
      geometry: READ_GEOMETRY,
      syscallNames: READ_SYSCALL_NAMES,
      containerOf: (cgroup) => (known.has(cgroup) ? containerOf(cgroup) : undefined),
      families: () => new Map(families),
      bpfStatsEnabled: () => false,
    });
    let last: ReturnType<ReadShaper['shape']> | undefined;
    for (let round = 0; round < 4; round++) {
      if (round === 2) {
        // A container goes away between reads: both forget its series.
        known.delete(cgroupOf(3));
        shaper.forget(cgroupOf(3));
        reference.forget(cgroupOf(3));
      }
      const req = request(round);
      const ids = [...known];
      const shaped = shaper.shape({ ...req, cgroups: BigUint64Array.from(ids), containers: ids.map(containerOf) });
      last = shaped;
      const expected = reference.samples(req.snapshot);
      expect([...shaped.families.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [name, samples] of expected) {
        const rendered = shaped.families.get(name)!;
        expect(Buffer.from(rendered.body)).toEqual(
          Buffer.from(renderSamples(compileFamily(CATALOG_BY_NAME.get(name)!), samples).body)
        );
        expect(rendered.ends).toHaveLength(samples.length);
      }
      expect(shaped.series).toEqual(reference.seriesReport());
    }
    // Most rows did not fit their family's cap; what they count is in `other`, and counted.
    const overflow = samplesOfRendered(
      'zviz_series_overflow_total',
      last!.families.get('zviz_series_overflow_total')!
    ) as ValueSample[];
    const syscalls = overflow.find((s) => s.labels.family === 'syscalls')!;
    expect(syscalls.value).toBeGreaterThan(0);
    expect(syscalls.value).toBe(reference.seriesReport().syscalls.overflow);
  });

  it('packs a read for the shaping thread and unpacks it whole, the read itself left intact for later scrapes', () => {
    const read = syntheticRead(25, 3);
    const before = structuredClone(read);
    const { packed, transfer } = packRead(read);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(packed, transfer);
    const received = receiveMessageOnPort(port2)!.message as PackedRead;
    port1.close();
    // Handed over: the packed copies are gone from this side, the read is not.
    expect(packed.syscallCalls.length).toBe(0);
    expect(read).toEqual(before);
    expect(unpackRead(received)).toEqual(read);
  });
});
