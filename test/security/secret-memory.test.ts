// Attack class: strings the broker cannot read (attacks/secretmem.c;
// docs/security.md, "Emulated opens"). The kernel reads a task's own memory
// itself; the broker reads it from outside, and memory of memfd_secret (which
// every built-in profile allows, as Docker's does) is closed to every access
// from outside, while the task's own syscalls read it as any other. A path or
// an address kept there is one the broker never sees:
// - an emulated open cannot be done for the workload: refused (EFAULT), so
//   nothing outside is created and no secret read (fail closed);
// - a rule that judges an execve path or a connect address refuses it
//   (EFAULT) instead of judging an empty string;
// - a record of a call the kernel does (log) says the broker could not read it,
//   instead of naming nothing.
// Judged on the host: the secret's bytes, the tree outside, the markers the
// executed copy leaves, what the listener received, and the agent's audit log.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, HostListeners, matrix, outcomeOf, REPO, Scratch } from './harness';

const UNREADABLE = /cannot read/;

/**
 * `default` with rules that judge exec paths and connect addresses: programs
 * in /tmp and the listener's directory refused. No built-in profile has
 * such rules, and they are where an unread string was judged as "" and let
 * through (the exec ran, the connection arrived).
 */
function byName(listenerDir: string): object {
  const base = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'default.json'), 'utf8')) as {
    zviz: object;
  };
  const broker = [
    { syscalls: ['execve', 'execveat'], paths: ['/tmp'], decision: 'deny', errno: 'EACCES' },
    { syscalls: ['connect'], addresses: [`unix:${listenerDir}/`], decision: 'deny', errno: 'EACCES' },
  ];
  return { ...base, zviz: { ...base.zviz, broker } };
}

attackSuite('attack: paths and addresses in memory the broker cannot read (memfd_secret)', (suite) => {
  let listeners: HostListeners | undefined;
  let sockets: Scratch | undefined;
  afterEach(async () => {
    await listeners?.stop();
    listeners = undefined;
    sockets?.remove();
    sockets = undefined;
  });

  it.each([...matrix(), ...matrix(['by-name'])])(
    '%s (%s): refused or recorded as unreadable, never judged as nothing',
    async (profile, mode) => {
      const scratch = Scratch.create();
      // The listener's socket lies in a tree of its own: the run's tree outside must not change.
      sockets = Scratch.create();
      listeners = new HostListeners(join(sockets.root, 'host.sock'));
      await listeners.start();
      const profilePath = join(sockets.root, 'by-name.json');
      writeFileSync(profilePath, JSON.stringify(byName(sockets.root)));
      const before = mode === 'agent' ? suite.agent().audit().length : 0;
      const run = await suite.run({
        profile: profile === 'by-name' ? profilePath : profile,
        mode,
        program: 'secretmem',
        scratch,
        env: listeners.env(),
      });
      const detail = `${run.stdout}\n${run.stderr}\nlisteners: ${JSON.stringify(listeners.seen)}`;
      const get = (key: string) => outcomeOf(run, key);
      expect(get('finished'), detail).toBe('ok');
      expect(get('copy'), detail).toBe('ok');
      expect(get('secret-memory'), detail).toBe('ok');
      const secret = `read ${scratch.secret.toString('hex')}`;
      const marker = (round: string) => existsSync(join(scratch.workspace, `exec-${round}`));

      // The plain round: what each profile decides when the broker can read.
      const plain = byProfile(profile, {
        // strict's reads are the kernel's: the secret is not in its view.
        strict: ['errno ENOENT', 'errno EACCES', 'ok', 'errno EACCES', 'errno EACCES'],
        'ci-runner': [secret, 'errno EACCES', 'ok', 'ok', 'ok'],
        default: [secret, 'ok', 'ok', 'ok', 'ok'],
        observe: [secret, 'ok', 'ok', 'ok', 'ok'],
        'by-name': [secret, 'ok', 'ok', 'errno EACCES', 'errno EACCES'],
      });
      // The secret round: an open the broker emulates is refused (it cannot read
      // the path to open it), an exec judged by path too; what the kernel does
      // alone (reads under strict and ci-runner, everything under default and
      // observe) is the kernel's, as in the plain round.
      const hidden = byProfile(profile, {
        strict: ['errno ENOENT', 'errno EFAULT', 'errno EFAULT', 'errno EFAULT', 'errno EACCES'],
        'ci-runner': [secret, 'errno EFAULT', 'errno EFAULT', 'ok', 'ok'],
        default: [secret, 'ok', 'ok', 'ok', 'ok'],
        observe: [secret, 'ok', 'ok', 'ok', 'ok'],
        'by-name': [secret, 'ok', 'ok', 'errno EFAULT', 'errno EFAULT'],
      });
      const attempts = ['read-secret', 'create-outside', 'create-ws', 'exec', 'connect'];
      attempts.forEach((attempt, i) => {
        expect(get(`plain-${attempt}`), `plain-${attempt}\n${detail}`).toBe(plain[i]);
        expect(get(`secret-${attempt}`), `secret-${attempt}\n${detail}`).toBe(hidden[i]);
      });
      // The host: markers of the executed copies, the listener, the tree outside.
      expect(marker('plain'), detail).toBe(plain[3] === 'ok');
      expect(marker('secret'), detail).toBe(hidden[3] === 'ok');
      const connections = [plain[4], hidden[4]].filter((o) => o === 'ok').length;
      expect(
        listeners.seen.filter((s) => s === 'unix connection'),
        detail
      ).toHaveLength(connections);
      expect(existsSync(join(scratch.outside, 'created-secret')), detail).toBe(hidden[1] === 'ok');
      const emulatesWrites = byProfile(profile, {
        strict: true,
        'ci-runner': true,
        default: false,
        observe: false,
        'by-name': false,
      });
      await suite.expectContained(run, { outsideUnchanged: emulatesWrites, secretKept: profile === 'strict' });

      if (mode !== 'agent') {
        return;
      }
      // The audit log: every record of an open, exec or connect of this run
      // names its path or address, or says the broker could not read it.
      const records = () =>
        suite
          .agent()
          .audit()
          .slice(before)
          .filter(
            (r) => r.container_id === run.containerId && ['openat', 'execve', 'connect'].includes(String(r.syscall))
          );
      const args = (r: Record<string, unknown>) => (r.args ?? {}) as Record<string, string | undefined>;
      const unreadable = (r: Record<string, unknown>) => UNREADABLE.test(args(r).note ?? '');
      // Records of the secret round: logged under ci-runner (exec, connect) and observe (opens too), refused under strict.
      const expected = byProfile(profile, {
        strict: { execve: 'deny' },
        'ci-runner': { execve: 'log', connect: 'log' },
        default: {},
        observe: { execve: 'log', connect: 'log', openat: 'log' },
        'by-name': { execve: 'deny', connect: 'deny' },
      }) as Record<string, string>;
      await waitFor('the secret round in the audit log', async () =>
        Object.keys(expected).every((syscall) => records().some((r) => r.syscall === syscall && unreadable(r)))
      ).catch(() => undefined);
      const all = records();
      const shown = JSON.stringify(all, null, 1);
      for (const [syscall, decision] of Object.entries(expected)) {
        const found = all.filter((r) => r.syscall === syscall && unreadable(r));
        expect(found.length, `${syscall} records saying the broker could not read:\n${shown}`).toBeGreaterThan(0);
        expect(
          found.every((r) => r.decision === decision),
          shown
        ).toBe(true);
      }
      const named = (r: Record<string, unknown>) => Boolean(args(r).path || args(r).address) || unreadable(r);
      expect(
        all.filter((r) => !named(r)),
        'records that name nothing'
      ).toEqual([]);
    }
  );
});
