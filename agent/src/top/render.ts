// A TopView as text: a few summary lines, then containers, syscalls and the
// latest decisions as borderless tables (cli-table3), colored with
// picocolors when color is on. With a height, sections share the screen the
// way top does; without one (--once, batch output) everything is printed.
import type { Decision, DecisionEvent } from '@zviz/shared/agent-api';
import { createColors } from 'picocolors';

import { formatBytes, formatClock, formatCount, formatRate, formatRatio, formatSeconds, formatUptime } from './format';
import { forTerminal } from '../terminal/escape';
import { table } from './table';
import { REFUSALS, type ContainerRow, type Count, type SyscallRow, type TopView, type ViewOptions } from './model';

type Colors = ReturnType<typeof createColors>;

export interface RenderOptions extends ViewOptions {
  color: boolean;
  /** Rows available; undefined prints every row. */
  height?: number;
  /** Where the agent is, for the title. */
  target: string;
  intervalSeconds: number;
  paused?: boolean;
  /** Show the key help line (interactive terminals). */
  keys?: boolean;
  /** One frame and exit: no "every N s", no "retrying". */
  once?: boolean;
}

/** Decision columns of the syscall table, in the order of the vocabulary. */
const DECISION_COLUMNS: readonly Decision[] = ['allow', 'emulate', 'log', 'deny', 'trap', 'kill'];
/** Recent decisions shown when the height is not limited. */
const RECENT_UNLIMITED = 10;

function statusColor(c: Colors, status: string): (s: string) => string {
  switch (status) {
    case 'healthy':
    case 'ok':
    case 'running':
      return c.green;
    case 'degraded':
    case 'starting':
    case 'restarting':
    case 'created':
      return c.yellow;
    case 'unhealthy':
    case 'failed':
      return (s) => c.bold(c.red(s));
    default:
      return c.dim;
  }
}

function decisionColor(c: Colors, decision: string): (s: string) => string {
  switch (decision) {
    case 'deny':
      return c.red;
    case 'trap':
    case 'kill':
      return (s) => c.bold(c.red(s));
    case 'log':
      return c.yellow;
    case 'emulate':
      return c.cyan;
    default:
      return (s) => s;
  }
}

function formatWindow(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

/** Per-second rate, or the total when no rate can be computed yet. */
function rateOrTotal(count: Count | undefined): string {
  if (!count) {
    return '–';
  }
  return count.rate === undefined ? `${formatCount(count.total)} total` : `${formatRate(count.rate)}/s`;
}

function headerLines(view: TopView, o: RenderOptions, c: Colors): string[] {
  const when = o.once
    ? formatClock(view.at)
    : `${formatClock(view.at)}, every ${o.intervalSeconds} s${o.paused ? c.yellow(' (paused)') : ''}`;
  if (view.unreachable) {
    return [
      `${c.bold('zviz top')}  ${o.target}  ${when}`,
      c.bold(c.red(`agent unreachable: ${view.unreachable}`)),
      c.dim(
        `${o.once ? '' : `retrying every ${o.intervalSeconds} s; `}is \`zviz agent\` running, and is ${o.target} its metrics.address?`
      ),
    ];
  }
  const lines: string[] = [];
  const a = view.agent;
  if (a) {
    const who = [a.node, a.variant, `agent ${a.version}`, `up ${formatUptime(a.uptimeSeconds)}`].filter(Boolean);
    lines.push(
      `${c.bold('zviz top')}  ${statusColor(c, a.status)(c.bold(a.status.toUpperCase()))}  ${who.join(' · ')}  ${c.dim(o.target)}  ${when}`
    );
    const parts = a.components.map((comp) => {
      const text = `${comp.name} ${comp.status}${comp.reason ? `: ${comp.reason}` : ''}`;
      return statusColor(c, comp.status)(text);
    });
    lines.push(`components  ${parts.join('  ')}`);
  } else {
    lines.push(`${c.bold('zviz top')}  ${o.target}  ${when}`);
    lines.push(c.yellow('health unavailable'));
  }
  if (view.metricsError) {
    lines.push(c.yellow(`metrics unavailable: ${view.metricsError}`));
    return lines;
  }
  const b = view.broker;
  if (b.requests === undefined) {
    lines.push(
      `${c.bold('broker')} ${statusColor(c, b.status)(b.status)}  ${c.dim('(no broker metrics on this agent)')}`
    );
    return lines;
  }
  const window = view.windowSeconds ? `last ${formatWindow(view.windowSeconds)}` : 'last interval';
  const brokerParts = [
    `${c.bold('broker')} ${statusColor(c, b.status)(b.status)}`,
    `in flight ${formatCount(b.inflight)}`,
    `requests ${rateOrTotal(b.requests)}`,
    `p99 ${formatSeconds(b.p99Recent)} ${window}, ${formatSeconds(b.p99All)} since start`,
    (b.errors?.rate ?? b.errors?.total ?? 0) > 0
      ? c.red(`errors ${rateOrTotal(b.errors)}`)
      : `errors ${rateOrTotal(b.errors)}`,
    (b.eventsDropped ?? 0) > 0 ? c.red(`events dropped ${formatCount(b.eventsDropped)}`) : undefined,
  ].filter((p): p is string => p !== undefined);
  lines.push(brokerParts.join('  '));
  const d = view.denials;
  const denying = (count: Count | undefined) => (count?.rate ?? 0) > 0;
  const layers = d.byLayer.map((l) =>
    (denying(l) ? c.red : (s: string) => s)(`${forTerminal(l.layer)} ${rateOrTotal(l)}`)
  );
  const total = d.total
    ? `${rateOrTotal(d.total)}${d.total.rate !== undefined ? ` (${formatCount(d.total.total)} total)` : ''}`
    : '–';
  lines.push([`${c.bold('denials')} ${denying(d.total) ? c.bold(c.red(total)) : total}`, ...layers].join('  '));
  return lines;
}

function containerLines(view: TopView, o: RenderOptions, c: Colors, limit: number | undefined): string[] {
  const running = view.containers.filter((r) => r.state === 'running').length;
  const title = `${c.bold('CONTAINERS')}  ${view.containers.length} (${running} running)  ${c.dim(`sort: ${o.containerSort}`)}`;
  if (view.containers.length === 0) {
    return [title, c.dim(view.containersNote ?? 'no containers')];
  }
  const shown = limit === undefined ? view.containers : view.containers.slice(0, limit);
  const level = (r: ContainerRow, text: string) =>
    r.alertLevel === undefined || r.alertLevel === 0 ? text : (r.alertLevel >= 2 ? c.red : c.yellow)(text);
  const rows = shown.map((r) => [
    r.id.slice(0, 12),
    r.name,
    r.profile,
    statusColor(c, r.state)(r.state === 'exited' && r.exitCode !== undefined ? `exited (${r.exitCode})` : r.state),
    formatUptime(r.uptimeSeconds),
    r.restarts > 0 ? c.yellow(String(r.restarts)) : '0',
    r.cpuCores === undefined ? '–' : `${r.cpuCores.toFixed(2)}`,
    level(r, formatRatio(r.cpuRatio)),
    formatBytes(r.memoryBytes),
    level(r, formatRatio(r.memoryRatio)),
    r.refusedSeen > 0 ? c.red(formatCount(r.refusedSeen)) : '0',
  ]);
  const lines = [
    title,
    ...table(
      ['ID', 'NAME', 'PROFILE', 'STATE', 'UPTIME', 'RESTARTS', 'CPU', 'CPU%', 'MEMORY', 'MEM%', 'REFUSED'],
      ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      rows,
      c
    ),
  ];
  if (shown.length < view.containers.length) {
    lines.push(c.dim(`… ${view.containers.length - shown.length} more`));
  }
  return lines;
}

function syscallLines(view: TopView, o: RenderOptions, c: Colors, limit: number | undefined): string[] {
  const refusing = view.syscalls.filter((r) => r.refused.total > 0).length;
  const title =
    `${c.bold('SYSCALLS')}  ${view.syscalls.length} decided` +
    `${refusing > 0 ? `, ${c.red(`${refusing} with refusals`)}` : ''}  ${c.dim(`sort: ${o.syscallSort}`)}`;
  if (view.syscalls.length === 0) {
    return [title, c.dim(view.syscallsNote ?? 'no decisions yet')];
  }
  const shown = limit === undefined ? view.syscalls : view.syscalls.slice(0, limit);
  const cell = (r: SyscallRow, d: Decision) => {
    const count = r.byDecision[d];
    if (!count || count.total === 0) {
      return c.dim('0');
    }
    const text = formatCount(count.total);
    return (REFUSALS.includes(d) || d === 'log') && (count.rate === undefined || count.rate > 0)
      ? decisionColor(c, d)(text)
      : text;
  };
  const rows = shown.map((r) => {
    const hot = (r.refused.rate ?? 0) > 0;
    // Label values of the exposition are data, escaped only here, where they are shown.
    const syscall = forTerminal(r.syscall);
    return [
      hot ? c.bold(c.red(syscall)) : r.refused.total > 0 ? c.red(syscall) : syscall,
      formatRate(r.all.rate),
      formatCount(r.all.total),
      ...DECISION_COLUMNS.map((d) => cell(r, d)),
      hot ? c.bold(c.red(formatRate(r.refused.rate))) : formatRate(r.refused.rate),
    ];
  });
  const lines = [
    title,
    ...table(
      ['SYSCALL', 'RATE/s', 'TOTAL', ...DECISION_COLUMNS.map((d) => d.toUpperCase()), 'REFUSED/s'],
      ['left', 'right', 'right', ...DECISION_COLUMNS.map(() => 'right' as const), 'right'],
      rows,
      c
    ),
  ];
  if (shown.length < view.syscalls.length) {
    lines.push(c.dim(`… ${view.syscalls.length - shown.length} more`));
  }
  return lines;
}

/** What the decision was about: the path, address or first argument. */
export function eventDetail(e: DecisionEvent): string {
  const args = e.args ?? {};
  const main = args.resolved ?? args.path ?? args.address ?? args.target ?? Object.values(args)[0];
  const errno = e.errno ? ` (errno ${e.errno})` : '';
  return `${main === undefined ? '' : String(main)}${errno}`;
}

function recentLines(view: TopView, c: Colors, limit: number): string[] {
  const s = view.stream;
  const state =
    s.status === 'connected'
      ? c.green('live')
      : s.status === 'snapshot'
        ? "from the agent's ring"
        : s.status === 'unavailable'
          ? c.yellow(`unavailable${s.reason ? `: ${s.reason}` : ''}`)
          : c.yellow(`${s.status}${s.reason ? `: ${s.reason}` : ''}`);
  const missed = s.missed > 0 ? c.yellow(`, ${formatCount(s.missed)} missed`) : '';
  const title = `${c.bold('LATEST DECISIONS')}  ${state}, ${formatCount(s.received)} received${missed}`;
  if (s.recent.length === 0) {
    return [title, c.dim(s.status === 'connected' ? 'none since top started' : 'none')];
  }
  const shown = s.recent.slice(-limit).reverse();
  const rows = shown.map((e) => [
    formatClock(Date.parse(e.timestamp), true),
    e.container_id.slice(0, 12),
    e.syscall,
    decisionColor(c, e.decision)(e.decision),
    e.layer,
    formatSeconds(e.latency_us / 1e6),
    eventDetail(e),
  ]);
  return [
    title,
    ...table(
      ['TIME', 'CONTAINER', 'SYSCALL', 'DECISION', 'LAYER', 'LATENCY', 'DETAIL'],
      ['left', 'left', 'left', 'left', 'left', 'right', 'left'],
      rows,
      c
    ),
  ];
}

export function render(view: TopView, o: RenderOptions): string {
  const c = createColors(o.color);
  const header = headerLines(view, o, c);
  const footer = o.keys ? [c.dim('q quit   s sort syscalls   c sort containers   p pause')] : [];
  if (view.unreachable) {
    return [...header, ...footer].join('\n');
  }
  if (o.height === undefined) {
    return [
      ...header,
      '',
      ...containerLines(view, o, c, undefined),
      '',
      ...syscallLines(view, o, c, undefined),
      '',
      ...recentLines(view, c, RECENT_UNLIMITED),
      ...footer,
    ].join('\n');
  }
  // Share the rows: three blank separators, and each section a title, a table head and a "… more" line.
  const spare = Math.max(0, o.height - header.length - footer.length - 3 - 3 * 3);
  const wantContainers = Math.max(1, view.containers.length);
  const wantRecent = Math.max(1, view.stream.recent.length);
  const containerRows = Math.min(wantContainers, Math.max(1, Math.floor(spare / 4)));
  const recentRows = Math.min(wantRecent, Math.max(1, Math.floor(spare / 4)));
  const syscallRows = Math.max(1, spare - containerRows - recentRows);
  const lines = [
    ...header,
    '',
    ...containerLines(view, o, c, containerRows),
    '',
    ...syscallLines(view, o, c, syscallRows),
    '',
    ...recentLines(view, c, recentRows),
  ];
  const body = lines.slice(0, Math.max(0, o.height - footer.length));
  // The key help sits on the last row, as in top.
  const gap = Array<string>(Math.max(0, o.height - footer.length - body.length)).fill('');
  return [...body, ...gap, ...footer].join('\n');
}
