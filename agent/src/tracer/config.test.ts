import { describe, expect, it } from 'vitest';

import { DEFAULT_TRACER_CONFIG, TRACER_CONFIG_SCHEMA, resolveTracerConfig } from './config';
import { TRACER_FAMILIES } from './families';

describe('tracer config', () => {
  it('fills defaults around what the user set, nested objects included', () => {
    const config = resolveTracerConfig({
      families: { dns: false },
      series_limits: { syscalls: 10 },
      cgroups: ['/system.slice'],
    });
    expect(config.families).toEqual({ ...DEFAULT_TRACER_CONFIG.families, dns: false });
    expect(config.series_limits.syscalls).toBe(10);
    expect(config.series_limits.fs).toBe(DEFAULT_TRACER_CONFIG.series_limits.fs);
    expect(config.cgroups).toEqual(['/system.slice']);
    expect(config.labels.process_name).toBe(false);
  });

  it('does not share arrays or objects with the defaults', () => {
    const config = resolveTracerConfig();
    config.cgroups.push('/x');
    config.families.fs = false;
    expect(DEFAULT_TRACER_CONFIG.cgroups).toEqual([]);
    expect(DEFAULT_TRACER_CONFIG.families.fs).toBe(true);
  });

  it('describes every family and every top-level key in the schema', () => {
    expect(Object.keys(TRACER_CONFIG_SCHEMA.properties.families.properties)).toEqual([...TRACER_FAMILIES]);
    expect(Object.keys(TRACER_CONFIG_SCHEMA.properties.series_limits.properties)).toEqual([...TRACER_FAMILIES]);
    expect(Object.keys(TRACER_CONFIG_SCHEMA.properties).sort()).toEqual(Object.keys(DEFAULT_TRACER_CONFIG).sort());
  });

  it('only allows sampling rates the kernel side can apply (powers of two)', () => {
    const rates = TRACER_CONFIG_SCHEMA.properties.syscall_latency_sample.enum;
    expect(rates).toContain(DEFAULT_TRACER_CONFIG.syscall_latency_sample);
    for (const rate of rates) {
      expect(Number.isInteger(Math.log2(rate))).toBe(true);
    }
  });
});
