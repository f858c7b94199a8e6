// A fleet on one machine, with the real processes: N `zviz agent` processes on
// distinct loopback ports, each with its own node name and variant (some
// `canary`) and one sandboxed workload from its configuration; one Prometheus
// (Debian's) scraping them all as job `zviz` with ZViz's rules; and the
// backend datasource executable, spoken to over Grafana's plugin protocol,
// finding the agents through Prometheus (`up{job="zviz"}`) as a fleet's
// Grafana would. Used by `npm run bench:fleet` (N = 50) and by the fleet
// test (test/fleet, a smaller N).
//
// To fit 50 agents on 2 cores and 24 GiB, each agent runs without its eBPF
// tracer (`tracer.enabled: false`): fifty copies of the syscall tracepoint
// programs would tax every syscall on the machine, and each load costs about
// 180 ms of CPU and 10 MiB. The HTTP server, the event ring and stream, the
// audit log and the broker with its cgroups stay on: they are what the
// datasource and Prometheus talk to, and the broker makes the decisions.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, waitFor } from '@zviz/test-support/ports';
import { type PrometheusOptions, TestPrometheus } from '@zviz/test-support/prometheus';

import { type DatasourceConfig, GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import { start as startPlugin, type Started } from '../../pkg-backend/test/fixtures/plugin-process';

export const REPO = join(__dirname, '..', '..');
export const AGENT_BIN = join(REPO, 'agent/bin/zviz.js');
export const AGENT_BUNDLE = join(REPO, 'agent/dist/zviz.js');
export const RULES = join(REPO, 'deploy/prometheus/zviz-rules.yaml');

export interface WorkloadMix {
  /** Refused calls (ptrace, answered by the broker, an audit and stream event each) per round. */
  denied: number;
  /** Allowed brokered calls (open for writing in the workspace, emulated by the broker) per round. */
  allowed: number;
}

export interface FleetOptions {
  agents: number;
  /** Every `canaryEvery`-th agent (the first included) is a canary; 0: none. */
  canaryEvery?: number;
  /** Rounds of the workload a second on each agent. */
  roundsPerSecond?: number;
  production?: WorkloadMix;
  canary?: WorkloadMix;
  /** Prometheus' scrape and rule evaluation interval, seconds. */
  scrapeIntervalSeconds?: number;
  /** Agents started at once (each start costs about half a second of CPU). */
  startBatch?: number;
  /** Passed to Prometheus (remote write to a scale-out store, extra flags). */
  prometheus?: Pick<PrometheusOptions, 'remoteWrite' | 'flags'>;
  /** The agents' `metrics.rate_limit`; their default (10/s, burst 20) when unset. */
  rateLimit?: { rps: number; burst: number };
  /** The datasource's jsonData on top of Prometheus discovery. */
  datasource?: Record<string, unknown>;
  log?: (line: string) => void;
}

const PRODUCTION_MIX: WorkloadMix = { denied: 1, allowed: 3 };
const CANARY_MIX: WorkloadMix = { denied: 2, allowed: 2 };

/**
 * The workload: rounds of refused ptrace(PTRACE_ATTACH, 1) calls and opens
 * for appending in the workspace, under the ci-runner profile, where the
 * broker answers both (deny, counted under layer seccomp, and emulate).
 */
function workloadScript(mix: WorkloadMix, roundsPerSecond: number): string {
  return [
    `my $pause = ${1 / roundsPerSecond};`,
    'while (1) {',
    `  syscall(101, 16, 1, 0, 0) for 1 .. ${mix.denied};`,
    `  for (1 .. ${mix.allowed}) { if (open(my $f, '>>', 'state')) { close $f } }`,
    '  select(undef, undef, undef, $pause);',
    '}',
  ].join('\n');
}

export class FleetAgent {
  process?: ChildProcess;
  starts = 0;

  constructor(
    readonly index: number,
    readonly node: string,
    readonly variant: 'production' | 'canary',
    readonly port: number,
    readonly dir: string
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  get auditPath(): string {
    return join(this.dir, 'audit.json');
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  start(): void {
    const log = openSync(join(this.dir, 'agent.out'), 'a');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    // Node name and variant from the environment, as a DaemonSet sets them from the pod's fields.
    env.ZVIZ_NODE_NAME = this.node;
    env.ZVIZ_VARIANT = this.variant;
    this.process = spawn(process.execPath, [AGENT_BIN, 'agent', '--config', join(this.dir, 'config.yaml')], {
      stdio: ['ignore', log, log],
      env,
    });
    closeSync(log);
    this.starts++;
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `agent ${this.node} to be ready`,
      async () => {
        if (!this.running) {
          throw new Error(`exited: ${readFileSync(join(this.dir, 'agent.out'), 'utf8').slice(-2000)}`);
        }
        return (await fetch(`${this.url}/ready`)).status === 200;
      },
      { timeoutMs, intervalMs: 200 }
    );
  }

  /** SIGTERM (an orderly stop, its workload killed with it) or SIGKILL; resolves once it is gone. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || !this.running) {
      return;
    }
    const gone = new Promise((resolve) => child.once('exit', resolve));
    if (child.signalCode === null) {
      child.kill('SIGCONT'); // a paused agent cannot handle SIGTERM
    }
    child.kill(signal);
    await gone;
  }

  /** SIGSTOP: the agent keeps its port open and answers nothing, like a hung node. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Audit records written since `sinceMs` (epoch ms), the ground truth of what the stream should carry. */
  auditSince(sinceMs: number, untilMs = Infinity): Array<{ timestamp: string; syscall: string; pid: number }> {
    let text = '';
    try {
      text = readFileSync(this.auditPath, 'utf8');
    } catch {
      return [];
    }
    const out: Array<{ timestamp: string; syscall: string; pid: number }> = [];
    for (const line of text.split('\n')) {
      if (!line) {
        continue;
      }
      const record = JSON.parse(line) as { timestamp: string; syscall: string; pid: number };
      const at = Date.parse(record.timestamp);
      if (at >= sinceMs && at <= untilMs) {
        out.push(record);
      }
    }
    return out;
  }
}

export interface Plugin {
  started: Started;
  client: GrafanaClient;
  config: DatasourceConfig;
}

export class Fleet {
  readonly agents: FleetAgent[] = [];
  prometheus?: TestPrometheus;
  plugin?: Plugin;
  private readonly dir: string;
  private readonly onExit = () => this.killAll();

  private constructor(readonly options: FleetOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'zviz-fleet-'));
    process.once('exit', this.onExit);
  }

  static async start(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options);
    try {
      await fleet.startAgents();
      await fleet.startPrometheus();
      await fleet.startPlugin();
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  get scrapeIntervalSeconds(): number {
    return this.options.scrapeIntervalSeconds ?? 5;
  }

  get canaries(): FleetAgent[] {
    return this.agents.filter((a) => a.variant === 'canary');
  }

  private async startAgents(): Promise<void> {
    const { agents: n, canaryEvery = 5, roundsPerSecond = 5 } = this.options;
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      const node = `fleet-${String(i + 1).padStart(2, '0')}`;
      const variant = canaryEvery > 0 && i % canaryEvery === 0 ? 'canary' : 'production';
      const dir = join(this.dir, node);
      mkdirSync(join(dir, 'workspace'), { recursive: true });
      mkdirSync(join(dir, 'control'), { recursive: true });
      const mix =
        variant === 'canary' ? (this.options.canary ?? CANARY_MIX) : (this.options.production ?? PRODUCTION_MIX);
      const config = {
        logging: { level: 'warn', audit: { path: join(dir, 'audit.json') } },
        metrics: {
          address: `127.0.0.1:${port}`,
          ...(this.options.rateLimit ? { rate_limit: this.options.rateLimit } : {}),
        },
        // A private control socket and cgroup group: never the node's own agent's, nor another fleet's.
        // The socket has a directory of its own, apart from the workspace: containers see it masked.
        broker: { control_socket: join(dir, 'control', 'agent.sock'), cgroup_group: `zviz-fleet-${port}` },
        tracer: { enabled: false },
        containers: [
          {
            name: 'worker',
            profile: 'ci-runner',
            workdir: join(dir, 'workspace'),
            restart: 'always',
            command: ['/usr/bin/perl', '-e', workloadScript(mix, roundsPerSecond)],
          },
        ],
      };
      writeFileSync(join(dir, 'config.yaml'), stringify(config));
      this.agents.push(new FleetAgent(i, node, variant, port, dir));
    }
    const batch = this.options.startBatch ?? 5;
    for (let i = 0; i < this.agents.length; i += batch) {
      const group = this.agents.slice(i, i + batch);
      group.forEach((a) => a.start());
      await Promise.all(group.map((a) => a.ready()));
      this.log(`agents ready: ${Math.min(i + batch, this.agents.length)} of ${this.agents.length}`);
    }
  }

  private async startPrometheus(): Promise<void> {
    const interval = `${this.scrapeIntervalSeconds}s`;
    this.prometheus = await TestPrometheus.start({
      scrapeInterval: interval,
      evaluationInterval: interval,
      ruleFiles: [RULES],
      scrape: [{ job: 'zviz', targets: this.agents.map((a) => a.address) }],
      ...this.options.prometheus,
    });
    await this.prometheus.waitForSamples(
      'up{job="zviz"} == 1',
      (s) => s.length === this.agents.length,
      Math.max(30_000, this.scrapeIntervalSeconds * 4000)
    );
    this.log(`Prometheus scrapes all ${this.agents.length} agents`);
  }

  private async startPlugin(): Promise<void> {
    const started = await startPlugin({ ZVIZ_LOG_LEVEL: 'warn' });
    this.plugin = {
      started,
      client: new GrafanaClient(started.address),
      config: {
        uid: 'fleet',
        jsonData: {
          prometheusUrl: this.prometheus!.url,
          agentDiscovery: 'prometheus',
          agentJob: 'zviz',
          scrapeIntervalSeconds: this.scrapeIntervalSeconds,
          ...this.options.datasource,
        },
      },
    };
  }

  /** A datasource configuration of the same plugin, with other settings (a new instance). */
  config(uid: string, jsonData: Record<string, unknown> = {}): DatasourceConfig {
    return { uid, jsonData: { ...this.plugin!.config.jsonData, ...jsonData } };
  }

  /** Waits until Prometheus' `up` for the agent is `value` (it sees the agent come or go). */
  async untilUp(agents: FleetAgent[], value: 0 | 1): Promise<void> {
    const names = new Set(agents.map((a) => a.address));
    await this.prometheus!.waitForSamples(
      `up{job="zviz"} == ${value}`,
      (samples) => [...names].every((n) => samples.some((s) => s.metric.instance === n)),
      Math.max(30_000, this.scrapeIntervalSeconds * 4000)
    );
  }

  /** Every process still running gets SIGKILL (an aborted run must not leave fifty agents behind). */
  private killAll(): void {
    for (const agent of this.agents) {
      if (agent.running) {
        agent.process!.kill('SIGKILL');
      }
    }
    if (this.plugin && this.plugin.started.child.exitCode === null) {
      this.plugin.started.child.kill('SIGKILL');
    }
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.onExit);
    if (this.plugin) {
      this.plugin.client.close();
      this.plugin.started.child.kill('SIGTERM');
      await this.plugin.started.exited;
    }
    await this.prometheus?.stop();
    // Stopped in batches: each agent removes its workload's cgroup on the way out.
    for (let i = 0; i < this.agents.length; i += 10) {
      await Promise.all(this.agents.slice(i, i + 10).map((a) => a.stop()));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
