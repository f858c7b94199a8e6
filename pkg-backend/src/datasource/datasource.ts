// ZViz's backend data source: Grafana's plugin calls mapped onto instances,
// query handlers, the health check, resources and the live stream. Queries
// of one request run concurrently and fail alone.
import type { UpstreamCall } from '@zviz/agent-client/call';

import { frameToJSON } from '../frames/json';
import { forwardedHeaders } from '../sdk/alert-forwarding';
import type { Logger } from '../sdk/log';
import { InstanceManager } from '../sdk/instances';
import { responseLimit } from '../sdk/response-limit';
import type {
  BackendPlugin,
  CallContext,
  CallResourceRequest,
  CheckHealthRequest,
  CheckHealthResult,
  DataQuery,
  DataResponse,
  PluginContext,
  QueryDataRequest,
  QueryDataResponse,
  ResourceResponseWriter,
  StreamRequest,
  StreamResult,
  StreamSender,
} from '../sdk/types';
import { checkHealth } from './check-health';
import { classify, errorResponse } from './errors';
import { ZVizInstance } from './instance';
import { BackendMetrics } from './metrics';
import { parseQuery, type ParsedQuery } from './query-model';
import { runAudit } from './queries/audit';
import { auditFrame } from './queries/audit-frame';
import type { QueryContext } from './queries/context';
import { runDecisions } from './queries/decisions';
import { runHealth } from './queries/health';
import { runPromQL } from './queries/promql';
import { handleResource } from './resources';
import { parseSettings, SettingsError } from './settings';
import { relayDecisions, type RelayOptions, streamContainer } from './stream';
import { warmQueryPath } from './warm-up';

export interface DatasourceOptions {
  logger: Logger;
  metrics?: BackendMetrics;
  version: string;
  relay?: RelayOptions;
}

/**
 * Queries of one request run at once, at most; a panel has up to 26 and an
 * alert rule a few, so only requests larger than any dashboard's wait.
 */
export const QUERY_CONCURRENCY = 32;

function run(ctx: QueryContext, parsed: ParsedQuery) {
  switch (parsed.type) {
    case 'decisions':
      return runDecisions(ctx, parsed.model);
    case 'promql':
      return runPromQL(ctx, parsed.model);
    case 'audit':
      return runAudit(ctx, parsed.model);
    case 'health':
      return runHealth(ctx, parsed.model);
  }
}

/**
 * What every upstream request of one call from Grafana carries: the call's
 * cancellation, Grafana's response limit and the headers the Go SDK forwards.
 */
export function upstreamCall(
  context: PluginContext,
  headers: Readonly<Record<string, string | string[]>>,
  signal: AbortSignal
): UpstreamCall {
  return { signal, responseLimit: responseLimit(context.grafanaConfig), headers: forwardedHeaders(headers) };
}

export class ZVizDatasource implements BackendPlugin {
  readonly metrics: BackendMetrics;
  private readonly logger: Logger;
  private readonly instances: InstanceManager<ZVizInstance>;
  /** Whether Grafana has asked for data yet (warmUp() has nothing to do then). */
  private queried = false;

  constructor(private readonly options: DatasourceOptions) {
    this.logger = options.logger;
    this.metrics = options.metrics ?? new BackendMetrics();
    this.instances = new InstanceManager((settings) => {
      const parsed = parseSettings(settings.jsonData, settings.decryptedSecureJsonData, settings.url);
      this.logger.debug('data source instance created', { uid: settings.uid, name: settings.name });
      return new ZVizInstance(settings.uid, parsed, options.version);
    });
  }

  /** The instance for the request, or the error that explains why there is none. */
  private instance(context: PluginContext): ZVizInstance | Error {
    const settings = context.dataSourceInstanceSettings;
    if (!settings) {
      return new SettingsError(['the request carries no data source settings (is this called as a data source?)']);
    }
    try {
      const instance = this.instances.get(settings);
      this.metrics.instances.set(this.instances.size);
      return instance;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  async queryData(request: QueryDataRequest, context: CallContext): Promise<QueryDataResponse> {
    this.queried = true;
    const instance = this.instance(request.pluginContext);
    const fromAlert = request.headers.FromAlert === 'true';
    const call = upstreamCall(request.pluginContext, request.headers, context.signal);
    const answers = new Map<string, DataResponse>();
    // At most QUERY_CONCURRENCY at a time, each with its own timeout from
    // when it starts: a request of hundreds started every upstream call at
    // once, they queued behind the connection pool's sockets with their
    // timeouts running, and the later ones failed without having been sent.
    let next = 0;
    const worker = async () => {
      while (next < request.queries.length) {
        const query = request.queries[next++];
        answers.set(query.refId, await this.runQuery(instance, query, fromAlert, call));
      }
    };
    await Promise.all(Array.from({ length: Math.min(QUERY_CONCURRENCY, request.queries.length) }, worker));
    // In the request's order, as Grafana sent them.
    return new Map(request.queries.map((query) => [query.refId, answers.get(query.refId)!] as const));
  }

  private async runQuery(
    instance: ZVizInstance | Error,
    query: DataQuery,
    fromAlert: boolean,
    call: UpstreamCall
  ): Promise<DataResponse> {
    const started = process.hrtime.bigint();
    let type = query.queryType || 'unknown';
    try {
      if (instance instanceof Error) {
        throw instance;
      }
      const parsed = parseQuery(query);
      type = parsed.type;
      const frames = await run({ instance, query, call, logger: this.logger, fromAlert }, parsed);
      this.metrics.queries.inc({ query_type: type, status: 'ok' });
      return { frames };
    } catch (error) {
      const c = classify(error);
      this.metrics.queries.inc({ query_type: type, status: c.source });
      if (c.upstream !== 'none') {
        this.metrics.upstreamErrors.inc({ upstream: c.upstream, reason: c.reason });
      }
      this.logger.debug('query failed', {
        refId: query.refId,
        query_type: type,
        error: c.message,
        error_source: c.source,
        from_alert: fromAlert,
      });
      return errorResponse(error);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.queryDuration.observe({ query_type: type }, seconds);
    }
  }

  async checkHealth(request: CheckHealthRequest, context: CallContext): Promise<CheckHealthResult> {
    const instance = this.instance(request.pluginContext);
    const result =
      instance instanceof Error
        ? { status: 'ERROR' as const, message: classify(instance).message, errorSource: classify(instance).source }
        : await checkHealth(instance, upstreamCall(request.pluginContext, request.headers, context.signal));
    this.metrics.healthChecks.inc({ status: result.status.toLowerCase() });
    return result;
  }

  collectMetrics(): Promise<string> {
    return this.metrics.text();
  }

  /**
   * The promql path once, against a canned answer on loopback (warm-up.ts);
   * nothing is counted. Nothing at all once a query has come: it warmed the path.
   */
  async warmUp(): Promise<QueryDataResponse | undefined> {
    if (this.queried) {
      return undefined;
    }
    return (await warmQueryPath(this.logger, this.options.version)).response;
  }

  async callResource(
    request: CallResourceRequest,
    writer: ResourceResponseWriter,
    context: CallContext
  ): Promise<void> {
    const answer = await handleResource(
      this.instance(request.pluginContext),
      request.method || 'GET',
      request.path,
      request.url,
      upstreamCall(request.pluginContext, request.headers, context.signal)
    );
    const resource = request.path.replace(/^\/+|\/+$/g, '').split('/')[0] || 'root';
    this.metrics.resourceRequests.inc({
      resource: answer.status === 404 ? 'unknown' : resource,
      code: String(answer.status),
    });
    writer.writeHead(answer.status, { 'Content-Type': 'application/json' }, answer.errorSource);
    writer.end(JSON.stringify(answer.body));
  }

  async subscribeStream(request: StreamRequest): Promise<StreamResult> {
    if (streamContainer(request.path) === undefined) {
      return { status: 'NOT_FOUND' };
    }
    const instance = this.instance(request.pluginContext);
    if (instance instanceof Error) {
      this.logger.warn('stream subscription refused', { path: request.path, error: instance.message });
      return { status: 'NOT_FOUND' };
    }
    // The schema of what will follow, so the panel can lay out its columns.
    return { status: 'OK', data: frameToJSON(auditFrame([])) };
  }

  async runStream(request: StreamRequest, sender: StreamSender, context: CallContext): Promise<void> {
    const container = streamContainer(request.path);
    if (container === undefined) {
      throw new Error(`no stream ${request.path}`);
    }
    const instance = this.instance(request.pluginContext);
    if (instance instanceof Error) {
      throw instance;
    }
    this.logger.debug('decision stream started', { path: request.path });
    await relayDecisions(
      instance,
      container,
      sender,
      context.signal,
      { logger: this.logger, metrics: this.metrics },
      this.options.relay
    );
    this.logger.debug('decision stream ended', { path: request.path });
  }

  /** The decision stream is read-only: nobody publishes into it. */
  async publishStream(): Promise<StreamResult> {
    return { status: 'PERMISSION_DENIED' };
  }

  async dispose(): Promise<void> {
    await this.instances.disposeAll();
  }
}
