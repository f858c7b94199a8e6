// `zviz top`: a live terminal view of a running agent for an operator on the
// node: agent and component health, the broker's load and latency, denials,
// containers with their resource use, decisions per syscall with rates, and
// the latest decisions as they stream in. Interactive on a terminal; one
// frame with --once; a frame per interval when the output is not a terminal.
import type { AgentClient } from '@zviz/agent-client/agent';
import { InvalidArgumentError, Option, type Command } from 'commander';

import { CONTAINER_SORTS, SYSCALL_SORTS, type ContainerSort, type SyscallSort } from '../../top/model';
import { render, type RenderOptions } from '../../top/render';
import { Screen, type Key } from '../../top/screen';
import { TopSession } from '../../top/session';
import { CliExit, EXIT } from '../exit';
import { localAgent, type LocalAgent } from '../local-agent';
import { addrOption, configOption } from '../program';
import { loadOrRefuse } from '../serve';

interface TopOptions {
  config?: string;
  addr?: string;
  interval: number;
  once?: boolean;
  sort: SyscallSort;
  sortContainers: ContainerSort;
  timeout: number;
  insecure?: boolean;
  color: boolean;
}

/** Latest decisions read from the ring at start. */
const RECENT_AT_START = 50;

function secondsBetween(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!(n >= min && n <= max)) {
      throw new InvalidArgumentError(`expected a number of seconds from ${min} to ${max}, e.g. 2 or 0.5`);
    }
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    }
    return value as T;
  };
}

/** Color unless NO_COLOR is set (no-color.org), --no-color is given or the output is not a color terminal; FORCE_COLOR forces it. */
export function wantColor(flag: boolean, stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!flag || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) {
    return false;
  }
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    return true;
  }
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function registerTop(program: Command): void {
  program
    .command('top')
    .description(
      'live view of a running agent: health, broker latency, denials, containers, decisions per syscall, latest decisions'
    )
    .addOption(configOption())
    .addOption(addrOption('agent address (default: metrics.address of the configuration)'))
    .addOption(
      new Option('-i, --interval <seconds>', 'time between refreshes').argParser(secondsBetween(0.2, 3600)).default(2)
    )
    .option('--once', 'print one frame and exit (rates are measured over one --interval); exit 3 when unreachable')
    .addOption(
      new Option('-s, --sort <key>', `order of syscalls: ${SYSCALL_SORTS.join(', ')}`)
        .argParser(oneOf(SYSCALL_SORTS))
        .default('rate')
    )
    .addOption(
      new Option('--sort-containers <key>', `order of containers: ${CONTAINER_SORTS.join(', ')}`)
        .argParser(oneOf(CONTAINER_SORTS))
        .default('cpu')
    )
    .addOption(
      new Option('--timeout <seconds>', 'give up on a request after this long')
        .argParser(secondsBetween(0.1, 300))
        .default(5)
    )
    .option('--insecure', 'with TLS, do not verify the agent’s certificate')
    .option('--no-color', 'no colors (also when NO_COLOR is set or the output is not a terminal)')
    .addHelpText(
      'after',
      '\nKeys: q quit, s next syscall order, c next container order, p pause.\n' +
        'Basic auth: set ZVIZ_AGENT_USER and ZVIZ_AGENT_PASSWORD (the configuration holds only hashes).'
    )
    .action(async (opts: TopOptions) => {
      process.exitCode = await top(opts);
    });
}

function agentFor(opts: TopOptions): LocalAgent {
  const config = loadOrRefuse({ path: opts.config, flags: { 'metrics.address': opts.addr } });
  const user = process.env.ZVIZ_AGENT_USER;
  const password = process.env.ZVIZ_AGENT_PASSWORD;
  if (config.metrics.auth.type === 'basic' && !(user && password)) {
    throw new CliExit(
      EXIT.usage,
      'the agent uses basic auth: set ZVIZ_AGENT_USER and ZVIZ_AGENT_PASSWORD (the configuration holds only hashes)'
    );
  }
  try {
    return localAgent(config, {
      timeoutMs: opts.timeout * 1000,
      insecure: opts.insecure,
      basic: user && password ? { user, password } : undefined,
    });
  } catch (error) {
    throw new CliExit(EXIT.usage, (error as Error).message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function top(opts: TopOptions): Promise<number> {
  const agent = agentFor(opts);
  try {
    return await show(agent, opts);
  } finally {
    agent.close();
  }
}

async function show(agent: LocalAgent, opts: TopOptions): Promise<number> {
  const { client } = agent;
  const stdout = process.stdout;
  const base: Omit<RenderOptions, 'syscallSort' | 'containerSort'> = {
    color: wantColor(opts.color, stdout),
    target: agent.baseUrl,
    intervalSeconds: opts.interval,
  };
  const sorts = { syscallSort: opts.sort, containerSort: opts.sortContainers };

  if (opts.once) {
    const session = new TopSession(client);
    await session.poll(Date.now, { metricsOnly: true });
    await sleep(opts.interval * 1000);
    const [poll] = await Promise.all([session.poll(), session.loadRecent(RECENT_AT_START)]);
    stdout.write(`${render(session.view(sorts)!, { ...base, ...sorts, once: true })}\n`);
    return poll.health.ok || poll.metrics.ok ? EXIT.ok : EXIT.unreachable;
  }
  if (stdout.isTTY && process.stdin.isTTY) {
    return interactive(agent, opts, base, sorts);
  }
  return batch(client, opts, base, sorts);
}

/** Not a terminal: a frame per interval, one after the other (like top -b), until a signal. */
async function batch(
  client: AgentClient,
  opts: TopOptions,
  base: Omit<RenderOptions, 'syscallSort' | 'containerSort'>,
  sorts: { syscallSort: SyscallSort; containerSort: ContainerSort }
): Promise<number> {
  const session = new TopSession(client);
  let stopped = false;
  let wake: () => void = () => undefined;
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  session.follow((await session.loadRecent(RECENT_AT_START)) ?? undefined);
  let first = true;
  while (!stopped) {
    await session.poll();
    if (!first) {
      process.stdout.write(`${render(session.view(sorts)!, { ...base, ...sorts })}\n\n`);
    }
    first = false;
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, opts.interval * 1000);
    });
  }
  session.close();
  return EXIT.ok;
}

async function interactive(
  { client, baseUrl }: LocalAgent,
  opts: TopOptions,
  base: Omit<RenderOptions, 'syscallSort' | 'containerSort'>,
  initial: { syscallSort: SyscallSort; containerSort: ContainerSort }
): Promise<number> {
  const screen = new Screen(process.stdin, process.stdout);
  const sorts = { ...initial };
  let paused = false;
  let redrawTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const draw = () => {
    const view = session.view(sorts);
    if (view) {
      screen.draw(render(view, { ...base, ...sorts, height: screen.rows, paused, keys: true }));
    }
  };
  // Stream events redraw at most four times a second: a burst of denials is one redraw.
  const soon = () => {
    if (!redrawTimer && !paused) {
      redrawTimer = setTimeout(() => {
        redrawTimer = undefined;
        draw();
      }, 250);
    }
  };
  const session = new TopSession(client, soon);
  const next = <T>(values: readonly T[], current: T) => values[(values.indexOf(current) + 1) % values.length];
  const onKey = (key: Key) => {
    if (key.name === 'q' || (key.ctrl && key.name === 'c') || key.name === 'escape') {
      finish();
    } else if (key.name === 's') {
      sorts.syscallSort = next(SYSCALL_SORTS, sorts.syscallSort);
    } else if (key.name === 'c') {
      sorts.containerSort = next(CONTAINER_SORTS, sorts.containerSort);
    } else if (key.name === 'p') {
      paused = !paused;
    }
    draw();
  };
  const tick = async () => {
    if (!paused) {
      await session.poll();
      draw();
    }
    pollTimer = setTimeout(() => void tick(), opts.interval * 1000);
  };

  const restore = () => screen.leave();
  process.once('exit', restore);
  process.once('SIGTERM', finish);
  process.once('SIGHUP', finish);
  screen.enter(onKey);
  process.stdout.on('resize', draw);
  try {
    screen.draw(`zviz top: asking ${baseUrl}…`);
    session.follow((await session.loadRecent(RECENT_AT_START)) ?? undefined);
    await tick();
    await done;
  } finally {
    clearTimeout(pollTimer);
    clearTimeout(redrawTimer);
    session.close();
    process.stdout.off('resize', draw);
    screen.leave();
  }
  return EXIT.ok;
}
