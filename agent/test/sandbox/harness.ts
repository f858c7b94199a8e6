// Shared by the sandbox tests: real workloads (test/workloads, built with
// make), real cgroups (a group of their own, removed afterwards), the real
// broker addon, and what the workload printed. Its directories are scratch
// directories (@zviz/test-support/scratch): removed when the test, or the
// file, is done with them.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { waitFor } from '@zviz/test-support/ports';
import { removeDir } from '@zviz/test-support/remove-dir';
import { scratchDir } from '@zviz/test-support/scratch';

import { requireBrokerAddon, type BrokerAddon, type NativeMetrics } from '../../src/native/broker-addon';
import { BrokerEvents } from '../../src/broker/events';
import type { CgroupDriver } from '../../src/cgroups/cgroup';
import { createCgroupDriver } from '../../src/cgroups/driver';
import { detectCgroups } from '../../src/cgroups/detect';
import type { ResourceLimits } from '../../src/cgroups/limits';
import { ContainerManager, type Container, type ContainerSpec, type RunEnd } from '../../src/containers/manager';
import type { RestartPolicy } from '../../src/containers/restart';
import { loadProfile, type LoadedProfile } from '../../src/profiles/profile';
import type { PidMode } from '../../src/profiles/schema';

export const WORKLOADS = join(__dirname, '..', 'workloads');
export const BIN = join(WORKLOADS, 'bin');

export function buildWorkloads(): void {
  execFileSync('make', ['-s', '-C', WORKLOADS], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function addon(): BrokerAddon {
  return requireBrokerAddon();
}

/** A profile from a JSON object (written to a temporary file, as a user would). */
export function profileFrom(data: object, name = 'test'): LoadedProfile {
  const dir = scratchDir('zviz-profile-');
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(data));
  return loadProfile(file, addon());
}

export function builtin(name: string): LoadedProfile {
  return loadProfile(name, addon());
}

export interface Sandbox {
  manager: ContainerManager;
  /** Removes every container and the test's cgroup group. */
  close(): Promise<void>;
}

/**
 * The group (`zviz-test-<tag>-<pid>`) is made when the manager is first used,
 * not here: a file may call this while vitest collects it, and vitest runs no
 * afterAll of a suite whose tests all skip (describe.skip, `-t`, `vitest list`),
 * so a group made at collection would be left behind, empty.
 */
export function sandbox(tag: string, options: { retentionMs?: number } = {}): Sandbox {
  let made: { manager: ContainerManager; cgroups: CgroupDriver } | undefined;
  const make = (): { manager: ContainerManager; cgroups: CgroupDriver } => {
    if (!made) {
      const cgroups = createCgroupDriver(detectCgroups(), `zviz-test-${tag}-${process.pid}`, {
        attachDeviceProgram: (dir, rules) => addon().attachDeviceProgram(dir, rules),
      });
      const manager = new ContainerManager({
        addon: addon(),
        cgroups,
        warn: (m, d) => console.warn(m, d),
        retentionMs: options.retentionMs,
      });
      made = { manager, cgroups };
    }
    return made;
  };
  return {
    get manager() {
      return make().manager;
    },
    close: async () => {
      if (!made) {
        return;
      }
      // The group goes even when a container's removal failed: rmdir leaves
      // it only while something is still in it.
      try {
        await made.manager.removeAll();
      } finally {
        made.cgroups.removeGroup();
      }
    },
  };
}

/**
 * What ContainerManager.create takes, for a start test: /bin/true under the
 * default profile in `cwd`, no limits, no restart, stdio `fds`; `over`
 * changes any of it.
 */
export function trueSpec(
  name: string,
  cwd: string,
  fds: [number, number, number],
  over: Partial<ContainerSpec> = {}
): ContainerSpec {
  return {
    name,
    profile: builtin('default'),
    command: ['/bin/true'],
    env: { PATH: '/usr/bin:/bin' },
    cwd,
    limits: {},
    restart: { mode: 'no', maxRestarts: 0 },
    stdio: fds,
    ...over,
  };
}

export interface RunOptions {
  profile: LoadedProfile;
  command: string[];
  /** The profile's PID mode unless given. */
  pid?: PidMode;
  cwd?: string;
  limits?: ResourceLimits;
  restart?: RestartPolicy;
  env?: Record<string, string>;
  waitKillableRecv?: boolean;
  /** Called once the container runs (to signal it, open a FIFO, ...). */
  whileRunning?: (container: Container) => void | Promise<void>;
  keep?: boolean;
}

export interface RunResult {
  end: RunEnd;
  stdout: string;
  stderr: string;
  container: Container;
}

/**
 * Runs a workload to its end and returns what it printed; removes the
 * container and its output directory (its working directory unless `cwd`)
 * unless `keep`.
 */
export async function run(box: Sandbox, options: RunOptions): Promise<RunResult> {
  const dir = scratchDir('zviz-out-');
  const outPath = join(dir, 'stdout');
  const errPath = join(dir, 'stderr');
  const stdin = openSync('/dev/null', 'r');
  const stdout = openSync(outPath, 'w');
  const stderr = openSync(errPath, 'w');
  try {
    const container = await box.manager.create({
      profile: options.profile,
      pid: options.pid,
      command: options.command,
      env: { PATH: '/usr/bin:/bin', ...(options.env ?? {}) },
      cwd: options.cwd ?? dir,
      limits: options.limits ?? {},
      restart: options.restart ?? { mode: 'no', maxRestarts: 0 },
      stdio: [stdin, stdout, stderr],
      waitKillableRecv: options.waitKillableRecv,
    });
    await options.whileRunning?.(container);
    const end = await container.done;
    if (!options.keep) {
      await box.manager.remove(container);
    }
    return { end, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8'), container };
  } finally {
    [stdin, stdout, stderr].forEach((fd) => closeSync(fd));
    if (!options.keep) {
      removeDir(dir);
    }
  }
}

/** Lines "KEY rest..." of a workload's output, as a map (opener, calls, escape print these). */
export function lines(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of output.trim().split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) {
      out.set(line.slice(0, space), line.slice(space + 1));
    }
  }
  return out;
}

/** Decision events the broker publishes, collected for the whole test file. */
export class EventLog {
  readonly events: Array<Record<string, unknown>> = [];
  constructor() {
    // Limits far above what a test makes: every event is kept.
    new BrokerEvents(addon(), (batch) => this.events.push(...(batch as Array<Record<string, unknown>>)), {
      capacity: 100_000,
      rate: 1_000_000,
      burst: 10_000_000,
    });
  }
  for(containerId: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.container_id === containerId);
  }
  /** Events are delivered in batches on the event loop: give them a moment. */
  async settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function metrics(): NativeMetrics {
  return addon().metrics();
}

export function decisionCount(m: NativeMetrics, syscall: string, decision: string): number {
  return m.decisions.find((d) => d.syscall === syscall && d.decision === decision)?.count ?? 0;
}

/** A workload's working directory, removed when the test (or file) is done. */
export function workspace(): string {
  return scratchDir('zviz-ws-');
}

/**
 * A profile under which the broker makes every open under `ws` itself (it
 * looks at the path, and logs it): an open of a FIFO there waits in a broker
 * worker for the other end; everything else is allowed.
 */
export function brokerMadeOpensProfile(ws: string): LoadedProfile {
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

/**
 * This process's broker threads (supervisors and FIFO workers take the name
 * zviz-broker), with the syscall each is in and its arguments, as
 * /proc/<tid>/syscall gives them (numbers; arguments in hex).
 */
export function brokerThreads(): { tid: string; syscall: string; args: string[] }[] {
  const out: { tid: string; syscall: string; args: string[] }[] = [];
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      if (readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim() === 'zviz-broker') {
        const [syscall, ...args] = readFileSync(`/proc/${process.pid}/task/${tid}/syscall`, 'utf8').trim().split(' ');
        out.push({ tid, syscall, args: args.slice(0, 6) });
      }
    } catch {
      // the thread ended while we listed
    }
  }
  return out;
}

/** Polls `check` every 10 ms (a thread's wait can be short); fails after 30 s, naming `what`. */
export async function until(what: string, check: () => boolean): Promise<void> {
  await waitFor(what, async () => check(), { timeoutMs: 30_000, intervalMs: 10 });
}

/**
 * The FIFO's write end, once a reader (the broker opening it for the
 * workload) is there. Never a blocking open: if the workload's open already
 * failed, nobody will read, and a blocking open would hang the test runner
 * rather than fail the test.
 */
export async function openWriter(fifo: string): Promise<number> {
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
