import { describe, expect, it } from 'vitest';

import type { PreparedProfile } from '../native/broker-addon';
import type { CompiledProfile } from '../profiles/compile';
import type { LoadedProfile } from '../profiles/profile';
import { CompiledProfiles } from './compiled-profiles';

/** A loaded profile that counts its compilations; each is a new object, as compileProfile's are. */
function profile(name: string) {
  let compiled = 0;
  const loaded = {
    name,
    forWorkspace: (workspace: string) => {
      compiled++;
      return { name, filter: { workspace }, policy: { workspace } } as unknown as CompiledProfile;
    },
  } as unknown as LoadedProfile;
  return { loaded, compilations: () => compiled };
}

function addon(fail = false) {
  const prepared: unknown[] = [];
  return {
    prepared,
    prepareProfile: (plan: unknown) => {
      if (fail) {
        throw new Error('filter: /syscalls/0: no such syscall');
      }
      prepared.push(plan);
      return { plan } as unknown as PreparedProfile;
    },
  };
}

describe('CompiledProfiles', () => {
  it('compiles and prepares a profile once per workspace, and gives every start the same handle', () => {
    const a = addon();
    const profiles = new CompiledProfiles(a);
    const p = profile('default');
    const first = profiles.get(p.loaded, '/work/a');
    expect(profiles.get(p.loaded, '/work/a')).toBe(first);
    expect(first.prepared).toEqual({ plan: { filter: first.compiled.filter, policy: first.compiled.policy } });
    const other = profiles.get(p.loaded, '/work/b');
    expect(other).not.toBe(first);
    expect(p.compilations()).toBe(2);
    expect(a.prepared).toHaveLength(2);
    // Another profile (or the same file loaded again) is compiled on its own.
    const q = profile('default');
    expect(profiles.get(q.loaded, '/work/a')).not.toBe(first);
    expect(q.compilations()).toBe(1);
  });

  it('keeps nothing of a profile the addon refuses, and works without prepareProfile', () => {
    const p = profile('bad');
    const refusing = new CompiledProfiles(addon(true));
    expect(() => refusing.get(p.loaded, '/w')).toThrow(/no such syscall/);
    expect(() => refusing.get(p.loaded, '/w')).toThrow(/no such syscall/);
    expect(p.compilations()).toBe(2);
    const without = new CompiledProfiles({});
    const entry = without.get(p.loaded, '/w');
    expect(entry.prepared).toBeUndefined();
    expect(without.get(p.loaded, '/w')).toBe(entry);
  });
});
