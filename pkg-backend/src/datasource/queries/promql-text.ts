// Small PromQL text helpers shared by the query handlers.

/** Escapes a literal for use inside a PromQL regex string `=~"..."`. */
export function regexLiteral(value: string): string {
  return value
    .replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"');
}

/** `name=~"a|b"` for a value list, `''` for an empty one. */
export function anyOf(label: string, values: readonly string[]): string {
  return values.length === 0 ? '' : `${label}=~"${values.map(regexLiteral).join('|')}"`;
}

/** A PromQL duration from seconds: whole milliseconds, since PromQL takes no fractions. */
export function duration(seconds: number): string {
  const ms = Math.max(1, Math.round(seconds * 1000));
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function selector(metric: string, matchers: string[]): string {
  const inner = matchers.map((m) => m.trim().replace(/,\s*$/, '')).filter((m) => m !== '');
  return `${metric}{${inner.join(', ')}}`;
}

export interface StepPlan {
  /** Seconds between points. */
  step: number;
  start: number;
  end: number;
}

/**
 * The step of a range query: Grafana's interval, widened so that no more
 * than `maxPoints` (and never more than Prometheus' 11,000) points come back.
 */
export function planSteps(
  from: number,
  to: number,
  intervalMs: number,
  maxPoints: number,
  fallbackIntervalSeconds: number
): StepPlan {
  const start = from / 1000;
  const end = Math.max(to / 1000, start);
  const points = Math.min(maxPoints > 0 ? maxPoints : 11_000, 11_000);
  const interval = intervalMs > 0 ? intervalMs / 1000 : fallbackIntervalSeconds;
  const raw = Math.max(interval, (end - start) / points, 0.001);
  const step = Math.ceil(raw * 1000) / 1000;
  return { step, start, end };
}

/**
 * Replaces Grafana's interval macros, which only the browser fills in:
 * alert rules reach the backend with them still in the expression.
 */
export function interpolateMacros(expr: string, plan: StepPlan, scrapeIntervalSeconds: number): string {
  const rateInterval = Math.max(plan.step + scrapeIntervalSeconds, 4 * scrapeIntervalSeconds);
  const values: Record<string, string> = {
    __interval_ms: String(Math.round(plan.step * 1000)),
    __interval: duration(plan.step),
    __rate_interval: duration(rateInterval),
    __range_ms: String(Math.round((plan.end - plan.start) * 1000)),
    __range_s: String(Math.round(plan.end - plan.start)),
    __range: duration(Math.max(plan.end - plan.start, 0.001)),
  };
  return expr.replace(/\$\{(__\w+)\}|\$(__\w+)/g, (match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    return values[name] ?? match;
  });
}
