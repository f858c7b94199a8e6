import { css } from '@emotion/css';
import type { DataSourcePluginOptionsEditorProps, GrafanaTheme2 } from '@grafana/data';
import {
  Divider,
  Field,
  Input,
  RadioButtonGroup,
  SecretInput,
  SecretTextArea,
  Stack,
  Switch,
  TagsInput,
  Text,
  useStyles2,
} from '@grafana/ui';
import React from 'react';

import type { ZVizSecureOptions } from '@zviz/shared/query';
import { DEFAULT_AGENT_CONCURRENCY, DEFAULT_AGENT_JOB, DEFAULT_TIMEOUT_SECONDS, type ZVizOptions } from '../types';

export type Props = DataSourcePluginOptionsEditorProps<ZVizOptions, ZVizSecureOptions>;

type Auth = 'none' | 'basic' | 'bearer';
const AUTH_OPTIONS: Array<{ value: Auth; label: string }> = [
  { value: 'none', label: 'None' },
  { value: 'basic', label: 'Basic' },
  { value: 'bearer', label: 'Bearer token' },
];

const SCHEME_OPTIONS: Array<{ value: 'http' | 'https'; label: string }> = [
  { value: 'http', label: 'http' },
  { value: 'https', label: 'https' },
];

const DISCOVERY_OPTIONS: Array<{ value: 'prometheus' | 'static'; label: string }> = [
  { value: 'prometheus', label: 'Prometheus targets' },
  { value: 'static', label: 'Static list' },
];

/** Why a URL cannot be used, in words the user can act on; undefined when it is fine. */
export function urlError(value: string | undefined, required: boolean): string | undefined {
  if (!value) {
    return required ? 'Required' : undefined;
  }
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      return 'Use an http:// or https:// URL';
    }
    return undefined;
  } catch {
    return 'Not a URL; for example http://prometheus:9090';
  }
}

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const styles = useStyles2(getStyles);
  const json = options.jsonData;
  const secure = options.secureJsonFields ?? {};
  const secureData = options.secureJsonData ?? {};

  const setJson = (patch: Partial<ZVizOptions>) => onOptionsChange({ ...options, jsonData: { ...json, ...patch } });
  const setSecret = (key: keyof ZVizSecureOptions, value: string) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureData, [key]: value } });
  // Resetting tells Grafana to drop the stored secret on save.
  const resetSecret = (key: keyof ZVizSecureOptions) =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secure, [key]: false },
      secureJsonData: { ...secureData, [key]: '' },
    });
  const secret = (key: keyof ZVizSecureOptions, label: string, placeholder: string) => (
    <Field label={label}>
      <SecretInput
        id={`zviz-${key}`}
        width={40}
        placeholder={placeholder}
        isConfigured={Boolean(secure[key])}
        value={secureData[key] ?? ''}
        onChange={(e) => setSecret(key, e.currentTarget.value)}
        onReset={() => resetSecret(key)}
      />
    </Field>
  );

  const promError = urlError(json.prometheusUrl, true);
  const discovery = json.agentDiscovery ?? 'prometheus';
  const badAgents = (json.agents ?? []).filter((a) => urlError(a, true));
  const timeout = json.timeoutSeconds;
  const timeoutError =
    timeout === undefined || (Number.isFinite(timeout) && timeout > 0 && timeout <= 300)
      ? undefined
      : 'Seconds, from 1 to 300';

  const concurrency = json.agentConcurrency;
  const concurrencyError =
    concurrency === undefined || (Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000)
      ? undefined
      : 'A whole number of agents, from 1 to 1000';

  const scrape = json.scrapeIntervalSeconds;
  const scrapeError =
    scrape === undefined || (Number.isFinite(scrape) && scrape >= 1 && scrape <= 3600)
      ? undefined
      : 'Seconds, from 1 to 3600';

  return (
    <div className={styles.editor}>
      <Stack direction="column" gap={0}>
        <Text element="h3">Prometheus</Text>
        <Text color="secondary">
          Where the agents&apos; metrics are stored: Prometheus, or Mimir, Thanos or Cortex with a Prometheus API.
        </Text>
        <Field label="URL" required invalid={Boolean(promError)} error={promError} className={styles.first}>
          <Input
            id="zviz-prometheus-url"
            width={60}
            placeholder="http://prometheus:9090"
            value={json.prometheusUrl ?? ''}
            onChange={(e) => setJson({ prometheusUrl: e.currentTarget.value.trim() })}
          />
        </Field>
        <Field label="Authentication">
          <RadioButtonGroup
            options={AUTH_OPTIONS}
            value={json.prometheusAuth ?? 'none'}
            onChange={(prometheusAuth) => setJson({ prometheusAuth })}
          />
        </Field>
        {json.prometheusAuth === 'basic' && (
          <>
            <Field label="User">
              <Input
                id="zviz-prometheus-user"
                width={40}
                value={json.prometheusUser ?? ''}
                onChange={(e) => setJson({ prometheusUser: e.currentTarget.value })}
              />
            </Field>
            {secret('prometheusPassword', 'Password', 'Prometheus password')}
          </>
        )}
        {json.prometheusAuth === 'bearer' && secret('prometheusToken', 'Token', 'Bearer token for Prometheus')}

        <Divider />
        <Text element="h3">Agents</Text>
        <Text color="secondary">
          The ZViz agents answer health, audit and live decision queries. Find them through Prometheus (every target of
          the agents&apos; scrape job) or list them.
        </Text>
        <Field label="Discovery" className={styles.first}>
          <RadioButtonGroup
            options={DISCOVERY_OPTIONS}
            value={discovery}
            onChange={(agentDiscovery) => setJson({ agentDiscovery })}
          />
        </Field>
        {discovery === 'prometheus' ? (
          <>
            <Field label="Scrape job" description='Agents are the targets of up{job="..."}'>
              <Input
                id="zviz-agent-job"
                width={30}
                placeholder={DEFAULT_AGENT_JOB}
                value={json.agentJob ?? ''}
                onChange={(e) => setJson({ agentJob: e.currentTarget.value.trim() || undefined })}
              />
            </Field>
            <Field label="Agent scheme" description="Targets carry host:port only; how to reach them">
              <RadioButtonGroup
                options={SCHEME_OPTIONS}
                value={json.agentScheme ?? 'http'}
                onChange={(agentScheme) => setJson({ agentScheme })}
              />
            </Field>
          </>
        ) : (
          <Field
            label="Agent URLs"
            description="Press Enter after each, for example http://node-1:9090"
            invalid={badAgents.length > 0 || (json.agents ?? []).length === 0}
            error={
              badAgents.length > 0
                ? `Not an http(s) URL: ${badAgents.join(', ')}`
                : (json.agents ?? []).length === 0
                  ? 'List at least one agent'
                  : undefined
            }
          >
            <TagsInput
              id="zviz-agents"
              width={60}
              placeholder="http://node-1:9090"
              tags={json.agents ?? []}
              onChange={(agents) => setJson({ agents })}
            />
          </Field>
        )}
        <Field
          label="Agent authentication"
          description="What the agents' metrics.auth.type requires (docs/agent.md, Authentication)"
        >
          <RadioButtonGroup
            options={AUTH_OPTIONS}
            value={json.agentAuth ?? 'none'}
            onChange={(agentAuth) => setJson({ agentAuth })}
          />
        </Field>
        {json.agentAuth === 'basic' && (
          <>
            <Field label="Agent user">
              <Input
                id="zviz-agent-user"
                width={40}
                value={json.agentUser ?? ''}
                onChange={(e) => setJson({ agentUser: e.currentTarget.value })}
              />
            </Field>
            {secret('agentPassword', 'Agent password', 'Agent password')}
          </>
        )}
        {json.agentAuth === 'bearer' && secret('agentToken', 'Agent token', 'Bearer token for the agents')}

        <Divider />
        <Text element="h3">Connection</Text>
        <Field
          label="Timeout"
          description="Seconds for each request to Prometheus or an agent"
          invalid={Boolean(timeoutError)}
          error={timeoutError}
          className={styles.first}
        >
          <Input
            id="zviz-timeout"
            type="number"
            width={12}
            min={1}
            max={300}
            placeholder={String(DEFAULT_TIMEOUT_SECONDS)}
            value={timeout ?? ''}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setJson({ timeoutSeconds: v === '' ? undefined : Number(v) });
            }}
          />
        </Field>
        <Field
          label="Agents at once"
          description="Most agents one query asks at the same time; a query over every agent ends within the timeout, naming the agents that did not answer"
          invalid={Boolean(concurrencyError)}
          error={concurrencyError}
        >
          <Input
            id="zviz-agent-concurrency"
            type="number"
            width={12}
            min={1}
            max={1000}
            placeholder={String(DEFAULT_AGENT_CONCURRENCY)}
            value={concurrency ?? ''}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setJson({ agentConcurrency: v === '' ? undefined : Number(v) });
            }}
          />
        </Field>
        <Field
          label="Scrape interval"
          description="Prometheus' scrape interval of the agents, in seconds; rate windows span at least four"
          invalid={Boolean(scrapeError)}
          error={scrapeError}
        >
          <Input
            id="zviz-scrape-interval"
            type="number"
            width={12}
            min={1}
            placeholder="15"
            value={json.scrapeIntervalSeconds ?? ''}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setJson({ scrapeIntervalSeconds: v === '' ? undefined : Number(v) });
            }}
          />
        </Field>
        <Field label="Skip TLS verification" description="Accept any certificate (testing only)">
          <Switch
            id="zviz-tls-skip-verify"
            value={Boolean(json.tlsSkipVerify)}
            onChange={(e) => setJson({ tlsSkipVerify: e.currentTarget.checked })}
          />
        </Field>
        {!json.tlsSkipVerify && (
          <Field
            label="CA certificate"
            description="PEM of the CA that signed Prometheus' and the agents' certificates"
          >
            <SecretTextArea
              id="zviz-tls-ca"
              cols={60}
              rows={4}
              placeholder="-----BEGIN CERTIFICATE-----"
              isConfigured={Boolean(secure.tlsCACert)}
              value={secureData.tlsCACert ?? ''}
              onChange={(e) => setSecret('tlsCACert', e.currentTarget.value)}
              onReset={() => resetSecret('tlsCACert')}
            />
          </Field>
        )}
      </Stack>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({ maxWidth: 900 }),
  first: css({ marginTop: theme.spacing(2) }),
});
