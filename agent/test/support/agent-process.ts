// The agent as a real child process: `node bin/zviz.js <args>` with a
// configuration file in a temporary directory and a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

import { freePort, waitFor } from '@zviz/test-support/ports';

export const BIN = join(__dirname, '..', '..', 'bin', 'zviz.js');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short zviz command to its end. */
export function zviz(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Like zviz(), without blocking the event loop: for commands that talk to an
 * agent this test process runs.
 */
export function zvizAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '', ...env },
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The control socket an AgentProcess's configuration names, in its directory. */
const controlSocketIn = (dir: string): string => join(dir, 'agent.sock');

export class AgentProcess {
  readonly output: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly configPath: string,
    readonly port: number
  ) {
    child.stdout?.on('data', (c: Buffer) => this.output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => this.output.push(c.toString()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Its control socket, for `zviz run --socket`. */
  get controlSocket(): string {
    return controlSocketIn(this.dir);
  }

  get log(): string {
    return this.output.join('');
  }

  /**
   * Starts `zviz <command> --config <file>` with `config` (the metrics
   * address is filled in) and waits for /ready: every component has started
   * (or failed to).
   */
  static async start(
    config: Record<string, unknown> = {},
    { command = ['agent'], waitForHealth = true }: { command?: string[]; waitForHealth?: boolean } = {}
  ): Promise<AgentProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-agent-'));
    const port = await freePort();
    const metrics = (config.metrics ?? {}) as Record<string, unknown>;
    const logging = (config.logging ?? {}) as Record<string, unknown>;
    const broker = (config.broker ?? {}) as Record<string, unknown>;
    const full = {
      ...config,
      metrics: { address: `127.0.0.1:${port}`, ...metrics },
      logging: { audit: { path: join(dir, 'audit.json') }, ...logging },
      // A private control socket and cgroup group: never the node's own agent's.
      broker: { control_socket: controlSocketIn(dir), cgroup_group: `zviz-test-agent-${port}`, ...broker },
    };
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, stringify(full));
    const child = spawn(process.execPath, [BIN, ...command, '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '' },
    });
    const agent = new AgentProcess(child, dir, configPath, port);
    if (waitForHealth) {
      try {
        await waitFor('the agent to be ready', async () => (await fetch(`${agent.url}/ready`)).status === 200);
      } catch (error) {
        await agent.stop();
        throw new Error(`${(error as Error).message}\nagent output:\n${agent.log}`);
      }
    }
    return agent;
  }

  /** Replaces the configuration file (for SIGHUP tests). */
  rewrite(text: string): void {
    writeFileSync(this.configPath, text);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return this.child.exitCode;
    }
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** SIGTERM, wait for the exit, remove the directory; resolves with the exit code. */
  async stop(): Promise<number | null> {
    let code = this.child.exitCode;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exit = this.exited();
      this.child.kill('SIGTERM');
      code = await exit;
    }
    rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}

/** The value of one series in a text exposition, or undefined. */
export function sample(exposition: string, series: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${series} `)) {
      return Number(line.slice(series.length + 1));
    }
  }
  return undefined;
}
