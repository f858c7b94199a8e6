// Attack class: another container (attacks/ptrace.c, target "other"). A
// workload must not read or write another container's memory, environment
// or files, trace it, take its descriptors, or signal it, whatever either
// profile: containers are isolated from each other, as every runtime makes
// them (a PID namespace each, ARCHITECTURE.md "Sandbox isolation").
// Each container's PID namespace keeps the others out of its /proc and out
// of reach of kill, ptrace, process_vm_* and pidfd_open: the victim's pid,
// as the host numbers it, names nothing there.
import { openSync, readSync, closeSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

const ATTEMPTS = [
  'ptrace-attach-other',
  'ptrace-seize-other',
  'vm-readv-other',
  'vm-writev-other',
  'pidfd-getfd-other',
  'kcmp-other',
  'proc-mem-read-other',
  'proc-mem-write-other',
  'proc-environ-other',
  'proc-root-read-other',
  'proc-root-create-other',
  'proc-cwd-read-other',
  'proc-ns-mnt-other',
  'signal-other',
];

attackSuite('attack: another container', (suite) => {
  it.each(matrix())('%s (%s): another container is out of reach', async (profile, mode) => {
    const victim = await suite.victim(profile, mode);
    const run = await suite.run({
      profile,
      mode,
      program: 'ptrace',
      args: ['other'],
      env: {
        ZVIZ_ATTACK_OTHER_PID: String(victim.pid),
        ZVIZ_ATTACK_OTHER_ADDR: victim.address,
        ZVIZ_ATTACK_OTHER_WS: victim.scratch.workspace,
      },
    });
    // What the victim holds, read by the host before it ends.
    const mem = openSync(`/proc/${victim.pid}/mem`, 'r');
    const held = Buffer.alloc(victim.memory.length);
    readSync(mem, held, 0, held.length, Number(victim.address));
    closeSync(mem);
    try {
      process.kill(victim.pid, 'SIGCONT'); // a ptrace attach may have stopped it
    } catch {
      // gone
    }
    const ended = await victim.stop();
    const got = outcomes(run, ATTEMPTS);
    const reached = Object.entries(got).filter(([, outcome]) => !outcome.startsWith('errno '));
    expect(reached).toEqual([]);
    expect(held.toString()).toBe(victim.memory);
    expect(victim.signalled()).toBe(false);
    expect(run.stdout).not.toContain(Buffer.from(victim.memory).toString('hex'));
    expect(run.stdout).not.toContain(Buffer.from(victim.file).toString('hex'));
    await suite.expectContained(run, { outsideUnchanged: true });
    await suite.expectContained(ended);
  });
});
