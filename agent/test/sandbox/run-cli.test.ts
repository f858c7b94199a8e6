// `zviz run` without an agent, as a user runs it: the workload's output and
// exit code, Ctrl-C forwarded to it, a one-line summary at the end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';

import { mountsUnder } from '@zviz/test-support/remove-dir';
import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';
import { STANDALONE_GROUP } from '../../src/broker/standalone';
import { DEFAULT_CONTROL_SOCKET } from '../../src/control/protocol';
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

/** The cgroup directories of standalone runs' containers whose id starts with `prefix`, in every hierarchy. */
function containerCgroups(prefix: string): string[] {
  return readdirSync('/sys/fs/cgroup')
    .map((hierarchy) => join('/sys/fs/cgroup', hierarchy, STANDALONE_GROUP))
    .filter((group) => existsSync(group))
    .flatMap((group) =>
      readdirSync(group)
        .filter((name) => name.startsWith(prefix))
        .map((name) => join(group, name))
    );
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

    it("passes the caller's NODE_EXTRA_CA_CERTS on with -e, though zviz run's Node never read it", () => {
      // Run as a shell runs the installed command: bin/zviz.js's shell lines move the value aside.
      const env = {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        NODE_EXTRA_CA_CERTS: '/srv/ca/zviz-test-bundle.pem',
      };
      const workloadEnv = (flags: string[]) => {
        const result = spawnSync(ZVIZ, ['run', '--standalone', ...flags, '--', 'env'], {
          cwd: workspace(),
          env,
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(result.status, result.stderr).toBe(0);
        return result.stdout.split('\n').filter((line) => /^(NODE_EXTRA_CA_CERTS|ZVIZ_)/.test(line));
      };
      expect(workloadEnv(['-e', 'NODE_EXTRA_CA_CERTS'])).toEqual(['NODE_EXTRA_CA_CERTS=/srv/ca/zviz-test-bundle.pem']);
      // Without -e the workload gets neither the value nor the name it travelled under.
      expect(workloadEnv([])).toEqual([]);
    });

    it('leaves nothing behind: no temporary files, no cgroups, no mounts on the host', async () => {
      const ws = workspace();
      const tmp = scratchDir('zviz-run-tmpdir-');
      const child = spawn(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--standalone',
          '--memory',
          '64M',
          '--',
          'sh',
          '-c',
          'echo made > made.txt; echo ready; read line',
        ],
        { cwd: ws, env: { ...process.env, TMPDIR: tmp }, stdio: ['pipe', 'pipe', 'pipe'] }
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await new Promise((resolve) => child.stdout.once('data', resolve));
      // While it runs, its container has cgroups of its own (the summary's id, r<pid>-...).
      const running = containerCgroups(`r${child.pid}-`);
      expect(running.length, stderr).toBeGreaterThan(0);
      child.stdin.end('done\n');
      expect(await exited, stderr).toBe(0);

      expect(running.filter((dir) => existsSync(dir))).toEqual([]);
      expect(containerCgroups(`r${child.pid}-`)).toEqual([]);
      // The workspace holds what the workload wrote and nothing else; no
      // temporary file, and no mount left on the host below either.
      expect(readdirSync(ws)).toEqual(['made.txt']);
      expect(readdirSync(tmp)).toEqual([]);
      expect([...mountsUnder(ws), ...mountsUnder(tmp)]).toEqual([]);
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

    function zvizRun(args: string[]) {
      return spawnSync(process.execPath, [ZVIZ, 'run', '--standalone', ...args], {
        cwd: workspace(),
        encoding: 'utf8',
        timeout: 30_000,
      });
    }

    it("says the default profile's expected fallbacks apart from refusals to worry about", () => {
      // glibc creates threads with clone3 and, refused with ENOSYS, retries with clone.
      const threaded = zvizRun([
        '--',
        '/usr/bin/python3',
        '-c',
        'import threading; t = threading.Thread(target=print, args=("thread",)); t.start(); t.join()',
      ]);
      expect(threaded.status, threaded.stderr).toBe(0);
      expect(threaded.stdout).toBe('thread\n');
      expect(threaded.stderr).toMatch(/; expected refusals, harmless: clone3 1 \(glibc retries with clone\)\n$/);
      expect(threaded.stderr).not.toMatch(/; refused:/);
      // NSS asks nscd first; strict refuses every connect, and id goes on with the files.
      const id = zvizRun(['--profile', 'strict', '--', 'id']);
      expect(id.status, id.stderr).toBe(0);
      expect(id.stdout).toMatch(/^uid=0\(root\)/);
      expect(id.stderr).toMatch(/; expected refusals, harmless: connect \d+ \(NSS tries nscd, then reads the files\)/);
      expect(id.stderr).not.toMatch(/; refused:/);
      // Any other connect strict refuses is still one to look at.
      const other = zvizRun([
        '--profile',
        'strict',
        '--',
        '/usr/bin/python3',
        '-c',
        'import socket\ntry: socket.socket(socket.AF_UNIX).connect("/run/zviz-nothing.sock")\nexcept OSError: pass',
      ]);
      expect(other.stderr).toMatch(/; refused: connect 1/);
    });

    it("names the cgroup layer's refusals: an OOM kill as what killed the workload, refused forks", () => {
      const oom = zvizRun(['--memory', '32M', '--', '/usr/bin/python3', '-c', 'x = bytearray(256 * 1024 * 1024)']);
      expect(oom.status).toBe(137);
      expect(oom.stderr).toMatch(
        /exited with code 137 \(killed by SIGKILL: the OOM killer, at its 32 MiB memory limit\) after [\d.]+ s; broker: .*; cgroup refused: 1 OOM kill at the 32 MiB memory limit\n$/
      );
      const forks = zvizRun([
        '--pids',
        '8',
        '--',
        'sh',
        '-c',
        'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done 2>/dev/null; wait; true',
      ]);
      expect(forks.stderr).toMatch(/; cgroup refused: \d+ forks? refused at the pids limit of 8\n$/);
    });

    it('says when a signal zviz passed on ended the workload, and when zviz itself dies from one', async () => {
      const run = (marker: string) => {
        const child = spawn(process.execPath, [ZVIZ, 'run', '--standalone', '--', 'sleep', marker], {
          cwd: workspace(),
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
          child.once('close', (code, signal) => resolve({ code, signal, stderr }))
        );
        return { child, closed };
      };
      const started = async (marker: string) => {
        for (let i = 0; i < 100; i++) {
          if (spawnSync('pgrep', ['-f', `^sleep ${marker}$`]).status === 0) {
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`sleep ${marker} did not start`);
      };
      const term = run('30.25');
      await started('30.25');
      term.child.kill('SIGTERM');
      const termEnd = await term.closed;
      expect(termEnd.code).toBe(143);
      expect(termEnd.stderr).toMatch(
        /exited with code 143 \(killed by SIGTERM: zviz received SIGTERM and passed it on\)/
      );

      // Not a signal zviz passes on: zviz says so and dies from it, and its workload with it.
      const xcpu = run('30.5');
      await started('30.5');
      xcpu.child.kill('SIGXCPU');
      const xcpuEnd = await xcpu.closed;
      expect(xcpuEnd.signal).toBe('SIGXCPU');
      expect(xcpuEnd.stderr).toContain('zviz: killed by SIGXCPU; the workload is stopped with it\n');
      for (let i = 0; i < 50 && spawnSync('pgrep', ['-f', '^sleep 30.5$']).status === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(spawnSync('pgrep', ['-f', '^sleep 30.5$']).status).toBe(1);
    });

    it("runs a program from the host's /tmp under ci-runner's private /tmp, and shows nothing else of it", () => {
      const ws = workspace();
      const tools = mkdtempSync('/tmp/zviz-tools-');
      const secret = mkdtempSync('/tmp/zviz-secret-');
      try {
        writeFileSync(join(secret, 'key'), 'host only\n');
        const script = join(tools, 'job.sh');
        writeFileSync(script, `#!/bin/sh\ntest -e ${join(secret, 'key')} && echo secret seen || echo secret hidden\n`, {
          mode: 0o755,
        });
        const result = spawnSync(
          process.execPath,
          [ZVIZ, 'run', '--standalone', '--profile', 'ci-runner', '--', script],
          {
            cwd: ws,
            encoding: 'utf8',
            timeout: 30_000,
          }
        );
        expect(result.stderr).not.toContain('cannot start');
        expect(result.status).toBe(0);
        expect(result.stdout).toBe('secret hidden\n');
      } finally {
        rmSync(tools, { recursive: true, force: true });
        rmSync(secret, { recursive: true, force: true });
      }
    });

    it("can be profiled with Node's sampling profiler, whose ticks are SIGPROF", () => {
      const ws = workspace();
      const profiles = mkdtempSync(join(tmpdir(), 'zviz-cpu-prof-'));
      try {
        const result = spawnSync(
          process.execPath,
          [
            '--cpu-prof',
            '--cpu-prof-interval',
            '50',
            '--cpu-prof-dir',
            profiles,
            ZVIZ,
            'run',
            '--standalone',
            '--',
            'sh',
            '-c',
            'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done',
          ],
          { cwd: ws, encoding: 'utf8', timeout: 30_000 }
        );
        expect(result.stderr).not.toContain('SIGPROF');
        expect(result.signal).toBeNull();
        expect(result.status).toBe(0);
        expect(readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
      } finally {
        rmSync(profiles, { recursive: true, force: true });
      }
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
      const dir = scratchDir('zviz-stale-');
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

      // The default socket, left by a dead agent: the run goes on without it,
      // and says so. In a mount namespace of its own, with a tmpfs over the
      // socket's directory: the path is the node's, and another run of this
      // test on the node (or an agent) must neither see nor remove this one.
      mkdirSync(dirname(DEFAULT_CONTROL_SOCKET), { recursive: true });
      const leaveSocket =
        `require('node:net').createServer().listen(${JSON.stringify(DEFAULT_CONTROL_SOCKET)}, ` +
        `() => process.kill(process.pid, 'SIGKILL'))`;
      const env = { ...process.env };
      delete env.ZVIZ_AGENT_SOCKET;
      const fallback = spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount -t tmpfs zviz-test "$1" && "$2" -e "$3"; test -S "$4" && exec "$2" "$5" run -- true',
          'sh',
          dirname(DEFAULT_CONTROL_SOCKET),
          process.execPath,
          leaveSocket,
          DEFAULT_CONTROL_SOCKET,
          ZVIZ,
        ],
        { encoding: 'utf8', timeout: 30_000, env, cwd: dir }
      );
      expect(fallback.status, fallback.stderr).toBe(0);
      expect(fallback.stderr).toContain(
        `zviz: no agent answers on ${DEFAULT_CONTROL_SOCKET} (ECONNREFUSED); running standalone, so no agent records these decisions\n`
      );
    });
  }
);
