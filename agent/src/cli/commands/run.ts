// zviz run: a command in the sandbox, the way `docker run` runs one: the
// terminal's stdin/stdout/stderr, the workload's exit code, Ctrl-C forwarded.
// With an agent on the node the agent supervises it (its metrics, API and
// audit log show the decisions); without one the broker runs here.
import { Command, InvalidArgumentError, Option } from 'commander';

import { requireBrokerAddon, type BrokerAddon } from '../../native/broker-addon';
import { DEFAULT_BROKER_CONFIG } from '../../broker/config';
import { connectAgent, FORWARDED_SIGNALS, runThroughAgent } from '../../control/client';
import { DEFAULT_CONTROL_SOCKET, PROTOCOL_VERSION, type RunRequest, type ServerMessage } from '../../control/protocol';
import { parseCpus, parseIoRate, parseMemory, parsePids } from '../../cgroups/limits';
import { parseRestart } from '../../containers/restart';
import { runStandalone } from '../../broker/standalone';
import { formatSummary } from '../../control/summary';
import { formatProblem, ProfileError } from '../../profiles/problems';
import { isScopeWarning } from '../../profiles/scopes';
import { builtinNames } from '../../profiles/load';
import { loadProfile, type LoadedProfile } from '../../profiles/profile';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { forTerminal } from '../../terminal/escape';

/** What `docker run` answers when the failure is its own, not the workload's. */
export const EXIT_RUN_FAILED = 125;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface RunOptions {
  profile: string;
  name?: string;
  memory?: string;
  cpus?: string;
  pids?: string;
  ioReadBps?: string;
  ioWriteBps?: string;
  restart: string;
  workdir?: string;
  env: string[];
  standalone?: boolean;
  socket?: string;
  logDecisions?: boolean;
  eventsAll?: boolean;
  pid?: 'private' | 'host';
  network?: 'none' | 'host';
}

function check<T>(parse: (v: string) => T): (v: string) => string {
  return (value: string) => {
    try {
      parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return value;
  };
}

/** Like Docker: PATH, HOME and TERM, plus -e KEY=VALUE (or -e KEY to pass this shell's value). */
export function workloadEnv(flags: readonly string[], outer: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: '/root' };
  if (outer.TERM) {
    env.TERM = outer.TERM;
  }
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq === 0) {
      throw new Error(`invalid -e "${flag}": expected KEY=VALUE or KEY`);
    }
    if (eq > 0) {
      env[flag.slice(0, eq)] = flag.slice(eq + 1);
    } else if (outer[flag] !== undefined) {
      env[flag] = outer[flag] as string;
    }
  }
  return env;
}

function describe(message: ServerMessage, err: (line: string) => void): void {
  if (message.type === 'exit' && message.execError) {
    err(`zviz: cannot start ${message.execError}`);
  } else if (message.type === 'restarting') {
    err(`zviz: restarting ${message.id} in ${(message.delayMs / 1000).toFixed(1)} s (restart ${message.restarts})`);
  } else if (message.type === 'error') {
    err(`zviz: ${message.message}`);
    for (const line of message.details ?? []) {
      err(`  ${line}`);
    }
  }
}

/**
 * Why a non-root `zviz run` cannot go on. Both ways are closed to it: run
 * here, the broker must create cgroups and a mount namespace; through the
 * agent, its socket takes root only.
 */
export function notRootMessage(socketPath: string, uid: number | undefined): string {
  return (
    `zviz: zviz run needs root (running as uid ${uid ?? '?'}): the sandbox creates the workload's cgroups and ` +
    `mount namespace, and the agent's socket (${socketPath}) takes root only. Run it as root, e.g. sudo zviz run ...`
  );
}

/**
 * Signals that end a process by default and that zviz does not pass on to the
 * workload (FORWARDED_SIGNALS are passed on). zviz says it is dying from one,
 * then dies from it: its workload goes with it (standalone, its first process
 * has the parent-death signal; through the agent, the closed connection stops it).
 * SIGPROF is not among them: V8's sampling profiler (node --cpu-prof) ticks
 * with it, and a listener here would turn every tick into zviz's death.
 */
const FATAL_NOT_FORWARDED: readonly NodeJS.Signals[] = ['SIGALRM', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ'];

/** Notes the signals zviz passes on, and says so when zviz itself dies from one it does not. */
function watchSignals(forwarded: Set<string>, err: (line: string) => void): { stop(): void } {
  const note = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) {
      forwarded.add(signal);
      return;
    }
    // Nothing passes it on yet (or any more): the signal's own effect, as without this listener.
    stop();
    process.kill(process.pid, signal);
  };
  const die = (signal: NodeJS.Signals) => {
    err(`zviz: killed by ${signal}; the workload is stopped with it`);
    for (const s of FATAL_NOT_FORWARDED) {
      process.removeAllListeners(s);
    }
    process.kill(process.pid, signal);
  };
  const stop = () => {
    FORWARDED_SIGNALS.forEach((s) => process.off(s, note));
    FATAL_NOT_FORWARDED.forEach((s) => process.off(s, die));
  };
  FORWARDED_SIGNALS.forEach((s) => process.on(s, note));
  FATAL_NOT_FORWARDED.forEach((s) => process.on(s, die));
  return { stop };
}

export async function run(
  command: string[],
  opts: RunOptions,
  write = (line: string) => process.stderr.write(`${line}\n`)
): Promise<number> {
  // Every line may quote the workload (its command, the paths it opened): shown escaped, never interpreted.
  const err = (line: string) => write(forTerminal(line));
  let addon: BrokerAddon;
  try {
    addon = requireBrokerAddon();
  } catch (error) {
    err(`zviz: ${(error as Error).message}`);
    return EXIT_RUN_FAILED;
  }
  // A file is sent to the agent by its absolute path: the agent does not
  // share this working directory (readProfile's order: built-in names first).
  const isFile =
    opts.profile.includes('/') ||
    opts.profile.endsWith('.json') ||
    opts.profile.startsWith('.') ||
    (!builtinNames().includes(opts.profile) && existsSync(opts.profile));
  const profileRef = isFile ? resolve(opts.profile) : opts.profile;
  // Check the profile here first: its problems are best shown before anything starts.
  let profile: LoadedProfile;
  try {
    profile = loadProfile(profileRef, addon);
  } catch (error) {
    if (error instanceof ProfileError) {
      err(`zviz: profile ${error.source} cannot be used:`);
      error.lines().forEach((line) => err(`  ${line}`));
    } else {
      err(`zviz: ${(error as Error).message}`);
    }
    return EXIT_RUN_FAILED;
  }
  // What the kernel leaves of the profile's Landlock scopes (profiles/scopes.ts): said at every start.
  for (const warning of profile.warnings.filter(isScopeWarning)) {
    err(`zviz: warning: ${formatProblem(profile.source, warning)}`);
  }
  const request: RunRequest = {
    type: 'run',
    version: PROTOCOL_VERSION,
    profile: profileRef,
    ...(opts.name ? { name: opts.name } : {}),
    command,
    env: workloadEnv(opts.env),
    cwd: resolve(opts.workdir ?? process.cwd()),
    limits: {
      ...(opts.memory ? { memory: opts.memory } : {}),
      ...(opts.cpus ? { cpus: opts.cpus } : {}),
      ...(opts.pids ? { pids: opts.pids } : {}),
      ...(opts.ioReadBps ? { ioReadBps: opts.ioReadBps } : {}),
      ...(opts.ioWriteBps ? { ioWriteBps: opts.ioWriteBps } : {}),
    },
    restart: opts.restart,
    ...(opts.eventsAll ? { eventsAll: true } : {}),
    ...(opts.pid ? { pid: opts.pid } : {}),
    ...(opts.network ? { network: opts.network } : {}),
  };
  let last: ServerMessage | undefined;
  // Signals zviz passed on: when one ends the workload, the summary says where it came from.
  const forwarded = new Set<string>();
  const onMessage = (message: ServerMessage) => {
    describe(message, err);
    if (message.type === 'done') {
      last = message;
      const profileName = profileRef.includes('/') ? profileRef : opts.profile;
      err(formatSummary(message.id, profileName, message.exitCode, message.summary, { forwarded }));
    }
  };
  const watching = watchSignals(forwarded, err);

  const socketPath = opts.socket ?? process.env.ZVIZ_AGENT_SOCKET ?? DEFAULT_CONTROL_SOCKET;
  const agent = opts.standalone ? { absent: true as const } : await connectAgent(socketPath);
  if ('unreachable' in agent) {
    // Asked for an agent by name: running without it would lose what the user expects to see.
    if (opts.socket ?? process.env.ZVIZ_AGENT_SOCKET) {
      err(`zviz: no agent answers on ${socketPath} (${agent.unreachable}); start zviz agent, or pass --standalone`);
      return EXIT_RUN_FAILED;
    }
    err(
      `zviz: no agent answers on ${socketPath} (${agent.unreachable}); running standalone, so no agent records these decisions`
    );
  }
  const socket = 'socket' in agent ? agent.socket : undefined;
  try {
    if (socket) {
      const final = await runThroughAgent(socket, addon, request, { onMessage });
      return final.type === 'done' ? final.exitCode : EXIT_RUN_FAILED;
    }
    if (process.getuid?.() !== 0) {
      err(notRootMessage(socketPath, process.getuid?.()));
      return EXIT_RUN_FAILED;
    }
    const code = await runStandalone(
      request,
      addon,
      {
        message: onMessage,
        decisions: opts.logDecisions
          ? (batch) => {
              for (const e of batch as Array<Record<string, unknown>>) {
                const args = e.args as Record<string, unknown>;
                const what = args.resolved ?? args.path ?? args.address ?? '';
                err(
                  `zviz: ${String(e.decision)} ${String(e.syscall)} ${String(what)}${e.errno ? ` (errno ${String(e.errno)})` : ''} [${String(e.layer)}]`
                );
              }
            }
          : undefined,
        eventsDropped: opts.logDecisions
          ? (count) =>
              err(
                `zviz: ${count} decisions not printed: over the event rate limit (${DEFAULT_BROKER_CONFIG.event_rate_limit} a second) or while the event queue was full`
              )
          : undefined,
      },
      profile,
      socketPath
    );
    return last ? code : EXIT_RUN_FAILED;
  } catch (error) {
    if (error instanceof ProfileError) {
      error.lines().forEach((line) => err(`zviz: ${line}`));
    } else {
      err(`zviz: ${(error as Error).message}`);
    }
    return EXIT_RUN_FAILED;
  } finally {
    watching.stop();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a command in the sandbox (stdio, exit code and Ctrl-C as with docker run)')
    .usage('[options] -- COMMAND [ARGS...]')
    .argument('<command...>', 'the program to run and its arguments (after --)')
    .option(
      '-p, --profile <name|file>',
      'built-in profile (default, ci-runner, strict, observe) or profile file',
      'default'
    )
    .option('--name <name>', 'container name (default: its id)')
    .addOption(new Option('-m, --memory <size>', 'memory limit, such as 512M').argParser(check(parseMemory)))
    .addOption(new Option('--cpus <n>', 'CPU limit, such as 1 or 0.5').argParser(check(parseCpus)))
    .addOption(new Option('--pids <n>', 'limit on processes and threads').argParser(check(parsePids)))
    .addOption(
      new Option('--io-read-bps <rate>', 'limit on disk reads, bytes a second on every disk, such as 20M').argParser(
        check(parseIoRate)
      )
    )
    .addOption(
      new Option('--io-write-bps <rate>', 'limit on disk writes, bytes a second on every disk, such as 10M').argParser(
        check(parseIoRate)
      )
    )
    .addOption(
      new Option('--restart <policy>', 'no, on-failure[:N] or always').default('no').argParser(check(parseRestart))
    )
    .addOption(
      new Option(
        '--pid <mode>',
        "private: a PID namespace of the container's own; host: the node's (default: the profile's, private)"
      ).choices(['private', 'host'])
    )
    .addOption(
      new Option('--network <mode>', "none: only loopback; host: the node's network (default: the profile's)").choices([
        'none',
        'host',
      ])
    )
    .option('-w, --workdir <dir>', 'working directory, and ${workspace} of the profile (default: the current one)')
    .option(
      '-e, --env <KEY=VALUE>',
      "set an environment variable (repeatable; KEY alone passes this shell's value)",
      (v: string, all: string[]) => [...all, v],
      [] as string[]
    )
    .option('--standalone', 'run the broker in this process even when an agent is running')
    .option('--socket <path>', `the agent's control socket (default: $ZVIZ_AGENT_SOCKET or ${DEFAULT_CONTROL_SOCKET})`)
    .option('--log-decisions', 'print every log, deny and kill decision on stderr (standalone)')
    .option('--events-all', 'also publish allow decisions as events (verbose)')
    .action(async (command: string[], opts: RunOptions) => {
      process.exitCode = await run(command, opts);
    });
}
