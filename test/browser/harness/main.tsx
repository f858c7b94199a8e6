// The browser harness: loads the BUILT module.js of the decisions panel and
// of the datasource the way Grafana does (AMD, with Grafana's shared
// packages: the real react, @grafana/data, @grafana/ui, @grafana/runtime,
// rxjs, @emotion/css), and mounts the panel and the editors with data from
// the datasource's own query path.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import {
  createTheme,
  type DataFrame,
  type DataQueryRequest,
  type DataSourceInstanceSettings,
  type DataSourcePlugin,
  dateTime,
  type FieldConfigSource,
  LoadingState,
  type PanelData,
  type PanelPlugin,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import { setBackendSrv, setDataSourceSrv, setGrafanaLiveSrv, setTemplateSrv } from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as reactRouter from 'react-router';
import { flushSync } from 'react-dom';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import { lastValueFrom } from 'rxjs';

import { installDefine, loadAmdModule } from './amd';
import { DashboardPreview, dashboardHeight, timeRangeOf } from './dashboard/DashboardPreview';
import { type PanelSummary, runDashboard } from './dashboard/run';
import { allPanels, type DashboardJson, type PanelJson } from './dashboard/targets';
import { live, liveSrv } from './live';
import { backendSrv, requests, scenario, type Scenario } from './server';

const shared: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  'react/jsx-runtime': jsxRuntime,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
  rxjs,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  'react-router': reactRouter,
};

let range = {
  from: dateTime(1_700_000_000_000 - 3_600_000),
  to: dateTime(1_700_000_000_000),
  raw: { from: 'now-1h', to: 'now' },
};

/**
 * Upstream mode: queries, resources, health and the live stream go to the
 * page's origin, where a test answers them from a real backend; panels ask
 * for the range [fromMs, toMs].
 */
function useUpstream(fromMs: number, toMs: number) {
  scenario.upstream = true;
  live.upstream = true;
  range = { from: dateTime(fromMs), to: dateTime(toMs), raw: { from: 'now-1h', to: 'now' } };
}

const settings = {
  uid: 'zviz',
  id: 1,
  type: 'zviz-agent-datasource',
  name: 'ZViz',
  access: 'proxy',
  readOnly: false,
  jsonData: { prometheusUrl: 'http://prometheus:9090' },
  meta: { id: 'zviz-agent-datasource', name: 'ZViz', info: { logos: {} } },
} as unknown as DataSourceInstanceSettings;

type AnyDataSource = grafanaData.DataSourceApi & { decisionsStream?: unknown };
let dsPlugin: DataSourcePlugin<AnyDataSource> | undefined;
let panelPlugin: PanelPlugin | undefined;
let datasource: AnyDataSource | undefined;
let root: ReactDOMClient.Root | undefined;

function setupRuntime() {
  setBackendSrv(backendSrv);
  setGrafanaLiveSrv(liveSrv as unknown as grafanaRuntime.GrafanaLiveSrv);
  setTemplateSrv({
    getVariables: () => [],
    replace: (s?: string) => s ?? '',
    containsTemplate: () => false,
    updateTimeRange: () => {},
  } as unknown as grafanaRuntime.TemplateSrv);
  setDataSourceSrv({
    get: async () => datasource!,
    getInstanceSettings: (ref: unknown) => {
      const uid = typeof ref === 'string' ? ref : (ref as { uid?: string } | undefined)?.uid;
      return uid === 'zviz' || uid === undefined ? settings : undefined;
    },
    getList: () => [settings],
    reload: async () => {},
    registerRuntimeDataSource: () => {},
  } as unknown as grafanaRuntime.DataSourceSrv);
}

async function load() {
  installDefine();
  setupRuntime();
  const ds = await loadAmdModule<{ plugin: DataSourcePlugin<AnyDataSource> }>('/plugin/datasource/module.js', shared);
  const panel = await loadAmdModule<{ plugin: PanelPlugin }>('/plugin/panels/decisions/module.js', shared);
  dsPlugin = ds.plugin;
  panelPlugin = panel.plugin;
  datasource = new (dsPlugin.DataSourceClass as unknown as new (s: DataSourceInstanceSettings) => AnyDataSource)(
    settings
  );
}

function mount(node: React.ReactNode, theme: 'dark' | 'light', width: number, height: number) {
  root?.unmount();
  const container = document.getElementById('root')!;
  root = ReactDOMClient.createRoot(container);
  const t = createTheme({ colors: { mode: theme } });
  document.body.style.background = t.colors.background.canvas;
  flushSync(() =>
    root!.render(
      <ThemeContext.Provider value={t}>
        <GlobalStyles />
        <div style={{ width, height, padding: 8, background: t.colors.background.primary }}>{node}</div>
      </ThemeContext.Provider>
    )
  );
}

function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

interface PanelMount {
  scenario?: Partial<Scenario>;
  options?: Record<string, unknown>;
  fieldConfig?: FieldConfigSource;
  mode?: 'count' | 'rate';
  theme?: 'dark' | 'light';
  width?: number;
  height?: number;
  /** Render without any frames, to see the empty state. */
  empty?: boolean;
}

/** Runs the datasource's decisions query, then mounts the panel with its result; returns timings. */
async function mountPanel(m: PanelMount = {}) {
  Object.assign(scenario, { syscalls: 400, p99LatencySeconds: 0.0042, failing: undefined }, m.scenario);
  const request = {
    requestId: 'harness',
    interval: '15s',
    intervalMs: 15_000,
    range,
    rangeRaw: range.raw,
    scopedVars: {},
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
    targets: [
      { refId: 'A', queryType: 'decisions', mode: m.mode ?? 'count', datasource: { type: settings.type, uid: 'zviz' } },
    ],
  } as unknown as DataQueryRequest;
  const q0 = performance.now();
  const response = await lastValueFrom(datasource!.query(request) as rxjs.Observable<grafanaData.DataQueryResponse>);
  const queryMs = performance.now() - q0;
  const data: PanelData = {
    state: response.errors?.length ? LoadingState.Error : LoadingState.Done,
    series: m.empty ? [] : (response.data as DataFrame[]),
    errors: response.errors,
    timeRange: range,
    request,
  };
  const Panel = panelPlugin!.panel!;
  const width = m.width ?? 1100;
  const height = m.height ?? 640;
  const props = {
    id: 1,
    data,
    timeRange: range,
    timeZone: 'utc',
    // The panel fills its own defaults; plugin.defaults would need Grafana core's option editor registry.
    options: { ...m.options },
    fieldConfig: m.fieldConfig ?? { defaults: {}, overrides: [] },
    transparent: false,
    width: width - 16,
    height: height - 16,
    renderCounter: 0,
    title: 'Decisions',
    eventBus: new grafanaData.EventBusSrv(),
    replaceVariables: (s: string) => s,
    onOptionsChange: () => {},
    onFieldConfigChange: () => {},
    onChangeTimeRange: () => {},
  };
  const r0 = performance.now();
  mount(<Panel {...(props as unknown as grafanaData.PanelProps)} />, m.theme ?? 'dark', width, height);
  const committedMs = performance.now() - r0;
  await nextPaint();
  const paintedMs = performance.now() - r0;
  return { queryMs, committedMs, paintedMs, frames: response.data.length };
}

function useState<T>(initial: T) {
  return React.useState(initial);
}

function mountConfigEditor(jsonData: Record<string, unknown> = {}, secureJsonFields: Record<string, boolean> = {}) {
  const ConfigEditor = dsPlugin!.components.ConfigEditor!;
  const win = window as unknown as { zviz: { lastOptions?: unknown } };
  function Stateful() {
    const [options, setOptions] = useState({ ...settings, jsonData, secureJsonFields, secureJsonData: {} });
    return (
      <ConfigEditor
        options={options as never}
        onOptionsChange={(o: unknown) => {
          win.zviz.lastOptions = o;
          setOptions(o as typeof options);
        }}
      />
    );
  }
  mount(<Stateful />, 'dark', 900, 1100);
}

function mountQueryEditor(query: Record<string, unknown>) {
  const QueryEditor = dsPlugin!.components.QueryEditor!;
  const win = window as unknown as { zviz: { lastQuery?: unknown; runs: number } };
  win.zviz.runs = 0;
  function Stateful() {
    const [q, setQ] = useState(query);
    return (
      <QueryEditor
        datasource={datasource!}
        query={q as never}
        onChange={(next: unknown) => {
          win.zviz.lastQuery = next;
          setQ(next as typeof q);
        }}
        onRunQuery={() => win.zviz.runs++}
      />
    );
  }
  mount(<Stateful />, 'dark', 1000, 500);
}

function mountVariableEditor(query: Record<string, unknown>) {
  const variables = datasource!.variables as unknown as {
    editor: React.ComponentType<Record<string, unknown>>;
    query: (r: unknown) => rxjs.Observable<grafanaData.DataQueryResponse>;
  };
  const Editor = variables.editor;
  const win = window as unknown as { zviz: { lastVariable?: unknown } };
  function Stateful() {
    const [q, setQ] = useState(query);
    return (
      <Editor
        datasource={datasource}
        query={q}
        onChange={(next: unknown) => {
          win.zviz.lastVariable = next;
          setQ(next as typeof q);
        }}
        onRunQuery={() => {}}
      />
    );
  }
  mount(<Stateful />, 'dark', 1000, 300);
}

/** The values a variable query lists, through the datasource's variable support. */
async function variableValues(query: Record<string, unknown>) {
  const variables = datasource!.variables as unknown as {
    query: (r: unknown) => rxjs.Observable<grafanaData.DataQueryResponse>;
  };
  const response = await lastValueFrom(variables.query({ targets: [{ refId: 'v', ...query }], scopedVars: {} }));
  return (response.data[0] as DataFrame).fields[0].values;
}

let appPlugin: grafanaData.AppPlugin | undefined;

const appMeta = {
  id: 'zviz-sandbox-app',
  name: 'ZViz',
  type: 'app',
  enabled: true,
  pinned: true,
  jsonData: { datasourceUid: 'zviz', prometheusUid: 'prometheus', refreshSeconds: 0, liveDecisions: true },
  info: { logos: { small: '', large: '' } },
} as unknown as grafanaData.AppPluginMeta;

/** Loads the built app module and renders one of its pages, or its configuration page. */
async function mountApp(path: string) {
  if (!appPlugin) {
    appPlugin = (await loadAmdModule<{ plugin: grafanaData.AppPlugin }>('/plugin/module.js', shared)).plugin;
    appPlugin.meta = appMeta;
  }
  const plugin = appPlugin;
  if (path === 'configuration') {
    const Config = plugin.configPages![0].body;
    mount(<Config plugin={plugin} query={{}} />, 'dark', 1200, 1000);
    return;
  }
  const Root = plugin.root!;
  mount(
    <reactRouter.MemoryRouter initialEntries={[`/${path}`]}>
      <Root meta={appMeta} basename="/a/zviz-sandbox-app" path="" query={{}} onNavChanged={() => {}} />
    </reactRouter.MemoryRouter>,
    'dark',
    1200,
    1000
  );
}

interface DashboardMount {
  dashboard: DashboardJson;
  /** Prometheus' scrape interval, Grafana's datasource setting behind $__rate_interval. */
  scrapeIntervalSeconds: number;
  width?: number;
}

/**
 * The dashboard preview (dashboard/DashboardPreview.tsx): runs every target
 * against the Prometheus behind the page's datasource proxy path for the
 * harness's time range, then draws the dashboard; returns each panel's
 * series count and error (query errors and errors thrown while drawing).
 */
async function mountDashboard(m: DashboardMount): Promise<PanelSummary[]> {
  const theme = createTheme({ colors: { mode: 'dark' } });
  const window = {
    fromMs: range.from.valueOf(),
    toMs: range.to.valueOf(),
    scrapeIntervalSeconds: m.scrapeIntervalSeconds,
  };
  const results = await runDashboard(m.dashboard, window, theme);
  const drawErrors = new Map<PanelJson, string>();
  const width = m.width ?? 1600;
  root?.unmount();
  root = ReactDOMClient.createRoot(document.getElementById('root')!);
  document.body.style.background = theme.colors.background.canvas;
  flushSync(() =>
    root!.render(
      <ThemeContext.Provider value={theme}>
        <GlobalStyles />
        <div style={{ width, padding: 8, background: theme.colors.background.canvas }}>
          <h1 style={{ fontSize: theme.typography.h3.fontSize, margin: '0 0 8px' }}>{m.dashboard.title}</h1>
          <DashboardPreview
            dashboard={m.dashboard}
            results={results}
            width={width - 16}
            timeRange={timeRangeOf(window.fromMs, window.toMs)}
            decisionsPanel={panelPlugin}
            onPanelError={(panel, error) => drawErrors.set(panel, error.message)}
          />
        </div>
      </ThemeContext.Provider>
    )
  );
  await nextPaint();
  await nextPaint();
  return allPanels(m.dashboard)
    .filter((p) => p.type !== 'row')
    .map((p) => {
      const r = results.get(p);
      const error = [r?.error, drawErrors.get(p)].filter(Boolean).join('; ');
      return { title: p.title ?? '', type: p.type, series: r?.frames.length ?? 0, ...(error ? { error } : {}) };
    });
}

/** The preview's height for a dashboard, to size a screenshot. */
function dashboardPixels(dashboard: DashboardJson): number {
  return dashboardHeight(dashboard) + 60;
}

const api = {
  useUpstream,
  mountDashboard,
  dashboardPixels,
  mountApp,
  ready: load(),
  mountPanel,
  mountConfigEditor,
  mountQueryEditor,
  mountVariableEditor,
  variableValues,
  requests,
  runs: 0,
};
(window as unknown as { zviz: typeof api }).zviz = api;
