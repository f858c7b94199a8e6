// Attack class: connections to host listeners (attacks/net.c): TCP on
// 127.0.0.1, a unix socket by path and one by abstract name (abstract unix
// sockets belong to the network namespace, which the workload shares with
// the host). `strict` refuses `connect` in the broker whatever the address:
// its listeners see nothing. The other profiles make no network promise,
// and there every TCP and unix-path connection arrives; the abstract one is
// refused by the container's Landlock domain, scoped for abstract unix
// sockets (EPERM; docs/security.md, "Landlock scopes"; scopes.test.ts). (UDP, sendto/sendmsg with an address
// and i386 socketcall: issue 14's network findings, tested with their fix.)
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

import { attackSuite, byProfile, HostListeners, matrix, outcomes, Scratch } from './harness';

attackSuite('attack: connections to host listeners (TCP, unix path, abstract unix)', (suite) => {
  let listeners: HostListeners | undefined;
  afterEach(async () => {
    await listeners?.stop();
    listeners = undefined;
  });

  it.each(matrix())('%s (%s): the listeners see exactly what the profile allows', async (profile, mode) => {
    const scratch = Scratch.create();
    listeners = new HostListeners(join(scratch.root, 'host.sock'));
    await listeners.start();
    const run = await suite.run({ profile, mode, program: 'net', scratch, env: listeners.env() });
    const names = ['tcp-connect', 'unix-path-connect', 'unix-abstract-connect'];
    const refused = Object.fromEntries(names.map((n) => [n, 'errno EACCES']));
    const open = { ...Object.fromEntries(names.map((n) => [n, 'ok'])), 'unix-abstract-connect': 'errno EPERM' };
    // strict allows only AF_UNIX sockets: there is not even a TCP socket to connect.
    const strict = { ...refused, 'tcp-connect': 'errno ENOSYS (socket)' };
    const want = byProfile(profile, { strict, 'ci-runner': open, default: open, observe: open });
    expect(outcomes(run, names)).toEqual(want);
    await suite.expectContained(run);
    // Give what was sent a moment to arrive, then compare.
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (profile === 'strict') {
      expect(listeners.seen).toEqual([]);
    } else {
      const hex = (s: string) => Buffer.from(`${s} from the sandbox\n`).toString('hex');
      expect([...listeners.seen].sort()).toEqual(
        [
          'tcp connection',
          `tcp data ${hex('tcp-connect')}`,
          'unix connection',
          `unix data ${hex('unix-path-connect')}`,
        ].sort()
      );
    }
  });
});
