// A panel's own fieldConfig and transformations applied to its frames, as
// Grafana's panel query runner does before the visualization sees them. In
// Grafana the defaults come from each panel plugin's option registry, which
// lives in Grafana's core, not in @grafana/data: the few defaults the bundled
// dashboards rely on are written here, next to the panel type they belong to.
import {
  applyFieldOverrides,
  type DataFrame,
  type DataTransformContext,
  type DataTransformerInfo,
  fieldMatchers,
  type GrafanaTheme2,
  standardTransformers,
} from '@grafana/data';
import { lastValueFrom, of } from 'rxjs';

import type { PanelJson } from './targets';

/** Grafana's defaults per panel type (its plugins' fieldConfig defaults), for what the dashboards leave out. */
function typeDefaults(type: string): Record<string, unknown> {
  const thresholds = {
    mode: 'absolute',
    steps: [
      { color: 'green', value: null },
      { color: 'red', value: 80 },
    ],
  };
  switch (type) {
    case 'stat':
    case 'gauge':
    case 'bargauge':
      return { color: { mode: 'thresholds' }, thresholds };
    case 'state-timeline':
      return {
        color: { mode: 'thresholds' },
        thresholds,
        custom: { lineInterpolation: 'stepAfter', fillOpacity: 70, lineWidth: 0, drawStyle: 'line' },
      };
    case 'heatmap':
      return {
        color: { mode: 'palette-classic' },
        thresholds,
        custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal', group: 'A' } },
      };
    default:
      return { color: { mode: 'palette-classic' }, thresholds, custom: { lineWidth: 1, fillOpacity: 0 } };
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `target` with what it lacks taken from `sources`, objects merged all the way down, arrays kept whole. */
function withDefaults(target: Json, ...sources: Json[]): Json {
  const out: Json = { ...target };
  for (const source of sources) {
    for (const [k, v] of Object.entries(source)) {
      if (out[k] === undefined) {
        out[k] = isObject(v) ? withDefaults({}, v) : v;
      } else if (isObject(out[k]) && isObject(v)) {
        out[k] = withDefaults(out[k] as Json, v);
      }
    }
  }
  return out;
}

function setPath(target: Json, path: string, value: unknown) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] = isObject(node[key]) ? { ...(node[key] as Json) } : {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]] = value;
}

interface Override {
  matcher: { id: string; options?: unknown };
  properties: Array<{ id: string; value?: unknown }>;
}

/** Frames with the panel's defaults and overrides, and display processors for its units, decimals and thresholds. */
export function applyPanelFieldConfig(
  frames: DataFrame[],
  panel: PanelJson,
  theme: GrafanaTheme2,
  timeZone = 'browser'
): DataFrame[] {
  const defaults = withDefaults(panel.fieldConfig?.defaults ?? {}, typeDefaults(panel.type));
  const overrides = (panel.fieldConfig?.overrides ?? []) as Override[];
  const configured = frames.map((frame) => ({
    ...frame,
    fields: frame.fields.map((field) => {
      const config = withDefaults(field.config as Json, defaults);
      for (const o of overrides) {
        const matcher = fieldMatchers.get(o.matcher.id).get(o.matcher.options);
        if (matcher({ ...field, config }, frame, frames)) {
          // Grafana's property ids are the config paths (unit, displayName, custom.lineWidth, ...).
          o.properties.forEach((p) => setPath(config, p.id, p.value));
        }
      }
      if (panel.type === 'heatmap') {
        // A heatmap's unit belongs to its buckets (the y axis); drawn as stacked bars its values are counts.
        config.unit = 'short';
      }
      return { ...field, config };
    }),
  }));
  return applyFieldOverrides({
    data: configured,
    fieldConfig: { defaults: {}, overrides: [] },
    replaceVariables: (s: string) => s,
    theme,
    timeZone,
  });
}

const transformers = new Map<string, DataTransformerInfo>(
  Object.values(standardTransformers).map((t) => [t.id, t as DataTransformerInfo])
);

/** The panel's transformations (merge, organize, ...), with @grafana/data's own transformers. */
export async function applyTransformations(frames: DataFrame[], panel: PanelJson): Promise<DataFrame[]> {
  let data = frames;
  const ctx: DataTransformContext = { interpolate: (s: string) => s };
  for (const t of panel.transformations ?? []) {
    if (t.disabled) {
      continue;
    }
    const transformer = transformers.get(t.id);
    if (!transformer) {
      throw new Error(`the preview has no "${t.id}" transformation`);
    }
    // Grafana's editors save only what the user changed; the rest is the transformer's defaults.
    const options = { ...(transformer.defaultOptions as object), ...t.options };
    data = await lastValueFrom(of(data).pipe(transformer.operator(options, ctx)));
  }
  return data;
}
