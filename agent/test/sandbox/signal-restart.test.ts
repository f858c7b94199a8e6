// A syscall the broker is answering, interrupted by a signal and restarted
// by the kernel (SA_RESTART), is counted once: at the answer that reaches
// the workload. The interrupted notification's answer fails (ENOENT) and is
// not counted. Shown without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, which
// otherwise keeps non-fatal signals from interrupting a received call.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif, type Requirement } from '@zviz/test-support/requirements';
import {
  BIN,
  buildWorkloads,
  decisionCount,
  EventLog,
  metrics,
  profileFrom,
  run,
  sandbox,
  workspace,
  type Sandbox,
} from './harness';

/**
 * The FIFO's write end, once a reader (the broker opening it for the
 * workload) is there. Never a blocking open: if the workload's open already
 * failed, nobody will read, and a blocking open would hang the test runner
 * rather than fail the test.
 */
async function openWriter(fifo: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) {
        throw new Error(`nobody opened ${fifo} for reading within 30 s: ${(error as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** This process's broker threads (supervisors and FIFO workers take the name zviz-broker) and the syscall each is in. */
function brokerThreads(): { tid: string; syscall: string }[] {
  const out: { tid: string; syscall: string }[] = [];
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      if (readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim() === 'zviz-broker') {
        out.push({ tid, syscall: readFileSync(`/proc/${process.pid}/task/${tid}/syscall`, 'utf8').split(' ')[0] });
      }
    } catch {
      // the thread ended while we listed
    }
  }
  return out;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Opens under the workspace need the broker to look at the path (and are
 * logged), so an open of a FIFO there waits in the broker for a writer.
 */
function fifoProfile(ws: string) {
  return profileFrom({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['io_uring_setup'], action: 'SCMP_ACT_ERRNO' }],
    zviz: {
      broker: [
        { syscalls: ['open', 'openat', 'openat2', 'creat'], paths: [ws], decision: 'log' },
        { syscalls: ['open', 'openat', 'openat2', 'creat'], decision: 'allow' },
      ],
    },
  });
}

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
      const profile = fifoProfile(ws);
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
      // broker's sweep interrupted the answer; see "a FIFO answer its opener
      // has yet to take" below.)
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
    const profile = fifoProfile(ws);
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

/** The CPUs this process may run on (/proc/self/status, Cpus_allowed_list: "0-1,4"). */
function allowedCpus(): number[] {
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}

/** One CPU can be held from the workload while the broker runs on another. */
const twoCpus: Requirement = () =>
  allowedCpus().length >= 2 ? undefined : 'needs two CPUs (one is held from the workload, the broker runs on another)';

/** Holds `cpu` with a real-time busy loop for `ms` (agent/test/workloads/cpu-hold.c); resolves once it holds it. */
async function holdCpu(cpu: number, ms: number): Promise<{ done: Promise<void> }> {
  const hold = spawn(join(BIN, 'cpu-hold'), [String(cpu), String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  hold.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(hold, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const done = exited.then(([code, signal]) => {
    if (code !== 0) {
      throw new Error(`cpu-hold ended with ${code ?? signal}: ${stderr}`);
    }
  });
  const holding = once(hold.stdout, 'data');
  await Promise.race([holding, done.then(() => Promise.reject(new Error(`cpu-hold ended early: ${stderr}`)))]);
  return { done };
}

// docs/security.md, "Emulated opens": FIFOs. Between the broker handing the
// descriptor over (SECCOMP_IOCTL_NOTIF_ADDFD with SEND) and the opener taking
// it, the kernel already reports the notification as answered: ID_VALID says
// it is not valid. The worker's sweep read that as "the opener is gone" and
// interrupted the worker's ADDFD with its cancel signal; the kernel then
// withdrew the descriptor but still completed the call, with 0, so the
// workload's open returned its standard input. That window is as long as the
// opener waits for a CPU: here its CPU is held for 600 ms, six sweeps.
describeWhere([root, seccompUserNotif, twoCpus], 'a FIFO answer its opener has yet to take', () => {
  let box: Sandbox;
  let log: EventLog;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('fifo-answer');
    log = new EventLog();
  });
  afterAll(() => box.close());

  it('reaches an opener kept from running for several sweeps, whole', async () => {
    const ws = workspace();
    const fifo = join(ws, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cpu = allowedCpus().at(-1)!;
    const before = metrics();
    const supervisors = brokerThreads().length;
    let writer: number | undefined;
    const result = await run(box, {
      profile: fifoProfile(ws),
      cwd: ws,
      command: [join(BIN, 'fifo-pinned'), fifo, String(cpu)],
      whileRunning: async () => {
        const openat = process.arch === 'arm64' ? '56' : '257';
        await until('the FIFO worker to wait in its open', () => {
          const threads = brokerThreads();
          return threads.length > supervisors && threads.some((t) => t.syscall === openat);
        });
        // The workload (pinned to `cpu` before its open) cannot run until the
        // hold ends; the writer meets the broker's reader meanwhile.
        const hold = await holdCpu(cpu, 600);
        writer = await openWriter(fifo);
        writeSync(writer, 'hello');
        await hold.done;
      },
    }).finally(() => writer !== undefined && closeSync(writer));
    await log.settle();
    const after = metrics();
    const match = /^fd (-?\d+) read (-?\d+) (.*) \[(.*)\]$/.exec(result.stdout.trim());
    expect(match, result.stdout + result.stderr).not.toBeNull();
    expect(match![4], result.stdout).toBe(fifo);
    expect(match![3], result.stdout).toBe('hello');
    expect(Number(match![1])).toBeGreaterThan(2);
    const fifoEvents = log.for(result.container.id).filter((e) => (e.args as Record<string, string>).path === fifo);
    expect(fifoEvents).toHaveLength(1);
    expect(fifoEvents[0]).toMatchObject({ syscall: 'openat', decision: 'log' });
    expect(after.errors).toBe(before.errors);
  });
});
