// Containers: each workload the broker supervises, with its cgroup, its
// state machine (created -> running -> exited | failed, restarting between
// runs) and its restart policy. The workload's first process is the
// container: when it ends, its init (PID 1 of the container's own PID
// namespace, docs/security.md) exits with its status and the kernel kills the
// rest of the namespace; everything else in the cgroup is killed too. Emits
// `started` ({ id, cgroupId, cgroupPath, pid }) on every run, `removed`
// ({ id }) once its cgroup is gone, and `expired` ({ id }) once its retained
// series are dropped too (retention.ts), so the tracer can follow containers.
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { constants } from 'node:os';

import type { ContainerInfo, ContainerState } from '@zviz/shared/agent-api';

import type { BrokerAddon, DecisionCounts, FilesystemPlan, NativeContainer } from '../native/broker-addon';
import type { CgroupDriver, CgroupSample, ContainerCgroup } from '../cgroups/cgroup';
import { CONTAINER_DEVICES } from '../cgroups/devices';
import type { ResourceLimits } from '../cgroups/limits';
import type { LoadedProfile } from '../profiles/profile';
import type { NetworkMode, PidMode } from '../profiles/schema';
import { envList, resolveCommand } from './command';
import { nativeExpectedRefusals } from './fallbacks';
import { withCommandVisible } from './command-visible';
import { withAgentFiles, type AgentFiles } from './agent-files';
import { withLinksFollowed } from './host-links';
import { withHiddenDirs } from './hidden-dirs';
import { checkContainerName, newContainerId } from './ids';
import { RetiredContainers, type RetiredContainer } from './retention';
import { backoffMs, shouldRestart, STABLE_RUN_MS, type RestartPolicy } from './restart';
import { StartFailures, startFailureReason } from './start-failures';
import { CompiledProfiles } from './compiled-profiles';
import { workdirProblem } from './workdir-links';

export interface ContainerSpec {
  name?: string;
  profile: LoadedProfile;
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Working directory, and `${workspace}` of the profile. */
  cwd: string;
  limits: ResourceLimits;
  restart: RestartPolicy;
  /** stdin, stdout, stderr of the workload. */
  stdio: [number, number, number];
  /** Descriptors the container owns and closes when removed (received from `zviz run`, opened log files). */
  ownedFds?: number[];
  /** Also publish allow and emulate decisions as events. */
  eventsAll?: boolean;
  /** Started from the agent's configuration (a reload may remove it). */
  configured?: boolean;
  /** Overrides the profile's `pid`: "host" shares the host's PID namespace (no init, the host's /proc). */
  pid?: PidMode;
  /** Overrides the profile's `network`: "none" gives a network namespace with only loopback. */
  network?: NetworkMode;
  /**
   * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (default on where the kernel has
   * it): once the broker holds a notification, only fatal signals interrupt
   * the syscall. Off, a signal can interrupt a call the broker is answering
   * and the call restarts as a new notification (counted once, at its answer).
   */
  waitKillableRecv?: boolean;
}

export interface RunEnd {
  code?: number;
  signal?: number;
  /** What a shell would report: the code, or 128 + signal. */
  exitCode: number;
  /** execve failed: the program never ran. */
  execError?: string;
}

export interface ContainerStartedEvent {
  id: string;
  name: string;
  pid: number;
  /** v2 cgroup id (what bpf_get_current_cgroup_id() returns), decimal; absent without a v2 hierarchy. */
  cgroupId?: string;
  cgroupPath: string;
}

/**
 * A run about to start, its cgroup made: emitted before the workload runs, so
 * the tracer counts it from its first syscall (a workload that did its work
 * before `started` was not seen at all).
 */
export interface ContainerLaunchingEvent {
  id: string;
  name: string;
  /** v2 cgroup id, decimal; absent without a v2 hierarchy. */
  cgroupId?: string;
}

export interface Decisions {
  counts: DecisionCounts;
  /** Refusals by syscall, less the expected ones. */
  refusals: Record<string, number>;
  /** Refusals a program recovers from by itself (fallbacks.ts), by syscall. */
  expected: Record<string, number>;
}

function addTo(total: Record<string, number>, more: Record<string, number>): void {
  for (const [name, n] of Object.entries(more)) {
    total[name] = (total[name] ?? 0) + n;
  }
}

const NO_DECISIONS = (): DecisionCounts => ({ allow: 0, emulate: 0, log: 0, deny: 0, trap: 0, kill: 0 });

export class Container {
  state: ContainerState = 'created';
  restarts = 0;
  pid?: number;
  startedAt?: number;
  lastEnd?: RunEnd;
  native?: NativeContainer;
  /**
   * The current run's PID and mount namespaces (native.namespaces, read once:
   * the control socket's peer check asks for every running container's at
   * each connection, and the addon makes a new object at each read).
   */
  namespaces?: { pid: number; mnt: number };
  stopRequested = false;
  /** Decisions of finished runs; the current run's are added on read. */
  readonly decisions: Decisions = { counts: NO_DECISIONS(), refusals: {}, expected: {} };
  restartTimer?: NodeJS.Timeout;
  /** Consecutive restarts since the last run that lasted STABLE_RUN_MS. */
  backoffAttempt = 0;
  private resolveDone!: (end: RunEnd) => void;
  /** Resolves when the container will not run again (no restart left, or stopped). */
  readonly done: Promise<RunEnd> = new Promise((resolve) => (this.resolveDone = resolve));
  finished = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly spec: ContainerSpec,
    readonly cgroup: ContainerCgroup,
    readonly createdAt: number
  ) {}

  get profileName(): string {
    return this.spec.profile.name;
  }

  finish(end: RunEnd): void {
    if (!this.finished) {
      this.finished = true;
      this.resolveDone(end);
    }
  }

  currentDecisions(): Decisions {
    const counts = { ...this.decisions.counts };
    const refusals = { ...this.decisions.refusals };
    const expected = { ...this.decisions.expected };
    if (this.native) {
      const live = this.native.counts();
      for (const key of Object.keys(counts) as Array<keyof DecisionCounts>) {
        counts[key] += live[key] ?? 0;
      }
      addTo(refusals, this.native.refusals());
      addTo(expected, this.native.expectedRefusals());
    }
    return { counts, refusals, expected };
  }

  info(): ContainerInfo {
    const sample = this.cgroup;
    return {
      id: this.id,
      name: this.name,
      profile: this.profileName,
      state: this.state,
      ...(this.state === 'running' && this.pid !== undefined ? { pid: this.pid } : {}),
      ...(this.startedAt !== undefined ? { started_at: new Date(this.startedAt).toISOString() } : {}),
      restarts: this.restarts,
      ...(this.lastEnd ? { exit_code: this.lastEnd.exitCode } : {}),
      cgroup: sample.path,
      limits: {
        ...(this.spec.limits.memoryBytes ? { memory_bytes: this.spec.limits.memoryBytes } : {}),
        ...(this.spec.limits.cpus ? { cpus: this.spec.limits.cpus } : {}),
        ...(this.spec.limits.pids ? { pids: this.spec.limits.pids } : {}),
        ...(this.spec.limits.ioReadBps ? { io_read_bps: this.spec.limits.ioReadBps } : {}),
        ...(this.spec.limits.ioWriteBps ? { io_write_bps: this.spec.limits.ioWriteBps } : {}),
      },
    };
  }
}

export interface ManagerOptions {
  addon: BrokerAddon;
  cgroups: CgroupDriver;
  /** Prefix of generated ids (standalone runs use one per process so they never collide with an agent's). */
  idPrefix?: string;
  warn?: (message: string, detail?: Record<string, unknown>) => void;
  syncWakeUp?: boolean;
  /** How long a removed container's final series stay in the metrics (default 0: not at all). */
  retentionMs?: number;
  /**
   * Directories no workload may see into (the agent's control socket's):
   * masked with an empty read-only tmpfs in every container's mount view.
   */
  hiddenDirs?: readonly string[];
  /**
   * The agent's own files (agent-files.ts: its package, configuration,
   * secrets and logs), as they are at each start: read-only or masked in
   * every view, and the directories above them pinned.
   */
  agentFiles?: () => AgentFiles;
  /**
   * How long a start may take before its processes are killed and it fails
   * (broker.start_timeout_seconds); the addon's default (10 s) when absent.
   */
  startTimeoutMs?: number;
}

/** How long the rest of a container gets to die after its first process ended. */
const DRAIN_MS = 5_000;

export class ContainerManager extends EventEmitter {
  private readonly containers = new Map<string, Container>();
  /** Containers created since start (zviz_containers_created_total). */
  created = 0;
  /** Starts and restarts that failed, by reason (zviz_container_start_failures_total). */
  readonly startFailures = new StartFailures();
  private readonly profiles: CompiledProfiles;
  /** OOM kills and pids-limit hits of removed containers, so the total never goes down. */
  private retiredCgroupDenials = 0;
  /** Removed containers whose final series the metrics still show. */
  readonly retired: RetiredContainers;

  constructor(private readonly options: ManagerOptions) {
    super();
    this.retired = new RetiredContainers(options.retentionMs ?? 0, (id) => this.emit('expired', { id }));
    this.profiles = new CompiledProfiles(options.addon);
  }

  get cgroups(): CgroupDriver {
    return this.options.cgroups;
  }

  list(): Container[] {
    return [...this.containers.values()];
  }

  get(idOrName: string): Container | undefined {
    return this.containers.get(idOrName) ?? this.list().find((c) => c.name === idOrName);
  }

  /**
   * Kills whatever is in container cgroups nobody supervises: left by an agent
   * that died (fail closed: its workloads lost their broker) or by this one
   * before a restart. Returns the ids cleaned.
   */
  async cleanLeftovers(filter: (id: string) => boolean = () => true): Promise<string[]> {
    const cleaned: string[] = [];
    for (const id of this.options.cgroups.existing()) {
      if (this.containers.has(id) || !filter(id)) {
        continue;
      }
      const cgroup = this.options.cgroups.open(id);
      const procs = cgroup.procs();
      cgroup.kill();
      if (!(await cgroup.drain(DRAIN_MS))) {
        this.options.warn?.('processes of a leftover container cgroup did not die', { id, path: cgroup.path });
        continue;
      }
      try {
        await cgroup.remove();
      } catch (error) {
        // A leftover that cannot be removed is tried again at the next start; it must not keep
        // this agent, or every later standalone run, from starting.
        this.options.warn?.('a leftover container cgroup could not be removed', {
          id,
          path: cgroup.path,
          error: (error as Error).message,
        });
        continue;
      }
      if (procs.length > 0) {
        this.options.warn?.('killed processes a previous agent left unsupervised', { id, processes: procs.length });
      }
      cleaned.push(id);
    }
    return cleaned;
  }

  /** Creates and starts a container; throws (and leaves nothing behind) when it cannot start at all. */
  async create(spec: ContainerSpec): Promise<Container> {
    const id = `${this.options.idPrefix ?? ''}${newContainerId()}`;
    const name = spec.name ?? id;
    const bad = checkContainerName(name);
    if (bad) {
      throw new Error(bad);
    }
    if (this.get(name)) {
      throw new Error(`a container named "${name}" exists already`);
    }
    if (spec.command.length === 0) {
      throw new Error('no command to run');
    }
    let cgroup: ContainerCgroup;
    try {
      cgroup = this.options.cgroups.create(id);
    } catch (error) {
      this.startFailures.add('agent');
      throw error;
    }
    const container = new Container(id, name, spec, cgroup, Date.now());
    try {
      cgroup.applyLimits(spec.limits);
      this.containers.set(id, container);
      this.created++;
      await this.launch(container);
    } catch (error) {
      this.startFailures.add(startFailureReason(error));
      // A stop asked meanwhile waits for this end.
      container.state = 'failed';
      container.finish({ exitCode: 125, execError: (error as Error).message });
      this.containers.delete(id);
      this.emit('launch-failed', { id });
      await cgroup.drain(DRAIN_MS);
      await cgroup.remove().catch(() => undefined);
      throw error;
    }
    return container;
  }

  /**
   * Starts a run of the container. The workload starts off the main thread
   * (the spawn waits for it to set itself up: up to hundreds of milliseconds on
   * a busy node); the container keeps its state (created, restarting) until it
   * runs. A stop asked meanwhile kills it as soon as it does.
   */
  private async launch(c: Container): Promise<void> {
    const spec = c.spec;
    // Judged at every run (a restart too): a link may have been made since the last.
    const workdir = workdirProblem(spec.cwd);
    if (workdir) {
      throw Object.assign(new Error(workdir), { reason: 'setup' });
    }
    let file: string;
    try {
      file = resolveCommand(spec.command[0], spec.env, spec.cwd);
    } catch (error) {
      // Counted as the workload's execve failing would be: its program cannot run.
      throw Object.assign(error as Error, { reason: 'exec' });
    }
    const { compiled, prepared } = this.profiles.get(spec.profile, spec.cwd);
    const onNative = (native: NativeContainer, kind: 'exec' | 'exit', details: Record<string, unknown>) =>
      this.onNative(c, native, kind, details);
    const launchingCgroup = c.cgroup.cgroupId();
    const launching: ContainerLaunchingEvent = {
      id: c.id,
      name: c.name,
      ...(launchingCgroup !== undefined ? { cgroupId: launchingCgroup.toString() } : {}),
    };
    this.emit('launching', launching);
    const native = await this.options.addon.spawn(
      {
        containerId: c.id,
        profile: c.profileName,
        file,
        argv: [...spec.command],
        env: envList(spec.env),
        cwd: spec.cwd,
        stdio: spec.stdio,
        cgroupV2: c.cgroup.v2Dir,
        // Made for this container and not killed yet: every run before a restart ends with cgroup.kill.
        cgroupV2Fresh: c.restarts === 0,
        cgroupV1Procs: [...c.cgroup.v1Procs],
        capabilities: compiled.capabilities,
        devices: CONTAINER_DEVICES,
        waitKillableRecv: spec.waitKillableRecv ?? true,
        syncWakeUp: this.options.syncWakeUp ?? true,
        eventsAll: spec.eventsAll ?? false,
        // The broker's work for the container is held to the container's own limit.
        ...(spec.limits.cpus ? { cpus: spec.limits.cpus } : {}),
        pid: spec.pid ?? compiled.pid,
        network: spec.network ?? compiled.network,
        filesystem: this.protectAgentFiles(
          withHiddenDirs(
            withCommandVisible(withLinksFollowed(compiled.filesystem, spec.cwd), file, spec.cwd),
            this.options.hiddenDirs ?? [],
            spec.cwd
          ),
          c.id,
          spec.cwd
        ),
        viewReads: compiled.viewReads,
        viewReadDirs: compiled.viewReadDirs,
        scopes: compiled.scopes,
        filter: compiled.filter,
        policy: compiled.policy,
        ...(prepared ? { prepared } : {}),
        expectedRefusals: nativeExpectedRefusals(),
        ...(this.options.startTimeoutMs !== undefined ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
      },
      // The handle is `this`: events come only once the promise has given it.
      function (kind, details) {
        onNative(this, kind, details);
      }
    );
    c.native = native;
    c.namespaces = native.namespaces;
    c.pid = native.pid;
    c.startedAt = Date.now();
    c.state = 'running';
    const cgroupId = c.cgroup.cgroupId();
    const started: ContainerStartedEvent = {
      id: c.id,
      name: c.name,
      pid: native.pid,
      ...(cgroupId !== undefined ? { cgroupId: cgroupId.toString() } : {}),
      cgroupPath: c.cgroup.path,
    };
    this.emit('started', started);
    if (c.stopRequested) {
      c.cgroup.kill(); // its end comes through onNative, as any run's
    }
  }

  private execErrors = new WeakMap<NativeContainer, string>();

  /** `plan` with the agent's own files protected; one kept visible because the workload works inside it is logged. */
  private protectAgentFiles(plan: FilesystemPlan | undefined, id: string, cwd: string): FilesystemPlan | undefined {
    const files = this.options.agentFiles?.();
    if (!files) {
      return plan;
    }
    return withAgentFiles(plan, files, cwd, (path) =>
      this.options.warn?.("the container's working directory lies in an agent file left as its profile shows it", {
        id,
        path,
        cwd,
      })
    );
  }

  private onNative(
    c: Container,
    native: NativeContainer,
    kind: 'exec' | 'exit',
    details: Record<string, unknown>
  ): void {
    if (kind === 'exec') {
      const error = Number(details.error);
      if (error > 0) {
        this.execErrors.set(native, `${c.spec.command[0]}: ${String(details.message ?? `errno ${error}`)}`);
        // The workload's own execve, or a step after the hand-over (zviz-init's execve).
        this.startFailures.add(details.reason === 'setup' ? 'setup' : 'exec');
      }
      return;
    }
    const code = typeof details.code === 'number' ? details.code : undefined;
    const signal = typeof details.signal === 'number' ? details.signal : undefined;
    void this.endRun(c, native, { code, signal }).catch((error: Error) =>
      this.options.warn?.('ending a container run failed', { id: c.id, err: error.message })
    );
  }

  private async endRun(
    c: Container,
    native: NativeContainer,
    status: { code?: number; signal?: number }
  ): Promise<void> {
    // The container ends with its first process.
    c.cgroup.kill();
    if (!(await c.cgroup.drain(DRAIN_MS))) {
      this.options.warn?.('processes of an ended container did not die', { id: c.id });
    }
    native.stopSupervisor();
    const live = native.counts();
    for (const key of Object.keys(live) as Array<keyof DecisionCounts>) {
      c.decisions.counts[key] += live[key] ?? 0;
    }
    addTo(c.decisions.refusals, native.refusals());
    addTo(c.decisions.expected, native.expectedRefusals());
    native.release();
    if (c.native === native) {
      c.native = undefined;
      c.namespaces = undefined;
    }
    const execError = this.execErrors.get(native);
    const exitCode = status.code ?? 128 + (status.signal ?? 0);
    const end: RunEnd = { ...status, exitCode, ...(execError ? { execError } : {}) };
    c.lastEnd = end;
    c.pid = undefined;
    const failed = exitCode !== 0;
    c.state = failed ? 'failed' : 'exited';
    this.emit('exit', { id: c.id, ...end });
    const ranFor = Date.now() - (c.startedAt ?? Date.now());
    if (ranFor >= STABLE_RUN_MS) {
      c.backoffAttempt = 0;
    }
    if (c.stopRequested || !shouldRestart(c.spec.restart, failed, c.restarts)) {
      c.finish(end);
      return;
    }
    const delay = backoffMs(c.backoffAttempt++);
    c.state = 'restarting';
    this.emit('restarting', { id: c.id, restarts: c.restarts + 1, delayMs: delay });
    c.restartTimer = setTimeout(() => {
      c.restartTimer = undefined;
      if (c.stopRequested) {
        c.state = failed ? 'failed' : 'exited';
        c.finish(end);
        return;
      }
      c.restarts++;
      this.launch(c).catch((error: Error) => {
        this.startFailures.add(startFailureReason(error));
        c.state = 'failed';
        this.options.warn?.('container restart failed', { id: c.id, err: error.message });
        c.finish({ exitCode: 125, execError: error.message });
      });
    }, delay);
  }

  /** Forwards a signal to the container's process group (as a terminal would). */
  signal(c: Container, signal: NodeJS.Signals | number): boolean {
    const number = typeof signal === 'number' ? signal : constants.signals[signal];
    if (number === undefined || !c.native) {
      return false;
    }
    return c.native.signal(number, true);
  }

  /** Stops without restarting: SIGTERM to the process group, SIGKILL to the cgroup after `graceMs`. */
  async stop(c: Container, graceMs = 10_000): Promise<RunEnd> {
    c.stopRequested = true;
    if (c.restartTimer) {
      clearTimeout(c.restartTimer);
      c.restartTimer = undefined;
      c.state = c.lastEnd && c.lastEnd.exitCode === 0 ? 'exited' : 'failed';
      c.finish(c.lastEnd ?? { exitCode: 137 });
    }
    if (!c.finished && c.native) {
      if (graceMs > 0) {
        c.native.signal(constants.signals.SIGTERM, true);
      }
      const timer = setTimeout(() => c.cgroup.kill(), graceMs);
      try {
        return await c.done;
      } finally {
        clearTimeout(timer);
      }
    }
    return c.done;
  }

  /** Refusals by cgroup limits (zviz_security_denials_total{layer="cgroup"}): OOM kills and pids-limit hits. */
  cgroupDenials(sampleOf: (c: Container) => CgroupSample = (c) => c.cgroup.sample()): number {
    let total = this.retiredCgroupDenials;
    for (const c of this.containers.values()) {
      const s = sampleOf(c);
      total += s.oomKills + s.pidsLimitHits;
    }
    return total;
  }

  /**
   * Stops (killing at once), removes the cgroup, closes owned descriptors,
   * deletes the container; its final counters and state are retired into
   * `retired` for the metrics.
   */
  async remove(c: Container): Promise<void> {
    await this.stop(c, 0);
    const last = c.cgroup.sample();
    this.retiredCgroupDenials += last.oomKills + last.pidsLimitHits;
    const record: RetiredContainer = {
      id: c.id,
      name: c.name,
      profileName: c.profileName,
      state: c.state,
      restarts: c.restarts,
      ...(c.lastEnd ? { exitCode: c.lastEnd.exitCode } : {}),
      sample: last,
      retiredAt: Date.now(),
    };
    await c.cgroup.remove();
    for (const fd of c.spec.ownedFds ?? []) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
    }
    this.containers.delete(c.id);
    this.emit('removed', { id: c.id });
    this.retired.add(record);
  }

  /** Removes every container and drops every retained series (the agent is stopping). */
  async removeAll(): Promise<void> {
    await Promise.all(this.list().map((c) => this.remove(c)));
    this.retired.expireAll();
  }
}
