// The demo's periodic summary: what the backend datasource's queries return
// right now, and where the alerts stand, in a few lines.
import { DECISIONS } from '@zviz/shared/agent-api';

import { table } from '../../agent/src/top/table';
import { formatCount, formatSeconds } from '../../agent/src/top/format';
import { forTerminal } from '../../agent/src/terminal/escape';
import type { Snapshot } from './datasource';
import type { PromAlert } from './prometheus';
import type { Colors } from './progress';

/** Syscall rows shown; the rest are summed up in one line. */
const ROWS = 8;
const AUDIT_LINES = 4;

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

export function summaryLines(
  snap: Snapshot,
  alerts: readonly PromAlert[],
  watched: ReadonlyMap<string, string | undefined>,
  c: Colors,
  now = Date.now()
): string[] {
  const lines = [
    c.bold(
      `── ${clock(now)}  the last ${Math.round(snap.rangeSeconds / 60)} min through the backend datasource (decisions, health, audit) ──`
    ),
  ];
  for (const error of snap.errors) {
    lines.push(c.red(`  ${forTerminal(error)}`));
  }
  const columns = DECISIONS.filter((d) => snap.decisions.some((r) => (r.counts[d] ?? 0) > 0));
  if (snap.decisions.length === 0) {
    lines.push(c.dim('  no decisions in Prometheus yet'));
  } else {
    const shown = snap.decisions.slice(0, ROWS);
    const refusal = (d: string) => d === 'deny' || d === 'kill' || d === 'trap';
    const rows = shown.map((r) => [
      forTerminal(r.syscall),
      ...columns.map((d) => {
        const n = r.counts[d] ?? 0;
        return n > 0 && refusal(d)
          ? c.red(formatCount(n))
          : n > 0 && d === 'log'
            ? c.yellow(formatCount(n))
            : formatCount(n);
      }),
      formatCount(r.total),
    ]);
    lines.push(
      ...table(
        ['SYSCALL', ...columns.map((d) => d.toUpperCase()), 'TOTAL'],
        ['left', ...columns.map(() => 'right' as const), 'right'],
        rows,
        c
      ).map((l) => `  ${l}`)
    );
    if (snap.decisions.length > ROWS) {
      const rest = snap.decisions.slice(ROWS).reduce((n, r) => n + r.total, 0);
      lines.push(c.dim(`  … ${snap.decisions.length - ROWS} more syscalls, ${formatCount(rest)} decisions`));
    }
  }
  const agents = snap.health.map((h) => {
    const status = forTerminal(String(h.status));
    const colored = status === 'healthy' ? c.green(status) : status === 'degraded' ? c.yellow(status) : c.red(status);
    const name = forTerminal(String(h.node ?? h.agent));
    return `agent ${name} ${colored}, ${forTerminal(String(h.containers))} containers, broker ${forTerminal(String(h.broker_status))}`;
  });
  lines.push(`  ${[...agents, `broker p99 ${formatSeconds(snap.p99Seconds)}`].join(' · ')}`);
  // The newest event of each kind (syscall and decision), so one noisy workload does not hide the rest.
  const kinds = new Set<string>();
  const latest = snap.audit.filter((a) => {
    const kind = `${String(a.syscall)} ${String(a.decision)}`;
    return !kinds.has(kind) && kinds.add(kind);
  });
  for (const a of latest.slice(0, AUDIT_LINES)) {
    // Time fields decode as nanoseconds (bigint) or milliseconds, depending on the frame's encoding.
    const t = a.timestamp;
    const when = typeof t === 'bigint' ? Number(t / 1_000_000n) : t instanceof Date ? t.getTime() : Number(t);
    // The audit body quotes what the workload did (paths, commands): escaped, never interpreted.
    lines.push(c.dim(`  ${Number.isFinite(when) ? clock(when) : ''} ${forTerminal(String(a.body ?? ''))}`));
  }
  const states = [...watched].map(([name, forDuration]) => {
    const alert = alerts.find((x) => x.labels.alertname === name);
    if (!alert) {
      return `${name} ${c.dim('inactive')}`;
    }
    if (alert.state === 'firing') {
      return `${name} ${c.bold(c.red('FIRING'))}`;
    }
    return `${name} ${c.yellow('pending')} since ${clock(Date.parse(alert.activeAt))}${forDuration ? ` (fires after ${forDuration})` : ''}`;
  });
  const others = alerts.filter((a) => a.state === 'firing' && !watched.has(a.labels.alertname));
  lines.push(
    `  alerts: ${[...states, ...others.map((a) => `${forTerminal(a.labels.alertname)} ${c.red('FIRING')}`)].join(' · ') || 'none'}`
  );
  return lines;
}
