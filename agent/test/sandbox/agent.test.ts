// The sandbox in the running agent, end to end, through the real `zviz`
// command: `zviz run` hands its workload to the agent over the control
// socket; the decisions reach the agent's /metrics, /api/v1/decisions and
// audit log; killing the agent with SIGKILL leaves no unconfined workload
// (the container's PID namespace dies with it; with --pid host, brokered
// syscalls fail and the first process dies with it) and the next agent
// removes what is left.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { btf, describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';

import { createCgroupDriver } from '../../src/cgroups/driver';
import { detectCgroups } from '../../src/cgroups/detect';
import { BIN, buildWorkloads, workspace } from './harness';
import { GUIDE_AUDIT_FIELDS } from '../support/decision-events';

const ZVIZ = join(__dirname, '..', '..', 'bin', 'zviz.js');
const DIST = join(__dirname, '..', '..', 'dist', 'zviz.js');

interface Agent {
  process: ChildProcess;
  url: string;
  log: () => string;
}

describeWhere(
  [root, seccompUserNotif, btf, file(DIST, 'needs the built agent (npm run build)')],
  'the sandbox in the agent',
  () => {
    const dir = scratchDir('zviz-agent-');
    const socket = join(dir, 'agent.sock');
    const group = `zviz-e2e-${process.pid}`;
    let port = 0;
    let agent: Agent | undefined;

    async function startAgent(): Promise<Agent> {
      const config = join(dir, 'config.yaml');
      writeFileSync(
        config,
        [
          'logging:',
          '  level: info',
          '  format: json',
          `  output: ${join(dir, 'agent.log')}`,
          '  audit:',
          `    path: ${join(dir, 'audit.json')}`,
          'metrics:',
          `  address: 127.0.0.1:${port}`,
          '  rate_limit: { rps: 0 }',
          'broker:',
          `  control_socket: ${socket}`,
          `  cgroup_group: ${group}`,
          '',
        ].join('\n')
      );
      const child = spawn(process.execPath, [ZVIZ, 'agent', '--config', config], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (d) => (stderr += d));
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        'the agent to be ready',
        async () => (await fetch(`${url}/ready`)).status === 200 && existsSync(socket),
        {
          timeoutMs: 20_000,
        }
      );
      return { process: child, url, log: () => stderr + readFileSync(join(dir, 'agent.log'), 'utf8') };
    }

    function zvizRun(args: string[], cwd: string) {
      return spawnSync(process.execPath, [ZVIZ, 'run', '--socket', socket, ...args], {
        cwd,
        encoding: 'utf8',
        timeout: 30_000,
      });
    }

    beforeAll(async () => {
      buildWorkloads();
      port = await freePort();
      agent = await startAgent();
    }, 60_000);

    afterAll(async () => {
      const child = agent?.process;
      if (child && child.exitCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      createCgroupDriver(detectCgroups(), group).removeGroup();
    });

    it('runs `zviz run` workloads in the agent: exit code, output, metrics, API and audit log', async () => {
      const ws = workspace();
      const result = zvizRun(
        [
          '--profile',
          'ci-runner',
          '--name',
          'e2e-run',
          '--',
          'sh',
          '-c',
          'echo from the sandbox; echo x > /etc/zviz-e2e; exit 7',
        ],
        ws
      );
      expect(result.stdout).toBe('from the sandbox\n');
      expect(result.stderr).toContain('/etc/zviz-e2e: Permission denied');
      expect(result.stderr).toMatch(
        /zviz: \w+ \(ci-runner\) exited with code 7 after [\d.]+ s; broker: \d+ decisions \(.*1 deny\); refused: openat 1/
      );
      expect(result.status).toBe(7);

      const url = agent!.url;
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^zviz_broker_decisions_total\{syscall="openat",decision="deny"\} 1$/m);
      expect(metrics).toMatch(/^zviz_security_denials_total\{layer="broker"\} 1$/m);
      // Created once; removed at its end, but its final series stay for the
      // retention period, so it still counts, in its final state.
      expect(metrics).toMatch(/^zviz_containers_created_total 1$/m);
      expect(metrics).toMatch(/^zviz_containers_total 1$/m);
      expect(metrics).toMatch(/^zviz_containers_by_state\{state="failed"\} 1$/m);
      expect(metrics).toMatch(/^zviz_container_state\{container_id="[^"]+",state="failed"\} 1$/m);
      expect(metrics).toMatch(/^zviz_container_exit_code\{container_id="[^"]+"\} 7$/m);
      const decisions = (await (await fetch(`${url}/api/v1/decisions?syscall=openat`)).json()) as {
        events: Array<Record<string, unknown>>;
      };
      const denial = decisions.events.find((e) => e.decision === 'deny');
      expect(denial).toMatchObject({
        syscall: 'openat',
        layer: 'broker',
        errno: 13,
        profile: 'ci-runner',
        args: { path: '/etc/zviz-e2e' },
      });
      await waitFor('the audit record', async () =>
        readFileSync(join(dir, 'audit.json'), 'utf8').includes('/etc/zviz-e2e')
      );
      const record = readFileSync(join(dir, 'audit.json'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('/etc/zviz-e2e'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
      expect(record).toMatchObject({
        event_type: 'syscall',
        syscall: 'openat',
        decision: 'deny',
        layer: 'broker',
        container_id: denial!.container_id,
        args: { path: '/etc/zviz-e2e', flags: 'O_WRONLY|O_CREAT|O_TRUNC' },
      });
      // The monitoring guide's audit record: its eight fields first, in its
      // order, with its types (ZViz's own fields follow).
      expect(Object.keys(record).slice(0, 8)).toEqual(GUIDE_AUDIT_FIELDS);
      expect(record.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(record.latency_us).toBeGreaterThan(0);
      // Removed at its end: no container left.
      const containers = (await (await fetch(`${url}/api/v1/containers`)).json()) as { containers: unknown[] };
      expect(containers.containers).toEqual([]);
    });

    it("traces what `zviz run` runs: the tracer counts the container's syscalls while it runs", async () => {
      const ws = workspace();
      const run = spawn(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--socket',
          socket,
          '--profile',
          'ci-runner',
          '--name',
          'traced',
          '--',
          'sh',
          '-c',
          'exec sleep 30',
        ],
        { cwd: ws, stdio: 'ignore' }
      );
      const exited = new Promise((resolve) => run.once('exit', resolve));
      try {
        let id = '';
        await waitFor('the container to run', async () => {
          const { containers } = (await (await fetch(`${agent!.url}/api/v1/containers`)).json()) as {
            containers: Array<{ id: string; name: string; state: string }>;
          };
          id = containers.find((c) => c.name === 'traced' && c.state === 'running')?.id ?? '';
          return id !== '';
        });
        // sleep's own syscalls (execve onwards) happen in the container's cgroup.
        const series = new RegExp(`^zviz_syscalls_total\\{container_id="${id}",syscall="(\\w+)"[^}]*\\} (\\d+)$`, 'gm');
        let seen: string[] = [];
        await waitFor("the container's syscalls in /metrics", async () => {
          const text = await (await fetch(`${agent!.url}/metrics`)).text();
          seen = [...text.matchAll(series)].map((m) => m[1]);
          return seen.includes('nanosleep') || seen.includes('clock_nanosleep');
        });
        expect(seen.length).toBeGreaterThan(1);
      } finally {
        run.kill('SIGTERM');
        await exited;
      }
    });

    it('refuses a bad profile before anything starts, with every problem', () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(
        bad,
        JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['opne'], action: 'SCMP_ACT_ERRNO' }] })
      );
      const result = zvizRun(['--profile', bad, '--', 'true'], dir);
      expect(result.status).toBe(125);
      expect(result.stderr).toContain(`${bad}: /syscalls/0/names/0: unknown syscall "opne"`);
    });

    /** `zviz run` of the probe in the background of a shell that waits; resolves once the probe runs. */
    async function runProbe(ws: string, extra: string[]) {
      const witness = join(ws, 'witness');
      // From the workspace: ci-runner's /tmp is private, and a checkout under /tmp would hide BIN.
      const probe = join(ws, 'probe');
      copyFileSync(join(BIN, 'probe'), probe);
      // The probe runs in the background of the first process; it outlives it.
      const run = spawn(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--socket',
          socket,
          '--profile',
          'ci-runner',
          ...extra,
          '--',
          'sh',
          '-c',
          `${probe} ${witness} ${join(ws, 'target')} & exec sleep 1000`,
        ],
        { cwd: ws, stdio: 'ignore' }
      );
      const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
      const lines = () => (existsSync(witness) ? readFileSync(witness, 'utf8').trim().split('\n') : []);
      await waitFor('the probe to open files through the broker', async () => lines().includes('ok'));
      const containers = (await (await fetch(`${agent!.url}/api/v1/containers`)).json()) as {
        containers: Array<{ id: string; pid: number; cgroup: string }>;
      };
      const [container] = containers.containers;
      expect(container.pid).toBeGreaterThan(0);
      return { container, exited, lines };
    }

    it('fails closed when the agent is killed: the PID namespace dies with it, the next agent removes the cgroup', async () => {
      const { container, exited, lines } = await runProbe(workspace(), []);
      const procs = () => readFileSync(join(container.cgroup, 'cgroup.procs'), 'utf8').trim();
      expect(procs()).not.toBe('');

      agent!.process.kill('SIGKILL');
      // The container's init had PR_SET_PDEATHSIG on the agent: it died, and
      // the kernel killed every process of its namespace, the background probe too.
      await waitFor('every process of the container to be gone', async () => procs() === '');
      expect(existsSync(`/proc/${container.pid}`)).toBe(false);
      expect(await exited).toBe(125);
      const count = lines().length;
      await new Promise((r) => setTimeout(r, 300));
      expect(lines().length).toBe(count);

      agent = await startAgent();
      expect(existsSync(container.cgroup)).toBe(false);
    });

    it('fails closed with --pid host: brokered syscalls fail, and the next agent kills what was left', async () => {
      const { container, exited, lines } = await runProbe(workspace(), ['--pid', 'host']);

      agent!.process.kill('SIGKILL');
      // Brokered syscalls now fail: the kernel answers ENOSYS once the listener is gone.
      await waitFor('the probe to see ENOSYS', async () => lines().at(-1) === 'errno ENOSYS');
      // The first process died with the agent (PR_SET_PDEATHSIG).
      await waitFor('the first process to be gone', async () => !existsSync(`/proc/${container.pid}`));
      // `zviz run` notices and says so.
      expect(await exited).toBe(125);
      // Still running, refused everything brokered: not unconfined, but not cleaned up either, until...
      const procs = readFileSync(join(container.cgroup, 'cgroup.procs'), 'utf8').trim();
      expect(procs).not.toBe('');

      // ...the next agent starts and kills it.
      agent = await startAgent();
      expect(existsSync(container.cgroup)).toBe(false);
      expect(agent.log()).toContain('removed containers a previous agent left behind');
      const count = lines().length;
      await new Promise((r) => setTimeout(r, 200));
      expect(lines().length).toBe(count);
    });
  }
);
