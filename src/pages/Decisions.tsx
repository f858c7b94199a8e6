import { css } from '@emotion/css';
import {
  type DataQueryRequest,
  type GrafanaTheme2,
  LoadingState,
  type PanelData,
  type PanelProps,
} from '@grafana/data';
import { getBackendSrv, PluginPage } from '@grafana/runtime';
import { Combobox, InlineField, InlineFieldRow, MultiCombobox, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import React, { useRef, useState } from 'react';

import { useAppSettings } from '../hooks/useAppSettings';
import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';
import { runQueries } from './queries';
import { useLoad } from '../hooks/useLoad';
import { useRollingRange } from '../hooks/useRollingRange';
import { useWidth } from '../hooks/useWidth';
import { testIds } from '../testIds';
import { DecisionsPanel } from '../panels/decisions/components/DecisionsPanel';
import { type DecisionsPanelOptions, defaultOptions } from '../panels/decisions/types';
import { DECISIONS } from '@zviz/shared/agent-api';
import type { DecisionsQuery } from '@zviz/shared/query';
import {
  type AgentsResource,
  type ContainersResource,
  RESOURCE_AGENTS,
  RESOURCE_CONTAINERS,
} from '@zviz/shared/resources';
import { LiveDecisions } from './LiveDecisions';

const RANGES = [
  { label: '15m', value: 15 },
  { label: '1h', value: 60 },
  { label: '6h', value: 360 },
  { label: '24h', value: 1440 },
];

function resource<T>(uid: string, path: string, params?: Record<string, string>): Promise<T> {
  return getBackendSrv().get<T>(`/api/datasources/uid/${uid}/resources/${path}`, params, undefined, {
    showErrorAlert: false,
  });
}

function Decisions() {
  const settings = useAppSettings();
  const styles = useStyles2(getStyles);
  const [minutes, setMinutes] = useState(60);
  const [agent, setAgent] = useState<string | undefined>();
  const [container, setContainer] = useState<string | undefined>();
  const [decisions, setDecisions] = useState<string[]>([]);
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref);
  const { range, tick } = useRollingRange(minutes, settings.refreshSeconds);
  const uid = settings.datasourceUid;

  const agents = useLoad(() => resource<AgentsResource>(uid, RESOURCE_AGENTS), `agents:${uid}`);
  const containers = useLoad(
    () => resource<ContainersResource>(uid, RESOURCE_CONTAINERS, agent ? { agent } : undefined),
    `containers:${uid}:${agent}`
  );

  const query: DecisionsQuery = {
    refId: 'A',
    queryType: 'decisions',
    mode: 'count',
    decisions: decisions.length ? decisions : undefined,
    selector: agent ? `instance=${JSON.stringify(agent)}` : undefined,
  };
  const result = useLoad(
    () => runQueries(uid, [query], range),
    `${uid}:${tick}:${minutes}:${agent}:${decisions.join()}`
  );
  const request = {
    targets: [{ ...query, datasource: { type: ZVIZ_DATASOURCE_TYPE, uid } }],
    range,
    scopedVars: {},
  } as unknown as DataQueryRequest;
  const data: PanelData = {
    state:
      result.loading && !result.value ? LoadingState.Loading : result.error ? LoadingState.Error : LoadingState.Done,
    series: result.value?.frames ?? [],
    errors: [
      ...(result.error ? [{ message: result.error }] : []),
      ...Object.entries(result.value?.errors ?? {}).map(([refId, message]) => ({ refId, message })),
    ],
    timeRange: range,
    request,
  };
  const options: DecisionsPanelOptions = { ...defaultOptions, auditDatasourceUid: uid };
  const panelProps = {
    id: 1,
    data,
    options,
    fieldConfig: { defaults: {}, overrides: [] },
    width,
    height: 560,
    timeRange: range,
    timeZone: 'browser',
    title: 'Decisions',
    transparent: true,
    renderCounter: tick,
    replaceVariables: (s: string) => s,
    onOptionsChange: () => {},
    onFieldConfigChange: () => {},
    onChangeTimeRange: () => {},
    eventBus: undefined,
  } as unknown as PanelProps<DecisionsPanelOptions>;

  return (
    <PluginPage>
      <div className={styles.page} data-testid={testIds.decisions.container}>
        <InlineFieldRow>
          <InlineField label="Range">
            <RadioButtonGroup options={RANGES} value={minutes} onChange={setMinutes} />
          </InlineField>
          <InlineField label="Agent" error={agents.error} invalid={Boolean(agents.error)}>
            <Combobox
              aria-label="Agent"
              width={28}
              isClearable
              placeholder="All agents"
              options={(agents.value?.agents ?? []).map((a) => ({
                value: a.instance,
                label: a.instance,
                description: a.up ? 'up' : `down${a.error ? `: ${a.error}` : ''}`,
              }))}
              value={agent ?? null}
              onChange={(o) => setAgent(o?.value || undefined)}
            />
          </InlineField>
          <InlineField label="Decisions">
            <MultiCombobox
              aria-label="Decisions"
              width="auto"
              minWidth={20}
              placeholder="All"
              options={DECISIONS.map((d) => ({ value: d, label: d }))}
              value={decisions}
              onChange={(o) => setDecisions(o.map((x) => x.value))}
            />
          </InlineField>
        </InlineFieldRow>
        <div ref={ref} className={styles.panel}>
          <DecisionsPanel {...panelProps} />
        </div>
        {settings.liveDecisions && (
          <>
            <InlineFieldRow>
              <InlineField
                label="Live stream of container"
                error={containers.error}
                invalid={Boolean(containers.error)}
              >
                <Combobox
                  aria-label="Live container"
                  width={32}
                  isClearable
                  placeholder="All containers"
                  options={(containers.value?.containers ?? []).map((c) => ({
                    value: c.id,
                    label: c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id,
                    description: `${c.state}, ${c.profile}`,
                  }))}
                  value={container ?? null}
                  onChange={(o) => setContainer(o?.value || undefined)}
                />
              </InlineField>
            </InlineFieldRow>
            <LiveDecisions datasourceUid={uid} container={container} decisions={decisions} />
          </>
        )}
      </div>
    </PluginPage>
  );
}

export default Decisions;

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  panel: css({ height: 560, minWidth: 0 }),
});
