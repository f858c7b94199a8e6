// How large an upstream answer a plugin may read, resolved as Grafana's Go
// SDK resolves it for its HTTP clients (backend/httpclient's response-limit
// middleware): Grafana's `[dataproxy] response_limit`, handed to plugins as
// GF_RESPONSE_LIMIT in each request's Grafana config, then the
// GF_DATAPROXY_RESPONSE_LIMIT environment variable. Where the Go SDK then
// reads without bound, this plugin still bounds what it buffers: a 700 MB
// answer parsed in Node takes gigabytes.

/** The key of the limit in PluginContext.grafanaConfig. */
export const GRAFANA_RESPONSE_LIMIT = 'GF_RESPONSE_LIMIT';
/** The environment variable the Go SDK reads when Grafana's config has no limit. */
export const ENV_RESPONSE_LIMIT = 'GF_DATAPROXY_RESPONSE_LIMIT';
/** What is buffered of one answer when Grafana sets no limit. */
export const DEFAULT_RESPONSE_LIMIT = 64 * 1024 * 1024;

function positive(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) {
    return undefined;
  }
  const n = Number(text);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** The limit in bytes for a request with this Grafana config. */
export function responseLimit(grafanaConfig: Record<string, string>, env: NodeJS.ProcessEnv = process.env): number {
  return positive(grafanaConfig[GRAFANA_RESPONSE_LIMIT]) ?? positive(env[ENV_RESPONSE_LIMIT]) ?? DEFAULT_RESPONSE_LIMIT;
}
