// `npm start`, the demo, as a newcomer runs it: in a terminal (a pseudo-
// terminal from util-linux `script`), stopped with Ctrl-C. It must start
// every part, print where to look and a live summary read through the
// backend datasource, and leave nothing behind: no process, no port, no
// cgroup, no directory. Setup and build are skipped (npm test has built).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere, file } from '@zviz/test-support/requirements';

const REPO = join(__dirname, '..', '..');
const EXECUTABLE = join(REPO, 'dist/datasource', `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);

/** With root and a broker in the build, the demo runs sandboxed workloads too. */
function sandboxed(): boolean {
  const help = spawnSync(process.execPath, [join(REPO, 'agent/bin/zviz.js'), '--help'], { encoding: 'utf8' });
  return process.getuid?.() === 0 && /^\s+run\b/m.test(help.stdout ?? '');
}

/** The container cgroups of a demo whose agent listens on `port`. */
function demoCgroups(port: number): string[] {
  const roots = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))];
  return roots.map((r) => join(r, `zviz-demo-${port}`)).filter((p) => existsSync(p));
}

interface Demo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

let running: Demo | undefined;
afterEach(() => {
  // A failed assertion must not leave the demo running: its own group, killed whole.
  if (running?.child.pid && running.child.exitCode === null) {
    try {
      process.kill(-running.child.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  running = undefined;
});

function startDemo(env: Record<string, string>): Demo {
  const chunks: string[] = [];
  const child = spawn('script', ['-qfec', 'npm start', '/dev/null'], {
    cwd: REPO,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ZVIZ_SKIP_SETUP: '1', ZVIZ_SKIP_BUILD: '1', NO_COLOR: '1', ...env },
  });
  child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  running = { child, output: () => chunks.join('').replace(/\r\n/g, '\n'), exited };
  return running;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) {
        found.push(`${pid}: ${cmdline}`);
      }
    } catch {
      // Gone while reading.
    }
  }
  return found;
}

describeWhere(
  [
    binary('prometheus'),
    binary('script', 'bsdutils'),
    file(join(REPO, 'agent/dist/zviz.js'), 'needs the built agent (npm run build)'),
    file(EXECUTABLE, 'needs the built backend executable (npm run build)'),
  ],
  '`npm start`, the demo',
  () => {
    it('starts every part, shows a live summary through the backend, and leaves nothing after Ctrl-C', async () => {
      const agentPort = await freePort();
      const promPort = await freePort();
      const demo = startDemo({
        ZVIZ_METRICS_ADDR: `127.0.0.1:${agentPort}`,
        ZVIZ_DEMO_PROMETHEUS_ADDR: `127.0.0.1:${promPort}`,
        ZVIZ_DEMO_SUMMARY_SECONDS: '2',
      });
      await waitFor(
        'the first live summary',
        async () => /^── .* through the backend datasource/m.test(demo.output()),
        {
          timeoutMs: 90_000,
          intervalMs: 250,
        }
      );
      const out = demo.output();
      const dir = /^Files: (\/\S+)\. Ctrl-C/m.exec(out)?.[1];
      expect(dir, out).toBeDefined();
      expect(out).toMatch(new RegExp(`✓ Prometheus \\S+ on http://127\\.0\\.0\\.1:${promPort}: \\d+ rules from`));
      expect(out).toMatch(new RegExp(`✓ Agent on http://127\\.0\\.0\\.1:${agentPort}: healthy `));
      expect(out).toContain('✓ Prometheus scrapes the agent: target up');
      expect(out).toContain(
        `CheckHealth: Prometheus at http://127.0.0.1:${promPort}: OK, 1 agent reports zviz_build_info; 1 of 1 agent reachable`
      );
      expect(out).toContain(`terminal    node agent/bin/zviz.js top --addr 127.0.0.1:${agentPort}`);
      // The summary's health line comes from the backend's health query of the live agent.
      expect(out).toMatch(/^ {2}agent demo healthy, \d+ containers, broker \S+/m);
      expect(await listening(agentPort)).toBe(true);
      expect(processesMentioning(dir!).length).toBeGreaterThan(0);
      if (sandboxed()) {
        expect(out).toContain(
          '✓ Workloads handed to the agent with zviz run: ci-build (ci-runner), untrusted-tool (strict), noisy (default)'
        );
        expect(out).toMatch(/✓ Decisions in Prometheus: \d+ so far/);
        // The noisy workload's refused ptrace calls, counted through the backend's decisions query.
        expect(out).toMatch(/^ {2}ptrace +.* [1-9][\d,.k]* +[1-9][\d,.k]*$/m);
        expect(demoCgroups(agentPort).length).toBeGreaterThan(0);
      } else {
        expect(out).toMatch(/– Workloads: /);
      }

      demo.child.stdin!.write('\u0003'); // Ctrl-C, as the terminal sends it to the foreground group
      // 130: npm's exit code after a Ctrl-C, once the demo has stopped.
      expect(await demo.exited, demo.output()).toBe(130);
      expect(demo.output()).toContain('nothing is left running');
      expect(await listening(agentPort)).toBe(false);
      expect(await listening(promPort)).toBe(false);
      expect(processesMentioning(dir!)).toEqual([]);
      expect(processesMentioning(EXECUTABLE)).toEqual([]);
      expect(demoCgroups(agentPort)).toEqual([]);
      expect(existsSync(dir!)).toBe(false);
    });

    it('stops what it started and says why when a step fails', async () => {
      // The agent's address is taken: the demo must stop the Prometheus it had started.
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const agentPort = (blocker.address() as { port: number }).port;
      const promPort = await freePort();
      let kept: string | undefined;
      try {
        const demo = startDemo({
          ZVIZ_METRICS_ADDR: `127.0.0.1:${agentPort}`,
          ZVIZ_DEMO_PROMETHEUS_ADDR: `127.0.0.1:${promPort}`,
        });
        expect(await demo.exited).toBe(1);
        const out = demo.output();
        expect(out).toContain(`✗ Agent on http://127.0.0.1:${agentPort}: 127.0.0.1:${agentPort} is in use`);
        expect(out).toContain('nothing is left running');
        expect(await listening(promPort)).toBe(false);
        kept = /^Kept (\/\S+)$/m.exec(out)?.[1];
        expect(kept && existsSync(join(kept, 'prometheus.log'))).toBe(true);
      } finally {
        blocker.close();
        // Kept for the user to read; the test has read it.
        if (kept) {
          rmSync(kept, { recursive: true, force: true });
        }
      }
    });
  }
);
