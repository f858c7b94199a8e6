// The view's own directories whose listing strict's rules allow (compile.ts,
// viewReadDirs; docs/security.md, "Emulated opens"): `/etc` and the
// workspace's parents where a read rule covers them, never `/`, which
// strict's rules refuse, and never a directory with a refused one below.
import { describe, expect, it } from 'vitest';

import { requireBrokerAddon } from '../native/broker-addon';
import { viewReadDirs } from './compile';
import { loadProfile } from './profile';

const strict = loadProfile('strict', requireBrokerAddon());

describe('viewReadDirs', () => {
  it("lists strict's /etc, not / nor a workspace parent the rules refuse", () => {
    const compiled = strict.forWorkspace('/work/project');
    expect(compiled.viewReads).toBe(true);
    expect(compiled.viewReadDirs).toEqual(['/etc']);
  });

  it('lists a parent of the workspace where the rules allow it, and leaves out one above a refused directory', () => {
    const zviz = {
      defaultDecision: 'deny' as const,
      broker: [
        { syscalls: ['open', 'openat'], paths: ['/srv/private'], decision: 'deny' as const },
        { syscalls: ['open', 'openat'], access: 'read' as const, paths: ['/srv', '/etc'], decision: 'allow' as const },
      ],
    };
    const plan = {
      view: 'allow-list' as const,
      mounts: [
        { path: '/etc/passwd', kind: 'readOnly' as const },
        { path: '/srv/a/ws', kind: 'writable' as const },
        { path: '/srv/private/b/lib', kind: 'readOnly' as const },
      ],
    };
    // /srv holds /srv/private, which the rules refuse: /srv stays refused; /srv/a is allowed.
    expect(viewReadDirs(zviz, plan, '/srv/a/ws')).toEqual(['/etc', '/srv/a']);
  });
});
