// Shared by the sandbox tests: real workloads (test/workloads, built with
// make), real cgroups (a group of their own, removed afterwards), the real
// broker addon, and what the workload printed.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBrokerAddon, type BrokerAddon, type NativeMetrics } from '../../src/native/broker-addon';
import { BrokerEvents } from '../../src/broker/events';
import { createCgroupDriver } from '../../src/cgroups/driver';
import { detectCgroups } from '../../src/cgroups/detect';
import type { ResourceLimits } from '../../src/cgroups/limits';
import { ContainerManager, type Container, type RunEnd } from '../../src/containers/manager';
import type { RestartPolicy } from '../../src/containers/restart';
import { loadProfile, type LoadedProfile } from '../../src/profiles/profile';

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
  const dir = mkdtempSync(join(tmpdir(), 'zviz-profile-'));
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

export function sandbox(tag: string, options: { retentionMs?: number } = {}): Sandbox {
  const cgroups = createCgroupDriver(detectCgroups(), `zviz-test-${tag}-${process.pid}`);
  const manager = new ContainerManager({
    addon: addon(),
    cgroups,
    warn: (m, d) => console.warn(m, d),
    retentionMs: options.retentionMs,
  });
  return {
    manager,
    close: async () => {
      await manager.removeAll();
      cgroups.removeGroup();
    },
  };
}

export interface RunOptions {
  profile: LoadedProfile;
  command: string[];
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

/** Runs a workload to its end and returns what it printed; removes the container unless `keep`. */
export async function run(box: Sandbox, options: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-out-'));
  const outPath = join(dir, 'stdout');
  const errPath = join(dir, 'stderr');
  const stdin = openSync('/dev/null', 'r');
  const stdout = openSync(outPath, 'w');
  const stderr = openSync(errPath, 'w');
  try {
    const container = await box.manager.create({
      profile: options.profile,
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

export function workspace(): string {
  return mkdtempSync('/tmp/zviz-ws-');
}
