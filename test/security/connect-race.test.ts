// Attack class: a rule on connect by address, raced (attacks/connect-race.c).
// A profile of its own (`default` with a rule refusing connections to one
// unix socket of the host, the listener) judges the address the broker
// reads; the call it lets through is CONTINUEd, and the kernel reads the
// sockaddr from the workload's memory again. A thread flips the path between
// the listener's and one no rule refuses while the main thread connects: the
// listener, on the host, receives connections the rule refused by name.
// docs/security.md states rules on connect by address as an observation (a
// boundary needs `network: none` or a view without the socket: egress.test.ts);
// this keeps the statement honest.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { attackSuite, HostListeners, MODES, outcomeOf, outcomes, REPO, Scratch } from './harness';

attackSuite('attack: a rule on connect by address, raced (an observation)', (suite) => {
  it.each(MODES)('default with a rule refusing the listener (%s): the listener is reached', async (mode) => {
    const scratch = Scratch.create();
    const listeners = new HostListeners(join(scratch.outside, 'stream.sock'));
    await listeners.start();
    try {
      const base = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'default.json'), 'utf8')) as {
        zviz: object;
      };
      const profile = join(scratch.outside, 'refuse-listener.json');
      writeFileSync(
        profile,
        JSON.stringify({
          ...base,
          zviz: {
            ...base.zviz,
            broker: [{ syscalls: ['connect'], addresses: [`unix:${listeners.unixPath}`], decision: 'deny' }],
          },
        })
      );
      const run = await suite.run({
        profile,
        mode,
        scratch,
        program: 'connect-race',
        args: [listeners.unixPath],
        timeoutMs: 60_000,
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ['honest-refused', 'honest-allowed', 'finished']), detail).toEqual({
        'honest-refused': 'errno EPERM',
        'honest-allowed': 'errno ENOENT',
        finished: 'ok',
      });
      const race = /^tries=(\d+) connected=(\d+) refused=(\d+) other=(\d+)$/.exec(outcomeOf(run, 'race'));
      expect(race, detail).not.toBeNull();
      const [tries, connected, refused] = race!.slice(1).map(Number);
      await new Promise((r) => setTimeout(r, 300)); // loopback: whatever got through has arrived
      const arrived = listeners.seen.filter((s) => s === 'unix connection').length;
      // Judged on the host: the refused listener took the connections the workload counted.
      expect(connected, `no connection got through in ${tries} tries\n${detail}`).toBeGreaterThan(0);
      expect(arrived, `${detail}\n${listeners.seen.join('\n')}`).toBe(connected);
      // And the rule refused the same path whenever its check saw it.
      expect(refused, detail).toBeGreaterThan(0);
      await suite.expectContained(run);
    } finally {
      await listeners.stop();
    }
  });
});
