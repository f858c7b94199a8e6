// The app's settings (plugin jsonData), set on the Configuration page and by
// provisioning/plugins/apps.yaml.
export interface ZVizAppSettings {
  /** The ZViz datasource the pages query. */
  datasourceUid?: string;
  /** The Prometheus datasource the bundled dashboards open with. */
  prometheusUid?: string;
  /** Prometheus job of the agents, for the agents-up figure. */
  agentJob?: string;
  /** Seconds between refreshes of the app pages; 0 turns refreshing off. */
  refreshSeconds?: number;
  /** Subscribe to the live decision stream on the Decisions page. */
  liveDecisions?: boolean;
}

export const DEFAULT_SETTINGS: Required<ZVizAppSettings> = {
  datasourceUid: 'zviz',
  prometheusUid: 'prometheus',
  agentJob: 'zviz',
  refreshSeconds: 30,
  liveDecisions: true,
};

export function withDefaults(settings: ZVizAppSettings | undefined): Required<ZVizAppSettings> {
  const s = { ...DEFAULT_SETTINGS };
  for (const [k, v] of Object.entries(settings ?? {})) {
    if (v !== undefined && v !== '' && v !== null) {
      (s as Record<string, unknown>)[k] = v;
    }
  }
  return s;
}

export const DASHBOARDS = {
  overview: 'zviz-overview',
  broker: 'zviz-broker',
  security: 'zviz-security',
  containers: 'zviz-containers',
  tracing: 'zviz-tracing',
  rollout: 'zviz-rollout',
} as const;

/** A bundled dashboard's URL, opened with the configured Prometheus datasource. */
export function dashboardUrl(
  uid: string,
  settings: Required<ZVizAppSettings>,
  vars: Record<string, string> = {}
): string {
  const params = new URLSearchParams({ 'var-datasource': settings.prometheusUid, ...prefixed(vars) });
  return `/d/${uid}?${params.toString()}`;
}

function prefixed(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [`var-${k}`, v]));
}
