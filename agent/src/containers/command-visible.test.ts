import { describe, expect, it } from 'vitest';

import { withCommandVisible } from './command-visible';

const privateTmp = {
  view: 'host' as const,
  mounts: [
    { path: '/tmp', kind: 'tmpfs' as const },
    { path: '/tmp/job/ws', kind: 'writable' as const },
  ],
};

describe('withCommandVisible', () => {
  it('shows the directory of a command a tmpfs would hide, read-only, before deeper steps', () => {
    expect(withCommandVisible(privateTmp, '/tmp/tools/bin/build', '/tmp/job/ws')?.mounts).toEqual([
      { path: '/tmp', kind: 'tmpfs' },
      { path: '/tmp/job/ws', kind: 'writable' },
      { path: '/tmp/tools/bin', kind: 'readOnly' },
    ]);
    expect(withCommandVisible(privateTmp, '/tmp/job/tool', '/tmp/job/ws')?.mounts).toEqual([
      { path: '/tmp', kind: 'tmpfs' },
      { path: '/tmp/job', kind: 'readOnly' },
      { path: '/tmp/job/ws', kind: 'writable' },
    ]);
  });

  it('leaves the plan alone where the command is visible already or the view is an allow-list', () => {
    expect(withCommandVisible(privateTmp, '/tmp/job/ws/run.sh', '/tmp/job/ws')).toBe(privateTmp);
    expect(withCommandVisible(privateTmp, '/usr/bin/make', '/tmp/job/ws')).toBe(privateTmp);
    expect(withCommandVisible(privateTmp, '/tmp/job/ws/sub/run.sh', '/elsewhere')).toBe(privateTmp);
    const allowList = { ...privateTmp, view: 'allow-list' as const };
    expect(withCommandVisible(allowList, '/tmp/tools/build', '/tmp/job/ws')).toBe(allowList);
    expect(withCommandVisible(undefined, '/tmp/tools/build', '/w')).toBeUndefined();
  });

  it('keeps masks last, so a hidden directory stays hidden', () => {
    const masked = { ...privateTmp, mounts: [...privateTmp.mounts, { path: '/tmp/agent', kind: 'mask' as const }] };
    expect(withCommandVisible(masked, '/tmp/agent/tool', '/tmp/job/ws')?.mounts.at(-1)).toEqual({
      path: '/tmp/agent',
      kind: 'mask',
    });
  });
});
