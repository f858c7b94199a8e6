// Protocol messages (as proto-loader decodes them, with defaults filled in)
// to the plugin-facing types and back.
import { encodeFrame } from '../frames/arrow';
import { frameToJSON } from '../frames/json';
import type {
  CallResourceRequest,
  CheckHealthResult,
  DataQuery,
  DataResponse,
  DataSourceInstanceSettings,
  PluginContext,
  QueryDataRequest,
  StreamRequest,
  StreamResult,
} from './types';

// The decoded protocol messages, loosely typed: proto-loader fills every
// declared field with its default, so only presence of sub-messages varies.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Message = Record<string, any>;

function settingsOf(s: Message | null | undefined): DataSourceInstanceSettings | undefined {
  if (!s) {
    return undefined;
  }
  return {
    id: s.id,
    uid: s.uid,
    name: s.name,
    url: s.url,
    user: s.user,
    basicAuthEnabled: s.basicAuthEnabled,
    basicAuthUser: s.basicAuthUser,
    jsonData: s.jsonData,
    decryptedSecureJsonData: s.decryptedSecureJsonData ?? {},
    lastUpdatedMS: s.lastUpdatedMS,
    apiVersion: s.apiVersion,
  };
}

export function pluginContextOf(m: Message | null | undefined): PluginContext {
  const c = m ?? {};
  const context: PluginContext = {
    orgId: c.orgId ?? 0,
    pluginId: c.pluginId ?? '',
    grafanaConfig: c.grafanaConfig ?? {},
    pluginVersion: c.pluginVersion ?? '',
    userAgent: c.userAgent ?? '',
  };
  if (c.user) {
    context.user = { login: c.user.login, name: c.user.name, email: c.user.email, role: c.user.role };
  }
  const settings = settingsOf(c.dataSourceInstanceSettings);
  if (settings) {
    context.dataSourceInstanceSettings = settings;
  }
  return context;
}

function queryOf(q: Message): DataQuery {
  return {
    refId: q.refId,
    queryType: q.queryType,
    maxDataPoints: q.maxDataPoints,
    intervalMs: q.intervalMS,
    timeRange: { from: q.timeRange?.fromEpochMS ?? 0, to: q.timeRange?.toEpochMS ?? 0 },
    json: q.json,
  };
}

export function queryDataRequestOf(m: Message): QueryDataRequest {
  return {
    pluginContext: pluginContextOf(m.pluginContext),
    headers: m.headers ?? {},
    queries: (m.queries ?? []).map(queryOf),
  };
}

/** Encodes frames as Arrow files, or as JSON when Grafana asked for the JSON format. */
export function dataResponseMessage(refId: string, response: DataResponse, json: boolean): Message {
  const frames = response.frames.map((f) => {
    const withRef = f.refId ? f : { ...f, refId };
    return json ? Buffer.from(frameToJSON(withRef)) : encodeFrame(withRef);
  });
  const message: Message = { frames, format: json ? 'JSON' : 'ARROW' };
  if (response.error !== undefined) {
    message.error = response.error;
    message.status = response.status ?? 500;
    message.errorSource = response.errorSource ?? 'plugin';
  } else {
    message.status = response.status ?? 200;
  }
  return message;
}

/** A response as QueryChunkedData chunks: one per frame (ids `f0`, `f1`, …), then the error, if any. */
export function dataChunkMessages(refId: string, response: DataResponse, json: boolean): Message[] {
  const whole = dataResponseMessage(refId, response, json);
  const chunks: Message[] = (whole.frames as Buffer[]).map((frame, i) => ({
    refId,
    frameId: `f${i}`,
    frame,
    status: 200,
    format: whole.format,
  }));
  if (response.error !== undefined) {
    chunks.push({ refId, error: whole.error, status: whole.status, errorSource: whole.errorSource });
  }
  return chunks;
}

export function checkHealthMessage(result: CheckHealthResult): Message {
  const message: Message = { status: result.status, message: result.message };
  if (result.errorSource !== undefined) {
    message.errorSource = result.errorSource;
  }
  if (result.details !== undefined) {
    message.jsonDetails = Buffer.from(JSON.stringify(result.details));
  }
  return message;
}

export function callResourceRequestOf(m: Message): CallResourceRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, list] of Object.entries((m.headers ?? {}) as Record<string, Message>)) {
    headers[name] = list.values ?? [];
  }
  return {
    pluginContext: pluginContextOf(m.pluginContext),
    path: m.path,
    method: m.method,
    url: m.url,
    headers,
    body: m.body,
  };
}

export function resourceHeadersMessage(headers: Record<string, string | string[]>): Message {
  const out: Message = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = { values: Array.isArray(value) ? value : [value] };
  }
  return out;
}

export function streamRequestOf(m: Message): StreamRequest {
  return {
    pluginContext: pluginContextOf(m.pluginContext),
    path: m.path,
    data: m.data,
    headers: m.headers ?? {},
  };
}

export function streamResultMessage(result: StreamResult): Message {
  const message: Message = { status: result.status };
  if (result.data !== undefined) {
    message.data = Buffer.isBuffer(result.data) ? result.data : Buffer.from(result.data);
  }
  return message;
}
