import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../native/load';
import { READ_GEOMETRY, READ_SYSCALL_NAMES, cgroupOf, syntheticRead } from '../../test/support/tracer-reads';
import { resolveTracerConfig } from './config';
import { TRACER_FAMILIES, type TracerFamily } from './families';
import type { FamilyState } from './metrics';
import type { ShapedRead, ShapeRequest } from './read-shaper';
import { InThreadShaper, WorkerShaper, shapingWorkerPath } from './shaping-thread';

const setup = {
  config: resolveTracerConfig({ series_limits: { syscalls: 300, fs: 200, cpu_block: 60 } }),
  geometry: READ_GEOMETRY,
  syscallNames: READ_SYSCALL_NAMES,
};
const families = TRACER_FAMILIES.map((f) => [f, { active: true, reason: '' }] as [TracerFamily, FamilyState]);

function request(round: number, cgroups: number[]): ShapeRequest {
  return {
    snapshot: syntheticRead(30, round),
    cgroups: BigUint64Array.from(cgroups.map(cgroupOf)),
    containers: cgroups.map((c) => `container-${c}`),
    families,
    bpfStatsEnabled: false,
  };
}

function bytes(read: ShapedRead): Record<string, string> {
  return Object.fromEntries([...read.families].map(([name, r]) => [name, Buffer.from(r.body).toString('utf8')]));
}

describe('the shaping worker', () => {
  // The agent's bundle has it; the test run's global setup builds the bundle from these sources.
  const path = shapingWorkerPath();

  it('is built next to the agent bundle', () => {
    expect(path).toBe(join(packageRoot(), 'dist', 'zviz-tracer-worker.js'));
  });

  it('shapes reads exactly as the main thread does, forgotten cgroups included', async () => {
    const worker = new WorkerShaper(path!, setup);
    const here = new InThreadShaper(setup);
    try {
      let live = Array.from({ length: 30 }, (_, i) => i);
      for (let round = 0; round < 4; round++) {
        if (round === 2) {
          live = live.filter((c) => c !== 0 && c !== 7);
          for (const shaper of [worker, here]) {
            shaper.forget(cgroupOf(0));
            shaper.forget(cgroupOf(7));
          }
        }
        // Two reads asked at once come back each to its own caller.
        const [a, b] = await Promise.all([worker.shape(request(round, live)), worker.shape(request(round, live))]);
        const expected = await here.shape(request(round, live));
        await here.shape(request(round, live));
        expect(bytes(a)).toEqual(bytes(expected));
        expect(bytes(b)).toEqual(bytes(expected));
        expect(a.series).toEqual(expected.series);
        expect([...a.families.values()].map((r) => [...r.ends])).toEqual(
          [...expected.families.values()].map((r) => [...r.ends])
        );
      }
      expect(bytes(await worker.shape(request(4, live)))['zviz_series_overflow_total']).toMatch(
        /zviz_series_overflow_total\{family="syscalls"\} [1-9]/
      );
    } finally {
      worker.close();
    }
  });

  it('refuses the reads of a worker that ends, says so, and starts a new one for the next read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-shaping-'));
    const flag = join(dir, 'crashed');
    // A worker that dies at its first read, then (the next one) shapes as the real one does.
    const script = join(dir, 'worker.js');
    writeFileSync(
      script,
      [
        "const { existsSync, writeFileSync } = require('node:fs');",
        `if (!existsSync(${JSON.stringify(flag)})) {`,
        "  require('node:worker_threads').parentPort.on('message', () => {",
        `    writeFileSync(${JSON.stringify(flag)}, '');`,
        '    process.exit(3);',
        '  });',
        '} else {',
        `  require(${JSON.stringify(path)});`,
        '}',
      ].join('\n')
    );
    const lost: string[] = [];
    const worker = new WorkerShaper(script, setup, (reason) => lost.push(reason));
    try {
      await expect(worker.shape(request(0, [1, 2]))).rejects.toThrow(/exited \(3\)/);
      expect(lost).toEqual(['the shaping thread exited (3)']);
      const read = await worker.shape(request(0, [1, 2]));
      expect(bytes(read)['zviz_syscalls_total']).toContain('container_id="container-1"');
    } finally {
      worker.close();
    }
    await expect(worker.shape(request(0, [1]))).rejects.toThrow(/stopped/);
  });
});
