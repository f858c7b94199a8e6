import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { DataSourcePicker } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, LinkButton, Stack, Switch, useStyles2 } from '@grafana/ui';
import React, { useEffect, useState } from 'react';

import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';
import { type ZVizAppSettings, withDefaults } from '../../settings';
import { urlError } from '../../datasource/components/ConfigEditor';
import { testIds } from '../../testIds';
import { checkDatasource, createDatasource, type DatasourceCheck, saveAppSettings } from './datasource';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<ZVizAppSettings>> {}

type Check = { loading: true } | { loading: false; result?: DatasourceCheck; error?: string };

function AppConfig({ plugin }: AppConfigProps) {
  const styles = useStyles2(getStyles);
  const { enabled, pinned, jsonData } = plugin.meta;
  const [settings, setSettings] = useState(() => withDefaults(jsonData));
  const [prometheusUrl, setPrometheusUrl] = useState('http://prometheus:9090');
  const [check, setCheck] = useState<Check>({ loading: true });
  const [round, setRound] = useState(0);
  const [saving, setSaving] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const [creating, setCreating] = useState<{ busy: boolean; error?: string }>({ busy: false });

  const uid = settings.datasourceUid;
  useEffect(() => {
    let cancelled = false;
    checkDatasource(uid).then(
      (result) => !cancelled && setCheck({ loading: false, result }),
      (err) => !cancelled && setCheck({ loading: false, error: err.message })
    );
    return () => {
      cancelled = true;
    };
  }, [uid, round]);

  const set = (patch: Partial<ZVizAppSettings>) => setSettings((s) => ({ ...s, ...patch }));
  const refreshError =
    Number.isInteger(settings.refreshSeconds) && settings.refreshSeconds >= 0 ? undefined : 'Whole seconds, 0 or more';
  const promError = urlError(prometheusUrl, true);

  const onSave = async () => {
    setSaving({ busy: true });
    try {
      await saveAppSettings(plugin.meta.id, true, pinned ?? true, settings);
      // Grafana hands plugin settings to the app at load; reload to use the new ones.
      window.location.reload();
    } catch (err) {
      setSaving({ busy: false, error: (err as { data?: { message?: string } }).data?.message ?? String(err) });
    }
  };

  const onCreate = async () => {
    setCreating({ busy: true });
    try {
      await createDatasource({ uid, prometheusUrl, agentJob: settings.agentJob });
      setCreating({ busy: false });
      setRound((r) => r + 1);
    } catch (err) {
      setCreating({ busy: false, error: (err as Error).message });
    }
  };

  return (
    <div data-testid={testIds.appConfig.container} className={styles.page}>
      <FieldSet label="ZViz datasource">
        <Field label="Datasource" description="The ZViz datasource the app pages and alert rules query">
          <Stack direction="row" gap={1}>
            <DataSourcePicker
              current={uid}
              pluginId={ZVIZ_DATASOURCE_TYPE}
              noDefault
              width={40}
              onChange={(ds) => set({ datasourceUid: ds.uid })}
            />
            <Input
              aria-label="Datasource uid"
              width={20}
              value={uid}
              onChange={(e) => set({ datasourceUid: e.currentTarget.value.trim() })}
            />
          </Stack>
        </Field>
        <DatasourceStatus check={check} uid={uid} onRecheck={() => setRound((r) => r + 1)} />
        {!check.loading && check.result?.state === 'missing' && (
          <div className={styles.create}>
            <Field
              label="Prometheus URL for the new datasource"
              invalid={Boolean(promError)}
              error={promError}
              description="Prometheus (or Mimir, Thanos, Cortex) that scrapes the agents"
            >
              <Input
                aria-label="Prometheus URL"
                width={50}
                value={prometheusUrl}
                onChange={(e) => setPrometheusUrl(e.currentTarget.value.trim())}
              />
            </Field>
            <Button icon="plus" onClick={onCreate} disabled={creating.busy || Boolean(promError) || !uid}>
              Create ZViz datasource &ldquo;{uid}&rdquo;
            </Button>
            {creating.error && (
              <Alert severity="error" title="Creating the datasource failed">
                {creating.error}
              </Alert>
            )}
          </div>
        )}
      </FieldSet>

      <FieldSet label="App">
        <Field label="Prometheus datasource for dashboards" description="The bundled dashboards open with it">
          <DataSourcePicker
            current={settings.prometheusUid}
            type="prometheus"
            noDefault
            width={40}
            onChange={(ds) => set({ prometheusUid: ds.uid })}
          />
        </Field>
        <Field label="Agent scrape job" description="Prometheus job of the agents, for the agents-up figure">
          <Input
            aria-label="Agent scrape job"
            width={30}
            value={settings.agentJob}
            onChange={(e) => set({ agentJob: e.currentTarget.value.trim() })}
          />
        </Field>
        <Field
          label="Refresh every"
          description="Seconds between refreshes of the app pages; 0 turns it off"
          invalid={Boolean(refreshError)}
          error={refreshError}
        >
          <Input
            aria-label="Refresh seconds"
            type="number"
            width={12}
            value={settings.refreshSeconds}
            onChange={(e) => set({ refreshSeconds: Number(e.currentTarget.value) })}
          />
        </Field>
        <Field label="Live decisions" description="Stream decisions on the Decisions page through Grafana Live">
          <Switch
            aria-label="Live decisions"
            value={settings.liveDecisions}
            onChange={(e) => set({ liveDecisions: e.currentTarget.checked })}
          />
        </Field>
      </FieldSet>
      {saving.error && (
        <Alert severity="error" title="Saving the settings failed">
          {saving.error}
        </Alert>
      )}
      <Button
        data-testid={testIds.appConfig.submit}
        onClick={onSave}
        disabled={saving.busy || Boolean(refreshError) || !uid}
      >
        {enabled ? 'Save settings' : 'Enable and save'}
      </Button>
    </div>
  );
}

function DatasourceStatus({ check, uid, onRecheck }: { check: Check; uid: string; onRecheck: () => void }) {
  if (check.loading) {
    return <p>Checking datasource &ldquo;{uid}&rdquo;…</p>;
  }
  const recheck = (
    <Button size="sm" variant="secondary" icon="sync" onClick={onRecheck}>
      Check again
    </Button>
  );
  if (check.error) {
    return (
      <Alert severity="error" title={`Could not check datasource "${uid}"`}>
        {check.error} {recheck}
      </Alert>
    );
  }
  const r = check.result!;
  switch (r.state) {
    case 'missing':
      return (
        <Alert severity="info" title={`There is no datasource with uid "${uid}"`}>
          Create it below, or pick an existing ZViz datasource.
        </Alert>
      );
    case 'wrong-type':
      return (
        <Alert severity="error" title={`Datasource "${uid}" is not a ZViz datasource`}>
          It is of type {r.type}. Pick a datasource of type {ZVIZ_DATASOURCE_TYPE}.
        </Alert>
      );
    default:
      return (
        <Alert
          severity={r.state === 'ok' ? 'success' : 'error'}
          title={`${r.name}: ${r.state === 'ok' ? 'working' : 'not working'}`}
        >
          <Stack direction="row" gap={1} alignItems="center">
            <span>{r.message}</span>
            {recheck}
            <LinkButton size="sm" variant="secondary" icon="cog" href={`/connections/datasources/edit/${uid}`}>
              Datasource settings
            </LinkButton>
          </Stack>
        </Alert>
      );
  }
}

export default AppConfig;

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ maxWidth: 900 }),
  create: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), marginBottom: theme.spacing(2) }),
});
