// Compares two answers of Prometheus' query API for the same query: the same
// series (label sets), and at every timestamp both have, values within a
// tolerance. Used to hold a scale-out store (VictoriaMetrics here; Mimir,
// Thanos and Cortex speak the same API) to what Prometheus answers.

export interface ApiAnswer {
  status: string;
  error?: string;
  data: {
    resultType: string;
    result:
      | Array<{ metric: Record<string, string>; values?: Array<[number, string]>; value?: [number, string] }>
      | [number, string];
  };
}

export interface Tolerance {
  /** Relative to the larger magnitude. */
  relative: number;
  absolute: number;
  /**
   * Means also agree when the sums over the common points differ by at most
   * this much: for a sparse counter an event near a window's edge is counted
   * whole by one store and extrapolated by the other, which moves the mean of
   * a series that has a handful of events by a large fraction but its sum by
   * less than one event.
   */
  sumAbsolute?: number;
}

export interface Comparison {
  /** Label sets only one side returned. */
  onlyLeft: string[];
  onlyRight: string[];
  /** Points compared (timestamps both sides have, both numbers). */
  compared: number;
  /** Points of the common series that only one side has. */
  unmatched: number;
  /** Points whose values differ beyond the tolerance, worst first. */
  differences: Array<{ series: string; time: number; left: number; right: number }>;
  /** Series whose means over the common points differ beyond the tolerance. */
  meanDifferences: Array<{ series: string; left: number; right: number; points: number }>;
}

function labels(metric: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(metric).sort(([a], [b]) => a.localeCompare(b))));
}

function points(answer: ApiAnswer): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  if (answer.data.resultType === 'scalar') {
    const [t, v] = answer.data.result as [number, string];
    out.set('{}', new Map([[t, Number(v)]]));
    return out;
  }
  for (const series of answer.data.result as Array<{
    metric: Record<string, string>;
    values?: Array<[number, string]>;
    value?: [number, string];
  }>) {
    const samples = series.values ?? (series.value ? [series.value] : []);
    out.set(labels(series.metric), new Map(samples.map(([t, v]) => [t, Number(v)])));
  }
  return out;
}

function within(a: number, b: number, tolerance: Tolerance): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (a === b) {
    return true;
  }
  return Math.abs(a - b) <= tolerance.absolute + tolerance.relative * Math.max(Math.abs(a), Math.abs(b));
}

export function compareAnswers(left: ApiAnswer, right: ApiAnswer, tolerance: Tolerance): Comparison {
  const l = points(left);
  const r = points(right);
  const result: Comparison = {
    onlyLeft: [],
    onlyRight: [],
    compared: 0,
    unmatched: 0,
    differences: [],
    meanDifferences: [],
  };
  for (const key of l.keys()) {
    if (!r.has(key)) {
      result.onlyLeft.push(key);
    }
  }
  for (const key of r.keys()) {
    if (!l.has(key)) {
      result.onlyRight.push(key);
    }
  }
  for (const [key, lp] of l) {
    const rp = r.get(key);
    if (!rp) {
      continue;
    }
    let sumLeft = 0;
    let sumRight = 0;
    let both = 0;
    for (const [t, a] of lp) {
      const b = rp.get(t);
      if (b === undefined) {
        result.unmatched++;
        continue;
      }
      result.compared++;
      if (!within(a, b, tolerance)) {
        result.differences.push({ series: key, time: t, left: a, right: b });
      }
      if (Number.isFinite(a) && Number.isFinite(b)) {
        sumLeft += a;
        sumRight += b;
        both++;
      }
    }
    const sumsAgree = Math.abs(sumLeft - sumRight) <= (tolerance.sumAbsolute ?? 0);
    if (both > 0 && !sumsAgree && !within(sumLeft / both, sumRight / both, tolerance)) {
      result.meanDifferences.push({ series: key, left: sumLeft / both, right: sumRight / both, points: both });
    }
    for (const t of rp.keys()) {
      if (!lp.has(t)) {
        result.unmatched++;
      }
    }
  }
  const size = (d: { left: number; right: number }) =>
    Math.abs(d.left - d.right) / Math.max(Math.abs(d.left), Math.abs(d.right), 1e-12);
  result.differences.sort((a, b) => size(b) - size(a));
  return result;
}
