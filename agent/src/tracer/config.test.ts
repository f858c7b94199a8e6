import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';

import { DEFAULT_TRACER_CONFIG, TRACER_CONFIG_SCHEMA, resolveTracerConfig } from './config';
import { TRACER_FAMILIES } from './families';

// The agent's config loader composes the section into its schema and
// compiles it this way.
function validate(section: unknown): { ok: boolean; value: unknown; errors: string[] } {
  const check = new Ajv({ allErrors: true, useDefaults: true, strict: true }).compile({
    type: 'object',
    additionalProperties: false,
    properties: { tracer: TRACER_CONFIG_SCHEMA },
  });
  const document = { tracer: structuredClone(section) };
  const ok = check(document);
  return {
    ok,
    value: document.tracer,
    errors: (check.errors ?? []).map((e) => `${e.instancePath.replace(/^\/tracer/, '')} ${e.message}`),
  };
}

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

  it('validates to the same complete config the resolver gives, in strict ajv', () => {
    expect(validate({})).toEqual({ ok: true, value: DEFAULT_TRACER_CONFIG, errors: [] });
    const partial = { families: { dns: false }, map_sizes: { stats: 1024 }, cgroups: ['/a'] };
    expect(validate(partial).value).toEqual(resolveTracerConfig(partial));
  });

  it('refuses what the tracer cannot do, saying where', () => {
    const { ok, errors } = validate({
      families: { dnss: true },
      syscall_latency_sample: 3,
      map_sizes: { stats: 1 },
      tracepoint_overrides: { tcp_probe: 'bad name' },
    });
    expect(ok).toBe(false);
    expect(errors).toEqual(
      expect.arrayContaining([
        '/families must NOT have additional properties',
        '/syscall_latency_sample must be equal to one of the allowed values',
        '/map_sizes/stats must be >= 64',
        '/tracepoint_overrides/tcp_probe must match pattern "^[A-Za-z0-9_]+$"',
      ])
    );
  });

  it('describes every family and every key of the config in the schema', () => {
    expect(Object.keys(TRACER_CONFIG_SCHEMA.properties.families.properties ?? {})).toEqual([...TRACER_FAMILIES]);
    expect(Object.keys(TRACER_CONFIG_SCHEMA.properties.series_limits.properties ?? {})).toEqual([...TRACER_FAMILIES]);
    expect(Object.keys(TRACER_CONFIG_SCHEMA.properties).sort()).toEqual(Object.keys(DEFAULT_TRACER_CONFIG).sort());
  });
});
