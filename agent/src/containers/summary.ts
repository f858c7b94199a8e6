// The one line `zviz run` prints when its workload has ended.
import type { Summary } from '../broker/protocol';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatSummary(id: string, profile: string, exitCode: number, summary: Summary): string {
  const order = ['allow', 'emulate', 'log', 'deny', 'kill', 'trap'];
  const total = order.reduce((sum, d) => sum + (summary.decisions[d] ?? 0), 0);
  const parts = order.filter((d) => (summary.decisions[d] ?? 0) > 0).map((d) => `${summary.decisions[d]} ${d}`);
  const refused = Object.entries(summary.refusals)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} ${n}`);
  const seconds = (summary.durationMs / 1000).toFixed(1);
  return (
    `zviz: ${id} (${profile}) exited with code ${exitCode} after ${seconds} s; ` +
    `broker: ${plural(total, 'decision')}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}` +
    (refused.length > 0 ? `; refused: ${refused.join(', ')}` : '')
  );
}
