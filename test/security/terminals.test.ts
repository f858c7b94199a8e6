// Attack class: terminals (attacks/terminals.c). Two of them: a session's
// pseudo-terminal on the node (here script(1)'s, as an administrator's ssh
// login would be), which the workload looks for by its host path; and the
// terminal `zviz run` hands the workload as its stdio when it is started from
// one (here zviz run itself runs under script(1), and the shell that started
// it reads a line once it has ended).
//
// Judged on the host: what the node's session showed (a line written on its
// screen, input pushed into it with TIOCSTI and echoed back) and what the
// caller's shell read after the workload was gone. The host view (`default`,
// `ci-runner`, `observe`) showed the node's own devpts: every profile opened
// the session's terminal for reading and writing and wrote on its screen.
// Every view now has a devpts instance of its own. On the terminal it was
// handed, the workload has no controlling terminal (its own session) and no
// CAP_SYS_ADMIN, so the kernel refuses TIOCSTI, TIOCSCTTY, tcsetpgrp and
// TIOCCONS.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, matrix, outcomes, type AttackRun } from './harness';

const HOST_TTY = ['host-tty-exists', 'host-tty-open', 'own-ptmx'];
const STDIN_TTY = [
  'stdin-tty',
  'stdin-sti',
  'stdin-sctty',
  'stdin-sctty-steal',
  'stdin-tcsetpgrp',
  'stdin-tioccons',
  'stdin-tiocsetd',
  'vhangup',
  'stdin-ttyname',
];

/** A session on the node: script(1) running a shell command on a pseudo-terminal of the host's devpts. */
class HostSession {
  output = '';
  private constructor(readonly child: ChildProcess) {}

  static async start(): Promise<{ session: HostSession; tty: string }> {
    const child = spawn('script', ['-qf', '-c', 'tty; exec sleep 600', '/dev/null'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const session = new HostSession(child);
    child.stdout!.on('data', (c: Buffer) => (session.output += c.toString('utf8')));
    const tty = await waitFor(
      'the session to print its terminal',
      async () => /^(\/dev\/pts\/\d+)\r?$/m.exec(session.output)?.[1]
    );
    return { session, tty };
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

function tagOf(run: AttackRun): string {
  return run.scratch.tag;
}

attackSuite("attack: terminals (the node sessions' and the one zviz run hands over)", (suite) => {
  let session: HostSession;
  let hostTty = '';

  beforeAll(async () => {
    ({ session, tty: hostTty } = await HostSession.start());
  });
  afterAll(() => session?.stop());

  it.each(matrix())("%s (%s): the node's sessions are not in the view", async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'terminals', env: { ZVIZ_ATTACK_HOST_TTY: hostTty } });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, HOST_TTY), detail).toEqual({
      // A devpts instance of the container's own: the session's terminal is not there.
      'host-tty-exists': 'errno ENOENT',
      'host-tty-open': 'errno ENOENT',
      'own-ptmx': 'ok',
    });
    expect(outcomes(run, ['stdin-tty']), detail).toEqual({ 'stdin-tty': 'no' });
    // Neither the line written nor the input pushed reached the session.
    expect(session.output).not.toContain(tagOf(run));
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(matrix())("%s (%s): the terminal it is handed is no way into the caller's shell", async (profile, mode) => {
    // The caller: a shell on a terminal runs zviz run, then reads a line from
    // the terminal for up to 2 s, as an interactive shell would read its next
    // command once the workload is gone.
    const run = await suite.run({
      profile,
      mode,
      program: 'terminals',
      env: { ZVIZ_ATTACK_HOST_TTY: hostTty },
      stdinPipe: true,
      wrap: (argv) => [
        'env',
        'SHELL=/bin/bash',
        'script',
        '-qfe',
        '-c',
        `${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}; read -t 2 line; echo "CALLER-READ:[$line]"`,
        '/dev/null',
      ],
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, STDIN_TTY), detail).toEqual({
      'stdin-tty': 'yes',
      // No controlling terminal (a session of its own), no CAP_SYS_ADMIN.
      'stdin-sti': 'errno EPERM',
      'stdin-sctty': 'errno EPERM',
      'stdin-sctty-steal': 'errno EPERM',
      'stdin-tcsetpgrp': 'errno ENOTTY',
      'stdin-tioccons': 'errno EPERM',
      // Every filter refuses TIOCSETD, even N_TTY, what it already was (line-discipline.test.ts).
      'stdin-tiocsetd': 'errno EPERM',
      vhangup: profile === 'observe' ? 'errno EPERM' : 'errno ENOSYS',
      // The caller's terminal is not in the container's devpts.
      'stdin-ttyname': 'errno ENODEV',
    });
    // The caller's shell read nothing the workload pushed.
    expect(run.stdout, detail).toMatch(/CALLER-READ:\[\]/);
    expect(run.stdout, detail).not.toContain(`ZVIZ-STI-${tagOf(run)}`);
    expect(session.output).not.toContain(tagOf(run));
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
