// The workload cannot remove, loosen or escape its filter, and path
// decisions hold while another thread rewrites the path between the check
// and the use (the broker opens the file itself and installs it with
// SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { BIN, buildWorkloads, builtin, lines, run, sandbox, workspace, type Sandbox } from './harness';

const FORBIDDEN = '/etc/zviz-test-forbidden';

describeWhere([root, seccompUserNotif], 'sandbox integrity', () => {
  let box: Sandbox;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('integrity');
    writeFileSync(FORBIDDEN, 'must never be opened for writing\n');
  });
  afterAll(() => box.close());

  it('never opens the forbidden file while another thread flips the path buffer', async () => {
    const ws = workspace();
    const allowed = join(ws, 'allowed');
    writeFileSync(allowed, '');
    const result = await run(box, {
      profile: builtin('ci-runner'),
      cwd: ws,
      command: [join(BIN, 'race'), allowed, FORBIDDEN, '20000'],
    });
    const match = /^ok (\d+) forbidden (\d+) refused (\d+) torn (\d+) other (\d+)$/.exec(result.stdout.trim());
    expect(match, result.stdout + result.stderr).not.toBeNull();
    const [ok, forbidden, refused, , other] = match!.slice(1).map(Number);
    // Both paths were really seen by the broker (the race happened)...
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // ...and not once did the workload get the forbidden file.
    expect(forbidden).toBe(0);
    expect(other).toBe(0);
  });

  it('cannot escape with seccomp, prctl, ptrace, bpf or the broker listener', async () => {
    const result = await run(box, { profile: builtin('ci-runner'), command: [join(BIN, 'escape'), FORBIDDEN] });
    const out = lines(result.stdout);
    expect(out.get('open-before')).toBe('errno EACCES');
    // One listener per filter chain: the workload cannot add its own.
    expect(out.get('seccomp-new-listener')).toBe('errno EBUSY');
    // It may stack a filter that allows everything; the strictest result still wins.
    expect(out.get('seccomp-stack-allow')).toBe('ok 0');
    expect(out.get('open-after-stack')).toBe('errno EACCES');
    expect(out.get('prctl-strict')).toBe('errno EINVAL');
    expect(out.get('ptrace-attach-parent')).toBe('errno ENOSYS');
    expect(out.get('ptrace-traceme')).toBe('errno ENOSYS');
    expect(out.get('bpf-map-create')).toBe('errno ENOSYS');
    expect(out.get('pidfd-getfd-parent')).toBe('errno ENOSYS');
    expect(out.get('unshare-user')).toBe('errno ENOSYS');
    expect(out.get('open-at-end')).toBe('errno EACCES');
  });

  it('does not leak the listener or any agent descriptor into the workload', async () => {
    const result = await run(box, { profile: builtin('ci-runner'), command: ['/bin/ls', '-l', '/proc/self/fd'] });
    const fds = result.stdout
      .split('\n')
      .map((l) => /(\d+) -> (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    // stdin, stdout, stderr, and the directory ls is reading.
    expect(fds.filter((fd) => fd > 2)).toHaveLength(1);
    expect(result.stdout).not.toContain('seccomp');
  });

  it('even a workload that keeps its capabilities cannot take the listener from the agent', async () => {
    // Docker's default profile allows ptrace and pidfd_getfd-free process access to same-uid
    // processes; capabilities the workload lacks (CAP_SYS_PTRACE) protect the agent.
    const { loadProfile } = await import('../../src/profiles/profile');
    const { addon } = await import('./harness');
    const profile = loadProfile(join(__dirname, '..', 'fixtures', 'docker-default-seccomp.json'), addon());
    const result = await run(box, { profile, command: [join(BIN, 'escape'), FORBIDDEN] });
    const out = lines(result.stdout);
    expect(out.get('ptrace-attach-parent')).toBe('errno EPERM');
    expect(out.get('seccomp-new-listener')).toBe('errno EBUSY');
  });
});
