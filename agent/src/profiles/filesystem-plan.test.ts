// The mount plan a profile's `filesystem` section becomes for one workspace
// (compile.ts): parents before what lies inside them, and a tmpfs never over
// the workspace itself.
import { describe, expect, it } from 'vitest';

import { filesystemPlan } from './compile';

const ciRunner = { readOnly: ['/'], writable: ['${workspace}'], tmpfs: ['/tmp', '/var/tmp', '/dev/shm'] };

describe('filesystemPlan', () => {
  it('mounts a workspace under a private /tmp after the tmpfs, so it stays visible', () => {
    const plan = filesystemPlan(ciRunner, '/tmp/job/ws');
    expect(plan.mounts).toEqual([
      { path: '/', kind: 'readOnly' },
      { path: '/tmp', kind: 'tmpfs' },
      { path: '/var/tmp', kind: 'tmpfs' },
      { path: '/dev/shm', kind: 'tmpfs' },
      { path: '/tmp/job/ws', kind: 'writable' },
    ]);
  });

  it('leaves out a tmpfs that would cover the workspace itself (run from /tmp)', () => {
    const plan = filesystemPlan(ciRunner, '/tmp');
    expect(plan.mounts).toEqual([
      { path: '/', kind: 'readOnly' },
      { path: '/tmp', kind: 'writable' },
      { path: '/var/tmp', kind: 'tmpfs' },
      { path: '/dev/shm', kind: 'tmpfs' },
    ]);
  });
});
