// Runs every target of a dashboard against Prometheus through Grafana's
// datasource proxy path (/api/datasources/proxy/uid/<uid>/...; a test routes
// it to a real Prometheus) and turns the answers into each panel's frames.
import type { DataFrame, GrafanaTheme2 } from '@grafana/data';

import type { PanelResult } from './DashboardPreview';
import { applyPanelFieldConfig, applyTransformations } from './fieldConfig';
import { type PromData, toFrames } from './frames';
import {
  type DashboardJson,
  type PanelJson,
  type PanelSummary,
  prepareTargets,
  PROMETHEUS_PROXY,
  promRequest,
  type QueryWindow,
} from './targets';

export type { PanelSummary };

async function promQuery(path: string, params: URLSearchParams): Promise<PromData> {
  const r = await window.fetch(`${PROMETHEUS_PROXY}${path}?${params}`);
  const body = (await r.json()) as { status: string; data: PromData; error?: string };
  if (body.status !== 'success') {
    throw new Error(body.error ?? `Prometheus answered ${r.status}`);
  }
  return body.data;
}

export async function runDashboard(
  dashboard: DashboardJson,
  window: QueryWindow,
  theme: GrafanaTheme2
): Promise<Map<PanelJson, PanelResult>> {
  const targets = prepareTargets(dashboard, window);
  const raw = new Map<PanelJson, { frames: DataFrame[]; errors: string[] }>();
  await Promise.all(
    targets.map(async (t) => {
      const entry = raw.get(t.panel) ?? { frames: [], errors: [] };
      raw.set(t.panel, entry);
      const visible = (t.panel.targets ?? []).filter((x) => !x.hide && x.expr).length;
      try {
        const { path, params } = promRequest(t, window);
        entry.frames.push(...toFrames(t, await promQuery(path, params), visible));
      } catch (error) {
        entry.errors.push(`${t.target.refId}: ${(error as Error).message}`);
      }
    })
  );
  const results = new Map<PanelJson, PanelResult>();
  for (const [panel, { frames, errors }] of raw) {
    // Targets answer in any order; Grafana keeps the panel's order (A, B, ...).
    const order = (panel.targets ?? []).map((t) => t.refId);
    frames.sort((a, b) => order.indexOf(a.refId ?? '') - order.indexOf(b.refId ?? ''));
    try {
      const transformed = await applyTransformations(frames, panel);
      results.set(panel, {
        frames: applyPanelFieldConfig(transformed, panel, theme),
        error: errors.length ? errors.join('; ') : undefined,
      });
    } catch (error) {
      results.set(panel, { frames: [], error: (error as Error).message });
    }
  }
  return results;
}
