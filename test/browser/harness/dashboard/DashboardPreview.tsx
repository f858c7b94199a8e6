// ZViz's dashboard preview: one bundled dashboard JSON drawn with Grafana's
// own UI components (@grafana/ui's PanelChrome, TimeSeries, BigValue,
// BarGauge, Table) and the built ZViz decisions panel, on Grafana's 24-column
// grid, from the frames of its queries against a live Prometheus. It is not a
// Grafana: it exists so that screenshots and tests can show and check the
// dashboards where no Grafana server runs. What it draws differently from
// Grafana, it draws with the closest @grafana/ui component, and says so here:
// heatmap and state-timeline panels as time series (stepped for the state
// timeline), gauge panels as bar gauges; no tooltips, links or panel menus;
// a table panel shows its first frame.
import {
  type DataFrame,
  dateTime,
  type FieldConfigSource,
  getDisplayValueAlignmentFactors,
  getFieldDisplayValues,
  type GrafanaTheme2,
  LoadingState,
  type PanelPlugin,
  type PanelProps,
  type TimeRange,
  VizOrientation,
  EventBusSrv,
} from '@grafana/data';
import {
  BarGauge,
  BarGaugeDisplayMode,
  BigValue,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  ErrorBoundary,
  PanelChrome,
  TimeSeries,
  useTheme2,
  type VizLegendOptions,
} from '@grafana/ui';
// The table Grafana's table panel draws with since Grafana 12.
import { TableNG } from '@grafana/ui/unstable';
import * as React from 'react';

import type { DashboardJson, PanelJson } from './targets';

/** Grafana's grid: 24 columns, rows of 30 px, 8 px between cells. */
export const GRID = { columns: 24, rowHeight: 30, margin: 8 };

export interface PanelResult {
  /** Frames after the panel's transformations and field config. */
  frames: DataFrame[];
  /** A query or conversion failed. */
  error?: string;
}

export interface PreviewProps {
  dashboard: DashboardJson;
  results: Map<PanelJson, PanelResult>;
  width: number;
  timeRange: TimeRange;
  decisionsPanel?: PanelPlugin;
  onPanelError: (panel: PanelJson, error: Error) => void;
}

function box(g: PanelJson['gridPos'], width: number) {
  const col = (width - GRID.margin * (GRID.columns - 1)) / GRID.columns;
  return {
    left: g.x * (col + GRID.margin),
    top: g.y * (GRID.rowHeight + GRID.margin),
    width: g.w * col + (g.w - 1) * GRID.margin,
    height: g.h * GRID.rowHeight + (g.h - 1) * GRID.margin,
  };
}

/** The bottom edge of the lowest panel, in pixels. */
export function dashboardHeight(dashboard: DashboardJson): number {
  const rows = Math.max(...dashboard.panels.map((p) => p.gridPos.y + p.gridPos.h));
  return rows * (GRID.rowHeight + GRID.margin);
}

const option = <T,>(options: Record<string, unknown> | undefined, key: string, fallback: T): T =>
  (options?.[key] as T | undefined) ?? fallback;

function fieldConfigOf(panel: PanelJson): FieldConfigSource {
  return { defaults: panel.fieldConfig?.defaults ?? {}, overrides: [] } as FieldConfigSource;
}

function displayValues(panel: PanelJson, frames: DataFrame[], theme: GrafanaTheme2) {
  return getFieldDisplayValues({
    data: frames,
    reduceOptions: option(panel.options, 'reduceOptions', { calcs: ['lastNotNull'], values: false }),
    // The frames carry the panel's field config already (fieldConfig.ts); this only names the source.
    fieldConfig: fieldConfigOf(panel),
    replaceVariables: (s: string) => s,
    sparkline: true,
    theme,
    timeZone: 'browser',
  });
}

function StatBody({
  panel,
  frames,
  width,
  height,
}: {
  panel: PanelJson;
  frames: DataFrame[];
  width: number;
  height: number;
}) {
  const theme = useTheme2();
  const values = displayValues(panel, frames, theme);
  const horizontal = width / Math.max(1, values.length) > height / 2;
  const factors = getDisplayValueAlignmentFactors(values);
  const w = horizontal ? width / values.length : width;
  const h = horizontal ? height : height / values.length;
  return (
    <div style={{ display: 'flex', flexDirection: horizontal ? 'row' : 'column', width, height }}>
      {values.map((v, i) => (
        <BigValue
          key={i}
          theme={theme}
          value={v.display}
          sparkline={v.sparkline}
          width={w}
          height={h}
          count={values.length}
          alignmentFactors={factors}
          colorMode={option(panel.options, 'colorMode', BigValueColorMode.Value)}
          graphMode={option(panel.options, 'graphMode', BigValueGraphMode.Area)}
          justifyMode={option(panel.options, 'justifyMode', BigValueJustifyMode.Auto)}
          textMode={option(panel.options, 'textMode', BigValueTextMode.Auto)}
        />
      ))}
    </div>
  );
}

const BAR_MAX = 48;

function BarGaugeBody({
  panel,
  frames,
  width,
  height,
}: {
  panel: PanelJson;
  frames: DataFrame[];
  width: number;
  height: number;
}) {
  const theme = useTheme2();
  const values = displayValues(panel, frames, theme);
  const vertical = option<string>(panel.options, 'orientation', 'horizontal') === 'vertical';
  const spacing = 8;
  const n = Math.max(1, values.length);
  const w = vertical ? (width - spacing * (n - 1)) / n : width;
  // Grafana sizes the text to the bar; a few bars in a tall panel would get letters 100 px high, so the
  // preview keeps bars at most BAR_MAX px thick.
  const h = vertical ? height : Math.min(BAR_MAX, (height - spacing * (n - 1)) / n);
  return (
    <div style={{ display: 'flex', flexDirection: vertical ? 'row' : 'column', gap: spacing, width, height }}>
      {values.map((v, i) => (
        <BarGauge
          key={i}
          theme={theme}
          value={v.display}
          field={v.field}
          display={frames[0]?.fields.find((f) => f.display)?.display}
          width={w}
          height={h}
          orientation={vertical ? VizOrientation.Vertical : VizOrientation.Horizontal}
          displayMode={
            panel.type === 'gauge'
              ? BarGaugeDisplayMode.Basic
              : option(panel.options, 'displayMode', BarGaugeDisplayMode.Gradient)
          }
          showUnfilled={option(panel.options, 'showUnfilled', true)}
          itemSpacing={spacing}
        />
      ))}
    </div>
  );
}

interface BodyProps {
  panel: PanelJson;
  result: PanelResult;
  width: number;
  height: number;
  timeRange: TimeRange;
  decisionsPanel?: PanelPlugin;
}

/** Grafana's words and place for a panel whose queries returned nothing. */
function NoData({ width, height }: { width: number; height: number }) {
  const theme = useTheme2();
  return (
    <div
      data-panel-no-data
      style={{
        width,
        height,
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        color: theme.colors.text.secondary,
      }}
    >
      No data
    </div>
  );
}

function PanelBody({ panel, result, width, height, timeRange, decisionsPanel }: BodyProps): React.ReactNode {
  const { frames } = result;
  // The stat panel says "No data" itself, through its display values.
  if (panel.type !== 'stat' && frames.every((f) => f.length === 0)) {
    return <NoData width={width} height={height} />;
  }
  switch (panel.type) {
    case 'timeseries':
    case 'heatmap':
    case 'state-timeline': {
      const legend = option<VizLegendOptions>(panel.options, 'legend', {
        displayMode: 'list',
        placement: 'bottom',
        showLegend: true,
        calcs: [],
      } as unknown as VizLegendOptions);
      return (
        <TimeSeries
          frames={frames}
          width={width}
          height={height}
          timeRange={timeRange}
          timeZone="browser"
          legend={legend}
          options={panel.options}
        />
      );
    }
    case 'stat':
      return <StatBody panel={panel} frames={frames} width={width} height={height} />;
    case 'gauge':
    case 'bargauge':
      return <BarGaugeBody panel={panel} frames={frames} width={width} height={height} />;
    case 'table':
      return (
        <TableNG
          data={frames[0]}
          width={width}
          height={height}
          noHeader={!option<boolean>(panel.options, 'showHeader', true)}
          cellHeight={option(panel.options, 'cellHeight', undefined)}
        />
      );
    case 'zviz-decisions-panel': {
      if (!decisionsPanel?.panel) {
        throw new Error('the decisions panel module is not loaded');
      }
      const Panel = decisionsPanel.panel;
      const props = {
        id: panel.id ?? 0,
        data: { state: LoadingState.Done, series: frames, timeRange },
        timeRange,
        timeZone: 'browser',
        options: panel.options ?? {},
        fieldConfig: fieldConfigOf(panel),
        transparent: false,
        width,
        height,
        renderCounter: 0,
        title: panel.title ?? '',
        eventBus: new EventBusSrv(),
        replaceVariables: (s: string) => s,
        onOptionsChange: () => {},
        onFieldConfigChange: () => {},
        onChangeTimeRange: () => {},
      } as unknown as PanelProps;
      return <Panel {...props} />;
    }
    default:
      throw new Error(`the preview cannot draw "${panel.type}" panels`);
  }
}

function RowHeader({ panel, width }: { panel: PanelJson; width: number }) {
  const theme = useTheme2();
  return (
    <div
      role="heading"
      aria-level={2}
      style={{
        width,
        height: GRID.rowHeight,
        display: 'flex',
        alignItems: 'center',
        fontSize: theme.typography.h5.fontSize,
        fontWeight: theme.typography.fontWeightMedium,
        color: theme.colors.text.primary,
        borderBottom: `1px solid ${theme.colors.border.weak}`,
      }}
    >
      {panel.title}
    </div>
  );
}

export function DashboardPreview({ dashboard, results, width, timeRange, decisionsPanel, onPanelError }: PreviewProps) {
  const theme = useTheme2();
  return (
    <div
      data-testid="zviz-dashboard-preview"
      aria-label={dashboard.title}
      style={{
        position: 'relative',
        width,
        height: dashboardHeight(dashboard),
        background: theme.colors.background.canvas,
      }}
    >
      {dashboard.panels.map((panel, i) => {
        const b = box(panel.gridPos, width);
        const style: React.CSSProperties = { position: 'absolute', left: b.left, top: b.top };
        if (panel.type === 'row') {
          return (
            <div key={i} style={style}>
              <RowHeader panel={panel} width={b.width} />
            </div>
          );
        }
        const result = results.get(panel) ?? { frames: [] };
        return (
          <div key={i} style={style} data-panel-title={panel.title} data-panel-type={panel.type}>
            <ErrorBoundary onError={(e) => onPanelError(panel, e)}>
              {({ error }) => (
                <PanelChrome
                  title={panel.title}
                  description={panel.description}
                  width={b.width}
                  height={b.height}
                  loadingState={result.error || error ? LoadingState.Error : LoadingState.Done}
                  statusMessage={result.error ?? error?.message}
                >
                  {(innerWidth, innerHeight) =>
                    error || result.error ? (
                      <div role="alert" data-panel-error style={{ color: theme.colors.error.text, padding: 8 }}>
                        {result.error ?? error?.message}
                      </div>
                    ) : (
                      <PanelBody
                        panel={panel}
                        result={result}
                        width={innerWidth}
                        height={innerHeight}
                        timeRange={timeRange}
                        decisionsPanel={decisionsPanel}
                      />
                    )
                  }
                </PanelChrome>
              )}
            </ErrorBoundary>
          </div>
        );
      })}
    </div>
  );
}

export function timeRangeOf(fromMs: number, toMs: number): TimeRange {
  return { from: dateTime(fromMs), to: dateTime(toMs), raw: { from: dateTime(fromMs), to: dateTime(toMs) } };
}
