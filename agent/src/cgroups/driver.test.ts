// The cgroup files each layout reads and writes, on fake hierarchies in a
// temporary directory (pure v2 cannot be tested for real on a hybrid host;
// the real v1 + unified hierarchies are exercised by test/sandbox).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

import { describeWhere, root } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';

import { detectCgroups } from './detect';
import { createCgroupDriver } from './driver';
import { CONTAINER_DEVICES } from './devices';

/** Where a fake v2 hierarchy gets its device program: nowhere (device-program.test.ts loads real ones). */
const DEVICE_PROGRAM = { attachDeviceProgram: () => {} };

function fake(files: Record<string, string>): string {
  const root = scratchDir('zviz-cgroup-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('cgroup driver files', () => {
  it('on v2: delegates controllers, writes memory.max, cpu.max and pids.max, reads usage and events', () => {
    const root = fake({ 'cgroup.controllers': 'cpuset cpu io memory pids\n', 'cgroup.subtree_control': 'memory\n' });
    const driver = createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', DEVICE_PROGRAM);
    expect(driver.controllers).toEqual(['memory', 'cpu', 'pids', 'io']);
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +pids +io');
    const cgroup = driver.create('c1');
    const dir = join(root, 'zviz', 'c1');
    expect(cgroup.v2Dir).toBe(dir);
    expect(cgroup.v1Procs).toEqual([]);
    cgroup.applyLimits({ memoryBytes: 512 * 1024 * 1024, cpus: 1.5, pids: 64 });
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(512 * 1024 * 1024));
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('150000 100000');
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('64');
    writeFileSync(join(dir, 'memory.current'), '1048576\n');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n');
    writeFileSync(join(dir, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n');
    writeFileSync(join(dir, 'pids.current'), '3\n');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n');
    writeFileSync(join(dir, 'pids.events'), 'max 7\n');
    expect(cgroup.sample()).toEqual({
      memoryBytes: 1048576,
      cpuSeconds: 2.5,
      ioReadBytes: 4097,
      ioWriteBytes: 8194,
      pids: 3,
      oomKills: 2,
      pidsLimitHits: 7,
      limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1.5, pids: 64 },
    });
    expect(driver.existing()).toEqual(['c1']);
  });

  it('on v2: makes the group again, delegation included, when another process removed it', () => {
    const root = fake({ 'cgroup.controllers': 'cpu io memory pids\n', 'cgroup.subtree_control': '' });
    const driver = createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', DEVICE_PROGRAM);
    // As a standalone run's end removes the shared group once it is empty.
    rmSync(join(root, 'zviz'), { recursive: true });
    const cgroup = driver.create('c1');
    expect(cgroup.v2Dir).toBe(join(root, 'zviz', 'c1'));
    expect(readFileSync(join(root, 'zviz', 'cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu +pids +io');
  });

  it('on v1: limits in each controller, cpu joined only with a CPU limit, usage from cpuacct and blkio', () => {
    const root = fake({});
    const v1 = Object.fromEntries(['memory', 'cpu', 'cpuacct', 'pids', 'blkio'].map((c) => [c, join(root, c)]));
    const driver = createCgroupDriver({ kind: 'v1', v1 }, 'zviz');
    const cgroup = driver.create('c2');
    cgroup.applyLimits({ memoryBytes: 64 * 1024 * 1024 });
    expect(readFileSync(join(root, 'memory', 'zviz', 'c2', 'memory.limit_in_bytes'), 'utf8')).toBe(
      String(64 * 1024 * 1024)
    );
    expect(readFileSync(join(root, 'cpu', 'zviz', 'c2', 'cpu.cfs_quota_us'), 'utf8')).toBe('-1');
    expect(cgroup.v1Procs.some((p) => p.includes('/cpu/'))).toBe(false);
    cgroup.applyLimits({ cpus: 0.5, pids: 10 });
    expect(readFileSync(join(root, 'cpu', 'zviz', 'c2', 'cpu.cfs_quota_us'), 'utf8')).toBe('50000');
    expect(cgroup.v1Procs.some((p) => p.includes('/cpu/'))).toBe(true);
    const dir = (c: string) => join(root, c, 'zviz', 'c2');
    writeFileSync(join(dir('memory'), 'memory.usage_in_bytes'), '2048\n');
    writeFileSync(join(dir('memory'), 'memory.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(dir('memory'), 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    writeFileSync(join(dir('cpuacct'), 'cpuacct.usage'), '3000000000\n');
    writeFileSync(
      join(dir('blkio'), 'blkio.throttle.io_service_bytes_recursive'),
      '8:0 Read 100\n8:0 Write 50\n8:0 Total 150\nTotal 150\n'
    );
    writeFileSync(join(dir('pids'), 'pids.events'), 'max 3\n');
    writeFileSync(join(dir('cpu'), 'cpu.cfs_period_us'), '100000\n');
    const sample = cgroup.sample();
    expect(sample).toMatchObject({
      memoryBytes: 2048,
      cpuSeconds: 3,
      ioReadBytes: 100,
      ioWriteBytes: 50,
      oomKills: 1,
      pidsLimitHits: 3,
    });
    // "Unlimited" in v1 is a huge number: no limit, no utilization.
    expect(sample.limits.memoryBytes).toBeUndefined();
    expect(sample.limits.cpus).toBe(0.5);
  });

  it('reads the limits again after applyLimits or a minute, not at every sample (usage at every one)', () => {
    const root = fake({ 'cgroup.controllers': 'cpu io memory pids\n', 'cgroup.subtree_control': '' });
    const cgroup = createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', DEVICE_PROGRAM).create('c5');
    const dir = join(root, 'zviz', 'c5');
    cgroup.applyLimits({ pids: 64 });
    writeFileSync(join(dir, 'pids.current'), '3\n');
    expect(cgroup.sample()).toMatchObject({ pids: 3, limits: { pids: 64 } });
    // Changed under the agent: the usage shows at once, the limit not yet.
    writeFileSync(join(dir, 'pids.current'), '4\n');
    writeFileSync(join(dir, 'pids.max'), '32\n');
    expect(cgroup.sample()).toMatchObject({ pids: 4, limits: { pids: 64 } });
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    try {
      expect(cgroup.sample().limits.pids).toBe(32);
    } finally {
      vi.restoreAllMocks();
    }
    cgroup.applyLimits({ pids: 16 });
    expect(cgroup.sample().limits.pids).toBe(16);
  });

  it('hands out the files of a sample to read elsewhere, and parses what was read as sample() does', () => {
    const root = fake({ 'cgroup.controllers': 'cpu io memory pids\n', 'cgroup.subtree_control': '' });
    const cgroup = createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', DEVICE_PROGRAM).create('c6');
    const dir = join(root, 'zviz', 'c6');
    cgroup.applyLimits({ pids: 64, memoryBytes: 1 << 30 });
    writeFileSync(join(dir, 'memory.current'), '4096\n');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1500000\n');
    writeFileSync(join(dir, 'pids.current'), '2\n');
    writeFileSync(join(dir, 'pids.events'), 'max 1\n');
    // What a reader hands back: the content, or undefined for a file it could not read.
    const content = (p: string) => (existsSync(p) && !p.endsWith('io.stat') ? readFileSync(p, 'utf8') : undefined);
    const read = cgroup.sampleRead();
    // Usage, and the limits (first sample since applyLimits); a file that could not be read is undefined.
    expect(read.paths).toEqual(
      expect.arrayContaining(
        ['memory.current', 'cpu.stat', 'pids.current', 'pids.max', 'memory.max'].map((f) => join(dir, f))
      )
    );
    expect(read.parse(read.paths.map(content))).toEqual({
      memoryBytes: 4096,
      cpuSeconds: 1.5,
      ioReadBytes: 0,
      ioWriteBytes: 0,
      pids: 2,
      oomKills: 0,
      pidsLimitHits: 1,
      limits: { memoryBytes: 1 << 30, pids: 64 },
    });
    // The limits were read: the next sample's files are the usage alone.
    const next = cgroup.sampleRead();
    expect(next.paths.some((p) => p.endsWith('.max'))).toBe(false);
    writeFileSync(join(dir, 'pids.current'), '5\n');
    expect(next.parse(next.paths.map(content))).toMatchObject({ pids: 5, limits: { pids: 64 } });
    // Limits applied between handing out the files and parsing them are read then, not left unknown.
    const racing = cgroup.sampleRead();
    cgroup.applyLimits({ pids: 8 });
    expect(racing.parse(racing.paths.map(content)).limits).toMatchObject({ pids: 8 });
  });

  it('on v2: an I/O limit is a line of io.max per disk, read back as the lowest limit', () => {
    const root = fake({ 'cgroup.controllers': 'cpu io memory pids\n', 'cgroup.subtree_control': '' });
    const disks = [{ name: 'vda', device: '254:0' }];
    const driver = createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', { ...DEVICE_PROGRAM, disks: () => disks });
    const cgroup = driver.create('c3');
    const dir = join(root, 'zviz', 'c3');
    expect(() => cgroup.applyLimits({ ioWriteBps: 1048576 })).toThrow(/needs the io cgroup controller/);
    writeFileSync(join(dir, 'io.max'), '');
    cgroup.applyLimits({ ioWriteBps: 1048576 });
    expect(readFileSync(join(dir, 'io.max'), 'utf8')).toBe('254:0 rbps=max wbps=1048576');
    // What the kernel shows for two disks.
    writeFileSync(
      join(dir, 'io.max'),
      '254:0 rbps=max wbps=1048576 riops=max wiops=max\n8:0 rbps=max wbps=2097152 riops=max wiops=max\n'
    );
    expect(cgroup.sample().limits).toMatchObject({ ioReadBps: undefined, ioWriteBps: 1048576 });
    const none = createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', {
      ...DEVICE_PROGRAM,
      disks: () => [],
    }).create('c4');
    writeFileSync(join(root, 'zviz', 'c4', 'io.max'), '');
    expect(() => none.applyLimits({ ioReadBps: 65536 })).toThrow(/\/sys\/block lists none/);
  });

  it('on v1: an I/O limit goes to the blkio throttle files, one line per disk and direction', () => {
    const root = fake({});
    const disks = [{ name: 'vda', device: '254:0' }];
    const driver = createCgroupDriver({ kind: 'v1', v1: { blkio: join(root, 'blkio') } }, 'zviz', {
      disks: () => disks,
    });
    const cgroup = driver.create('c5');
    const dir = join(root, 'blkio', 'zviz', 'c5');
    cgroup.applyLimits({ ioReadBps: 2097152, ioWriteBps: 1048576 });
    expect(readFileSync(join(dir, 'blkio.throttle.read_bps_device'), 'utf8')).toBe('254:0 2097152');
    expect(readFileSync(join(dir, 'blkio.throttle.write_bps_device'), 'utf8')).toBe('254:0 1048576');
    writeFileSync(join(dir, 'blkio.throttle.read_bps_device'), '254:0 2097152\n8:0 4194304\n');
    expect(cgroup.sample().limits).toMatchObject({ ioReadBps: 2097152, ioWriteBps: 1048576 });
    const noBlkio = createCgroupDriver({ kind: 'v1', v1: { memory: join(root, 'memory') } }, 'zviz').create('c6');
    expect(() => noBlkio.applyLimits({ ioReadBps: 65536 })).toThrow(/needs the blkio cgroup controller/);
  });

  it('enforces the device list on the v2 cgroup with a BPF program, and makes no container where nothing would', () => {
    const attached: Array<[string, readonly string[]]> = [];
    const root = fake({ 'cgroup.controllers': '' });
    createCgroupDriver({ kind: 'v2', unified: root }, 'zviz', {
      attachDeviceProgram: (dir, rules) => attached.push([dir, rules]),
    }).create('d1');
    expect(attached).toEqual([[join(root, 'zviz', 'd1'), CONTAINER_DEVICES]]);
    // Pure v2 has no devices controller: without the program a workload opened every device node it could see.
    const failing = () => {
      throw new Error('EPERM from bpf');
    };
    expect(() =>
      createCgroupDriver({ kind: 'v2', unified: fake({ 'cgroup.controllers': '' }) }, 'zviz', {
        attachDeviceProgram: failing,
      }).create('d2')
    ).toThrow(/device list cannot be enforced on .*d2 \(no v1 devices controller\): EPERM from bpf/);
    expect(() =>
      createCgroupDriver({ kind: 'v2', unified: fake({ 'cgroup.controllers': '' }) }, 'zviz').create('d3')
    ).toThrow(/device list cannot be enforced.*no way to load a BPF device program/);
    // Hybrid: the v1 devices controller holds the list whether or not the program loads.
    const hybrid = fake({ 'cgroup.controllers': '' });
    createCgroupDriver(
      { kind: 'hybrid', unified: join(hybrid, 'unified'), v1: { devices: join(hybrid, 'devices') } },
      'zviz',
      { attachDeviceProgram: failing }
    ).create('d4');
    expect(readFileSync(join(hybrid, 'devices', 'zviz', 'd4', 'devices.allow'), 'utf8')).toBe(CONTAINER_DEVICES.at(-1));
  });

  it('refuses ids that are not safe directory names', () => {
    const driver = createCgroupDriver({ kind: 'v2', unified: fake({ 'cgroup.controllers': '' }) }, 'zviz');
    expect(() => driver.create('../escape')).toThrow(/invalid container id/);
    expect(() => createCgroupDriver({ kind: 'v2', unified: '/nonexistent' }, 'a/b')).toThrow(/invalid cgroup group/);
  });

  it("fails at creation, with the kernel's reason, when the group cannot be made", () => {
    const root = fake({ 'memory/tasks': '', 'pids/tasks': '' });
    writeFileSync(join(root, 'unified'), 'not a directory');
    expect(() =>
      createCgroupDriver(
        {
          kind: 'hybrid',
          unified: join(root, 'unified'),
          v1: { memory: join(root, 'memory'), pids: join(root, 'pids') },
        },
        'zviz'
      )
    ).toThrow(`cannot create the cgroup group ${join(root, 'unified', 'zviz')}: ENOTDIR`);
  });
});

describeWhere([root], 'cgroup driver on a read-only hierarchy', () => {
  it("names the read-only file system (Node's recursive mkdir would say ENOENT)", () => {
    const dir = scratchDir('zviz-cgroup-ro-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', dir]);
    try {
      expect(() => createCgroupDriver({ kind: 'v1', v1: { memory: dir } }, 'zviz')).toThrow(
        `cannot create the cgroup group ${join(dir, 'zviz')}: EROFS: read-only file system`
      );
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describeWhere([root], 'cgroup driver sharing its group with other processes', () => {
  it('starts containers while another process keeps removing the empty group', async () => {
    const group = `zviz-test-race-${process.pid}`;
    const driver = createCgroupDriver(detectCgroups(), group, { attachDeviceProgram: () => {} });
    const roots = [...new Set([driver.root, ...v1GroupDirs(group)])];
    // Removes the group whenever it is empty, as a standalone run ending beside this one does.
    const remover = spawn(
      process.execPath,
      [
        '-e',
        'const fs = require("fs"); const dirs = process.argv.slice(1); process.stdout.write("removing\\n"); for (;;) for (const d of dirs) try { fs.rmdirSync(d); } catch {}',
        ...roots,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] }
    );
    await once(remover.stdout, 'data');
    try {
      for (let i = 0; i < 1000; i++) {
        const cgroup = driver.create(`c${i}`);
        await cgroup.remove();
      }
    } finally {
      remover.kill('SIGKILL');
      await once(remover, 'exit');
      driver.removeGroup();
    }
    expect(roots.filter((dir) => existsSync(dir))).toEqual([]);
  });
});

describeWhere([root], "cgroup driver with cgroups below a container's", () => {
  it("kills the processes in them and removes them before the container's own", async () => {
    const group = `zviz-test-nested-${process.pid}`;
    const driver = createCgroupDriver(detectCgroups(), group, { attachDeviceProgram: () => {} });
    const cgroup = driver.create('c0');
    const open = driver.open('c0');
    const dirs = [...new Set([cgroup.path, ...v1GroupDirs(group).map((dir) => join(dir, 'c0'))])].filter(existsSync);
    // What a workload with a cgroup namespace of its own makes (docs/security.md): children two deep,
    // in every hierarchy, with a process in the deepest one.
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      for (const dir of dirs) {
        mkdirSync(join(dir, 'a', 'b'), { recursive: true });
        mkdirSync(join(dir, 'c'));
        writeFileSync(join(dir, 'a', 'b', 'cgroup.procs'), String(sleeper.pid));
      }
      expect(open.procs()).toEqual([sleeper.pid]);
      const exited = once(sleeper, 'exit');
      open.kill();
      await exited;
      expect(await open.drain(5_000)).toBe(true);
      await open.remove();
      expect(dirs.filter((dir) => existsSync(dir))).toEqual([]);
    } finally {
      if (sleeper.exitCode === null && sleeper.signalCode === null) {
        const gone = once(sleeper, 'exit');
        sleeper.kill('SIGKILL');
        await gone;
      }
      for (const dir of dirs) {
        for (const leaf of ['a/b', 'a', 'c', '.']) {
          try {
            rmdirSync(join(dir, leaf));
          } catch {
            // Removed by the driver.
          }
        }
      }
      driver.removeGroup();
    }
  });
});

/** The group's directory in each v1 hierarchy the driver uses on this host. */
function v1GroupDirs(group: string): string[] {
  const layout = detectCgroups();
  return layout.kind === 'v2' || layout.kind === 'none'
    ? []
    : Object.values(layout.v1).map((mount) => join(mount, group));
}
