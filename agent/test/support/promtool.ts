// `promtool check metrics` on an exposition, with its complaints split in
// two: those about families whose names the monitoring guide fixes (the
// catalog's `lintException`, kept on purpose and explained in
// docs/metrics.md) and everything else, which is a defect.
import { spawnSync } from 'node:child_process';

import { CATALOG } from '../../src/metrics/catalog';

export interface LintResult {
  status: number | null;
  /** Complaints about families the catalog keeps despite the lint, one a line. */
  accepted: string[];
  /** Every other complaint, and anything promtool printed that is not a complaint. */
  problems: string[];
}

const EXCEPTIONS = new Set(CATALOG.filter((spec) => spec.lintException).map((spec) => spec.name));

export function promtoolCheck(exposition: string): LintResult {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
  const accepted: string[] = [];
  const problems: string[] = [];
  for (const line of lines) {
    const family = /^(\S+) /.exec(line)?.[1];
    (family && EXCEPTIONS.has(family) ? accepted : problems).push(line);
  }
  return { status: result.status, accepted, problems };
}

/** The families promtool may object to, as it words each objection. */
export function expectedObjections(present: (name: string) => boolean = () => true): string[] {
  return CATALOG.filter((spec) => spec.lintException && present(spec.name)).map((spec) =>
    spec.type === 'counter'
      ? `${spec.name} counter metrics should have "_total" suffix`
      : `${spec.name} non-counter metrics should not have "_total" suffix`
  );
}
