// The demo's parts and their order: Prometheus with ZViz's rules, the agent,
// sandboxed workloads handed to it with `zviz run`, the backend datasource
// executable driven as Grafana drives it; the summary loop; the shutdown that
// stops every process group and checks nothing is left. main.ts runs it for
// `npm start`; scripts/screenshots.ts runs it to photograph the app.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

import { waitFor } from '../lib/wait-for';
import { datasourceSettings, snapshot, startBackend, type Backend } from './datasource';
import { Processes, type Child } from './processes';
import { Progress, StepFailed } from './progress';
import {
  alertFor,
  alerts,
  instantValue,
  prometheusArgs,
  prometheusVersion,
  REPO,
  RULES,
  ruleCount,
  targetHealth,
} from './prometheus';
import { summaryLines } from './summary';
import { prepareWorkloads, runArgs, type Workload } from './workloads';

const ZVIZ = join(REPO, 'agent/bin/zviz.js');
const DEMO_AGENT_CONFIG = join(REPO, 'deploy/demo/agent.yaml');
/** The agent's cgroup group for the demo's containers: never the node's own agent's, nor another demo's. */
function cgroupGroup(agentAddress: string): string {
  return `zviz-demo-${splitAddress(agentAddress).port}`;
}
const WATCHED_ALERTS = ['ZVizSecurityViolation'];

/** How long each start-up step may take, and how often it is looked at. */
const POLL = { timeoutMs: 30_000, intervalMs: 200 };

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}

/** deploy/demo/agent.yaml with its paths in the demo's directory. */
function writeAgentConfig(dir: string, agentAddress: string): string {
  const config = parse(readFileSync(DEMO_AGENT_CONFIG, 'utf8')) as Record<string, Record<string, unknown>>;
  const logging = config.logging as { audit: Record<string, unknown>; output: string };
  logging.audit.path = join(dir, 'audit.json');
  config.broker = {
    ...(config.broker ?? {}),
    control_socket: join(dir, 'agent.sock'),
    cgroup_group: cgroupGroup(agentAddress),
  };
  const path = join(dir, 'agent.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

/** Whether this build of zviz has `zviz run` (the broker). */
function hasRun(): boolean {
  const help = spawnSync(process.execPath, [ZVIZ, '--help'], { encoding: 'utf8' });
  return /^\s+run\b/m.test(help.stdout ?? '');
}

/** Container cgroups of the demo still on the machine (the agent removes them when it stops). */
function demoCgroups(agentAddress: string): string[] {
  const roots = ['/sys/fs/cgroup', ...readdirSafe('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))];
  return roots.map((r) => join(r, cgroupGroup(agentAddress))).filter((p) => existsSync(p));
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Removes empty cgroup directories bottom up; returns those that still hold something. */
function removeEmptyCgroups(path: string): boolean {
  for (const entry of readdirSafe(path)) {
    const child = join(path, entry);
    if (!entry.includes('.') && existsSync(join(child, 'cgroup.procs'))) {
      removeEmptyCgroups(child);
    }
  }
  try {
    rmdirSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface Settings {
  agentAddress: string;
  prometheusAddress?: string;
  summarySeconds: number;
  durationSeconds?: number;
  keep: boolean;
}

export function settings(env: NodeJS.ProcessEnv): Settings {
  const number = (name: string, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      return undefined;
    }
    const n = Number(raw);
    if (!(n >= min)) {
      throw new StepFailed(
        'settings',
        `${name} must be a number of seconds of at least ${min} (got ${JSON.stringify(raw)})`
      );
    }
    return n;
  };
  return {
    agentAddress: env.ZVIZ_METRICS_ADDR || '127.0.0.1:9090',
    prometheusAddress: env.ZVIZ_DEMO_PROMETHEUS_ADDR || undefined,
    summarySeconds: number('ZVIZ_DEMO_SUMMARY_SECONDS', 1) ?? 15,
    durationSeconds: number('ZVIZ_DEMO_DURATION', 1),
    keep: env.ZVIZ_DEMO_KEEP === '1',
  };
}

export class Demo {
  readonly progress = new Progress();
  readonly processes = new Processes();
  readonly dir = mkdtempSync(join(tmpdir(), 'zviz-demo-'));
  private stopping = false;
  private stopped?: Promise<number>;
  private wake: () => void = () => undefined;
  agentUrl = '';
  prometheusUrl = '';
  backend?: Backend;
  private workloadRuns: Child[] = [];

  constructor(readonly s: Settings) {}

  get c() {
    return this.progress.c;
  }

  async run(): Promise<number> {
    const { c } = this;
    this.progress.line(c.bold('ZViz demo: a sandboxed node, its metrics, alerts and datasource, all on this machine.'));
    this.progress.line(c.dim(`Files: ${this.dir}. Ctrl-C stops everything.`));
    this.progress.line();
    try {
      await this.startAll();
    } catch (error) {
      if (!this.stopping) {
        this.progress.line(c.red(`\nThe demo cannot go on: ${(error as Error).message}`));
        this.progress.line(c.dim(`Logs are in ${this.dir}; they are kept.`));
        this.s.keep = true;
        return (await this.stop()) || 1;
      }
      return this.stopped!;
    }
    this.whereToLook();
    await this.summaries();
    return this.stop();
  }

  /** Starts every part; throws StepFailed when one cannot start (stop() then cleans up). */
  async startAll(): Promise<void> {
    const { progress } = this;
    const agent = splitAddress(this.s.agentAddress);
    this.agentUrl = `http://${this.s.agentAddress}`;

    // Prometheus first: it scrapes the agent from its first second.
    const version = prometheusVersion();
    if (!version) {
      throw new StepFailed(
        'Prometheus',
        'the prometheus binary is missing; scripts/setup.sh installs it (apt-get install prometheus)'
      );
    }
    let promAddress = this.s.prometheusAddress;
    if (!promAddress) {
      promAddress = (await portFree('127.0.0.1', 9091)) ? '127.0.0.1:9091' : `127.0.0.1:${await freePort('127.0.0.1')}`;
    }
    this.prometheusUrl = `http://${promAddress}`;
    const promDir = join(this.dir, 'prometheus');
    await progress.step(
      `Prometheus ${version} on ${this.prometheusUrl}`,
      async () => {
        if (!(await portFree(...(Object.values(splitAddress(promAddress)) as [string, number])))) {
          throw new Error(`${promAddress} is in use; set ZVIZ_DEMO_PROMETHEUS_ADDR to another address`);
        }
        const child = this.processes.start(
          'prometheus',
          'prometheus',
          prometheusArgs(promDir, promAddress, this.s.agentAddress),
          {
            log: join(this.dir, 'prometheus.log'),
          }
        );
        this.watch(child);
        await waitFor('answer from Prometheus', async () => (await fetch(`${this.prometheusUrl}/-/ready`)).ok, POLL);
        return ruleCount(this.prometheusUrl);
      },
      (rules) => `${rules} rules from ${RULES.slice(REPO.length + 1)}, scraping ${this.s.agentAddress} every 2 s`
    );

    const health = await progress.step(
      `Agent on ${this.agentUrl}`,
      async () => {
        if (!(await portFree(agent.host, agent.port))) {
          throw new Error(
            `${this.s.agentAddress} is in use (another agent?); set ZVIZ_METRICS_ADDR to another address`
          );
        }
        const config = writeAgentConfig(this.dir, this.s.agentAddress);
        const child = this.processes.start('agent', process.execPath, [ZVIZ, 'agent', '--config', config], {
          env: { ...process.env, ZVIZ_METRICS_ADDR: this.s.agentAddress, ZVIZ_CONFIG: '' },
          log: join(this.dir, 'agent.log'),
        });
        this.watch(child);
        await waitFor('ready agent', async () => (await fetch(`${this.agentUrl}/ready`)).ok, POLL);
        return (await (await fetch(`${this.agentUrl}/health`)).json()) as {
          status: string;
          components: Record<string, { status: string }>;
        };
      },
      (h) =>
        `${h.status} (${Object.entries(h.components)
          .map(([name, comp]) => `${name} ${comp.status}`)
          .join(', ')}), audit log ${join(this.dir, 'audit.json')}`
    );

    await progress.step(
      'Prometheus scrapes the agent',
      () => waitFor('successful scrape', async () => (await targetHealth(this.prometheusUrl, 'zviz')) === 'up', POLL),
      () => 'target up'
    );

    const sandbox = health.components.broker;
    if (process.getuid?.() !== 0) {
      progress.skip('Workloads', 'the sandbox needs root (cgroups, seccomp, mount namespaces); run npm start as root');
    } else if (!hasRun()) {
      progress.skip('Workloads', 'this build of zviz has no `zviz run` (no broker)');
    } else if (!sandbox || sandbox.status !== 'ok') {
      progress.skip(
        'Workloads',
        `the agent's broker is ${sandbox?.status ?? 'absent'}; see ${join(this.dir, 'agent.log')}`
      );
    } else {
      const workloads = prepareWorkloads(this.dir);
      await progress.step(
        'Workloads handed to the agent with zviz run',
        async () => {
          for (const w of workloads) {
            void this.loop(w, agent.port);
          }
          await waitFor(
            'first decisions at the agent',
            async () => /^zviz_broker_decisions_total\{/m.test(await (await fetch(`${this.agentUrl}/metrics`)).text()),
            POLL
          );
          return workloads;
        },
        (ws) => ws.map((w) => `${w.name} (${w.profile})`).join(', ')
      );
      await progress.step(
        'Decisions in Prometheus',
        () =>
          waitFor(
            'decision series in Prometheus',
            () => instantValue(this.prometheusUrl, 'sum(zviz_broker_decisions_total)'),
            POLL
          ),
        (n) => `${Math.round(n)} so far`
      );
    }

    this.backend = await progress
      .step(
        'Backend datasource, driven over Grafana’s plugin protocol',
        async () => {
          const backend = await startBackend(
            this.processes,
            join(this.dir, 'datasource.log'),
            datasourceSettings(this.prometheusUrl, this.agentUrl)
          );
          this.watch(backend.child);
          const check = await backend.client.checkHealth(backend.config);
          if (check.status !== 'OK') {
            throw new Error(`CheckHealth: ${check.status}: ${check.message}`);
          }
          return { backend, message: check.message };
        },
        ({ backend, message }) =>
          `${backend.address.network === 'unix' ? backend.address.path : `${backend.address.host}:${backend.address.port}`}; CheckHealth: ${message}`
      )
      .then((r) => r.backend);
  }

  /** Runs a workload with zviz run; again after it ends, until the demo stops. */
  private async loop(w: Workload, agentPort: number): Promise<void> {
    for (let n = 1; !this.stopping; n++) {
      const runName = w.againAfterSeconds === undefined ? w.name : `${w.name}-${n}`;
      const child = this.processes.start(
        `workload ${runName}`,
        process.execPath,
        [ZVIZ, ...runArgs(w, join(this.dir, 'agent.sock'), runName, agentPort)],
        {
          log: join(this.dir, `${w.name}.log`),
        }
      );
      this.workloadRuns.push(child);
      const code = await child.exited;
      this.workloadRuns = this.workloadRuns.filter((r) => r !== child);
      if (this.stopping) {
        return;
      }
      if (w.againAfterSeconds === undefined) {
        this.progress.note(
          this.c.yellow(`${w.name} ended (${code}); starting it again in 5 s (see ${join(this.dir, `${w.name}.log`)})`)
        );
      }
      await this.pause((w.againAfterSeconds ?? 5) * 1000);
    }
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const previous = this.wake;
      this.wake = () => {
        clearTimeout(timer);
        previous();
        resolve();
      };
    });
  }

  /** A part the demo cannot do without stops the demo when it dies. */
  private watch(child: Child): void {
    void child.exited.then((code) => {
      if (!this.stopping) {
        this.progress.line(this.c.red(`\n${child.name} exited unexpectedly (${code}); see ${child.log ?? this.dir}`));
        this.s.keep = true;
        void this.stop(1);
      }
    });
  }

  private whereToLook(): void {
    const { c } = this;
    const agent = this.agentUrl;
    const address = this.s.agentAddress;
    const lines = [
      '',
      c.bold('Where to look'),
      `  agent       ${agent}/metrics   ${agent}/health   ${agent}/api/v1/decisions   ${agent}/api/v1/containers`,
      `              live decisions: curl -N ${agent}/api/v1/decisions/stream`,
      `  terminal    node agent/bin/zviz.js top --addr ${address}`,
      `  Prometheus  ${this.prometheusUrl}/alerts   ${this.prometheusUrl}/rules   ${this.prometheusUrl}/targets`,
      `              ${this.prometheusUrl}/graph?g0.expr=${encodeURIComponent('sum by (syscall, decision) (rate(zviz_broker_decisions_total[1m]))')}`,
      `  audit log   ${join(this.dir, 'audit.json')}   (logs: ${join(this.dir, '*.log')})`,
      `  Grafana     a Grafana 12.3+ on this machine: plugin ${join(REPO, 'dist')} in its plugins directory`,
      `              (allow unsigned: zviz-sandbox-app,zviz-agent-datasource,zviz-decisions-panel), provisioning from`,
      `              ${join(REPO, 'provisioning')} with the datasource pointed here: prometheusUrl ${this.prometheusUrl}, agents [${agent}]`,
      `              with Docker instead: docker compose up (Grafana on :3000 with the plugin and provisioning, Prometheus on :9091)`,
      '',
    ];
    lines.forEach((l) => this.progress.line(l));
  }

  private async summaries(): Promise<void> {
    const watched = new Map(WATCHED_ALERTS.map((name) => [name, alertFor(name)]));
    const started = Date.now();
    while (!this.stopping) {
      if (this.backend) {
        try {
          const [snap, active] = await Promise.all([snapshot(this.backend, 300), alerts(this.prometheusUrl)]);
          if (this.stopping) {
            break;
          }
          summaryLines(snap, active, watched, this.c).forEach((l) => this.progress.line(l));
          this.progress.line();
        } catch (error) {
          this.progress.line(this.c.yellow(`  summary unavailable: ${(error as Error).message}`));
        }
      }
      const left = (this.s.durationSeconds ?? Infinity) * 1000 - (Date.now() - started);
      await this.pause(Math.max(0, Math.min(this.s.summarySeconds * 1000, left)));
      if (Date.now() - started >= (this.s.durationSeconds ?? Infinity) * 1000) {
        break;
      }
    }
  }

  /** Stops everything once, in order, and checks nothing is left. Resolves with the exit code. */
  stop(code = 0): Promise<number> {
    if (this.stopped) {
      return this.stopped;
    }
    this.stopping = true;
    this.wake();
    this.stopped = this.shutdown(code);
    return this.stopped;
  }

  private async shutdown(code: number): Promise<number> {
    const { c, progress, processes } = this;
    progress.line();
    const started = Date.now();
    progress.line(c.bold('Stopping') + c.dim(' (Ctrl-C again kills everything at once)'));
    const byName = (name: string) => processes.running().filter((p) => p.name === name);
    // Workloads first: zviz run passes the interrupt to its container, as docker run does.
    await Promise.all(
      processes
        .running()
        .filter((p) => p.name.startsWith('workload '))
        .map((p) => processes.stop(p, 'SIGINT'))
    );
    this.backend?.client.close();
    for (const name of ['backend datasource', 'agent', 'prometheus']) {
      await Promise.all(byName(name).map((p) => processes.stop(p, 'SIGTERM', 15_000)));
    }
    const left = processes.leftovers();
    const cgroups = demoCgroups(this.s.agentAddress).filter((path) => !removeEmptyCgroups(path));
    if (left.length > 0 || cgroups.length > 0) {
      progress.line(c.red(`Left running: ${[...left, ...cgroups].join(', ')}`));
      code = code || 1;
    } else {
      progress.line(
        c.green(`Stopped everything in ${((Date.now() - started) / 1000).toFixed(1)} s; nothing is left running.`)
      );
    }
    if (this.s.keep) {
      progress.line(`Kept ${this.dir}`);
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
    return code;
  }

  forceKill(): void {
    this.processes.killAll();
  }
}
