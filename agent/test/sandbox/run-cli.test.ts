// `zviz run` without an agent, as a user runs it: the workload's output and
// exit code, Ctrl-C forwarded to it, a one-line summary at the end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';

import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { DEFAULT_CONTROL_SOCKET } from '../../src/broker/protocol';
import { listDisks } from '../../src/cgroups/block-devices';
import { workspace } from './harness';

/** A socket file as a SIGKILLed agent leaves it: there, but connecting is refused. */
async function staleSocket(path: string): Promise<void> {
  const holder = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'ignore'] }
  );
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  expect(existsSync(path)).toBe(true);
}

const ZVIZ = join(__dirname, '..', '..', 'bin', 'zviz.js');
const DIST = join(__dirname, '..', '..', 'dist', 'zviz.js');

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'zviz run (standalone)',
  () => {
    it('gives the workload the terminal, returns its exit code and sums up the decisions', () => {
      const ws = workspace();
      const result = spawnSync(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--standalone',
          '--profile',
          'ci-runner',
          '--memory',
          '256M',
          '--pids',
          '128',
          '--',
          'sh',
          '-c',
          'cat; echo made > made.txt; cat made.txt; exit 5',
        ],
        { cwd: ws, input: 'from stdin\n', encoding: 'utf8', timeout: 30_000 }
      );
      expect(result.stdout).toBe('from stdin\nmade\n');
      expect(result.status).toBe(5);
      expect(result.stderr).toMatch(
        /^zviz: r\d+-\w+ \(ci-runner\) exited with code 5 after [\d.]+ s; broker: \d+ decisions \((\d+ allow, )?1 emulate, \d+ log\)\n$/
      );
    });

    it('sets --io-read-bps and --io-write-bps on every disk, in the files of its own cgroup', () => {
      // The workload reads its cgroup's limit files: blkio on v1 and hybrid hosts, io.max on v2.
      const script = [
        'v1=$(grep :blkio: /proc/self/cgroup | cut -d: -f3)',
        'if [ -n "$v1" ]; then d=/sys/fs/cgroup/blkio$v1; cat $d/blkio.throttle.read_bps_device $d/blkio.throttle.write_bps_device',
        'else cat /sys/fs/cgroup$(grep ^0:: /proc/self/cgroup | cut -d: -f3)/io.max; fi',
      ].join('; ');
      const result = spawnSync(
        process.execPath,
        [ZVIZ, 'run', '--standalone', '--io-read-bps', '2M', '--io-write-bps', '1M', '--', 'sh', '-c', script],
        { cwd: workspace(), encoding: 'utf8', timeout: 30_000 }
      );
      expect(result.status, result.stderr).toBe(0);
      const disks = listDisks().map((d) => d.device);
      expect(disks.length).toBeGreaterThan(0);
      for (const device of disks) {
        expect(result.stdout).toMatch(new RegExp(`^${device} (2097152$|rbps=2097152 wbps=1048576 )`, 'm'));
      }
      const bad = spawnSync(process.execPath, [ZVIZ, 'run', '--io-write-bps', 'fast', '--', 'true'], {
        encoding: 'utf8',
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('invalid I/O rate "fast": write bytes a second such as 10M or 512K');
    });

    it('forwards Ctrl-C (SIGINT) to the workload', async () => {
      const child = spawn(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--standalone',
          '--',
          'sh',
          '-c',
          'trap "echo interrupted; exit 42" INT; echo ready; while :; do sleep 0.05; done',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(out).toBe('ready\ninterrupted\n');
      expect(code).toBe(42);
    });

    it('exits 125 with the reason when the command cannot start', () => {
      const result = spawnSync(process.execPath, [ZVIZ, 'run', '--standalone', '--', 'no-such-command-zviz'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(125);
      expect(result.stderr).toContain('no-such-command-zviz: command not found in PATH');
    });

    it('says so when a socket is there but no agent answers: refuses with --socket, runs standalone without', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'zviz-stale-'));
      const socket = join(dir, 'agent.sock');
      await staleSocket(socket);
      const named = spawnSync(process.execPath, [ZVIZ, 'run', '--socket', socket, '--', 'true'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(named.status).toBe(125);
      expect(named.stderr).toBe(
        `zviz: no agent answers on ${socket} (ECONNREFUSED); start zviz agent, or pass --standalone\n`
      );

      // The default socket, left by a dead agent: the run goes on without it, and says so.
      expect(existsSync(DEFAULT_CONTROL_SOCKET), `an agent runs on this machine (${DEFAULT_CONTROL_SOCKET})`).toBe(
        false
      );
      mkdirSync(dirname(DEFAULT_CONTROL_SOCKET), { recursive: true });
      await staleSocket(DEFAULT_CONTROL_SOCKET);
      try {
        const env = { ...process.env };
        delete env.ZVIZ_AGENT_SOCKET;
        const fallback = spawnSync(process.execPath, [ZVIZ, 'run', '--', 'true'], {
          encoding: 'utf8',
          timeout: 30_000,
          env,
          cwd: dir,
        });
        expect(fallback.status).toBe(0);
        expect(fallback.stderr).toContain(
          `zviz: no agent answers on ${DEFAULT_CONTROL_SOCKET} (ECONNREFUSED); running standalone, so no agent records these decisions\n`
        );
      } finally {
        rmSync(DEFAULT_CONTROL_SOCKET, { force: true });
      }
    });
  }
);
