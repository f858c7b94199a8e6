// Attack class: a workload process that gave up root asks the broker for what
// only root may open (attacks/dropped-privs.c; docs/security.md, "Emulated
// opens"). The kernel judges an open by the opener's credentials (fsuid,
// fsgid, groups, capabilities); an emulated open must be judged by the
// notifying task's own, as they are at that call, not by those the workload
// started with: a process that became nobody, one that stayed uid 0 but
// dropped its capabilities, and one thread that gave up root alone
// (credentials are per thread) beside a main thread that kept it. Judged on the host: the root-only file's bytes, the
// root-owned file's content, what exists in the root-owned directory.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { attackSuite, matrix, outcomes, REPO, Scratch } from './harness';

const ATTEMPTS = [
  'read-root-only',
  'write-root-owned',
  'create-root-dir',
  'read-hostname',
  'create-own-dir',
  'nocaps-capset',
  'nocaps-read-nobody-only',
  'nocaps-write-nobody-owned',
  'thread-setresuid',
  'thread-read-root-only',
  'root-thread-read-root-only',
];
const KERNEL = {
  'read-root-only': 'errno EACCES',
  'write-root-owned': 'errno EACCES',
  'create-root-dir': 'errno EACCES',
  'read-hostname': 'ok',
  'create-own-dir': 'ok',
  'nocaps-capset': 'ok',
  'nocaps-read-nobody-only': 'errno EACCES',
  'nocaps-write-nobody-owned': 'errno EACCES',
  'thread-setresuid': 'ok',
  'thread-read-root-only': 'errno EACCES',
  'root-thread-read-root-only': `read ${Buffer.from('root only\n').toString('hex')}`,
};

/**
 * strict without CAP_SETGID: the workload can become another user but keeps
 * its groups, so the broker switches only the fsuid (switching the groups
 * needs CAP_SETGID, which the thread then lacks too; asking for it anyway
 * would refuse every such open).
 */
function withoutSetgid(): object {
  const strict = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'strict.json'), 'utf8')) as {
    zviz: object;
  };
  const kept = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'SETUID', 'SETFCAP', 'SETPCAP'];
  const capabilities = [...kept, 'NET_BIND_SERVICE', 'KILL', 'AUDIT_WRITE', 'NET_RAW', 'SYS_CHROOT'].map(
    (c) => `CAP_${c}`
  );
  return { ...strict, zviz: { ...strict.zviz, capabilities } };
}

attackSuite("attack: a process that dropped root asks the broker for root's files", (suite) => {
  let profiles: Scratch;
  const custom: Record<string, string> = {};
  beforeAll(() => {
    profiles = Scratch.create();
    custom['no-setgid'] = join(profiles.outside, 'no-setgid.json');
    writeFileSync(custom['no-setgid'], JSON.stringify(withoutSetgid()));
  });
  afterAll(() => profiles?.remove());
  it('the bare kernel refuses what only root may open', () => {
    const bare = suite.runBare('dropped-privs');
    expect(outcomes({ results: bare.results } as never, ATTEMPTS), bare.stdout).toEqual(KERNEL);
  });

  it.each([...matrix(), ...matrix(['no-setgid'])])(
    "%s (%s): judged by the caller's own credentials",
    async (profile, mode) => {
      const run = await suite.run({ profile: custom[profile] ?? profile, mode, program: 'dropped-privs' });
      const detail = `${run.stdout}\n${run.stderr}`;
      const ws = run.scratch.workspace;
      const setgid = profile === 'no-setgid' ? 'errno EPERM' : 'ok';
      expect(outcomes(run, ['finished', 'uid', 'caps', 'setuid', 'setgroups', 'setgid', 'rename']), detail).toEqual({
        rename: 'ok',
        finished: 'ok',
        uid: '65534',
        caps: '0000000000000000',
        setuid: 'ok',
        setgroups: setgid,
        setgid,
      });
      expect(outcomes(run, ATTEMPTS), detail).toEqual(KERNEL);
      expect(readFileSync(join(ws, 'root-owned'), 'utf8'), detail).toBe('');
      expect(readFileSync(join(ws, 'nobody-owned'), 'utf8'), detail).toBe('');
      expect(existsSync(join(ws, 'root-dir', 'new')), detail).toBe(false);
      expect(statSync(join(ws, 'own-dir', 'new')).uid, detail).toBe(65534);
      expect(run.stdout).not.toContain(Buffer.from('nobody only\n').toString('hex'));
      await suite.expectContained(run, { outsideUnchanged: true });
    }
  );
});
