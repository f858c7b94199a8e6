// The data source's settings, from Grafana's jsonData and decrypted
// secureJsonData (shapes in packages/shared/src/query.ts), checked once per instance.
// Every problem is reported at once, in words that say what to change on the
// configuration page.
import type { ZVizDataSourceOptions, ZVizSecureOptions } from '@zviz/shared/query';
import type { AgentTarget } from '@zviz/agent-client/agent';
import type { Auth, TlsOptions } from '@zviz/agent-client/http';

export type AgentDiscovery =
  { kind: 'static'; targets: AgentTarget[] } | { kind: 'prometheus'; job: string; scheme: 'http' | 'https' };

export interface Settings {
  prometheus?: { url: string; auth: Auth };
  agents: AgentDiscovery;
  agentAuth: Auth;
  /** Per request, and for a whole query over every agent (queries/fan-out.ts). */
  timeoutMs: number;
  /** Most agents one query asks at once. */
  agentConcurrency: number;
  tls: TlsOptions;
  /** How often Prometheus scrapes the agents; rate windows are at least four of these. */
  scrapeIntervalSeconds: number;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`the data source settings need fixing: ${problems.join('; ')}`);
  }
}

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_AGENT_JOB = 'zviz';
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;
/** Agents one query asks at once; docs/datasource.md ("A fleet") says why. */
export const DEFAULT_AGENT_CONCURRENCY = 32;

function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `10.0.0.3:9090` or `https://node-1:9090`: the agent's URL and its name. */
export function agentTarget(entry: string): AgentTarget | undefined {
  const text = entry.trim();
  const url = httpUrl(/^[a-z]+:\/\//i.test(text) ? text : `http://${text}`);
  if (!url || !url.hostname || url.search || url.hash) {
    return undefined;
  }
  return { name: url.host, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

function auth(
  kind: string | undefined,
  user: string | undefined,
  password: string | undefined,
  token: string | undefined,
  what: string,
  problems: string[]
): Auth {
  switch (kind ?? 'none') {
    case 'none':
      return { kind: 'none' };
    case 'basic':
      if (!user) {
        problems.push(`${what} basic auth needs a user`);
      }
      if (!password) {
        problems.push(`${what} basic auth needs a password`);
      }
      return { kind: 'basic', user: user ?? '', password: password ?? '' };
    case 'bearer':
      if (!token) {
        problems.push(`${what} bearer auth needs a token`);
      }
      return { kind: 'bearer', token: token ?? '' };
    default:
      problems.push(`${what} auth must be none, basic or bearer, not ${JSON.stringify(kind)}`);
      return { kind: 'none' };
  }
}

function parseJson(bytes: Buffer | string | undefined): ZVizDataSourceOptions {
  const text = bytes === undefined ? '' : bytes.toString();
  if (text.trim() === '') {
    return {};
  }
  const value: unknown = JSON.parse(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new SettingsError(['jsonData must be a JSON object']);
  }
  return value as ZVizDataSourceOptions;
}

/**
 * @param fallbackUrl the data source's own URL field, used for Prometheus
 *   when jsonData has no prometheusUrl.
 */
export function parseSettings(
  jsonData: Buffer | string | undefined,
  secure: ZVizSecureOptions,
  fallbackUrl = ''
): Settings {
  const problems: string[] = [];
  let options: ZVizDataSourceOptions;
  try {
    options = parseJson(jsonData);
  } catch (error) {
    throw error instanceof SettingsError
      ? error
      : new SettingsError([`jsonData is not valid JSON: ${(error as Error).message}`]);
  }

  let prometheus: Settings['prometheus'];
  const promUrl = (options.prometheusUrl ?? '').trim() || fallbackUrl.trim();
  if (promUrl) {
    if (!httpUrl(promUrl)) {
      problems.push(`Prometheus URL ${JSON.stringify(promUrl)} is not an http:// or https:// URL`);
    }
    const promAuth = auth(
      options.prometheusAuth,
      options.prometheusUser,
      secure.prometheusPassword,
      secure.prometheusToken,
      'Prometheus',
      problems
    );
    prometheus = { url: promUrl.replace(/\/+$/, ''), auth: promAuth };
  }

  let agents: AgentDiscovery;
  const discovery =
    options.agentDiscovery ?? (options.agents?.length ? 'static' : prometheus ? 'prometheus' : 'static');
  if (discovery === 'static') {
    const targets: AgentTarget[] = [];
    for (const entry of options.agents ?? []) {
      const target = typeof entry === 'string' ? agentTarget(entry) : undefined;
      if (!target) {
        problems.push(`agent ${JSON.stringify(entry)} is not host:port or an http(s) URL`);
      } else {
        targets.push(target);
      }
    }
    agents = { kind: 'static', targets };
  } else if (discovery === 'prometheus') {
    const job = (options.agentJob ?? DEFAULT_AGENT_JOB).trim();
    if (!prometheus) {
      problems.push('agent discovery through Prometheus needs a Prometheus URL');
    }
    if (!/^[^"\\\n]+$/.test(job)) {
      problems.push(`agent job ${JSON.stringify(job)} must be a non-empty job name without quotes or backslashes`);
    }
    const scheme = options.agentScheme ?? 'http';
    if (scheme !== 'http' && scheme !== 'https') {
      problems.push(`agent scheme must be http or https, not ${JSON.stringify(scheme)}`);
    }
    agents = { kind: 'prometheus', job, scheme };
  } else {
    problems.push(`agent discovery must be static or prometheus, not ${JSON.stringify(discovery)}`);
    agents = { kind: 'static', targets: [] };
  }

  if (!prometheus && agents.kind === 'static' && agents.targets.length === 0 && problems.length === 0) {
    problems.push('configure a Prometheus URL, agents, or both');
  }

  const agentAuth = auth(
    options.agentAuth,
    options.agentUser,
    secure.agentPassword,
    secure.agentToken,
    'agent',
    problems
  );

  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0 && timeoutSeconds <= 300)) {
    problems.push(`timeout must be a number of seconds between 0 and 300, not ${JSON.stringify(timeoutSeconds)}`);
  }
  const agentConcurrency = options.agentConcurrency ?? DEFAULT_AGENT_CONCURRENCY;
  if (
    typeof agentConcurrency !== 'number' ||
    !Number.isInteger(agentConcurrency) ||
    agentConcurrency < 1 ||
    agentConcurrency > 1000
  ) {
    problems.push(
      `agent concurrency must be a whole number of agents from 1 to 1000, not ${JSON.stringify(agentConcurrency)}`
    );
  }
  const scrapeIntervalSeconds = options.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  if (typeof scrapeIntervalSeconds !== 'number' || !(scrapeIntervalSeconds > 0 && scrapeIntervalSeconds <= 3600)) {
    problems.push(
      `scrape interval must be a number of seconds between 0 and 3600, not ${JSON.stringify(scrapeIntervalSeconds)}`
    );
  }
  const ca = secure.tlsCACert?.trim();
  if (ca && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push('the CA certificate must be PEM (-----BEGIN CERTIFICATE-----)');
  }

  if (problems.length > 0) {
    throw new SettingsError(problems);
  }
  return {
    prometheus,
    agents,
    agentAuth,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    agentConcurrency,
    tls: { skipVerify: options.tlsSkipVerify === true, ca: ca || undefined },
    scrapeIntervalSeconds,
  };
}
