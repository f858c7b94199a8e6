// What Grafana's HTTP API answers the plugin modules in the harness: the
// query endpoint with frames shaped as the backend datasource emits them
// (packages/shared/src/frames.ts) and the datasource resource endpoints. Every request
// is recorded so tests can check what the modules asked for.
import { dataFrameToJSON, type DataFrame, FieldType, createDataFrame } from '@grafana/data';
import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { from, Observable, of, throwError } from 'rxjs';

import { resources } from '../../support/frontend/resources';
import { instantFrame } from '../../support/frontend/backend';
import { decisionsFrames } from '../../support/frontend/decision-frames';
import { AUDIT_FRAME } from '@zviz/shared/frames';

export interface Scenario {
  /**
   * Send the datasource's calls (queries, resources, health) to the page's
   * own origin instead of answering them here: a test routes them to a real
   * backend, as Grafana's /api/ds/query does (test/e2e).
   */
  upstream?: boolean;
  syscalls: number;
  p99LatencySeconds?: number;
  /** refIds whose query fails with this message. */
  failing?: Record<string, string>;
}

export const requests: Array<{ method: string; url: string; data?: unknown; params?: unknown }> = [];
export const scenario: Scenario = { syscalls: 400, p99LatencySeconds: 0.0042 };

function auditFrame(syscall?: string, decision?: string): DataFrame {
  const n = 12;
  const t0 = 1_700_000_000_000;
  return createDataFrame({
    name: AUDIT_FRAME,
    refId: 'audit',
    fields: [
      { name: 'time', type: FieldType.time, values: Array.from({ length: n }, (_, i) => t0 - i * 61_000) },
      {
        name: 'body',
        type: FieldType.string,
        values: Array.from({ length: n }, (_, i) => `${syscall ?? 'openat'} ${decision ?? 'deny'} /etc/shadow #${i}`),
      },
      {
        name: 'container_id',
        type: FieldType.string,
        values: Array.from({ length: n }, (_, i) => `ci-${40 + (i % 3)}`),
      },
      { name: 'layer', type: FieldType.string, values: Array.from({ length: n }, () => 'broker') },
      { name: 'latency_us', type: FieldType.number, values: Array.from({ length: n }, (_, i) => 4 + i) },
    ],
  });
}

/** Instant PromQL results of the app pages' queries, by refId (as Prometheus would answer them). */
const promqlAnswers: Record<string, unknown[]> = {
  up: [instantFrame('up', 2)],
  targets: [instantFrame('targets', 3)],
  brokersReady: [instantFrame('brokersReady', 2)],
  brokers: [instantFrame('brokers', 2)],
  inflight: [instantFrame('inflight', 7)],
  p99: [instantFrame('p99', 0.0042)],
  denials: [instantFrame('denials', 3.2)],
  requests: [instantFrame('requests', 1520)],
  states: [instantFrame('states', 1, { state: 'running' }), instantFrame('states', 1, { state: 'exited' })],
  info: [
    instantFrame('info', 1, { container_id: 'ci-42', name: 'build-42', profile: 'ci-runner', instance: 'node-1:9090' }),
  ],
  uptime: [instantFrame('uptime', 5400, { container_id: 'ci-42' })],
  restarts: [instantFrame('restarts', 3, { container_id: 'ci-43' })],
  memory: [instantFrame('memory', 734003200, { container_id: 'ci-42' })],
  utilization: [
    instantFrame('utilization', 0.92, { container_id: 'ci-42', resource_type: 'memory' }),
    instantFrame('utilization', 0.35, { container_id: 'ci-42', resource_type: 'cpu' }),
    instantFrame('utilization', 0.1, { container_id: 'ci-42', resource_type: 'pids' }),
  ],
  alert: [instantFrame('alert', 2, { container_id: 'ci-42', resource_type: 'memory' })],
};

/** Grafana's own API the app pages call: alert provisioning, folders, datasources, plugin settings. */
const installedRules: Array<{ uid: string }> = [];
function grafanaApi(method: string, url: string, data: unknown): { status: number; data: unknown } | undefined {
  const key = `${method} ${url}`;
  if (key === 'GET api/v1/provisioning/alert-rules') {
    return { status: 200, data: installedRules };
  }
  if (key === 'GET api/folders/zviz-alerts') {
    return installedRules.length
      ? { status: 200, data: { uid: 'zviz-alerts' } }
      : { status: 404, data: { message: 'folder not found' } };
  }
  if (key === 'POST api/folders' || key === 'POST api/plugins/zviz-sandbox-app/settings') {
    return { status: 200, data: {} };
  }
  if (method === 'PUT' && url.startsWith('api/v1/provisioning/folder/zviz-alerts/rule-groups/')) {
    installedRules.push(...(data as { rules: Array<{ uid: string }> }).rules.map((r) => ({ uid: r.uid })));
    return { status: 200, data: {} };
  }
  if (key === 'GET api/datasources/uid/zviz') {
    return { status: 200, data: { name: 'ZViz', uid: 'zviz', type: 'zviz-agent-datasource' } };
  }
  if (key === 'GET api/datasources/uid/zviz/health') {
    return {
      status: 200,
      data: { status: 'OK', message: 'Prometheus answers; 1 of 2 agents up (node-2:9090: connection refused)' },
    };
  }
  return undefined;
}

function queryResponse(body: { queries: Array<Record<string, unknown>>; from: string; to: string }) {
  const rangeSeconds = (Number(body.to) - Number(body.from)) / 1000;
  const results: Record<string, unknown> = {};
  for (const q of body.queries) {
    const refId = String(q.refId);
    if (scenario.failing?.[refId]) {
      results[refId] = { status: 502, error: scenario.failing[refId], errorSource: 'downstream', frames: [] };
      continue;
    }
    let frames: DataFrame[] = [];
    if (q.queryType === 'decisions') {
      frames = decisionsFrames({
        syscalls: scenario.syscalls,
        mode: q.mode === 'rate' ? 'rate' : 'count',
        rangeSeconds: Number.isFinite(rangeSeconds) && rangeSeconds > 0 ? rangeSeconds : 3600,
        p99LatencySeconds: scenario.p99LatencySeconds,
      });
    } else if (q.queryType === 'audit') {
      frames = [auditFrame(q.syscall as string, q.decision as string)];
    } else if (q.queryType === 'promql') {
      results[refId] = { status: 200, frames: promqlAnswers[refId] ?? [] };
      continue;
    }
    results[refId] = { status: 200, frames: frames.map((f) => dataFrameToJSON({ ...f, refId })) };
  }
  return { results };
}

function route(options: BackendSrvRequest): { status: number; data: unknown } {
  const url = options.url.replace(/^\//, '');
  const resource = /^api\/datasources\/uid\/zviz\/resources\/(.+)$/.exec(url.split('?')[0]);
  if (resource) {
    const key = resource[1] as keyof typeof resources;
    return key in resources ? { status: 200, data: resources[key] } : { status: 404, data: { message: 'not found' } };
  }
  if (url.startsWith('api/ds/query')) {
    return { status: 200, data: queryResponse(options.data) };
  }
  const api = grafanaApi(options.method ?? 'GET', url.split('?')[0], options.data);
  if (api) {
    return api;
  }
  return { status: 404, data: { message: `harness has no ${options.url}` } };
}

const UPSTREAM = /^api\/(ds\/query|datasources\/uid\/zviz\/(resources\/|health))/;

function response<T>(options: BackendSrvRequest, status: number, data: T): FetchResponse<T> {
  return {
    data,
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    ok: status < 300,
    headers: new Headers(),
    redirected: false,
    type: 'basic' as ResponseType,
    url: options.url,
    config: options,
  };
}

/** The call, made for real against the page's origin. */
function upstream<T>(options: BackendSrvRequest, url: string): Observable<FetchResponse<T>> {
  const params = options.params ? `?${new URLSearchParams(options.params as Record<string, string>)}` : '';
  return from(
    (async () => {
      const r = await window.fetch(`/${url}${url.includes('?') ? '' : params}`, {
        method: options.method ?? 'GET',
        headers: { 'Content-Type': 'application/json' },
        body: options.data === undefined ? undefined : JSON.stringify(options.data),
      });
      const text = await r.text();
      const answer = response<T>(options, r.status, (text ? JSON.parse(text) : {}) as T);
      if (!r.ok) {
        throw answer;
      }
      return answer;
    })()
  );
}

function fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  requests.push({ method: options.method ?? 'GET', url: options.url, data: options.data, params: options.params });
  const url = options.url.replace(/^\//, '');
  if (scenario.upstream && UPSTREAM.test(url)) {
    return upstream<T>(options, url);
  }
  const { status, data } = route(options);
  const answer = response<T>(options, status, data as T);
  return status < 300 ? of(answer) : throwError(() => answer);
}

function promise<T>(options: BackendSrvRequest): Promise<T> {
  return new Promise((resolve, reject) =>
    fetch<T>(options).subscribe({ next: (r) => resolve(r.data), error: (e) => reject(e) })
  );
}

export const backendSrv = {
  fetch,
  request: promise,
  datasourceRequest: promise,
  get: (url: string, params?: BackendSrvRequest['params'], _id?: string, options?: Partial<BackendSrvRequest>) =>
    promise({ ...options, url, params, method: 'GET' }),
  post: (url: string, data?: unknown, options?: Partial<BackendSrvRequest>) =>
    promise({ ...options, url, data, method: 'POST' }),
  put: (url: string, data?: unknown, options?: Partial<BackendSrvRequest>) =>
    promise({ ...options, url, data, method: 'PUT' }),
  patch: (url: string, data?: unknown, options?: Partial<BackendSrvRequest>) =>
    promise({ ...options, url, data, method: 'PATCH' }),
  delete: (url: string, data?: unknown, options?: Partial<BackendSrvRequest>) =>
    promise({ ...options, url, data, method: 'DELETE' }),
  resolveCancelerIfExists: () => {},
} as unknown as BackendSrv;
