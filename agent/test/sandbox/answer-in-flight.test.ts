// An answer the broker has handed to the kernel but its task has yet to take
// is never interrupted by the broker's own wake signal. SECCOMP_IOCTL_NOTIF_ADDFD
// with SECCOMP_ADDFD_FLAG_SEND marks the notification answered when it is
// queued (from then on SECCOMP_IOCTL_NOTIF_ID_VALID says "not valid") and
// waits until the task runs and takes the descriptor; a signal that
// interrupts it meanwhile withdraws the descriptor but not the mark, and the
// task's call returns 0: its standard input (here /dev/null), as if it were
// the file it opened. A busy node makes that wait as long as the task waits
// for a CPU; these tests make it 600 ms by holding the task's CPU.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import type { Container } from '../../src/containers/manager';
import {
  BIN,
  brokerMadeOpensProfile,
  brokerThreads,
  buildWorkloads,
  EventLog,
  metrics,
  openWriter,
  run,
  sandbox,
  until,
  workspace,
  type Sandbox,
} from './harness';
import { allowedCpus, holdCpu, twoCpus } from './held-cpu';

// ioctl: 16 on x86_64, 29 on arm64; openat: 257 and 56.
const IOCTL = process.arch === 'arm64' ? '29' : '16';
const OPENAT = process.arch === 'arm64' ? '56' : '257';
// _IOW('!', 3, struct seccomp_notif_addfd), as /proc/<tid>/syscall prints it.
const NOTIF_ADDFD = '0x40182103';
const SIGURG = 23; // the broker's wake signal (Supervisor::WakeSignal)
const SIGKILL = 9;

/** A broker thread waits in ADDFD: an answer queued for a task that has not taken it. */
function answerWaiting(): boolean {
  return brokerThreads().some((t) => t.syscall === IOCTL && t.args[1] === NOTIF_ADDFD);
}

/** A process of the node holding a read lease on `file` (lease-hold) until let go. */
async function holdLease(file: string): Promise<{ letGo: () => Promise<void> }> {
  const holder = spawn(join(BIN, 'lease-hold'), [file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(holder, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await Promise.race([
    once(holder.stdout, 'data'),
    exited.then(() => Promise.reject(new Error(`lease-hold ended before holding: ${stderr}`))),
  ]);
  return {
    letGo: async () => {
      holder.stdin.end();
      const [code, signal] = await exited;
      if (code !== 0) {
        throw new Error(`lease-hold ended with ${code ?? signal}: ${stderr}`);
      }
    },
  };
}

/** Where a brokered thread of this process waits for a file lease to be broken. */
function brokerInLeaseBreak(): boolean {
  return brokerThreads().some(({ tid }) => {
    try {
      return readFileSync(`/proc/${process.pid}/task/${tid}/wchan`, 'utf8').includes('break_lease');
    } catch {
      return false;
    }
  });
}

describeWhere([root, seccompUserNotif, twoCpus], 'answers a task has yet to take', () => {
  let box: Sandbox;
  let log: EventLog;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('answer-in-flight');
    log = new EventLog();
  });
  afterAll(() => box.close());

  /**
   * A workload pinned to one CPU opens for writing a file the node holds a
   * read lease on: the broker's open waits for the lease to be broken, so its
   * answer can be timed. The CPU is held for 600 ms from before the lease
   * ends, so the answer waits in ADDFD for its task; `meanwhile` runs then.
   */
  async function leasedOpenInFlight(meanwhile: (container: Container) => void) {
    const ws = workspace();
    const file = join(ws, 'leased');
    writeFileSync(file, 'leased\n');
    const cpu = allowedCpus().at(-1)!;
    const before = metrics();
    const lease = await holdLease(file);
    let letGo: Promise<void> | undefined;
    const result = await run(box, {
      profile: brokerMadeOpensProfile(ws),
      cwd: ws,
      command: [join(BIN, 'pinned-open'), file, String(cpu), 'write'],
      whileRunning: async (container) => {
        await until('the supervisor to wait in the lease break', brokerInLeaseBreak);
        const hold = await holdCpu(cpu, 600);
        letGo = lease.letGo();
        await until('the supervisor to wait in ADDFD for its task', answerWaiting);
        meanwhile(container);
        await hold.done;
      },
    }).finally(() => letGo ?? lease.letGo());
    return { file, before, result };
  }

  // docs/security.md, "Emulated opens": FIFOs. The worker's sweep read the
  // answer's "not valid" as "the opener is gone" and sent its cancel signal.
  it('a FIFO open reaches its opener whole, however long the opener waits for a CPU', async () => {
    const ws = workspace();
    const fifo = join(ws, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cpu = allowedCpus().at(-1)!;
    const before = metrics();
    const supervisors = brokerThreads().length;
    let writer: number | undefined;
    const result = await run(box, {
      profile: brokerMadeOpensProfile(ws),
      cwd: ws,
      command: [join(BIN, 'pinned-open'), fifo, String(cpu), 'read'],
      whileRunning: async () => {
        await until('the FIFO worker to wait in its open', () => {
          const threads = brokerThreads();
          return threads.length > supervisors && threads.some((t) => t.syscall === OPENAT);
        });
        // The workload (pinned to `cpu` before its open) cannot run until the
        // hold ends: six of the broker's 100 ms sweeps. The writer meets the
        // broker's reader meanwhile.
        const hold = await holdCpu(cpu, 600);
        writer = await openWriter(fifo);
        writeSync(writer, 'hello');
        await hold.done;
      },
    }).finally(() => writer !== undefined && closeSync(writer));
    await log.settle();
    const after = metrics();
    const match = /^fd (-?\d+) \[(.*)\] read (-?\d+) (.*)$/.exec(result.stdout.trim());
    expect(match, result.stdout + result.stderr).not.toBeNull();
    expect(match![2], result.stdout).toBe(fifo);
    expect(Number(match![1]), result.stdout).toBeGreaterThan(2);
    expect(match![4], result.stdout).toBe('hello');
    const fifoEvents = log.for(result.container.id).filter((e) => (e.args as Record<string, string>).path === fifo);
    expect(fifoEvents).toHaveLength(1);
    expect(fifoEvents[0]).toMatchObject({ syscall: 'openat', decision: 'log' });
    expect(after.errors).toBe(before.errors);
  });

  // docs/security.md, "Fail closed": a supervisor stopped while its workload
  // runs answers nothing more (the listener's close fails the calls with
  // ENOSYS). Stop's wake signal interrupted an answer in flight, and the
  // workload's open returned 0 as a success.
  it('stopping the supervisor lets an answer in flight reach its task', async () => {
    const { file, before, result } = await leasedOpenInFlight((container) => container.native!.stopSupervisor());
    const after = metrics();
    const match = /^fd (-?\d+) \[(.*)\]$/.exec(result.stdout.trim());
    expect(match, result.stdout + result.stderr).not.toBeNull();
    expect(match![2], result.stdout).toBe(file);
    expect(Number(match![1]), result.stdout).toBeGreaterThan(2);
    expect(after.errors).toBe(before.errors);
  });

  // docs/security.md, "Emulated opens": an install that a signal interrupts
  // (a stray one to the supervisor thread, or a stop of the agent that the
  // kernel turns into a restart) is withdrawn by the kernel, which still
  // answers the call, with 0: before, the broker retried, found the call
  // answered (EINPROGRESS), counted an error and the workload went on with
  // its standard input as the file it opened. It is killed instead, and the
  // install is counted.
  it('an install a signal interrupts kills its opener instead of leaving it descriptor 0, and is counted', async () => {
    const { before, result } = await leasedOpenInFlight(() => {
      const installing = brokerThreads().find((t) => t.syscall === IOCTL && t.args[1] === NOTIF_ADDFD)!;
      execFileSync(join(BIN, 'thread-signal'), [String(process.pid), installing.tid, String(SIGURG)]);
    });
    await log.settle();
    const after = metrics();
    // It never went on with a descriptor it did not open.
    expect(result.stdout, result.stdout + result.stderr).not.toMatch(/^fd /m);
    expect(result.end.signal, result.stdout).toBe(SIGKILL);
    expect(after.installsInterrupted - before.installsInterrupted).toBe(1);
    const kills = log.for(result.container.id).filter((e) => e.decision === 'kill');
    expect(kills).toHaveLength(1);
    expect(String((kills[0].args as Record<string, string>).note)).toContain('interrupted');
  });
});
