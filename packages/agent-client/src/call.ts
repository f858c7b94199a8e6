// What one call from Grafana hands every upstream request it makes: its
// cancellation, the most an answer may weigh, and the headers Grafana's Go
// SDK forwards (FromAlert). Passed down as one value so a query handler or a
// fan-out to many agents cannot forget one of them.

export interface UpstreamCall {
  /** Aborted when Grafana cancels the call or the plugin shuts down. */
  signal?: AbortSignal;
  /** Most bytes of one answer to buffer; a larger answer fails (see sdk/response-limit.ts). */
  responseLimit?: number;
  /** Sent with every upstream request of the call. */
  headers?: Readonly<Record<string, string>>;
}
