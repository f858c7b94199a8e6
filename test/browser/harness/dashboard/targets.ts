// The PromQL a Grafana would send for each panel of a bundled dashboard, with
// every template variable at "All": `$__rate_interval`, `$__interval` and
// `$__range` computed the way Grafana's Prometheus datasource computes them,
// multi-value variables as their `allValue` (the dashboards set `.*`), and
// `$datasource` left to the panels' datasource field, where it belongs.
// Shared by the dashboard preview (browser) and the end-to-end test (Node),
// so it imports nothing.

/** Grafana's datasource proxy path of the Prometheus datasource (provisioned with uid prometheus). */
export const PROMETHEUS_PROXY = '/api/datasources/proxy/uid/prometheus';

export interface TargetJson {
  refId: string;
  expr?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  legendFormat?: string;
  hide?: boolean;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  gridPos: GridPos;
  targets?: TargetJson[];
  fieldConfig?: { defaults?: Record<string, unknown>; overrides?: unknown[] };
  options?: Record<string, unknown>;
  transformations?: Array<{ id: string; options?: Record<string, unknown>; disabled?: boolean }>;
  collapsed?: boolean;
  panels?: PanelJson[];
}

export interface VariableJson {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}

export interface DashboardJson {
  uid?: string;
  title: string;
  panels: PanelJson[];
  templating?: { list: VariableJson[] };
}

/** What the preview reports per panel after drawing it. */
export interface PanelSummary {
  title: string;
  type: string;
  /** Frames the panel was drawn from. */
  series: number;
  /** Query, transformation or drawing errors. */
  error?: string;
}

export interface QueryWindow {
  fromMs: number;
  toMs: number;
  /** The Prometheus scrape interval: the datasource's "scrape interval" setting in Grafana. */
  scrapeIntervalSeconds: number;
  /** Grafana asks for about one point per pixel of the panel. */
  maxDataPoints?: number;
}

export interface PreparedTarget {
  panel: PanelJson;
  target: TargetJson;
  expr: string;
  /** Instant queries go to /api/v1/query at `toMs`, the others to /api/v1/query_range. */
  instant: boolean;
  stepSeconds: number;
}

/** Every panel, the ones inside collapsed rows included, rows themselves included. */
export function allPanels(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.flatMap((p) => (p.type === 'row' ? [p, ...(p.panels ?? [])] : [p]));
}

/** Steps a graph's interval is rounded to, in seconds, as Grafana rounds $__interval to readable ones. */
const NICE_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 21600, 43200, 86400];

export function intervals(window: QueryWindow) {
  const scrapeMs = window.scrapeIntervalSeconds * 1000;
  const raw = (window.toMs - window.fromMs) / (window.maxDataPoints ?? 1000);
  const nice = NICE_STEPS.reduce((best, s) => (Math.abs(s * 1000 - raw) < Math.abs(best * 1000 - raw) ? s : best));
  // Never below the datasource's scrape interval (Grafana's "min interval").
  const intervalMs = Math.max(nice * 1000, scrapeMs);
  return {
    intervalMs,
    // Grafana's definition: one interval plus a scrape, and never fewer than four scrapes.
    rateIntervalMs: Math.max(intervalMs + scrapeMs, 4 * scrapeMs),
    rangeMs: window.toMs - window.fromMs,
  };
}

const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;

/** `expr` with the dashboard's variables and Grafana's built-in ones replaced as with every variable at "All". */
export function interpolate(expr: string, dashboard: DashboardJson, window: QueryWindow): string {
  const { intervalMs, rateIntervalMs, rangeMs } = intervals(window);
  const builtins: Record<string, string> = {
    __rate_interval: seconds(rateIntervalMs),
    __interval: seconds(intervalMs),
    __interval_ms: String(intervalMs),
    __range: seconds(rangeMs),
    __range_s: String(Math.round(rangeMs / 1000)),
    __range_ms: String(rangeMs),
  };
  const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
  // $name, ${name}, ${name:format} and the old [[name]].
  return expr.replace(/\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    if (name in builtins) {
      return builtins[name];
    }
    const variable = variables.get(name);
    if (!variable) {
      throw new Error(`${dashboard.title}: ${whole} in "${expr}" is neither a variable of the dashboard nor Grafana's`);
    }
    if (variable.type === 'datasource') {
      throw new Error(
        `${dashboard.title}: the datasource variable ${whole} belongs in a datasource field, not in PromQL`
      );
    }
    // With "All" selected Grafana sends the allValue; without one it would list every value as (a|b|c).
    return variable.allValue ?? '.*';
  });
}

/** The queries of every visible target of every panel. */
export function prepareTargets(dashboard: DashboardJson, window: QueryWindow): PreparedTarget[] {
  const { intervalMs } = intervals(window);
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => !t.hide && t.expr)
      .map((target) => ({
        panel,
        target,
        expr: interpolate(target.expr!, dashboard, window),
        instant: target.instant === true && target.range !== true,
        stepSeconds: Math.max(1, Math.round(intervalMs / 1000)),
      }))
  );
}

/** The Prometheus HTTP API path and parameters of a prepared target; range queries aligned to their step, as Grafana does. */
export function promRequest(t: PreparedTarget, window: QueryWindow): { path: string; params: URLSearchParams } {
  if (t.instant) {
    return {
      path: '/api/v1/query',
      params: new URLSearchParams({ query: t.expr, time: String(window.toMs / 1000) }),
    };
  }
  const step = t.stepSeconds;
  const start = Math.floor(window.fromMs / 1000 / step) * step;
  const end = Math.ceil(window.toMs / 1000 / step) * step;
  return {
    path: '/api/v1/query_range',
    params: new URLSearchParams({ query: t.expr, start: String(start), end: String(end), step: String(step) }),
  };
}
