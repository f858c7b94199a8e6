import { describe, expect, it } from 'vitest';

import { checkContainerName, newContainerId } from './ids';

describe('container ids', () => {
  it('are 12 hex digits, a different one each time', () => {
    const ids = Array.from({ length: 1000 }, () => newContainerId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('container names', () => {
  it('take letters, digits, "_", "." and "-", at most 63, not starting with a sign', () => {
    expect(checkContainerName('build-42_a.b')).toBeUndefined();
    expect(checkContainerName('a'.repeat(63))).toBeUndefined();
    expect(checkContainerName('a'.repeat(64))).toContain('invalid container name');
    expect(checkContainerName('-x')).toContain('invalid container name');
    expect(checkContainerName('a/b')).toContain('invalid container name');
  });
});
