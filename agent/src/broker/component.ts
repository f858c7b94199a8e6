// The sandbox in the agent: the broker (native supervisors, their counters
// and events), the containers it supervises (from the configuration and from
// `zviz run` over the control socket) and their cgroups. One component, so
// that /health says in one place whether workloads can run here and why not.
//
// On start it kills whatever a previous agent left in container cgroups:
// those workloads lost their broker when it died (their brokered syscalls
// fail) and nobody watches them any more. On stop it ends every container:
// no workload outlives its supervision.
//
// The configured containers start after the broker is up, one per turn of
// the event loop, while /health says how far it got: a node configured with a
// thousand of them keeps answering its scrapes, probes and `zviz run` while
// they start, and the component never runs into the agent's start timeout.
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { AGENT_PATHS, type ComponentHealth, type ContainersResponse } from '@zviz/shared/agent-api';

import type { AgentContext } from '../agent-context';
import type { Component } from '../component';
import { endedRetentionSeconds, type CoreConfig } from '../config/schema';
import type { CgroupDriver } from '../cgroups/cgroup';
import { createCgroupDriver } from '../cgroups/driver';
import { detectCgroups } from '../cgroups/detect';
import type { ContainerConfig } from '../containers/config';
import { agentFilesOf } from '../containers/agent-files';
import {
  ContainerManager,
  type Container,
  type ContainerLaunchingEvent,
  type ContainerStartedEvent,
} from '../containers/manager';
import { ContainerMetricSource } from '../containers/metrics-source';
import { limitsOf } from '../control/session';
import { parseRestart } from '../containers/restart';
import type { StartFailureReason } from '../containers/start-failures';
import { STANDALONE_GROUP } from './standalone';
import { openAppendNoLinks } from '../files/no-link-open';
import { ProfileCache } from '../profiles/cache';
import type { LoadedProfile } from '../profiles/profile';
import { isScopeWarning } from '../profiles/scopes';
import { brokerAddon, type BrokerAddon, type KernelSupport } from '../native/broker-addon';
import { packageRoot } from '../native/load';
import { DEFAULT_BROKER_CONFIG, eventLimits, type BrokerConfig } from './config';
import { ControlServer } from '../control/server';
import { ControlRefusals } from '../control/refusals';
import { BrokerEvents } from './events';
import { BrokerMetricSource } from './metrics-source';
import { ContainerCgroupIds, workloadConnectionGuard } from './workload-connections';

export interface ContainerLifecycle {
  /** Before the workload runs, its cgroup made. */
  on(event: 'launching', listener: (e: ContainerLaunchingEvent) => void): this;
  /** The first run could not start: the container is gone, without `removed`. */
  on(event: 'launch-failed', listener: (e: { id: string }) => void): this;
  on(event: 'started', listener: (e: ContainerStartedEvent) => void): this;
  on(event: 'removed', listener: (e: { id: string }) => void): this;
  /** The container's retained series are dropped (its retention ended). */
  on(event: 'expired', listener: (e: { id: string }) => void): this;
}

/** The configuration sections the broker reads beside the core's: its own, and the containers it starts. */
export interface BrokerSections {
  broker: BrokerConfig;
  containers: ContainerConfig[];
}

/** How often free heap memory is handed back to the kernel. */
const RELEASE_MEMORY_MS = 30_000;

export class BrokerComponent implements Component<BrokerSections> {
  readonly name = 'broker';
  readonly required = true;
  /** `started` {id, cgroupId, cgroupPath, pid}, `removed` and `expired` {id}: what the tracer follows. */
  readonly lifecycle: ContainerLifecycle & EventEmitter = new EventEmitter();
  private addon?: BrokerAddon;
  private profiles?: ProfileCache;
  private kernel?: KernelSupport;
  private cgroups?: CgroupDriver;
  private manager?: ContainerManager;
  private containerSource?: ContainerMetricSource;
  private trimTimer?: NodeJS.Timeout;
  private control?: ControlServer;
  private events?: BrokerEvents;
  private failure?: string;
  private running = false;
  private stopping = false;
  private config: BrokerConfig;
  /** The configured containers being started, and how far that got. */
  private configured?: { done: Promise<void>; started: number; total: number };
  /** Configured containers that could not start, by name, with why (/health). */
  private readonly unstarted = new Map<string, string>();

  constructor(private readonly host: AgentContext<BrokerSections>) {
    this.config = { ...DEFAULT_BROKER_CONFIG, ...host.config.broker };
  }

  get containers(): ContainerManager | undefined {
    return this.manager;
  }

  async start(): Promise<void> {
    const loaded = brokerAddon();
    if (!loaded.ok) {
      throw this.fail(loaded.reason);
    }
    const addon = (this.addon = loaded.addon);
    const kernel = (this.kernel = addon.kernelSupport());
    if (!kernel.userNotif) {
      throw this.fail(`this kernel cannot run the sandbox: ${kernel.detail ?? 'no seccomp user notification'}`);
    }
    if (process.getuid?.() !== 0) {
      throw this.fail('the broker needs root (cgroups, mount namespaces, capabilities)');
    }
    const layout = detectCgroups();
    try {
      this.cgroups = createCgroupDriver(layout, this.config.cgroup_group, {
        attachDeviceProgram: (dir, rules) => addon.attachDeviceProgram(dir, rules),
      });
    } catch (error) {
      throw this.fail((error as Error).message);
    }
    const installation = packageRoot();
    const manager = (this.manager = new ContainerManager({
      addon,
      cgroups: this.cgroups,
      // No workload sees into the directory of the control socket (docs/security.md, "The control socket").
      hiddenDirs: [dirname(this.config.control_socket)],
      // Nor rewrites the agent's own package (docs/security.md, "The programs a start executes"), reads its
      // secrets or writes its configuration and logs (docs/security.md, "The agent's own files").
      // The configuration as it is at each start (a reload changes it).
      agentFiles: () => agentFilesOf(this.host.configFile, this.host.config, installation),
      syncWakeUp: this.config.sync_wake_up,
      startTimeoutMs: this.config.start_timeout_seconds * 1000,
      retentionMs: endedRetentionSeconds(this.host.config.metrics) * 1000,
      warn: (message, detail) => this.host.log.warn(detail ?? {}, message),
    }));
    manager.on('launching', (e: ContainerLaunchingEvent) => this.lifecycle.emit('launching', e));
    manager.on('launch-failed', (e: { id: string }) => this.lifecycle.emit('launch-failed', e));
    manager.on('started', (e: ContainerStartedEvent) => this.lifecycle.emit('started', e));
    manager.on('removed', (e: { id: string }) => this.lifecycle.emit('removed', e));
    manager.on('expired', (e: { id: string }) => this.lifecycle.emit('expired', e));
    manager.on('exit', (e: { id: string; exitCode: number }) => this.host.log.info(e, 'container run ended'));

    const cleaned = await manager.cleanLeftovers();
    if (cleaned.length > 0) {
      this.host.log.warn({ containers: cleaned }, 'removed containers a previous agent left behind');
    }

    const hub = this.host.hub;
    const events = (this.events = new BrokerEvents(addon, (batch) => hub.publish(batch), eventLimits(this.config)));
    hub.loss.addPoller(() => {
      for (const d of events.takeDrops()) {
        hub.loss.add(d.container, 'rate_limit', d.rateLimited);
        hub.loss.add(d.container, 'queue_full', d.queueFull);
      }
    });
    manager.on('removed', (e: { id: string }) => hub.loss.retire(e.id));
    // The sampler's cgroup files are read on the thread pool (native/src/broker/read_files.h).
    const containerSource = (this.containerSource = new ContainerMetricSource(manager, (paths) =>
      addon.readFiles(paths)
    ));
    // From the sampler's last reading, like the container families (metrics-source.ts).
    this.host.registry.addSource(
      new BrokerMetricSource(addon, () => manager.cgroupDenials((c) => containerSource.latestSample(c)))
    );
    this.containerSource.startSampling(this.config.sample_interval_seconds * 1000);
    // Free heap memory goes back to the kernel now and then (the addon's releaseFreeMemory says why).
    this.trimTimer = setInterval(() => void addon.releaseFreeMemory(), RELEASE_MEMORY_MS);
    this.trimTimer.unref();
    this.host.registry.addSource(this.containerSource);
    if (this.cgroups.kind !== 'v1') {
      // cgroups.root is the group's directory in the v2 hierarchy; standalone runs' group is its sibling.
      const ids = new ContainerCgroupIds([this.cgroups.root, join(dirname(this.cgroups.root), STANDALONE_GROUP)]);
      this.host.server.guardConnections(workloadConnectionGuard(addon, ids));
    }
    this.host.server.route('GET', AGENT_PATHS.containers, ({ sendJson }) => {
      const body: ContainersResponse = { containers: manager.list().map((c) => c.info()) };
      sendJson(200, body);
    });

    this.profiles = new ProfileCache(addon);
    const refusals = new ControlRefusals(this.config.control_socket, (batch) => hub.publish(batch));
    this.host.registry.addSource(refusals);
    this.control = new ControlServer({
      path: this.config.control_socket,
      addon,
      manager,
      profiles: this.profiles,
      eventsAll: this.config.events === 'all',
      log: this.host.log,
      peers: {
        // Running ones only: the inode numbers of a namespace that is gone are reused.
        workloads: () =>
          manager
            .list()
            .flatMap((c) => (c.namespaces && c.state === 'running' ? [{ id: c.id, namespaces: c.namespaces }] : [])),
        cgroupGroups: [this.config.cgroup_group, STANDALONE_GROUP],
      },
      onRefused: (refusal, peer) => refusals.record(refusal, peer),
      responseBudgetBytes: this.host.config.metrics.response_budget_mb * 1024 * 1024,
    });
    this.host.registry.addSource(this.control.answers);
    await this.control.start();
    this.running = true;
    this.host.log.info(
      {
        control_socket: this.config.control_socket,
        cgroups: `${this.cgroups.kind} at ${this.cgroups.root}`,
        sync_wake_up: kernel.syncWakeUp,
      },
      'broker ready'
    );
    this.startConfiguredInBackground(this.host.config.containers);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.configured?.done;
    this.running = false;
    await this.control?.stop();
    this.containerSource?.stopSampling();
    clearInterval(this.trimTimer);
    await this.manager?.removeAll();
    // The last events go to the audit log, which stops after the broker.
    this.events?.drainNow();
    // Nothing left behind: the group directories go too, when empty.
    this.cgroups?.removeGroup();
  }

  /** A reload starts containers added to the configuration and removes those taken out of it. */
  async reload(config: CoreConfig & BrokerSections): Promise<void> {
    const manager = this.manager;
    if (!manager) {
      return;
    }
    manager.retired.setRetention(endedRetentionSeconds(config.metrics) * 1000);
    this.control?.answers.configure(config.metrics.response_budget_mb * 1024 * 1024);
    // The event limits apply at once; the rest of the section at the next start.
    const next = { ...DEFAULT_BROKER_CONFIG, ...config.broker };
    this.config = {
      ...this.config,
      event_queue_size: next.event_queue_size,
      event_rate_limit: next.event_rate_limit,
      event_burst: next.event_burst,
    };
    this.events?.setLimits(eventLimits(this.config));
    await this.configured?.done;
    const wanted = config.containers;
    const names = new Set(wanted.map((w) => w.name));
    for (const name of this.unstarted.keys()) {
      if (!names.has(name)) {
        this.unstarted.delete(name);
      }
    }
    for (const c of manager.list()) {
      if (c.spec.configured && !names.has(c.name)) {
        await manager.remove(c);
      }
    }
    this.startConfiguredInBackground(wanted.filter((w) => !manager.get(w.name)));
    await this.configured?.done;
  }

  health(): ComponentHealth {
    const inflight = this.addon && this.running ? this.addon.metrics().inflight : 0;
    const configured = this.configured;
    const report: ComponentHealth = {
      status: this.failure ? 'failed' : this.running && !configured ? 'ok' : 'starting',
      ...(this.failure ? { reason: this.failure } : {}),
      ...(!this.failure && configured
        ? { reason: `starting the configured containers: ${configured.started} of ${configured.total}` }
        : {}),
      broker: { status: this.failure ? 'failed' : this.running ? 'running' : 'stopped', inflight },
      containers: this.manager?.list().length ?? 0,
    };
    if (this.kernel) {
      report.kernel = {
        user_notif: this.kernel.userNotif,
        sync_wake_up: this.kernel.syncWakeUp,
        addfd_send: this.kernel.addfdSend,
        wait_killable_recv: this.kernel.waitKillableRecv,
        libseccomp: this.kernel.libseccomp,
      };
    }
    if (this.cgroups) {
      report.cgroup = { version: this.cgroups.kind, root: this.cgroups.root, controllers: this.cgroups.controllers };
    }
    const degraded: string[] = [];
    const slow = this.running && !this.kernel?.syncWakeUp;
    if (slow) {
      degraded.push(
        'the kernel lacks SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): brokered syscalls take about 4x longer'
      );
    }
    if (this.running && this.unstarted.size > 0) {
      degraded.push(unstartedReason(this.unstarted));
    }
    if (degraded.length > 0 && report.status === 'ok') {
      report.status = 'degraded';
      report.reason = degraded.join('; ');
      // A configured container that could not start leaves the broker
      // starting and supervising every other: still ready. A workload can make
      // its own output path refused, and must not be able to take the node's
      // agent out of a rollout or page someone with ZVizBrokerNotReady.
      if (!slow) {
        report.ready = true;
      }
    }
    return report;
  }

  private fail(reason: string): Error {
    this.failure = reason;
    return new Error(reason);
  }

  private startConfiguredInBackground(entries: readonly ContainerConfig[]): void {
    if (entries.length === 0) {
      return;
    }
    const progress = { started: 0, total: entries.length, done: Promise.resolve() };
    progress.done = this.startConfigured(entries, progress).finally(() => {
      if (this.configured === progress) {
        this.configured = undefined;
      }
    });
    this.configured = progress;
  }

  private async startConfigured(entries: readonly ContainerConfig[], progress: { started: number }): Promise<void> {
    const { addon, manager } = this;
    if (!addon || !manager) {
      return;
    }
    for (const entry of entries) {
      // Starting a container takes the JavaScript thread for some milliseconds (its
      // cgroup, the spawn): let requests and timers run between two of them.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopping) {
        return;
      }
      progress.started++;
      // What fails before the manager takes the container is counted here; the
      // manager counts its own failures. The profile comes first: an output
      // opened for a profile that then did not load was never closed.
      let profile: LoadedProfile;
      let stdio: { fds: [number, number, number]; owned: number[] };
      try {
        profile = (this.profiles ?? new ProfileCache(addon)).load(entry.profile ?? 'default');
      } catch (error) {
        this.notStarted(entry, error, 'agent');
        continue;
      }
      try {
        stdio = configuredStdio(entry);
      } catch (error) {
        this.notStarted(entry, error, 'output');
        continue;
      }
      try {
        const container: Container = await manager.create({
          name: entry.name,
          profile,
          command: entry.command,
          env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...entry.env },
          cwd: entry.workdir ?? '/',
          limits: limitsOf({
            memory: entry.limits?.memory,
            cpus: entry.limits?.cpus === undefined ? undefined : String(entry.limits.cpus),
            pids: entry.limits?.pids === undefined ? undefined : String(entry.limits.pids),
            ioReadBps: entry.limits?.io_read_bps === undefined ? undefined : String(entry.limits.io_read_bps),
            ioWriteBps: entry.limits?.io_write_bps === undefined ? undefined : String(entry.limits.io_write_bps),
          }),
          restart: parseRestart(entry.restart ?? 'on-failure'),
          stdio: stdio.fds,
          ownedFds: stdio.owned,
          eventsAll: this.config.events === 'all',
          configured: true,
          ...(entry.pid ? { pid: entry.pid } : {}),
          ...(entry.network ? { network: entry.network } : {}),
        });
        this.unstarted.delete(entry.name);
        this.host.log.info(
          { id: container.id, name: entry.name, profile: container.profileName },
          'configured container started'
        );
        for (const warning of profile.warnings.filter(isScopeWarning)) {
          this.host.log.warn({ id: container.id, name: entry.name, pointer: warning.pointer }, warning.reason);
        }
      } catch (error) {
        this.notStarted(entry, error);
      }
    }
  }

  /**
   * A configured container that could not start: logged, named in /health
   * until a reload starts it or takes it out, and counted under `reason` when
   * the manager never saw it (it counts its own failures).
   */
  private notStarted(entry: ContainerConfig, error: unknown, reason?: StartFailureReason): void {
    const why = (error as Error).message;
    if (reason) {
      this.manager?.startFailures.add(reason);
    }
    this.unstarted.set(entry.name, why);
    this.host.log.error({ name: entry.name, err: why }, 'configured container could not start');
  }
}

/** How many configured containers that did not start /health names, with why. */
const UNSTARTED_NAMED = 5;

function unstartedReason(unstarted: ReadonlyMap<string, string>): string {
  const named = [...unstarted].slice(0, UNSTARTED_NAMED).map(([name, why]) => `${name} (${why})`);
  const more = unstarted.size - named.length;
  return (
    `${unstarted.size} configured container${unstarted.size === 1 ? '' : 's'} not started: ${named.join(', ')}` +
    (more > 0 ? ` and ${more} more` : '')
  );
}

/** stdin from /dev/null; stdout/stderr to a file (appended), /dev/null, or the agent's own. */
function configuredStdio(entry: ContainerConfig): { fds: [number, number, number]; owned: number[] } {
  const owned: number[] = [];
  const open = (target: string, fallback: number): number => {
    if (target === 'inherit') {
      return fallback;
    }
    // Never blocks on a FIFO, refuses a device: only regular files (or /dev/null).
    // The file may lie in a workspace its workload wrote since the agent last
    // opened it: no link on the way is followed (files/no-link-open.ts).
    const fd = target === 'null' || target === '/dev/null' ? openSync('/dev/null', 'w') : openAppendNoLinks(target);
    owned.push(fd);
    return fd;
  };
  try {
    const stdin = openSync('/dev/null', 'r');
    owned.push(stdin);
    const stdout = open(entry.stdout ?? 'null', 1);
    const stderr = entry.stderr === undefined || entry.stderr === entry.stdout ? stdout : open(entry.stderr, 2);
    return { fds: [stdin, stdout, stderr], owned };
  } catch (error) {
    owned.forEach((fd) => closeSync(fd));
    throw error;
  }
}
