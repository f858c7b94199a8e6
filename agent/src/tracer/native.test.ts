// The production tracer addon exports what the agent uses and nothing more:
// the benchmark's floor and the toolchain smoke test live in
// zviz_tracer_testing (agent/native/testing), which the agent never loads.
import { describe, expect, it } from 'vitest';

import { loadTracerTestingAddon } from '../../test/support/tracer-testing-addon';
import { loadTracerAddon } from './native';

describe('the tracer addons', () => {
  it('export nothing from the production addon but what the agent uses', () => {
    const loaded = loadTracerAddon();
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    const exported = Object.keys(loaded.addon).sort();
    expect(exported).not.toContain('Floor');
    expect(exported).not.toContain('smokeCountSyscalls');
    expect(exported).toEqual(['Tracer', 'abi', 'syscallNames']);
  });

  it('build the floor and the smoke test as an addon of their own, for benchmarks and tests', () => {
    const loaded = loadTracerTestingAddon();
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    expect(Object.keys(loaded.addon).sort()).toEqual(['Floor', 'smokeCountSyscalls']);
    expect(typeof new loaded.addon.Floor().attach).toBe('function');
  });
});
