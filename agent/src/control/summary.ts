// The one line `zviz run` prints when its workload has ended: how it ended
// and why, what the broker decided, which refusals a user should look at,
// which ones the program expected and got past (fallbacks.ts), and what the
// cgroup limits refused (an OOM kill or a refused fork otherwise ends as a
// bare "code 137").
import { constants } from 'node:os';

import type { Summary } from './protocol';
import { fallbackReason } from '../containers/fallbacks';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function signalName(signal: number): string {
  const name = Object.entries(constants.signals).find(([, n]) => n === signal)?.[0];
  return name ?? `signal ${signal}`;
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

export interface SummaryContext {
  /** Signals zviz itself received and passed on to the workload. */
  forwarded?: ReadonlySet<string>;
}

/**
 * How the run ended: "exited with code 3", and for a signal, which one and
 * what is known of who sent it: "exited with code 137 (killed by SIGKILL:
 * the OOM killer, at its 32 MiB memory limit)". The code stays first: it is
 * what a shell and a CI system see.
 */
function ending(exitCode: number, summary: Summary, context: SummaryContext): string {
  const how = `exited with code ${exitCode}`;
  if (!summary.signal) {
    return how;
  }
  const name = signalName(summary.signal);
  const causes: string[] = [];
  if (name === 'SIGKILL' && (summary.cgroup?.oomKills ?? 0) > 0) {
    const limit = summary.cgroup?.memoryLimitBytes;
    causes.push(`the OOM killer, at its ${limit ? `${mebibytes(limit)} ` : ''}memory limit`);
  }
  if ((name === 'SIGKILL' || name === 'SIGSYS') && (summary.decisions.kill ?? 0) + (summary.decisions.trap ?? 0) > 0) {
    causes.push('the sandbox, for a syscall its profile kills on');
  }
  if (context.forwarded?.has(name)) {
    causes.push(`zviz received ${name} and passed it on`);
  }
  return `${how} (killed by ${name}${causes.length > 0 ? `: ${causes.join('; ')}` : ''})`;
}

function byCount(counts: Record<string, number>): Array<[string, number]> {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function cgroupPart(summary: Summary): string | undefined {
  const c = summary.cgroup;
  if (!c) {
    return undefined;
  }
  const parts: string[] = [];
  if (c.oomKills > 0) {
    parts.push(
      `${plural(c.oomKills, 'OOM kill')}${c.memoryLimitBytes ? ` at the ${mebibytes(c.memoryLimitBytes)} memory limit` : ''}`
    );
  }
  if (c.pidsLimitHits > 0) {
    parts.push(
      `${plural(c.pidsLimitHits, 'fork')} refused at the pids limit${c.pidsLimit ? ` of ${c.pidsLimit}` : ''}`
    );
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export function formatSummary(
  id: string,
  profile: string,
  exitCode: number,
  summary: Summary,
  context: SummaryContext = {}
): string {
  const order = ['allow', 'emulate', 'log', 'deny', 'kill', 'trap'];
  const total = order.reduce((sum, d) => sum + (summary.decisions[d] ?? 0), 0);
  const parts = order.filter((d) => (summary.decisions[d] ?? 0) > 0).map((d) => `${summary.decisions[d]} ${d}`);
  const refused = byCount(summary.refusals).map(([name, n]) => `${name} ${n}`);
  const expected = byCount(summary.expected ?? {}).map(([name, n]) => {
    const why = fallbackReason(name);
    return `${name} ${n}${why ? ` (${why})` : ''}`;
  });
  const cgroup = cgroupPart(summary);
  const seconds = (summary.durationMs / 1000).toFixed(1);
  return (
    `zviz: ${id} (${profile}) ${ending(exitCode, summary, context)} after ${seconds} s; ` +
    `broker: ${plural(total, 'decision')}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}` +
    (refused.length > 0 ? `; refused: ${refused.join(', ')}` : '') +
    (expected.length > 0 ? `; expected refusals, harmless: ${expected.join(', ')}` : '') +
    (cgroup ? `; cgroup refused: ${cgroup}` : '')
  );
}
