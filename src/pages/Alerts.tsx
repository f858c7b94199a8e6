import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { DataSourcePicker, PluginPage } from '@grafana/runtime';
import { Alert, Badge, Button, Field, Stack, Text, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';

import { ALERT_TEMPLATES } from '../alerts/templates';
import { useAppSettings } from '../hooks/useAppSettings';
import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';
import { useLoad } from '../hooks/useLoad';
import { testIds } from '../testIds';
import { apiErrorMessage, installedRules, installTemplates } from './alertRules';

const SEVERITY: Record<string, 'red' | 'orange' | 'blue'> = { critical: 'red', warning: 'orange', info: 'blue' };

function Alerts() {
  const settings = useAppSettings();
  const styles = useStyles2(getStyles);
  const [datasourceUid, setDatasourceUid] = useState(settings.datasourceUid);
  const [round, setRound] = useState(0);
  const [install, setInstall] = useState<{ busy: boolean; done?: string[]; error?: string }>({ busy: false });
  const installed = useLoad(() => installedRules(), String(round));

  const rules = ALERT_TEMPLATES.groups.flatMap((g) => g.rules.map((r) => ({ group: g.title, rule: r })));
  const installedCount = rules.filter(({ rule }) => installed.value?.has(rule.uid)).length;

  const onInstall = async () => {
    setInstall({ busy: true });
    try {
      const done = await installTemplates(datasourceUid);
      setInstall({ busy: false, done });
    } catch (err) {
      setInstall({ busy: false, error: apiErrorMessage(err) });
    }
    setRound((r) => r + 1);
  };

  return (
    <PluginPage>
      <div className={styles.page} data-testid={testIds.alerts.container}>
        <Text color="secondary">
          ZViz ships {rules.length} alert rules in {ALERT_TEMPLATES.groups.length} groups. Installed here, they become
          Grafana-managed rules in the folder &ldquo;{ALERT_TEMPLATES.folder.title}&rdquo;, labelled as managed by this
          app, and query the ZViz datasource you choose. Installing again updates them.
        </Text>
        <Stack direction="row" alignItems="flex-end" gap={2}>
          <Field label="Datasource the rules query" noMargin>
            <DataSourcePicker
              current={datasourceUid}
              pluginId={ZVIZ_DATASOURCE_TYPE}
              noDefault
              onChange={(ds) => setDatasourceUid(ds.uid)}
              width={30}
            />
          </Field>
          <Button icon="bell" onClick={onInstall} disabled={install.busy || !datasourceUid}>
            {install.busy ? 'Installing…' : installedCount > 0 ? 'Update installed rules' : 'Install alert rules'}
          </Button>
          <Text aria-live="polite">
            {installed.value ? `${installedCount} of ${rules.length} installed` : installed.loading ? 'checking…' : ''}
          </Text>
        </Stack>
        {install.error && (
          <Alert severity="error" title="Installing the alert rules failed">
            {install.error}
          </Alert>
        )}
        {install.done && (
          <Alert severity="success" title="Alert rules installed">
            {install.done.join('; ')}
          </Alert>
        )}
        {installed.error && (
          <Alert severity="warning" title="Which rules are installed is unknown">
            {installed.error}
          </Alert>
        )}
        {ALERT_TEMPLATES.groups.map((group) => (
          <section key={group.title} aria-label={`Group ${group.title}`}>
            <h3 className={styles.group}>
              {group.title} <Text color="secondary">every {group.interval}s</Text>
            </h3>
            <table className={styles.table}>
              <tbody>
                {group.rules.map((rule) => {
                  const present = installed.value?.get(rule.uid);
                  return (
                    <tr key={rule.uid} aria-label={rule.title}>
                      <td className={styles.title}>{rule.title}</td>
                      <td>
                        <Badge text={rule.labels.severity ?? 'none'} color={SEVERITY[rule.labels.severity] ?? 'blue'} />
                      </td>
                      <td>for {rule.for}</td>
                      <td className={styles.summary}>{rule.annotations.summary}</td>
                      <td>
                        {present ? (
                          <Badge text="installed" color="green" icon="check" />
                        ) : (
                          <Badge text="not installed" color="darkgrey" />
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        ))}
      </div>
    </PluginPage>
  );
}

export default Alerts;

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  group: css({ fontSize: theme.typography.h4.fontSize, marginBottom: theme.spacing(1) }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    td: { padding: theme.spacing(0.5, 1), borderBottom: `1px solid ${theme.colors.border.weak}`, verticalAlign: 'top' },
  }),
  title: css({ fontWeight: theme.typography.fontWeightMedium, whiteSpace: 'nowrap' }),
  summary: css({ color: theme.colors.text.secondary }),
});
