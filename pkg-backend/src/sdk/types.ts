// The plugin-facing shapes of Grafana's protocol: what a data source receives
// and answers, with the wire details (bytes, int64, enum numbers) converted
// away. convert.ts maps them to and from the protocol messages.
import type { Frame } from '../frames/frame';

export interface User {
  login: string;
  name: string;
  email: string;
  role: string;
}

export interface DataSourceInstanceSettings {
  id: number;
  uid: string;
  name: string;
  url: string;
  user: string;
  basicAuthEnabled: boolean;
  basicAuthUser: string;
  /** The raw jsonData bytes; the data source parses and validates them. */
  jsonData: Buffer;
  decryptedSecureJsonData: Record<string, string>;
  lastUpdatedMS: number;
  apiVersion: string;
}

export interface PluginContext {
  orgId: number;
  pluginId: string;
  /** Absent when Grafana itself asks, for example for an alert rule. */
  user?: User;
  dataSourceInstanceSettings?: DataSourceInstanceSettings;
  grafanaConfig: Record<string, string>;
  pluginVersion: string;
  userAgent: string;
}

export interface TimeRange {
  /** Epoch milliseconds. */
  from: number;
  to: number;
}

export interface DataQuery {
  refId: string;
  queryType: string;
  maxDataPoints: number;
  intervalMs: number;
  timeRange: TimeRange;
  /** The query model as the editor saved it (JSON bytes). */
  json: Buffer;
}

export interface QueryDataRequest {
  pluginContext: PluginContext;
  headers: Record<string, string>;
  queries: DataQuery[];
}

/** Who is to blame for an error: the plugin, or what it talks to (or the user's input to it). */
export type ErrorSource = 'plugin' | 'downstream';

export interface DataResponse {
  frames: Frame[];
  error?: string;
  /** HTTP status code; 200 when absent and no error. */
  status?: number;
  errorSource?: ErrorSource;
}

export type QueryDataResponse = Map<string, DataResponse>;

export type HealthStatus = 'UNKNOWN' | 'OK' | 'ERROR';

export interface CheckHealthRequest {
  pluginContext: PluginContext;
  headers: Record<string, string>;
}

export interface CheckHealthResult {
  status: HealthStatus;
  message: string;
  details?: unknown;
  /** Who is to blame when the status is ERROR. */
  errorSource?: ErrorSource;
}

export interface CallResourceRequest {
  pluginContext: PluginContext;
  /** The path below the resource root, without a leading slash. */
  path: string;
  method: string;
  /** The path and query string as the browser sent them. */
  url: string;
  headers: Record<string, string[]>;
  body: Buffer;
}

/** Streams a resource response back: the head first, then body chunks. */
export interface ResourceResponseWriter {
  /** `errorSource` says who is to blame for an error status (4xx, 5xx). */
  writeHead(status: number, headers?: Record<string, string | string[]>, errorSource?: ErrorSource): void;
  write(chunk: Buffer | string): void;
  end(chunk?: Buffer | string): void;
}

export type StreamStatus = 'OK' | 'NOT_FOUND' | 'PERMISSION_DENIED';

export interface StreamRequest {
  pluginContext: PluginContext;
  path: string;
  /** Optional payload of the subscription or publication (JSON bytes). */
  data: Buffer;
  headers: Record<string, string>;
}

export interface StreamResult {
  status: StreamStatus;
  /** JSON to hand back to the subscriber or to publish. */
  data?: Buffer | string;
}

/** What RunStream sends to the channel's subscribers. */
export interface StreamSender {
  /**
   * Sends a frame as JSON, the way Grafana Live expects stream packets.
   * False when it was dropped: Grafana has not taken what was sent before
   * (services/stream.ts bounds what waits for it).
   */
  sendFrame(frame: Frame): boolean;
  sendJSON(data: Buffer | string): boolean;
}

export interface CallContext {
  /** Aborted when Grafana cancels the call or the plugin shuts down. */
  signal: AbortSignal;
}

/** A backend plugin: every handler is optional; missing ones answer UNIMPLEMENTED. */
export interface BackendPlugin {
  queryData?(request: QueryDataRequest, context: CallContext): Promise<QueryDataResponse>;
  checkHealth?(request: CheckHealthRequest, context: CallContext): Promise<CheckHealthResult>;
  /** The plugin's own metrics in Prometheus text format. */
  collectMetrics?(): Promise<string>;
  callResource?(request: CallResourceRequest, writer: ResourceResponseWriter, context: CallContext): Promise<void>;
  subscribeStream?(request: StreamRequest, context: CallContext): Promise<StreamResult>;
  runStream?(request: StreamRequest, sender: StreamSender, context: CallContext): Promise<void>;
  publishStream?(request: StreamRequest, context: CallContext): Promise<StreamResult>;
  /** Releases connections and timers before the process exits. */
  dispose?(): Promise<void>;
  /** Called once the handshake line is out: time to load what the first call will need. */
  prepare?(): void;
  /**
   * Runs the query path once, in process and without reaching any upstream,
   * before the handshake line; serve() encodes the answer as QueryData
   * would, so Grafana's first query finds that path compiled and run.
   * Resolves with nothing when there is nothing left to warm (a query came first).
   */
  warmUp?(): Promise<QueryDataResponse | undefined>;
}
