// Prometheus HTTP API client (also Mimir, Thanos, Cortex): instant and range
// queries by POST (long syscall regexes do not fit in a URL), label values,
// and errors naming the server and what went wrong. Every answer is checked
// against the API's shapes (prometheus-answers.ts) before anyone reads it.
import * as z from 'zod/mini';

import type { UpstreamCall } from '@zviz/agent-client/call';
import { type Auth, type HttpClient, type HttpResponse } from '@zviz/agent-client/http';
import { AnswerReader } from '@zviz/agent-client/json-answer';
import { httpStatusText, UpstreamError } from '@zviz/agent-client/upstream-error';

import {
  failure,
  labelValues,
  matrix,
  type PromLabels,
  type PromMatrixSeries,
  type PromPoint,
  type PromQueryResult,
  type PromVectorSample,
  queryResult,
  success,
} from './prometheus-answers';

export type { PromLabels, PromMatrixSeries, PromPoint, PromQueryResult, PromVectorSample };

export interface PromAnswer<T> {
  data: T;
  warnings: string[];
}

const queryAnswer = success(queryResult);
const rangeAnswer = success(matrix);
const labelValuesAnswer = success(labelValues);

export class PrometheusClient {
  readonly name: string;
  private readonly base: URL;
  private readonly answers: AnswerReader;

  constructor(
    url: string,
    private readonly http: HttpClient,
    private readonly auth: Auth
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.name = `Prometheus at ${url.replace(/\/+$/, '')}`;
    this.answers = new AnswerReader(this.name, 'is the URL right?');
  }

  async query(expr: string, time: number | undefined, call: UpstreamCall = {}): Promise<PromAnswer<PromQueryResult>> {
    const form = new URLSearchParams({ query: expr });
    if (time !== undefined) {
      form.set('time', String(time));
    }
    const answer = await this.call(queryAnswer, 'api/v1/query', { form }, call);
    if (answer.data.resultType === 'matrix') {
      return { data: { resultType: 'matrix', result: floatSeries(answer.data.result) }, warnings: answer.warnings };
    }
    return answer as PromAnswer<PromQueryResult>;
  }

  /** Range query; start, end in seconds, step in seconds. */
  async queryRange(
    expr: string,
    start: number,
    end: number,
    step: number,
    call: UpstreamCall = {}
  ): Promise<PromAnswer<{ resultType: 'matrix'; result: PromMatrixSeries[] }>> {
    const form = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
    const answer = await this.call(rangeAnswer, 'api/v1/query_range', { form }, call);
    return { data: { resultType: 'matrix', result: floatSeries(answer.data.result) }, warnings: answer.warnings };
  }

  async labelValues(
    label: string,
    match: string[],
    range: { start: number; end: number } | undefined,
    call: UpstreamCall = {}
  ): Promise<string[]> {
    const params = new URLSearchParams();
    for (const m of match) {
      params.append('match[]', m);
    }
    if (range) {
      params.set('start', String(range.start));
      params.set('end', String(range.end));
    }
    const path = `api/v1/label/${encodeURIComponent(label)}/values`;
    return (await this.call(labelValuesAnswer, path, { params }, call)).data;
  }

  private async call<S extends z.ZodMiniType<{ data: unknown; warnings?: string[] }>>(
    schema: S,
    path: string,
    request: { form?: URLSearchParams; params?: URLSearchParams },
    call: UpstreamCall
  ): Promise<{ data: z.infer<S>['data']; warnings: string[] }> {
    const url = new URL(path, this.base);
    if (request.params) {
      url.search = request.params.toString();
    }
    const method = request.form ? 'POST' : 'GET';
    let response: HttpResponse;
    try {
      response = await this.http.request(url, {
        method,
        form: request.form,
        auth: this.auth,
        signal: call.signal,
        limitBytes: call.responseLimit,
        headers: call.headers ? { ...call.headers } : undefined,
      });
    } catch (error) {
      throw UpstreamError.from(this.name, error);
    }
    const what = `${method} /${path}`;
    const ok = response.status >= 200 && response.status <= 299;
    let body: unknown;
    try {
      body = this.answers.json(what, response);
    } catch (error) {
      if (ok) {
        throw error;
      }
      // An HTTP error without JSON (a proxy's 502 page): its status says more.
      throw new UpstreamError(
        this.name,
        httpStatusText(response.status, response.statusText, response.body),
        'http',
        response.status
      );
    }
    const failed = failure.safeParse(body);
    if (failed.success) {
      // Prometheus explains failed queries in its own words: keep them.
      throw new UpstreamError(
        this.name,
        `${failed.data.errorType ?? 'error'}: ${failed.data.error ?? 'unknown error'}`,
        'api',
        response.status
      );
    }
    if (!ok) {
      throw new UpstreamError(
        this.name,
        httpStatusText(response.status, response.statusText, response.body),
        'http',
        response.status
      );
    }
    const answer = this.answers.check(schema, body, what, response.status);
    return { data: answer.data, warnings: answer.warnings ?? [] };
  }
}

/** Series with float samples; native-histogram series (no `values`) have none to show as numbers. */
function floatSeries(result: Array<{ metric: PromLabels; values?: PromPoint[] }>): PromMatrixSeries[] {
  return result.map((s) => (s.values ? (s as PromMatrixSeries) : { metric: s.metric, values: [] }));
}
