// Grafana marks requests of its alerting engine with the header
// `FromAlert: true`; Grafana's Go SDK (its alert forwarder middleware) sets
// the same header on every outgoing HTTP request the plugin makes while
// answering QueryData, CallResource or CheckHealth, so the data source behind
// the plugin can tell alert evaluations from dashboard views (and rate-limit,
// log or prioritise them).

export const FROM_ALERT_HEADER = 'FromAlert';

/**
 * The headers to forward upstream for a request with these headers: the
 * FromAlert value as Grafana sent it, when it sent one. QueryData and
 * CheckHealth carry single values, CallResource lists (the first counts, as
 * in the SDK). The name is matched regardless of case: resource requests come
 * through Go's HTTP server, which writes it `Fromalert`.
 */
export function forwardedHeaders(headers: Readonly<Record<string, string | string[]>>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === FROM_ALERT_HEADER.toLowerCase()) {
      const first = Array.isArray(value) ? value[0] : value;
      return first ? { [FROM_ALERT_HEADER]: first } : {};
    }
  }
  return {};
}
