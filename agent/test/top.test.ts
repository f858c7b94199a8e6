// `zviz top` against a real agent process: one frame (--once), batch output
// when stdout is not a terminal, the interactive screen in a pseudo-terminal
// (util-linux `script`), credentials, and an agent that is not there.
import type { HealthReport } from '@zviz/shared/agent-api';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, BIN, zviz } from './support/agent-process';

const ESC = '\u001b[';

/** A long-running top, its output collected. */
function startTop(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  const chunks: string[] = [];
  const child = spawn(process.execPath, [BIN, 'top', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '', ...env },
  });
  child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { child, output: () => chunks.join('') };
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('zviz top', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ node_name: 'top-node', variant: 'canary' });
  });
  afterAll(async () => {
    await agent.stop();
  });

  it('--once prints one frame of what the agent reports and exits 0', async () => {
    const health = (await (await fetch(`${agent.url}/health`)).json()) as HealthReport;
    const result = zviz(['top', '--once', '--interval', '0.2', '--addr', `127.0.0.1:${agent.port}`]);
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).not.toContain(ESC);
    expect(out.split('\n')[0]).toMatch(
      new RegExp(
        `^zviz top {2}${health.status.toUpperCase()} {2}top-node · canary · agent ${health.version} · up \\d+s`
      )
    );
    for (const [name, component] of Object.entries(health.components)) {
      expect(out).toContain(`${name} ${component.status}`);
    }
    expect(out).toMatch(/^broker \S+/m);
    expect(out).toMatch(/^CONTAINERS /m);
    expect(out).toMatch(/^SYSCALLS /m);
    expect(out).toMatch(/^LATEST DECISIONS {2}from the agent's ring, \d+ received$/m);
  });

  it('prints a frame per interval when stdout is not a terminal, and stops on SIGTERM', async () => {
    const top = startTop(['--addr', `127.0.0.1:${agent.port}`, '--interval', '0.3']);
    try {
      await waitFor('two frames', async () => (top.output().match(/^zviz top /gm) ?? []).length >= 2);
    } finally {
      top.child.kill('SIGTERM');
    }
    expect(await exited(top.child)).toBe(0);
    expect(top.output()).not.toContain(ESC);
    // The batch frames follow the stream: it is live, not a snapshot.
    expect(top.output()).toMatch(/^LATEST DECISIONS {2}live, /m);
  });

  it('says the agent is unreachable and exits 3 with --once', async () => {
    const port = await freePort();
    const result = zviz(['top', '--once', '--interval', '0.2', '--addr', `127.0.0.1:${port}`]);
    expect(result.status).toBe(3);
    expect(result.stdout).toContain(`agent unreachable: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED`);
  });

  it('refuses bad options with exit 2', () => {
    const result = zviz(['top', '--sort', 'loudest']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("argument 'loudest' is invalid. expected one of rate, total, refused, name");
    expect(zviz(['top', '--interval', '0']).status).toBe(2);
  });
});

describe('zviz top with credentials', () => {
  const token = 'top-token-0123456789abcdef';
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ metrics: { auth: { type: 'bearer', token } } });
  });
  afterAll(async () => {
    await agent.stop();
  });

  it('uses the bearer token of --config, and says so when credentials are missing', () => {
    const without = zviz(['top', '--once', '--interval', '0.2', '--addr', `127.0.0.1:${agent.port}`]);
    expect(without.stdout).toContain('metrics unavailable: /metrics: credentials refused (HTTP 401)');
    const withConfig = zviz(['top', '--once', '--interval', '0.2', '--config', agent.configPath]);
    expect(withConfig.status).toBe(0);
    expect(withConfig.stdout).toMatch(/^zviz top {2}HEALTHY /m);
    expect(withConfig.stdout).not.toContain('credentials refused');
  });
});

describeWhere([binary('script')], 'zviz top in a terminal', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start();
  });
  afterAll(async () => {
    await agent.stop();
  });

  /** top in a pseudo-terminal of 120x40 that `script` gives it; keys are written to its input. */
  function inTerminal(env: NodeJS.ProcessEnv = {}) {
    const command = `stty cols 120 rows 40; exec ${process.execPath} ${BIN} top --addr 127.0.0.1:${agent.port} --interval 0.3`;
    const chunks: string[] = [];
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '', FORCE_COLOR: '', ZVIZ_CONFIG: '', ...env },
    });
    child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString()));
    return { child, output: () => chunks.join('') };
  }

  it('draws in the alternate screen, changes order on s, quits on q and gives the terminal back', async () => {
    const top = inTerminal();
    try {
      await waitFor('the first frame', async () => top.output().includes('HEALTHY'));
      expect(top.output()).toContain(`${ESC}?1049h`); // alternate screen
      expect(top.output()).toContain(`${ESC}32m`); // healthy in green
      expect(top.output()).toContain('q quit   s sort syscalls');
      top.child.stdin!.write('s');
      await waitFor('the next syscall order', async () => top.output().includes('sort: total'));
      top.child.stdin!.write('q');
      expect(await exited(top.child)).toBe(0);
    } finally {
      top.child.kill('SIGKILL');
    }
    const out = top.output();
    // The terminal comes back as it was: main screen, cursor shown, line wrapping on.
    const tail = out.slice(out.lastIndexOf('sort: total'));
    expect(tail).toContain(`${ESC}?1049l`);
    expect(tail).toContain(`${ESC}?25h`);
    expect(tail).toContain(`${ESC}?7h`);
  });

  it('has no colors with NO_COLOR', async () => {
    const top = inTerminal({ NO_COLOR: '1' });
    try {
      await waitFor('the first frame', async () => top.output().includes('HEALTHY'));
      top.child.stdin!.write('q');
      expect(await exited(top.child)).toBe(0);
    } finally {
      top.child.kill('SIGKILL');
    }
    expect(top.output()).not.toMatch(/\u001b\[\d+m/);
  });
});

describeWhere([root, seccompUserNotif], 'zviz top with sandboxed workloads', () => {
  let agent: AgentProcess;
  let workload: ChildProcess | undefined;
  beforeAll(async () => {
    agent = await AgentProcess.start();
  });
  afterAll(async () => {
    workload?.kill('SIGINT');
    if (workload) {
      await exited(workload);
    }
    await agent.stop();
  });

  it('shows the container, its refused opens per syscall and the latest decisions', async () => {
    // Under `strict`, writing /etc/hostname is refused by the broker (its reads are the kernel's:
    // /etc/shadow is not in its view); the container then stays up.
    workload = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '--socket',
        agent.controlSocket,
        '--profile',
        'strict',
        '--name',
        'top-probe',
        '--memory',
        '64M',
        '--workdir',
        agent.dir,
        '--',
        '/bin/sh',
        '-c',
        'for i in 1 2 3; do /bin/true > /etc/hostname; done 2>/dev/null; exec sleep 60',
      ],
      { stdio: 'ignore' }
    );
    await waitFor('the container to run', async () => {
      const body = (await (await fetch(`${agent.url}/api/v1/containers`)).json()) as {
        containers: Array<{ name: string; state: string }>;
      };
      return body.containers.some((c) => c.name === 'top-probe' && c.state === 'running');
    });
    await waitFor('the refusals to be counted', async () =>
      /zviz_broker_decisions_total\{syscall="openat",decision="deny"\} 3/.test(await agent.metrics())
    );
    const result = zviz(['top', '--once', '--interval', '0.5', '--addr', `127.0.0.1:${agent.port}`]);
    expect(result.status, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^components {2}.*broker ok/m);
    expect(out).toMatch(/^broker running {2}in flight \d+ {2}requests /m);
    expect(out).toMatch(/^denials .* {2}broker [\d.]+\/s/m);
    expect(out).toMatch(/^CONTAINERS {2}1 \(1 running\)/m);
    // The container row: its name, profile, state, memory use against its 64 MiB limit.
    expect(out).toMatch(/^\S{12} +top-probe +strict +running +\d+s +0 +\S+ +\S+ +[\d.]+ (KiB|MiB) +\d+% +3$/m);
    // Three refused opens: a DENY column of 3 in the openat row.
    expect(out).toMatch(/^openat +\S+ +\d+ +\d+ +\d+ +\d+ +3 +0 +0 +\S+$/m);
    expect(out).toMatch(/^LATEST DECISIONS {2}from the agent's ring, [1-9]\d* received$/m);
    expect(out).toMatch(/ openat +deny +broker +\S+ µs +\/etc\/hostname \(errno 13\)$/m);
  });
});
