// The agent's lifecycle: builds the core (registry, event hub, HTTP server),
// starts the components in order, answers /health and /ready from their
// reports, applies reloads, and stops everything in reverse order.
import Negotiator from 'negotiator';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

import { AGENT_PATHS, type ComponentHealth, type HealthReport, type HealthStatus } from '@zviz/shared/agent-api';

import type { AgentContext } from './agent-context';
import type { ComponentSections, Config } from './assembly/config-sections';
import { loadConfig } from './assembly/load-config';
import { AuditComponent } from './audit/component';
import { BrokerComponent } from './broker/component';
import { traceContainers } from './broker/tracer-link';
import type { Component } from './component';
import { parseAddress } from './config/address';
import { readTls } from './config/checks';
import { configFilePath, type LoadOptions } from './config/load';
import { registerDecisionRoutes } from './events/api';
import { EventHub } from './events/hub';
import { DecisionStream } from './events/stream';
import type { AgentLog, Logger } from './log/logger';
import { ProcessSource } from './metrics/process-source';
import { PromClientSource } from './metrics/prom-client-source';
import { MetricsRegistry } from './metrics/registry';
import { tracerComponent } from './tracer/component';
import type { Tracer } from './tracer/tracer';
import { CONTENT_TYPES, negotiateFormat } from './metrics/render';
import type { FamilySamples, MetricSource } from './metrics/source';
import { AgentServer, TEXT_TYPE, type ServerSettings } from './server/http';
import { queryList } from './server/query';
import { VERSION } from './version';

/** A Prometheus metric name (the data model's pattern). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const gzipAsync = promisify(gzip);

export type ComponentFactory = (ctx: AgentContext<ComponentSections>) => Component<ComponentSections>;

/**
 * The components `zviz agent` runs, in start order (stopped in reverse).
 * A component that publishes events (the broker) comes after the audit log,
 * so the audit log is still there to flush what the broker handed over last.
 * The tracer comes before the broker, so the containers the broker starts
 * from its config are traced from their first syscall. Add yours with one
 * line; links between components are made here, where both exist.
 */
export function defaultComponents(): ComponentFactory[] {
  let tracer: Tracer | undefined;
  return [
    (ctx) => new AuditComponent(ctx),
    (ctx) => (tracer = tracerComponent(ctx)),
    (ctx) => {
      const broker = new BrokerComponent(ctx);
      if (tracer) {
        traceContainers(broker.lifecycle, tracer, (message, detail) => ctx.log.warn(detail, message));
      }
      return broker;
    },
  ];
}

/** How long one component may take to start or stop before the agent moves on. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface AgentOptions {
  config: Config;
  /** How the configuration was loaded, to load it again on reload. */
  load: LoadOptions;
  log: AgentLog;
  /** Defaults to defaultComponents(), which `zviz agent` and `zviz metrics serve` run. */
  components?: readonly ComponentFactory[];
}

interface Running {
  component: Component<ComponentSections>;
  /** Why start() failed, reported as the component's health until it is restarted. */
  startError?: string;
}

export class Agent implements AgentContext<ComponentSections> {
  readonly registry: MetricsRegistry;
  readonly server: AgentServer;
  readonly hub: EventHub;
  readonly log: Logger;
  private current: Config;
  private readonly agentLog: AgentLog;
  private readonly loadOptions: LoadOptions;
  private readonly process: ProcessSource;
  private readonly stream: DecisionStream;
  private readonly reloads = new PromClientSource();
  private readonly lastReloadOk = this.reloads.gauge('zviz_config_last_reload_successful');
  private readonly lastReloadAt = this.reloads.gauge('zviz_config_last_reload_success_timestamp_seconds');
  private readonly reloadCount = this.reloads.counter('zviz_config_reloads_total');
  private readonly running: Running[] = [];
  private readonly started = Date.now();
  private phase: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  private reloading: Promise<boolean> | undefined;

  private constructor(options: AgentOptions) {
    this.current = options.config;
    this.agentLog = options.log;
    this.loadOptions = options.load;
    this.log = options.log.logger;
    const config = options.config;
    this.registry = new MetricsRegistry({
      seriesLimit: config.metrics.max_series_per_family,
      warn: (message, detail) => this.log.warn(detail, message),
    });
    this.hub = new EventHub(config.api.ring_size, (error) =>
      this.log.error({ err: (error as Error)?.message ?? String(error) }, 'decision event subscriber failed')
    );
    this.server = new AgentServer(this.log.child({ component: 'http' }));
    this.stream = new DecisionStream(this.hub, streamOptions(config), this.log.child({ component: 'stream' }));
    this.process = new ProcessSource({ variant: config.variant });
    this.lastReloadOk.set(1);
    this.lastReloadAt.set(Date.now() / 1000);
    this.reloadCount.inc({ result: 'success' }, 0);
    this.reloadCount.inc({ result: 'failure' }, 0);
    for (const source of [
      options.log.metricSource(),
      this.process,
      this.hub,
      this.hub.loss,
      this.stream,
      this.server.metricSource,
      this.reloads,
      this.readiness(),
    ]) {
      this.registry.addSource(source);
    }
    this.routes();
  }

  get config(): Config {
    return this.current;
  }

  get configFile(): string {
    return configFilePath(this.loadOptions);
  }

  /**
   * Listens, then starts the components one by one; /health answers from
   * the first moment and /ready turns 200 once every required component is
   * ok. Throws only when the server cannot listen.
   */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    await agent.server.listen(serverSettings(options.config));
    const address = agent.server.address;
    agent.log.info(
      { address: address && `${address.host}:${address.port}`, tls: agent.server.secure, version: VERSION },
      'agent listening'
    );
    for (const factory of options.components ?? defaultComponents()) {
      const component = factory(agent);
      const entry: Running = { component };
      agent.running.push(entry);
      try {
        await withTimeout(component.start(), START_TIMEOUT_MS, `did not start within ${START_TIMEOUT_MS / 1000} s`);
      } catch (error) {
        entry.startError = (error as Error)?.message ?? String(error);
        agent.log.error({ component: component.name, err: entry.startError }, 'component failed to start');
      }
    }
    agent.phase = 'running';
    agent.log.info({ components: agent.running.map((r) => r.component.name) }, 'agent started');
    return agent;
  }

  /** Stops the components in reverse order (the audit log last, flushing its queue), then the server. */
  async stop(): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') {
      return;
    }
    this.phase = 'stopping';
    this.log.info('agent stopping');
    for (const { component } of [...this.running].reverse()) {
      try {
        await withTimeout(component.stop(), STOP_TIMEOUT_MS, `${component.name} did not stop within 10 s`);
      } catch (error) {
        this.log.error({ component: component.name, err: (error as Error).message }, 'component failed to stop');
      }
    }
    this.stream.close();
    await this.server.close();
    this.process.close();
    this.phase = 'stopped';
    this.log.info('agent stopped');
    this.agentLog.flush();
  }

  /**
   * SIGHUP: reopens the log file, then loads the configuration again. A
   * refused configuration is logged line by line and counted; the running
   * one stays. Resolves whether the new configuration was applied.
   */
  async reload(): Promise<boolean> {
    // Signals can come faster than a reload finishes; queue them one at a
    // time. The chain never rejects (reloadOnce counts whatever goes wrong
    // as a failure), so one bad reload cannot stop every later one.
    const previous = this.reloading ?? Promise.resolve(true);
    const next: Promise<boolean> = previous.then(() => this.reloadOnce());
    this.reloading = next;
    void next.finally(() => {
      if (this.reloading === next) {
        this.reloading = undefined;
      }
    });
    return next;
  }

  health(): HealthReport {
    const events = this.hub.loss.health();
    const logFailing = this.agentLog.failing();
    const components: Record<string, ComponentHealth> = {
      http: this.server.address ? { status: 'ok' } : { status: this.phase === 'stopped' ? 'disabled' : 'starting' },
      events,
      log: logFailing ? { status: 'degraded', reason: logFailing } : { status: 'ok' },
    };
    let containers = 0;
    let broker: HealthReport['broker'] = { status: 'disabled', inflight: 0 };
    // Dropping decision events: the audit log and the stream are incomplete.
    // The agent's own log failing to write: its record of what happened is too.
    let status: HealthStatus =
      this.phase === 'starting' || events.status !== 'ok' || logFailing ? 'degraded' : 'healthy';
    for (const entry of this.running) {
      const report = this.componentHealth(entry);
      components[entry.component.name] = report;
      if (typeof report.containers === 'number') {
        containers += report.containers;
      }
      const reported = report.broker as HealthReport['broker'] | undefined;
      if (reported && typeof reported === 'object') {
        broker = { status: String(reported.status), inflight: Number(reported.inflight) || 0 };
      }
      if (report.status === 'failed' && entry.component.required) {
        status = 'unhealthy';
      } else if (
        status !== 'unhealthy' &&
        (report.status === 'failed' || report.status === 'degraded' || report.status === 'starting')
      ) {
        status = 'degraded';
      }
    }
    return {
      status,
      version: VERSION,
      uptime: Math.floor((Date.now() - this.started) / 1000),
      containers,
      broker,
      node: this.current.node_name,
      variant: this.current.variant,
      components,
    };
  }

  /**
   * Ready when running and every required component reports ok; else what
   * is not, with each component's reason when `details` (see /health).
   */
  readiness(): MetricSource & { notReady(details?: boolean): string[] } {
    const notReady = (details = true) => {
      const reasons: string[] = [];
      if (this.phase !== 'running') {
        reasons.push(`agent ${this.phase}`);
      }
      for (const entry of this.running) {
        const report = this.componentHealth(entry);
        if (entry.component.required && !isReady(report)) {
          const why = details && report.reason ? `: ${report.reason}` : '';
          reasons.push(`${entry.component.name} ${report.status}${why}`);
        }
      }
      return reasons;
    };
    return {
      families: ['zviz_component_ready'],
      notReady,
      collect: () => {
        const samples = this.running
          .map((entry) => ({ entry, report: this.componentHealth(entry) }))
          .filter(({ report }) => report.status !== 'disabled')
          .map(({ entry, report }) => ({
            labels: { component: entry.component.name },
            value: isReady(report) ? 1 : 0,
          }));
        samples.unshift({ labels: { component: 'http' }, value: this.server.address ? 1 : 0 });
        return new Map<string, FamilySamples>([['zviz_component_ready', samples]]);
      },
    };
  }

  private componentHealth(entry: Running): ComponentHealth {
    if (entry.startError) {
      return { status: 'failed', reason: entry.startError };
    }
    try {
      return entry.component.health();
    } catch (error) {
      return { status: 'failed', reason: `health check threw: ${(error as Error).message}` };
    }
  }

  private routes(): void {
    const server = this.server;
    const readiness = this.readiness();
    server.route(
      'GET',
      AGENT_PATHS.metrics,
      async ({ req, res, send, query }) => {
        const format = negotiateFormat(req.headers.accept);
        // name[]=a,b (as Prometheus' Python client takes it): only those families.
        const only = queryList(query, 'name[]', METRIC_NAME, 'a metric name');
        const scrape = await this.registry.scrape(format, only);
        const headers: Record<string, string> = {
          'Content-Type': CONTENT_TYPES[format],
          Vary: 'Accept, Accept-Encoding',
        };
        // The body's bytes are the registry's, reused by a later render once
        // given back (metrics/byte-pool.ts): given back when gzip has read
        // them, or when the socket has written all of them. A connection cut
        // off before that keeps them, and the garbage collector takes them.
        let sentRaw = false;
        try {
          let payload: Buffer = scrape.body;
          // q-values count: `gzip;q=0` is a refusal, `*` an acceptance.
          const encoding = new Negotiator(req).encoding(['gzip', 'identity']);
          if (encoding === 'gzip' && payload.length > 1024) {
            payload = await gzipAsync(payload);
            headers['Content-Encoding'] = 'gzip';
          }
          send(200, payload, headers);
          if (payload === scrape.body) {
            sentRaw = true;
            if (res.writableFinished) {
              scrape.release();
            } else {
              res.once('finish', scrape.release);
            }
          }
        } finally {
          if (!sentRaw) {
            scrape.release();
          }
        }
      },
      { answers: 'scrape' }
    );
    server.route(
      'GET',
      AGENT_PATHS.health,
      ({ sendJson, authenticated }) => {
        const report = this.health();
        sendJson(report.status === 'unhealthy' ? 503 : 200, authenticated ? report : healthSummary(report));
      },
      { access: 'probe' }
    );
    server.route(
      'GET',
      AGENT_PATHS.ready,
      ({ send, authenticated }) => {
        const reasons = readiness.notReady(authenticated);
        if (reasons.length === 0) {
          send(200, 'ready\n', TEXT_TYPE);
        } else {
          send(503, `not ready: ${reasons.join('; ')}\n`, TEXT_TYPE);
        }
      },
      { access: 'probe' }
    );
    registerDecisionRoutes(server, this.hub, this.stream);
  }

  private async reloadOnce(): Promise<boolean> {
    try {
      return await this.applyReload();
    } catch (error) {
      return this.reloadFailed(`unexpected error: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  private async applyReload(): Promise<boolean> {
    try {
      this.agentLog.reopen();
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'reopening the log file failed');
    }
    const loaded = loadConfig(this.loadOptions);
    if (!loaded.ok) {
      for (const line of loaded.errors) {
        this.log.error({ error: line }, 'configuration reload refused');
      }
      return this.reloadFailed(`${loaded.errors.length} error(s) in ${loaded.source}; the running configuration stays`);
    }
    const config = loaded.config;
    // Prepare everything that can fail before changing anything.
    let settings: ServerSettings;
    try {
      settings = serverSettings(config);
      this.agentLog.reconfigure(config.logging);
    } catch (error) {
      return this.reloadFailed((error as Error).message);
    }
    for (const note of this.server.reload(settings)) {
      this.log.warn(note);
    }
    this.registry.setSeriesLimits(config.metrics.max_series_per_family);
    this.hub.resize(config.api.ring_size);
    this.stream.configure(streamOptions(config));
    this.current = config;
    const failures: string[] = [];
    for (const { component } of this.running) {
      try {
        await component.reload?.(config);
      } catch (error) {
        failures.push(`${component.name}: ${(error as Error).message}`);
      }
    }
    // What a scrape shows of the reload (the variant, its outcome and
    // counts) changes in one step, between two scrapes' collections. Only
    // that step waits for scrapes, and they only for it: the components'
    // reloads above (a tracer reloading its programs, configured containers
    // starting) must never hold /metrics up.
    return this.registry.change(async () => {
      this.process.setIdentity({ variant: config.variant });
      if (failures.length > 0) {
        return this.countFailure(`components refused the new configuration: ${failures.join('; ')}`);
      }
      this.lastReloadOk.set(1);
      this.lastReloadAt.set(Date.now() / 1000);
      this.reloadCount.inc({ result: 'success' });
      this.log.info({ source: loaded.source }, 'configuration reloaded');
      return true;
    });
  }

  private reloadFailed(reason: string): Promise<false> {
    return this.registry.change(async () => this.countFailure(reason));
  }

  private countFailure(reason: string): false {
    this.lastReloadOk.set(0);
    this.reloadCount.inc({ result: 'failure' });
    this.log.error({ reason }, 'configuration reload failed');
    return false;
  }
}

/**
 * What /health tells a client without credentials (auth on, probes exempt):
 * the top-level fields (status, version, uptime, containers, broker; docs/agent.md,
 * /health) and each component's status, none of the reasons or details (paths, kernel features, library versions) that help an attacker
 * more than a probe.
 */
export function healthSummary(report: HealthReport): HealthReport {
  const { status, version, uptime, containers, broker } = report;
  const components = Object.fromEntries(
    Object.entries(report.components).map(([name, component]) => [name, { status: component.status }])
  );
  return {
    status,
    version,
    uptime,
    containers,
    broker: { status: broker.status, inflight: broker.inflight },
    components,
  };
}

function streamOptions(config: Config) {
  return {
    maxClients: config.api.stream.max_clients,
    maxPerClient: config.api.stream.max_per_client,
    bufferEvents: config.api.stream.buffer_events,
    heartbeatSeconds: config.api.stream.heartbeat_seconds,
  };
}

/** The server's settings from a validated configuration; throws if the TLS files became unusable. */
export function serverSettings(config: Config): ServerSettings {
  const address = parseAddress(config.metrics.address);
  if ('error' in address) {
    throw new Error(`metrics.address: ${address.error}`);
  }
  let tls: ServerSettings['tls'];
  if (config.metrics.tls) {
    const material = readTls(config.metrics.tls);
    if (Array.isArray(material)) {
      throw new Error(material.map((p) => `${p.path}: ${p.reason}`).join('; '));
    }
    tls = material;
  }
  return {
    address,
    auth: config.metrics.auth,
    tls,
    rateLimit: config.metrics.rate_limit,
    responseBudgetBytes: config.metrics.response_budget_mb * 1024 * 1024,
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ok, or degraded while still doing its whole job (ComponentHealth.ready). */
function isReady(report: ComponentHealth): boolean {
  return report.status === 'ok' || (report.status === 'degraded' && report.ready === true);
}
