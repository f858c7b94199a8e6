import { describe, expect, it } from 'vitest';

import { withHiddenDirs } from './hidden-dirs';

describe('withHiddenDirs', () => {
  it('appends a mask after the profile steps, so no profile path re-exposes the directory', () => {
    const plan = withHiddenDirs(
      {
        view: 'host',
        mounts: [
          { path: '/', kind: 'readOnly' },
          { path: '/run', kind: 'writable' },
        ],
      },
      ['/run/zviz'],
      '/work'
    );
    expect(plan).toEqual({
      view: 'host',
      mounts: [
        { path: '/', kind: 'readOnly' },
        { path: '/run', kind: 'writable' },
        { path: '/run/zviz', kind: 'mask' },
      ],
    });
  });

  it('gives a profile without a file-system section a host view holding only the masks', () => {
    expect(withHiddenDirs(undefined, ['/run/zviz/', '/run/zviz'], '/work')).toEqual({
      view: 'host',
      mounts: [{ path: '/run/zviz', kind: 'mask' }],
    });
  });

  it('keeps the allow-list view', () => {
    expect(withHiddenDirs({ view: 'allow-list', mounts: [] }, ['/run/zviz'], '/work')?.view).toBe('allow-list');
  });

  it('never masks the workspace, a directory holding it, the root, or a top-level or shared system directory', () => {
    expect(withHiddenDirs(undefined, ['/srv/ws', '/srv', '/'], '/srv/ws/job')).toBeUndefined();
    expect(withHiddenDirs(undefined, ['/run', '/tmp', '/var/run', '/var/tmp/'], '/work')).toBeUndefined();
    expect(withHiddenDirs(undefined, ['/srv/ws2'], '/srv/ws')).toEqual({
      view: 'host',
      mounts: [{ path: '/srv/ws2', kind: 'mask' }],
    });
  });

  it('ignores relative paths', () => {
    expect(withHiddenDirs(undefined, ['run/zviz'], '/work')).toBeUndefined();
  });
});
