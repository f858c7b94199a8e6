// `zviz run` without an agent: the broker runs in this process, for this one
// workload, and the run ends with a one-line summary of its decisions.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

import type { BrokerAddon } from '../native/broker-addon';
import { DEFAULT_BROKER_CONFIG, eventLimits } from './config';
import { BrokerEvents } from './events';
import { FORWARDED_SIGNALS } from '../control/client';
import { DEFAULT_CONTROL_SOCKET, type RunRequest, type ServerMessage } from '../control/protocol';
import { createCgroupDriver } from '../cgroups/driver';
import { detectCgroups } from '../cgroups/detect';
import { agentFilesOf, type AgentFiles } from '../containers/agent-files';
import { ContainerManager, type Container } from '../containers/manager';
import { DEFAULT_AUDIT_PATH, DEFAULT_CONFIG_PATH } from '../config/schema';
import { packageRoot } from '../native/load';
import type { LoadedProfile } from '../profiles/profile';
import { runSession, specFromRequest } from '../control/session';

/** Standalone runs keep their cgroups apart from an agent's, named after the process that owns them. */
export const STANDALONE_GROUP = 'zviz-run';

function alive(pid: number): boolean {
  try {
    // A zviz process, not a recycled pid of something else.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('zviz')) {
      return false;
    }
    // Nor what a dead run left, under that pid: with --pid host it can fork until it gets it and
    // write "zviz" over its command line, but it cannot leave its container's cgroup.
    return !inStandaloneContainer(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether a /proc/PID/cgroup text places the process in a standalone run's container cgroup. */
export function inStandaloneContainer(cgroups: string): boolean {
  return cgroups.split('\n').some((line) => {
    const path = line.split(':').slice(2).join(':');
    return path.split('/').includes(STANDALONE_GROUP);
  });
}

export interface StandaloneIo {
  message(message: ServerMessage): void;
  decisions?: (batch: unknown[]) => void;
  /** Decision events not passed to `decisions` (over the per-container event rate limit, or a full queue). */
  eventsDropped?: (count: number) => void;
}

/**
 * The directory of the node agent's control socket (`agentSocket`), made if
 * it is missing (as the agent makes it: root only), so that it can be masked
 * in the workload's view even when an agent starts after the run.
 */
function agentSocketDir(agentSocket: string): string {
  const dir = dirname(agentSocket);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // Not ours to make (a read-only /run): masked if it exists, the agent's peer check holds either way.
  }
  return dir;
}

/**
 * The agent's files a standalone run knows without reading the node agent's
 * configuration (which would cost its start-up): the package it runs from,
 * the default configuration file and the default audit directory. The files
 * a configuration names elsewhere are protected by the agent's own
 * containers only (docs/security.md, "The agent's own files").
 */
function standaloneAgentFiles(installation: string): AgentFiles {
  return agentFilesOf(
    process.env.ZVIZ_CONFIG || DEFAULT_CONFIG_PATH,
    {
      logging: { output: 'stderr', audit: { enabled: true, path: DEFAULT_AUDIT_PATH } },
      metrics: { auth: { type: 'none' } },
    },
    installation
  );
}

/**
 * `profile`: the profile `request` names, when the caller has loaded it
 * already (zviz run checks it before anything starts): the run then uses what
 * was checked, and does not validate and compile it a second time.
 * `agentSocket`: the control socket of the node's agent, hidden from the
 * workload (a workload could ask the agent for a looser container).
 */
export async function runStandalone(
  request: RunRequest,
  addon: BrokerAddon,
  io: StandaloneIo,
  profile?: LoadedProfile,
  agentSocket: string = DEFAULT_CONTROL_SOCKET
): Promise<number> {
  const cgroups = createCgroupDriver(detectCgroups(), STANDALONE_GROUP, {
    attachDeviceProgram: (dir, rules) => addon.attachDeviceProgram(dir, rules),
  });
  const installation = packageRoot();
  const manager = new ContainerManager({
    addon,
    cgroups,
    idPrefix: `r${process.pid}-`,
    hiddenDirs: [agentSocketDir(agentSocket)],
    agentFiles: () => standaloneAgentFiles(installation),
  });
  // Runs whose zviz process died (PDEATHSIG took their first process; this
  // takes the rest).
  await manager.cleanLeftovers((id) => {
    const owner = /^r(\d+)-/.exec(id);
    return owner !== null && !alive(Number(owner[1]));
  });
  const events = io.decisions
    ? new BrokerEvents(addon, io.decisions, { ...eventLimits(DEFAULT_BROKER_CONFIG), capacity: 4096 })
    : undefined;
  const spec = specFromRequest(request, [0, 1, 2], addon, [], profile);
  let container: Container | undefined;
  const forward = (signal: NodeJS.Signals) => {
    if (container) {
      manager.signal(container, signal);
    }
  };
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, forward);
  }
  try {
    const { container: c, end } = await runSession(manager, spec, io.message, (created) => (container = created));
    await manager.remove(c);
    events?.drainNow();
    const dropped = events?.takeDrops().reduce((n, d) => n + d.rateLimited + d.queueFull, 0) ?? 0;
    if (dropped > 0) {
      io.eventsDropped?.(dropped);
    }
    return end.exitCode;
  } finally {
    for (const signal of FORWARDED_SIGNALS) {
      process.off(signal, forward);
    }
    if (container && manager.get(container.id)) {
      await manager.remove(container).catch(() => undefined);
    }
    cgroups.removeGroup();
  }
}
