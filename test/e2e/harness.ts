// What the end-to-end tests run: the agent with its broker as a real process
// (its own control socket and cgroup group, never the node's), workloads
// handed to it with `zviz run`, the backend executable started with Grafana's
// handshake and driven over gRPC by the backend's protocol client, and the
// static test workload with exactly known decisions.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { stopChild } from '@zviz/test-support/processes';

import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';

export const REPO = join(__dirname, '..', '..');
export const ZVIZ = join(REPO, 'agent/bin/zviz.js');
export const AGENT_BUNDLE = join(REPO, 'agent/dist/zviz.js');
export const EXECUTABLE = join(
  REPO,
  'dist/datasource',
  `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`
);
const WORKLOADS = join(__dirname, 'workloads');

/** Builds the static test workload (no dynamic loader: its only opens are the ones it is asked for). */
export function buildChainWorkload(): string {
  mkdirSync(join(WORKLOADS, 'bin'), { recursive: true });
  const out = join(WORKLOADS, 'bin', 'chain');
  execFileSync('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(WORKLOADS, 'chain.c')]);
  return out;
}

const OPENS = ['open', 'openat', 'openat2', 'creat'];

/**
 * The built-in `default` profile with three broker rules on the workspace's
 * files: `allowed` is opened by the broker (emulate), `logged` is logged,
 * `denied` is refused with EACCES. ptrace stays refused by the seccomp part.
 */
export function chainProfile(dir: string): string {
  const profile = JSON.parse(readFileSync(join(REPO, 'agent/profiles/default.json'), 'utf8')) as {
    zviz: Record<string, unknown>;
  };
  profile.zviz.description = 'end-to-end test: one outcome per file of the workspace';
  profile.zviz.broker = [
    { syscalls: OPENS, paths: ['${workspace}/allowed'], decision: 'allow' },
    { syscalls: OPENS, paths: ['${workspace}/logged'], decision: 'log' },
    { syscalls: OPENS, paths: ['${workspace}/denied'], decision: 'deny', errno: 'EACCES' },
  ];
  const path = join(dir, 'e2e-profile.json');
  writeFileSync(path, JSON.stringify(profile, null, 2));
  return path;
}

/** A workspace holding the workload and the three files it opens. */
export function chainWorkspace(dir: string, binary: string): string {
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  for (const name of ['allowed', 'logged', 'denied']) {
    writeFileSync(join(workspace, name), `${name}\n`);
  }
  copyFileSync(binary, join(workspace, 'chain'));
  execFileSync('chmod', ['755', join(workspace, 'chain')]);
  return workspace;
}

export class SandboxAgent {
  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
    private readonly output: string[]
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  get socket(): string {
    return join(this.dir, 'agent.sock');
  }

  get log(): string {
    return this.output.join('');
  }

  static async start(config: Record<string, unknown> = {}): Promise<SandboxAgent> {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-e2e-agent-'));
    const port = await freePort();
    const full = {
      node_name: 'e2e',
      variant: 'production',
      ...config,
      metrics: { address: `127.0.0.1:${port}`, rate_limit: { rps: 0 } },
      logging: { format: 'json', audit: { path: join(dir, 'audit.json') } },
      broker: { control_socket: join(dir, 'agent.sock'), cgroup_group: `zviz-e2e-${port}` },
    };
    writeFileSync(join(dir, 'config.yaml'), stringify(full));
    const output: string[] = [];
    const child = spawn(process.execPath, [ZVIZ, 'agent', '--config', join(dir, 'config.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '' },
    });
    child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    const agent = new SandboxAgent(child, dir, port, output);
    try {
      await waitFor('the agent to be ready', async () => (await fetch(`${agent.url}/ready`)).ok, { timeoutMs: 30_000 });
    } catch (error) {
      await agent.stop();
      throw new Error(`${(error as Error).message}\nagent output:\n${agent.log}`);
    }
    return agent;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** The value of one series of the agent's exposition, or undefined. */
  async sample(series: string): Promise<number | undefined> {
    const line = (await this.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  /** `zviz run` through this agent's control socket; resolves with its exit code and output. */
  run(args: { profile: string; workdir: string; name?: string; command: string[] }): Promise<RunOutput> {
    const chunks = { stdout: [] as string[], stderr: [] as string[] };
    const child = spawn(
      process.execPath,
      [
        ZVIZ,
        'run',
        '--socket',
        this.socket,
        '--profile',
        args.profile,
        '--workdir',
        args.workdir,
        ...(args.name ? ['--name', args.name] : []),
        '--',
        ...args.command,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    child.stdout!.on('data', (c: Buffer) => chunks.stdout.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => chunks.stderr.push(c.toString()));
    return new Promise((resolve) =>
      child.once('exit', (code) => {
        const stderr = chunks.stderr.join('');
        resolve({
          code,
          stdout: chunks.stdout.join(''),
          stderr,
          containerId: /^zviz: (\S+) \(/m.exec(stderr)?.[1],
        });
      })
    );
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From zviz run's summary line. */
  containerId?: string;
}

/** The backend executable as Grafana's plugin host runs it, and a gRPC client to it. */
export class BackendProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly client: GrafanaClient,
    readonly address: Network
  ) {}

  static async start(): Promise<BackendProcess> {
    const child = spawn(EXECUTABLE, [], {
      env: { PATH: process.env.PATH ?? '', grafana_plugin_type: 'datasource', PLUGIN_PROTOCOL_VERSIONS: '2' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('\n')) {
          resolve(out.split('\n')[0]);
        }
      });
      child.once('exit', (code) => reject(new Error(`the backend exited (${code}) before its handshake`)));
    });
    const [, , network, addr] = line.trim().split('|');
    const address: Network =
      network === 'unix'
        ? { network: 'unix', path: addr }
        : { network: 'tcp', host: addr.split(':')[0], port: Number(addr.split(':')[1]) };
    return new BackendProcess(child, new GrafanaClient(address), address);
  }

  async stop(): Promise<void> {
    this.client.close();
    await stopChild(this.child);
  }
}
