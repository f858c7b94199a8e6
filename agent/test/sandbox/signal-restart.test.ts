// A syscall the broker is answering, interrupted by a signal and restarted
// by the kernel (SA_RESTART), is counted once: at the answer that reaches
// the workload. The interrupted notification's answer fails (ENOENT) and is
// not counted. Shown without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, which
// otherwise keeps non-fatal signals from interrupting a received call.
import { execFileSync } from 'node:child_process';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import {
  BIN,
  brokerMadeOpensProfile,
  brokerThreads,
  buildWorkloads,
  decisionCount,
  EventLog,
  metrics,
  openWriter,
  run,
  sandbox,
  until,
  workspace,
  type Sandbox,
} from './harness';

describeWhere([root, seccompUserNotif], 'signals and restarted syscalls', () => {
  let box: Sandbox;
  let log: EventLog;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('signal');
    log = new EventLog();
  });
  afterAll(() => box.close());

  for (const waitKillableRecv of [false, true]) {
    it(`counts a signal-restarted open once (WAIT_KILLABLE_RECV ${waitKillableRecv ? 'on' : 'off'})`, async () => {
      const ws = workspace();
      const fifo = join(ws, 'fifo');
      execFileSync('mkfifo', [fifo]);
      // its open blocks until a writer comes, while a timer interrupts the workload.
      const profile = brokerMadeOpensProfile(ws);
      const before = metrics();
      // The writer stays open until the run ends, so that this test counts
      // answers only (the next test has the writer leave at once).
      let writer: number | undefined;
      const result = await run(box, {
        profile,
        cwd: ws,
        waitKillableRecv,
        command: [join(BIN, 'restart'), fifo],
        whileRunning: async () => {
          // Long enough for several timer signals to hit the blocked open.
          await new Promise((r) => setTimeout(r, 700));
          writer = await openWriter(fifo);
          writeSync(writer, 'hello');
        },
      }).finally(() => writer !== undefined && closeSync(writer));
      await log.settle();
      const after = metrics();
      const match = /^signals (\d+) read (-?\d+) (.*) \[(.*)\]$/.exec(result.stdout.trim());
      expect(match, result.stdout + result.stderr).not.toBeNull();
      // The descriptor the workload got is the FIFO, and it holds the
      // writer's bytes. (Under load a run got descriptor 0, /dev/null: the
      // broker's sweep interrupted its answer; answer-in-flight.test.ts.)
      expect(match![4], result.stdout).toBe(fifo);
      expect(match![3], result.stdout).toBe('hello');
      // Off: the timer interrupts the blocked open again and again. On: the
      // signals wait until the broker has answered (the kernel holds them).
      if (waitKillableRecv) {
        // (one may land between the open's return and the timer being stopped)
        expect(Number(match![1])).toBeLessThanOrEqual(2);
      } else {
        expect(Number(match![1])).toBeGreaterThanOrEqual(3);
      }
      const fifoEvents = log.for(result.container.id).filter((e) => (e.args as Record<string, string>).path === fifo);
      expect(fifoEvents).toHaveLength(1);
      expect(fifoEvents[0]).toMatchObject({ syscall: 'openat', decision: 'log' });
      expect(decisionCount(after, 'openat', 'log') - decisionCount(before, 'openat', 'log')).toBe(1);
      const received = after.requests - before.requests;
      const answered =
        after.decisions.reduce((s, d) => s + d.count, 0) - before.decisions.reduce((s, d) => s + d.count, 0);
      if (waitKillableRecv) {
        expect(received).toBe(answered);
      } else {
        // The broker did receive the interrupted notifications; their answers failed and were not counted.
        expect(received).toBeGreaterThan(answered);
      }
      expect(after.errors).toBe(before.errors);
    });
  }

  // docs/security.md, "Emulated opens": FIFOs. The broker's worker met the
  // writer just after a signal took the workload out of its open; the kernel
  // would have completed that open, so the restarted open of the same task
  // and FIFO gets the descriptor that met the writer, bytes and all. Without
  // it the writer's bytes were gone with the broker's reader, and the
  // restarted open waited for a writer that had left.
  it('answers the restarted open with the FIFO its interrupted open met (WAIT_KILLABLE_RECV off)', async () => {
    const ws = workspace();
    const fifo = join(ws, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const profile = brokerMadeOpensProfile(ws);
    const before = metrics();
    const supervisors = brokerThreads().length;
    const result = await run(box, {
      profile,
      cwd: ws,
      waitKillableRecv: false,
      command: [join(BIN, 'fifo-met'), fifo],
      whileRunning: async (container) => {
        // The worker waiting in its open of the FIFO (openat: 257 on x86_64, 56 on arm64).
        const openat = process.arch === 'arm64' ? '56' : '257';
        await until('the FIFO worker to wait in its open', () => {
          const threads = brokerThreads();
          return threads.length > supervisors && threads.some((t) => t.syscall === openat);
        });
        // The workload: the container's first process, or its init's child in a PID namespace of its own.
        const children = readFileSync(`/proc/${container.pid}/task/${container.pid}/children`, 'utf8').trim();
        const workload = children === '' ? container.pid! : Number(children.split(' ')[0]);
        expect(readFileSync(`/proc/${workload}/comm`, 'utf8').trim()).toBe('fifo-met');
        // The signal first (the workload leaves its open for a slow handler),
        // then a writer that meets the broker's reader, writes and leaves.
        process.kill(workload, 'SIGUSR1');
        const writer = await openWriter(fifo);
        writeSync(writer, 'hello');
        closeSync(writer);
      },
    });
    await log.settle();
    const after = metrics();
    expect(result.stdout.trim(), result.stderr).toBe('signals 1 read 5 hello');
    const fifoEvents = log.for(result.container.id).filter((e) => (e.args as Record<string, string>).path === fifo);
    expect(fifoEvents).toHaveLength(1);
    expect(fifoEvents[0]).toMatchObject({ syscall: 'openat', decision: 'log' });
    expect(after.errors).toBe(before.errors);
  });
});
