// One `zviz run`: the request turned into a container spec, the container
// run to its end (restarts included), progress reported as protocol
// messages. Shared by the agent's control socket and standalone runs.
import type { BrokerAddon } from '../native/broker-addon';
import type { RunRequest, ServerMessage, Summary } from './protocol';
import { parseCpus, parseIoRate, parseMemory, parsePids, type ResourceLimits } from '../cgroups/limits';
import { loadProfile, type LoadedProfile } from '../profiles/profile';
import type { Container, ContainerManager, ContainerSpec, ContainerStartedEvent, RunEnd } from '../containers/manager';
import { parseRestart } from '../containers/restart';

export function limitsOf(request: RunRequest['limits']): ResourceLimits {
  return {
    ...(request.memory !== undefined ? { memoryBytes: parseMemory(request.memory) } : {}),
    ...(request.cpus !== undefined ? { cpus: parseCpus(request.cpus) } : {}),
    ...(request.pids !== undefined ? { pids: parsePids(request.pids) } : {}),
    ...(request.ioReadBps !== undefined ? { ioReadBps: parseIoRate(request.ioReadBps) } : {}),
    ...(request.ioWriteBps !== undefined ? { ioWriteBps: parseIoRate(request.ioWriteBps) } : {}),
  };
}

/** Throws ProfileError or Error with what is wrong with the request. */
export function specFromRequest(
  request: RunRequest,
  stdio: [number, number, number],
  addon: BrokerAddon,
  ownedFds: number[] = [],
  profile: LoadedProfile = loadProfile(request.profile, addon)
): ContainerSpec {
  return {
    name: request.name,
    profile,
    command: request.command,
    env: request.env,
    cwd: request.cwd,
    limits: limitsOf(request.limits),
    restart: parseRestart(request.restart),
    stdio,
    ownedFds,
    eventsAll: request.eventsAll,
    ...(request.pid ? { pid: request.pid } : {}),
    ...(request.network ? { network: request.network } : {}),
  };
}

/** The run's summary; read while the container's cgroup still exists (its OOM and pids counters). */
export function summaryOf(container: Container, end?: RunEnd): Summary {
  const { counts, refusals, expected } = container.currentDecisions();
  const sample = container.cgroup.sample();
  const limits = container.spec.limits;
  return {
    decisions: { ...counts },
    refusals,
    expected,
    durationMs: Date.now() - container.createdAt,
    ...(end?.signal ? { signal: end.signal } : {}),
    cgroup: {
      oomKills: sample.oomKills,
      pidsLimitHits: sample.pidsLimitHits,
      ...(limits.memoryBytes ? { memoryLimitBytes: limits.memoryBytes } : {}),
      ...(limits.pids ? { pidsLimit: limits.pids } : {}),
    },
  };
}

/**
 * Starts the container and reports until it will not run again; resolves
 * with the final `done` message. The container is left for the caller to
 * remove.
 */
export async function runSession(
  manager: ContainerManager,
  spec: ContainerSpec,
  send: (message: ServerMessage) => void,
  onCreated?: (container: Container) => void
): Promise<{ container: Container; end: RunEnd }> {
  let container: Container | undefined;
  const mine = (id: string) => container !== undefined && id === container.id;
  const onStarted = (e: ContainerStartedEvent) => {
    if (mine(e.id) && container) {
      send({
        type: 'started',
        id: e.id,
        name: e.name,
        profile: container.profileName,
        pid: e.pid,
        restarts: container.restarts,
      });
    }
  };
  const onExit = (e: { id: string } & RunEnd) => {
    if (mine(e.id)) {
      send({
        type: 'exit',
        id: e.id,
        exitCode: e.exitCode,
        ...(e.signal ? { signal: e.signal } : {}),
        ...(e.execError ? { execError: e.execError } : {}),
      });
    }
  };
  const onRestarting = (e: { id: string; restarts: number; delayMs: number }) => {
    if (mine(e.id)) {
      send({ type: 'restarting', ...e });
    }
  };
  manager.on('exit', onExit);
  manager.on('restarting', onRestarting);
  manager.on('started', onStarted);
  try {
    container = await manager.create(spec);
    onCreated?.(container);
    // The first `started` fired inside create(), before `container` was set.
    send({
      type: 'started',
      id: container.id,
      name: container.name,
      profile: container.profileName,
      pid: container.pid ?? 0,
      restarts: 0,
    });
    const end = await container.done;
    send({ type: 'done', id: container.id, exitCode: end.exitCode, summary: summaryOf(container, end) });
    return { container, end };
  } finally {
    manager.off('exit', onExit);
    manager.off('restarting', onRestarting);
    manager.off('started', onStarted);
  }
}
