// A real Prometheus (Debian's package) for tests: started on a free port with
// a config written to a temporary directory, stopped with its data.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

import { freePort, waitFor } from './ports';

import { stopChild } from './processes';

export interface ScrapeTarget {
  job: string;
  targets: string[];
  scheme?: 'http' | 'https';
  metricsPath?: string;
  /** Extra fields of the scrape config (authorization, tls_config, ...). */
  extra?: Record<string, unknown>;
}

export interface PrometheusOptions {
  scrape?: ScrapeTarget[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Rule files to load, absolute paths. */
  ruleFiles?: string[];
  /**
   * OpenMetrics text (ending in `# EOF`) written into the TSDB with
   * `promtool tsdb create-blocks-from openmetrics` before Prometheus starts:
   * deterministic history to query. Keep timestamps within the retention
   * (the last 15 days).
   */
  backfill?: string;
  /** Remote-write endpoints (a scale-out store's `/api/v1/write`), with their queue settings. */
  remoteWrite?: Array<{ url: string; queue_config?: Record<string, unknown> }>;
  /** Extra command-line flags. */
  flags?: string[];
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

export class TestPrometheus {
  private constructor(
    readonly url: string,
    private readonly process: ChildProcess,
    private readonly dir: string,
    private readonly log: string[]
  ) {}

  static async start(options: PrometheusOptions = {}): Promise<TestPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-prom-'));
    const port = await freePort();
    const config = {
      global: {
        scrape_interval: options.scrapeInterval ?? '1s',
        evaluation_interval: options.evaluationInterval ?? '1s',
      },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: (options.scrape ?? []).map((t) => ({
        job_name: t.job,
        scheme: t.scheme ?? 'http',
        metrics_path: t.metricsPath ?? '/metrics',
        static_configs: [{ targets: t.targets }],
        ...t.extra,
      })),
      ...(options.remoteWrite ? { remote_write: options.remoteWrite } : {}),
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    if (options.backfill) {
      const input = join(dir, 'backfill.om');
      writeFileSync(input, options.backfill);
      mkdirSync(join(dir, 'data'));
      try {
        execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'data')], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
        throw new Error(`promtool could not backfill the test data: ${stderr || (error as Error).message}`);
      }
    }
    const log: string[] = [];
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
        ...(options.flags ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    const prom = new TestPrometheus(`http://127.0.0.1:${port}`, child, dir, log);
    try {
      await waitFor('prometheus to be ready', async () => (await fetch(`${prom.url}/-/ready`)).ok, {
        timeoutMs: 30_000,
      });
    } catch (error) {
      await prom.stop();
      throw new Error(`${(error as Error).message}\nprometheus log:\n${log.join('')}`);
    }
    return prom;
  }

  async query(expr: string, time?: number): Promise<PromSample[]> {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) {
      params.set('time', String(time));
    }
    return this.api('/api/v1/query', params);
  }

  async queryRange(expr: string, start: number, end: number, step: number): Promise<PromSample[]> {
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
    return this.api('/api/v1/query_range', params);
  }

  /** Resolves once `expr` returns at least one sample (and `accept` agrees). */
  async waitForSamples(
    expr: string,
    accept: (samples: PromSample[]) => boolean = (s) => s.length > 0,
    timeoutMs = 30_000
  ): Promise<PromSample[]> {
    return waitFor(
      `prometheus to return ${expr}`,
      async () => {
        const samples = await this.query(expr);
        return accept(samples) ? samples : undefined;
      },
      { timeoutMs, intervalMs: 250 }
    );
  }

  async alerts(): Promise<
    Array<{ labels: Record<string, string>; state: string; annotations: Record<string, string> }>
  > {
    const response = await fetch(`${this.url}/api/v1/alerts`);
    const body = (await response.json()) as { data: { alerts: [] } };
    return body.data.alerts;
  }

  async targets(): Promise<
    Array<{
      health: string;
      lastError: string;
      scrapeUrl: string;
      labels: Record<string, string>;
      /** RFC 3339 time of the last scrape. */
      lastScrape: string;
    }>
  > {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as { data: { activeTargets: [] } };
    return body.data.activeTargets;
  }

  /** The metadata Prometheus keeps per metric name, from the scrapes' TYPE, HELP and UNIT. */
  async metadata(): Promise<Record<string, Array<{ type: string; help: string; unit: string }>>> {
    const response = await fetch(`${this.url}/api/v1/metadata`);
    const body = (await response.json()) as {
      data: Record<string, Array<{ type: string; help: string; unit: string }>>;
    };
    return body.data;
  }

  logs(): string {
    return this.log.join('');
  }

  async stop(): Promise<void> {
    await stopChild(this.process);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async api(path: string, params: URLSearchParams): Promise<PromSample[]> {
    const response = await fetch(`${this.url}${path}?${params}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: PromSample[] } };
    if (body.status !== 'success') {
      throw new Error(`prometheus ${path} ${params.get('query')}: ${body.error}`);
    }
    return body.data.result;
  }
}
