import { css } from '@emotion/css';
import { formattedValueToString, getValueFormat, type GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, LinkButton, useStyles2 } from '@grafana/ui';
import React from 'react';

import { useAppSettings } from '../hooks/useAppSettings';
import { lastValues, promql, runQueries, scalar } from './queries';
import { useLoad } from '../hooks/useLoad';
import { useRollingRange } from '../hooks/useRollingRange';
import { type Health, StatCard } from './StatCard';
import { testIds } from '../testIds';
import {
  BROKER_INFLIGHT,
  BROKER_LATENCY_SECONDS,
  BROKER_REQUESTS_TOTAL,
  COMPONENT_READY,
  CONTAINERS_BY_STATE,
} from '@zviz/shared/metric-names';
import { CONTAINER_STATES } from '@zviz/shared/agent-api';
import { dashboardUrl, DASHBOARDS } from '../settings';

const seconds = getValueFormat('s');
const short = getValueFormat('short');
const fmt = (v: number | undefined, f = short, decimals?: number) =>
  v === undefined ? '–' : formattedValueToString(f(v, decimals));

/** Fleet health queries; raw expressions, so the page works without ZViz's recording rules. */
export function overviewQueries(agentJob: string) {
  const job = JSON.stringify(agentJob);
  return [
    promql('up', `sum(up{job=${job}})`),
    promql('targets', `count(up{job=${job}})`),
    promql('brokersReady', `sum(${COMPONENT_READY}{component="broker"})`),
    promql('brokers', `count(${COMPONENT_READY}{component="broker"})`),
    promql('inflight', `sum(${BROKER_INFLIGHT})`),
    promql('p99', `max(histogram_quantile(0.99, sum by (instance, le) (rate(${BROKER_LATENCY_SECONDS}_bucket[5m]))))`),
    promql('denials', 'sum(rate(zviz_security_denials_total[5m]))'),
    promql('requests', `sum(rate(${BROKER_REQUESTS_TOTAL}[5m]))`),
    promql('states', `sum by (state) (${CONTAINERS_BY_STATE})`),
  ];
}

function Overview() {
  const settings = useAppSettings();
  const styles = useStyles2(getStyles);
  const { range, tick } = useRollingRange(15, settings.refreshSeconds);
  const result = useLoad(
    () => runQueries(settings.datasourceUid, overviewQueries(settings.agentJob), range),
    `${settings.datasourceUid}:${tick}`
  );
  const frames = result.value?.frames ?? [];
  const errors = Object.values(result.value?.errors ?? {});

  const up = scalar(frames, 'up');
  const targets = scalar(frames, 'targets');
  const ready = scalar(frames, 'brokersReady');
  const brokers = scalar(frames, 'brokers');
  const inflight = scalar(frames, 'inflight');
  const p99 = scalar(frames, 'p99');
  const denials = scalar(frames, 'denials');
  const requests = scalar(frames, 'requests');
  const states = Object.fromEntries(lastValues(frames, 'states').map((s) => [s.labels.state, s.value]));
  const running = states.running;
  const failed = (states.failed ?? 0) + (states.restarting ?? 0);

  const agentsHealth: Health = targets === undefined ? 'unknown' : up === targets ? 'ok' : up ? 'warning' : 'critical';
  const brokerHealth: Health =
    brokers === undefined ? 'unknown' : ready === brokers ? 'ok' : ready ? 'warning' : 'critical';
  const inflightHealth: Health =
    inflight === undefined ? 'unknown' : inflight > 200 ? 'critical' : inflight > 100 ? 'warning' : 'ok';
  const latencyHealth: Health =
    p99 === undefined ? 'unknown' : p99 > 0.01 ? 'critical' : p99 > 0.005 ? 'warning' : 'ok';
  const denialHealth: Health =
    denials === undefined ? 'unknown' : denials > 10 ? 'critical' : denials > 1 ? 'warning' : 'ok';
  const containerHealth: Health = Object.keys(states).length === 0 ? 'unknown' : failed > 0 ? 'warning' : 'ok';

  return (
    <PluginPage>
      <div data-testid={testIds.overview.container} className={styles.page}>
        <p className={styles.lead}>
          ZViz fleet overview: the sandbox on every node, its broker and the decisions it makes, over the last 15
          minutes.
        </p>
        {result.error && (
          <Alert severity="error" title="The ZViz datasource did not answer">
            {result.error}. Check the datasource on the Configuration page.
          </Alert>
        )}
        {errors.length > 0 && (
          <Alert severity="warning" title="Some figures are missing">
            {errors.join('; ')}
          </Alert>
        )}
        <div className={styles.cards}>
          <StatCard
            title="Agents up"
            value={targets === undefined ? '–' : `${fmt(up)} / ${fmt(targets)}`}
            detail={`targets of job ${settings.agentJob}`}
            health={agentsHealth}
            href={dashboardUrl(DASHBOARDS.overview, settings)}
            linkText="Overview dashboard"
          />
          <StatCard
            title="Broker"
            value={
              brokers === undefined ? '–' : ready === brokers ? 'running' : `${fmt(ready)} of ${fmt(brokers)} ready`
            }
            detail={requests === undefined ? undefined : `${fmt(requests, short, 1)} requests/s`}
            health={brokerHealth}
            href={dashboardUrl(DASHBOARDS.broker, settings)}
            linkText="Broker dashboard"
          />
          <StatCard
            title="In-flight"
            value={fmt(inflight, short, 0)}
            detail="notifications awaiting an answer"
            health={inflightHealth}
            href={dashboardUrl(DASHBOARDS.broker, settings)}
            linkText="Broker dashboard"
          />
          <StatCard
            title="Broker p99 latency"
            value={fmt(p99, seconds, 2)}
            detail="worst agent, 5m"
            health={latencyHealth}
            href={dashboardUrl(DASHBOARDS.broker, settings)}
            linkText="Broker dashboard"
          />
          <StatCard
            title="Denials/s"
            value={fmt(denials, short, 2)}
            detail="seccomp, broker and cgroup layers"
            health={denialHealth}
            href={dashboardUrl(DASHBOARDS.security, settings)}
            linkText="Security dashboard"
          />
          <StatCard
            title="Containers"
            value={running === undefined ? '–' : `${fmt(running)} running`}
            detail={CONTAINER_STATES.filter((s) => s !== 'running' && states[s])
              .map((s) => `${fmt(states[s])} ${s}`)
              .join(', ')}
            health={containerHealth}
            href={dashboardUrl(DASHBOARDS.containers, settings)}
            linkText="Containers dashboard"
          />
        </div>
        <div className={styles.links}>
          <LinkButton variant="secondary" icon="apps" href={dashboardUrl(DASHBOARDS.tracing, settings)}>
            Tracing dashboard
          </LinkButton>
          <LinkButton variant="secondary" icon="code-branch" href={dashboardUrl(DASHBOARDS.rollout, settings)}>
            Rollout comparison
          </LinkButton>
        </div>
      </div>
    </PluginPage>
  );
}

export default Overview;

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  lead: css({ color: theme.colors.text.secondary, margin: 0 }),
  cards: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))',
    gap: theme.spacing(2),
  }),
  links: css({ display: 'flex', gap: theme.spacing(1) }),
});
