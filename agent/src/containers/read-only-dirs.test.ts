import { describe, expect, it } from 'vitest';

import { withReadOnlyDirs } from './read-only-dirs';

describe('withReadOnlyDirs', () => {
  it('appends a read-only step after the profile steps, so no writable profile path reopens the directory', () => {
    expect(
      withReadOnlyDirs({ view: 'host', mounts: [{ path: '/opt', kind: 'writable' }] }, ['/opt/zviz/agent/'], '/work')
    ).toEqual({
      view: 'host',
      mounts: [
        { path: '/opt', kind: 'writable' },
        { path: '/opt/zviz/agent', kind: 'readOnly' },
      ],
    });
  });

  it('gives a profile without a file-system section a host view holding only the step', () => {
    expect(withReadOnlyDirs(undefined, ['/opt/zviz/agent'], '/work')).toEqual({
      view: 'host',
      mounts: [{ path: '/opt/zviz/agent', kind: 'readOnly' }],
    });
  });

  it('adds nothing to the allow-list view, which holds no such directory', () => {
    const plan = { view: 'allow-list' as const, mounts: [{ path: '/usr', kind: 'readOnly' as const }] };
    expect(withReadOnlyDirs(plan, ['/opt/zviz/agent'], '/work')).toBe(plan);
  });

  it('leaves a directory that holds the workspace, and the root, alone', () => {
    expect(withReadOnlyDirs(undefined, ['/opt/zviz/agent', '/'], '/opt/zviz/agent/ws')).toBeUndefined();
  });

  it("adds nothing under a profile's tmpfs, which hides the directory", () => {
    const plan = { view: 'host' as const, mounts: [{ path: '/tmp', kind: 'tmpfs' as const }] };
    expect(withReadOnlyDirs(plan, ['/tmp/zviz/agent'], '/work')).toBe(plan);
  });
});
