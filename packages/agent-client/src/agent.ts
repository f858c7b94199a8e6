// Client of one ZViz agent's HTTP API: /health, /api/v1/decisions,
// /api/v1/containers, the SSE stream /api/v1/decisions/stream, and raw GETs
// for callers that read an answer their own way (the exposition at /metrics).
// Every JSON answer is checked against the agent API's shapes
// (agent-answers.ts) before anyone reads it; every failure is an
// UpstreamError that names the agent.
import {
  AGENT_PATHS,
  type ContainersResponse,
  type DecisionEvent,
  type DecisionsResponse,
  type HealthReport,
} from '@zviz/shared/agent-api';
import type * as z from 'zod/mini';

import { agentAnswers } from './agent-answers';
import type { UpstreamCall } from './call';
import { type Auth, type HttpClient, type HttpResponse } from './http';
import { AnswerReader, describeIssues } from './json-answer';
import type { JsonBudget } from './json-budget';
import { type ServerSentEvent, SseReader } from './sse';
import { httpStatusText, UpstreamError } from './upstream-error';

export interface AgentTarget {
  /** How people name the agent: `host:port` as in Prometheus' `instance` label. */
  name: string;
  /** Base URL, e.g. `http://10.0.0.3:9090`. */
  url: string;
}

/** The most events an agent returns per request (its /api/v1/decisions refuses more). */
export const AGENT_MAX_LIMIT = 1000;

/**
 * What one decision event may hold as JSON: its dozen fields and a few
 * arguments (keys count as values), nested three deep. Far above any event
 * an agent sends; far below what 1 MiB of `{},` would make.
 */
export const EVENT_BUDGET: JsonBudget = { values: 128, depth: 8 };

/**
 * What each answer of the agent API may hold before it is parsed: a health
 * report of a few components; a page of at most AGENT_MAX_LIMIT events; a
 * container list of up to 25,000 containers of some 40 values each.
 */
export const ANSWER_BUDGETS: Record<'health' | 'decisions' | 'containers', JsonBudget> = {
  health: { values: 10_000, depth: 8 },
  decisions: { values: AGENT_MAX_LIMIT * EVENT_BUDGET.values + 16, depth: EVENT_BUDGET.depth + 2 },
  containers: { values: 1_000_000, depth: 8 },
};

/** Events of an answer that did not fit the agent API's shape: dropped, counted, the first one described. */
export interface InvalidEvents {
  count: number;
  first?: string;
}

export type AgentDecisions = DecisionsResponse & { invalid: InvalidEvents };

/** A decision event as the agent API defines it, or why it is not one. */
export function checkDecisionEvent(
  value: unknown,
  under: ReadonlyArray<PropertyKey> = []
): { ok: true; event: DecisionEvent } | { ok: false; problem: string } {
  const result = agentAnswers().decisionEvent.safeParse(value);
  return result.success
    ? { ok: true, event: result.data }
    : { ok: false, problem: describeIssues(result.error, under) };
}

export interface DecisionsFilter {
  since?: number;
  syscall?: string;
  decision?: string;
  container?: string;
  limit?: number;
}

export class AgentClient {
  readonly label: string;
  private readonly base: URL;
  private readonly answers: AnswerReader;

  constructor(
    readonly target: AgentTarget,
    private readonly http: HttpClient,
    private readonly auth: Auth
  ) {
    this.base = new URL(target.url.endsWith('/') ? target.url : `${target.url}/`);
    this.label = `agent ${target.name}`;
    this.answers = new AnswerReader(this.label, 'is this a ZViz agent?');
  }

  /** The health report; an unhealthy agent answers 503 with the same JSON, which is still an answer. */
  health(call: UpstreamCall = {}): Promise<HealthReport> {
    return this.getJson(agentAnswers().healthReport, AGENT_PATHS.health, ANSWER_BUDGETS.health, undefined, call, [503]);
  }

  /**
   * A page of recent decisions. The page itself must have the API's shape;
   * single events that do not are left out and counted in `invalid`.
   */
  async decisions(filter: DecisionsFilter, call: UpstreamCall = {}): Promise<AgentDecisions> {
    const params = new URLSearchParams();
    const capped = {
      ...filter,
      limit: filter.limit === undefined ? undefined : Math.min(filter.limit, AGENT_MAX_LIMIT),
    };
    for (const [key, value] of Object.entries(capped)) {
      if (value !== undefined && value !== '') {
        params.set(key, String(value));
      }
    }
    const page = await this.getJson(
      agentAnswers().decisionsPage,
      AGENT_PATHS.decisions,
      ANSWER_BUDGETS.decisions,
      params,
      call
    );
    const events: DecisionEvent[] = [];
    const invalid: InvalidEvents = { count: 0 };
    page.events.forEach((value, i) => {
      const checked = checkDecisionEvent(value, ['events', i]);
      if (checked.ok) {
        events.push(checked.event);
      } else {
        invalid.count++;
        invalid.first ??= checked.problem;
      }
    });
    return { events, next: page.next, missed: page.missed, invalid };
  }

  containers(call: UpstreamCall = {}): Promise<ContainersResponse> {
    return this.getJson(
      agentAnswers().containersResponse,
      AGENT_PATHS.containers,
      ANSWER_BUDGETS.containers,
      undefined,
      call
    );
  }

  /**
   * GET `path` (which may carry a query) and hand back the answer whatever
   * its status, unread: for the exposition at /metrics and for callers that
   * word HTTP errors their own way. Rejects only when there is no answer
   * (refused, timed out, TLS, over `call.responseLimit`).
   */
  async get(path: string, accept: string, call: UpstreamCall = {}): Promise<HttpResponse> {
    try {
      return await this.http.request(this.url(path), {
        auth: this.auth,
        signal: call.signal,
        limitBytes: call.responseLimit,
        headers: { ...call.headers, Accept: accept },
      });
    } catch (error) {
      throw UpstreamError.from(this.label, error);
    }
  }

  /**
   * Follows the decision stream until it ends or `signal` aborts, calling
   * `onEvent` for each event. Resolves when the agent closes the stream.
   * `since` asks for the events after that sequence number first (the
   * agent's ring replays them), as Last-Event-ID does. The client's timeout
   * covers the wait for the answer's head; an open stream is quiet between
   * heartbeats and lives as long as its reader.
   */
  async stream(
    options: {
      since?: string;
      container?: string;
      signal: AbortSignal;
      onOpen?: () => void;
      /** The reconnection delay the agent asks for (`retry:`). */
      onRetry?: (ms: number) => void;
    },
    onEvent: (event: ServerSentEvent) => void
  ): Promise<void> {
    const url = this.url(AGENT_PATHS.decisionStream);
    if (options.container) {
      url.searchParams.set('container', options.container);
    }
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.since !== undefined) {
      headers['Last-Event-ID'] = options.since;
    }
    let opened;
    try {
      opened = await this.http.open(url, { headers, auth: this.auth, signal: options.signal, timeoutUntilHead: true });
    } catch (error) {
      throw UpstreamError.from(this.label, error);
    }
    const { response, finish } = opened;
    try {
      if (response.statusCode !== 200) {
        const body = await readAtMost(response, ERROR_BODY_BYTES, this.http.timeoutMs);
        throw new UpstreamError(
          this.label,
          httpStatusText(response.statusCode ?? 0, response.statusMessage ?? '', body),
          'http',
          response.statusCode
        );
      }
      options.onOpen?.();
      const parser = new SseReader({ onRetry: options.onRetry });
      response.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        response.on('data', (chunk: string) => {
          let events;
          try {
            events = parser.push(chunk);
          } catch (error) {
            reject(new UpstreamError(this.label, `the decision stream ${(error as Error).message}`, 'response'));
            response.destroy();
            return;
          }
          for (const event of events) {
            onEvent(event);
          }
        });
        response.on('end', resolve);
        response.on('close', resolve);
        response.on('error', (error) => reject(UpstreamError.from(this.label, error)));
      });
    } finally {
      finish();
      response.destroy();
    }
  }

  /** An API path under the agent's base URL, which may itself have a path (a proxy's prefix). */
  private url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  private async getJson<S extends z.ZodMiniType>(
    schema: S,
    path: string,
    budget: JsonBudget,
    params: URLSearchParams | undefined,
    call: UpstreamCall,
    alsoAccept: number[] = []
  ): Promise<z.infer<S>> {
    const url = this.url(path);
    if (params) {
      url.search = params.toString();
    }
    let response: HttpResponse;
    try {
      response = await this.http.request(url, {
        auth: this.auth,
        signal: call.signal,
        limitBytes: call.responseLimit,
        headers: { ...call.headers, Accept: 'application/json' },
      });
    } catch (error) {
      throw UpstreamError.from(this.label, error);
    }
    const ok = (response.status >= 200 && response.status < 300) || alsoAccept.includes(response.status);
    if (!ok) {
      throw new UpstreamError(
        this.label,
        httpStatusText(response.status, response.statusText, response.body),
        'http',
        response.status
      );
    }
    const what = `GET ${path}`;
    return this.answers.check(schema, this.answers.json(what, response, budget), what, response.status);
  }
}

/** What is read of an error answer on the stream: enough for its first line. */
const ERROR_BODY_BYTES = 4096;

/**
 * Up to `limit` bytes of `stream`, or what came within `timeoutMs` (0: no
 * bound): an error answer the upstream drips without end must not hold the
 * stream's reader, which would then never try again.
 */
function readAtMost(stream: NodeJS.ReadableStream, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = timeoutMs > 0 ? setTimeout(() => done(), timeoutMs) : undefined;
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).subarray(0, limit));
    };
    stream.on('data', (c: Buffer | string) => {
      const chunk = Buffer.from(c);
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        done(); // the caller destroys the stream
      }
    });
    stream.on('end', done);
    stream.on('error', done);
  });
}
