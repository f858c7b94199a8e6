import { css } from '@emotion/css';
import { formattedValueToString, getValueFormat, type GrafanaTheme2 } from '@grafana/data';
import { getBackendSrv, PluginPage } from '@grafana/runtime';
import { Alert, Badge, type BadgeColor, LinkButton, useStyles2 } from '@grafana/ui';
import React from 'react';

import { useAppSettings } from '../hooks/useAppSettings';
import { promql, runQueries } from './queries';
import { useLoad } from '../hooks/useLoad';
import { useRollingRange } from '../hooks/useRollingRange';
import { testIds } from '../testIds';
import { CONTAINER_INFO, CONTAINER_RESTARTS_TOTAL, CONTAINER_UPTIME_SECONDS } from '@zviz/shared/metric-names';
import { type ContainersResource, RESOURCE_CONTAINERS } from '@zviz/shared/resources';
import { dashboardUrl, DASHBOARDS } from '../settings';
import { ALERT_LEVELS, containerRows } from './containerRows';

const fmtSeconds = getValueFormat('dtdurations');
const bytes = getValueFormat('bytes');
const percent = getValueFormat('percentunit');

const STATE_COLORS: Record<string, BadgeColor> = {
  running: 'green',
  created: 'blue',
  restarting: 'orange',
  exited: 'purple',
  failed: 'red',
};
const LEVEL_COLORS: BadgeColor[] = ['green', 'orange', 'red', 'red'];

export const containerQueries = [
  promql('info', CONTAINER_INFO),
  promql('uptime', CONTAINER_UPTIME_SECONDS),
  promql('restarts', `increase(${CONTAINER_RESTARTS_TOTAL}[1h])`),
  promql('memory', 'zviz_memory_usage_bytes'),
  promql('utilization', 'zviz_resource_utilization_ratio'),
  promql('alert', 'zviz_resource_alert_level'),
];

function Containers() {
  const settings = useAppSettings();
  const styles = useStyles2(getStyles);
  const uid = settings.datasourceUid;
  const { range, tick } = useRollingRange(60, settings.refreshSeconds);
  const list = useLoad(
    () =>
      getBackendSrv().get<ContainersResource>(
        `/api/datasources/uid/${uid}/resources/${RESOURCE_CONTAINERS}`,
        undefined,
        undefined,
        {
          showErrorAlert: false,
        }
      ),
    `${uid}:${tick}`
  );
  const metrics = useLoad(() => runQueries(uid, containerQueries, range), `${uid}:${tick}`);
  const rows = containerRows(list.value, metrics.value?.frames ?? []);
  const metricErrors = Object.values(metrics.value?.errors ?? {});

  return (
    <PluginPage>
      <div data-testid={testIds.containers.container} className={styles.page}>
        {list.error && (
          <Alert severity="warning" title="The agents' container list is not available">
            {list.error}
          </Alert>
        )}
        {(metrics.error || metricErrors.length > 0) && (
          <Alert severity="warning" title="Some container metrics are missing">
            {metrics.error ?? metricErrors.join('; ')}
          </Alert>
        )}
        {rows.length === 0 && !list.loading ? (
          <p>No containers: run a workload with `zviz run --profile NAME -- CMD` on a node with an agent.</p>
        ) : (
          <table className={styles.table} aria-label="Containers">
            <thead>
              <tr>
                <th>container</th>
                <th>profile</th>
                <th>state</th>
                <th>agent</th>
                <th>uptime</th>
                <th>restarts (1h)</th>
                <th>memory</th>
                <th>cpu limit</th>
                <th>memory limit</th>
                <th>pids limit</th>
                <th>alert level</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.agent}/${r.id}`}>
                  <td>
                    <LinkButton
                      href={dashboardUrl(DASHBOARDS.containers, settings, { container: r.id })}
                      size="sm"
                      fill="text"
                      variant="primary"
                    >
                      {r.name === r.id ? r.id : `${r.name} (${r.id})`}
                    </LinkButton>
                  </td>
                  <td>{r.profile}</td>
                  <td>
                    <Badge text={r.state} color={STATE_COLORS[r.state] ?? 'darkgrey'} />
                  </td>
                  <td>{r.agent}</td>
                  <td>{r.uptimeSeconds === undefined ? '–' : formattedValueToString(fmtSeconds(r.uptimeSeconds))}</td>
                  <td className={r.restarts ? styles.warn : undefined}>{r.restarts ?? '–'}</td>
                  <td>{r.memoryBytes === undefined ? '–' : formattedValueToString(bytes(r.memoryBytes, 1))}</td>
                  {['cpu', 'memory', 'pids'].map((t) => (
                    <td key={t} className={(r.utilization[t] ?? 0) >= 0.8 ? styles.warn : undefined}>
                      {r.utilization[t] === undefined
                        ? 'no limit'
                        : formattedValueToString(percent(r.utilization[t], 0))}
                    </td>
                  ))}
                  <td>
                    <Badge
                      text={`${ALERT_LEVELS[r.alertLevel] ?? r.alertLevel}${r.alertResource && r.alertLevel > 0 ? ` (${r.alertResource})` : ''}`}
                      color={LEVEL_COLORS[r.alertLevel] ?? 'red'}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </PluginPage>
  );
}

export default Containers;

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    td: { fontVariantNumeric: 'tabular-nums' },
  }),
  warn: css({ color: theme.colors.warning.text }),
});
