// The bundled Grafana dashboards (src/dashboards/*.json) as one ConfigMap
// that Grafana's dashboard sidecar (kube-prometheus-stack, k8s-sidecar)
// imports: it picks ConfigMaps labelled grafana_dashboard=1.
import { GENERATED_HEADER, yaml } from './prometheus';

export interface DashboardFile {
  name: string;
  text: string;
}

// A ConfigMap holds at most 1 MiB; stop well before the API server refuses it.
const CONFIGMAP_BUDGET_BYTES = 900 * 1024;

export function dashboardsConfigMap(dashboards: readonly DashboardFile[]): string {
  const data: Record<string, string> = {};
  let bytes = 0;
  for (const d of [...dashboards].sort((a, b) => a.name.localeCompare(b.name))) {
    const parsed = JSON.parse(d.text) as { uid?: unknown; title?: unknown };
    if (typeof parsed.uid !== 'string' || typeof parsed.title !== 'string') {
      throw new Error(`dashboard ${d.name}: needs a uid and a title`);
    }
    data[d.name] = d.text;
    bytes += Buffer.byteLength(d.text);
  }
  if (bytes > CONFIGMAP_BUDGET_BYTES) {
    throw new Error(`dashboards take ${bytes} bytes; a ConfigMap holds at most 1 MiB: split them`);
  }
  return (
    GENERATED_HEADER.replace('src/alerts/rules.yaml and src/alerts/config.yaml', 'src/dashboards/*.json') +
    yaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'zviz-grafana-dashboards',
        labels: {
          'app.kubernetes.io/name': 'zviz',
          'app.kubernetes.io/component': 'dashboards',
          grafana_dashboard: '1',
        },
        annotations: { grafana_folder: 'ZViz' },
      },
      data,
    })
  );
}
