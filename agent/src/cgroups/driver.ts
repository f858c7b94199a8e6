// Container cgroups on the three layouts detect.ts finds. Each container gets
// one directory per hierarchy, named by its id, under a group directory
// ("zviz" by default):
//   v2      <unified>/zviz/<id>: limits, usage, identity, cgroup.kill
//   hybrid  <v1 controller>/zviz/<id> for limits and usage (memory, cpu,
//           cpuacct, pids, blkio, devices), <unified>/zviz/<id> for identity
//           and cgroup.kill
//   v1      v1 directories only; killing walks cgroup.procs
// I/O limits go on every disk (block-devices.ts): io.max on v2, the blkio
// throttle files on v1 and hybrid hosts.
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { listDisks, type BlockDevice } from './block-devices';
import { CONTAINER_DEVICES } from './devices';
import type { CgroupDriver, CgroupSample, ContainerCgroup, SampleRead } from './cgroup';
import { sleep } from './cgroup';
import type { CgroupLayout, V1Controller } from './detect';
import { parseKeyed, parseNumber, readKeyed, readPids, readText, writeControl } from './files';
import { CPU_PERIOD_US, cpuQuotaUs, type ResourceLimits } from './limits';

const V1_USED: readonly V1Controller[] = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices'];
const V2_CONTROLLERS = ['memory', 'cpu', 'pids', 'io'];
/** v1 reports "no limit" as a huge page-aligned number. */
const V1_UNLIMITED = 2 ** 62;
/** How old the limits a sample reports may be (see Cgroup.limits). */
const LIMITS_REREAD_MS = 60_000;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * mkdir -p, one level at a time: Node's recursive mkdir reports ENOENT where
 * the kernel said EROFS or EACCES (a read-only /sys/fs/cgroup under a
 * hardened unit), which would send the user looking for a missing directory.
 */
function mkdirp(path: string): void {
  if (existsSync(path)) {
    return;
  }
  mkdirp(dirname(path));
  try {
    mkdirSync(path, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  }
}

/** mkdir of one directory that may exist; ENOENT when its parent is gone. */
function mkdirOnce(path: string): void {
  try {
    mkdirSync(path, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  }
}

/** How many times a container's directories are tried in a group removed under them. */
const GROUP_ATTEMPTS = 100;

/** The lowest limit set on any disk: io.max's `rbps=`/`wbps=` (v2), or `MAJ:MIN BPS` lines (v1). */
function lowestIoLimit(text: string | undefined, key?: 'rbps' | 'wbps'): number | undefined {
  let lowest: number | undefined;
  for (const line of (text ?? '').split('\n')) {
    const value = key ? new RegExp(`\\b${key}=(\\d+)`).exec(line)?.[1] : /^\d+:\d+\s+(\d+)\s*$/.exec(line.trim())?.[1];
    if (value !== undefined) {
      lowest = Math.min(lowest ?? Infinity, Number(value));
    }
  }
  return lowest;
}

function sumIo(text: string | undefined, v2: boolean): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of (text ?? '').split('\n')) {
    if (v2) {
      read += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
      write += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
    } else {
      const [, op, value] = line.trim().split(/\s+/);
      if (op === 'Read') read += Number(value) || 0;
      if (op === 'Write') write += Number(value) || 0;
    }
  }
  return { read, write };
}

/**
 * `dir` and every cgroup below it, each after the ones below it. The agent
 * makes none below a container's, but a workload whose filter lets it make a
 * cgroup namespace of its own can mount the hierarchy writable there and make
 * some (docs/security.md, "Cgroups below a container's"); its processes may
 * sit in them, and its container's cgroup cannot be removed before them.
 */
function subtreeDeepestFirst(dir: string): string[] {
  const order: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const next = stack.pop()!;
    order.push(next);
    try {
      for (const entry of readdirSync(next, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          stack.push(join(next, entry.name));
        }
      }
    } catch {
      // Gone meanwhile, or no directory: nothing below it.
    }
  }
  return order.reverse();
}

class Cgroup implements ContainerCgroup {
  readonly v2Dir?: string;
  readonly path: string;
  /**
   * Whether the workload joins the v1 cpu controller. Only with a CPU limit:
   * group scheduling across cgroups costs every wake-up, and a brokered
   * syscall is two of them (about 1.5 us a round trip, measured here).
   * Where cpu and cpuacct share a hierarchy, joining cpuacct joins cpu anyway.
   */
  private cpuLimited = false;
  /**
   * The limits as last read. They are the agent's own (applyLimits), so a
   * sample reads them again only now and then, in case someone changed them
   * under it: half of the files a sample read were limits, and the sampler
   * reads every container every few seconds (at a thousand containers, a
   * tenth of a core).
   */
  private limits?: { at: number; limits: ResourceLimits };

  constructor(
    readonly id: string,
    private readonly v2: string | undefined,
    private readonly v1: Partial<Record<V1Controller, string>>,
    /** Limits through v2 files (pure v2) rather than v1. */
    private readonly limitsV2: boolean,
    /** The disks an I/O limit applies to. */
    private readonly disks: () => BlockDevice[] = listDisks
  ) {
    this.v2Dir = v2;
    this.path = v2 ?? v1.memory ?? Object.values(v1)[0] ?? '';
  }

  get v1Procs(): readonly string[] {
    // memory first: a process joins it before any allocation is charged elsewhere.
    const dirs = new Set<string>();
    for (const c of V1_USED) {
      const dir = this.v1[c];
      if (dir && (c !== 'cpu' || this.cpuLimited || dir === this.v1.cpuacct)) {
        dirs.add(dir);
      }
    }
    return [...dirs].map((d) => join(d, 'cgroup.procs'));
  }

  cgroupId(): bigint | undefined {
    if (!this.v2) {
      return undefined;
    }
    try {
      return statSync(this.v2, { bigint: true }).ino;
    } catch {
      return undefined;
    }
  }

  applyLimits(limits: ResourceLimits): void {
    this.limits = undefined;
    if (this.limitsV2 && this.v2) {
      writeControl(join(this.v2, 'memory.max'), limits.memoryBytes ? String(limits.memoryBytes) : 'max');
      if (limits.memoryBytes && existsSync(join(this.v2, 'memory.swap.max'))) {
        writeControl(join(this.v2, 'memory.swap.max'), '0');
      }
      writeControl(
        join(this.v2, 'cpu.max'),
        limits.cpus ? `${cpuQuotaUs(limits.cpus)} ${CPU_PERIOD_US}` : `max ${CPU_PERIOD_US}`
      );
      writeControl(join(this.v2, 'pids.max'), limits.pids ? String(limits.pids) : 'max');
      if (limits.ioReadBps || limits.ioWriteBps) {
        if (!existsSync(join(this.v2, 'io.max'))) {
          throw new Error('an I/O limit needs the io cgroup controller, which this hierarchy does not delegate');
        }
        const rates = `rbps=${limits.ioReadBps ?? 'max'} wbps=${limits.ioWriteBps ?? 'max'}`;
        for (const disk of this.limitedDisks()) {
          writeControl(join(this.v2, 'io.max'), `${disk.device} ${rates}`);
        }
      }
      return;
    }
    const { memory, cpu, pids } = this.v1;
    if (memory) {
      if (limits.memoryBytes) {
        writeControl(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        // Swap must not extend the limit; memsw exists only with swap accounting.
        if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) {
          writeControl(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
        }
      }
    } else if (limits.memoryBytes) {
      throw new Error('a memory limit needs the memory cgroup controller, which is not mounted');
    }
    if (cpu) {
      writeControl(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      writeControl(join(cpu, 'cpu.cfs_quota_us'), limits.cpus ? String(cpuQuotaUs(limits.cpus)) : '-1');
      this.cpuLimited = limits.cpus !== undefined;
    } else if (limits.cpus) {
      throw new Error('a CPU limit needs the cpu cgroup controller, which is not mounted');
    }
    if (pids) {
      writeControl(join(pids, 'pids.max'), limits.pids ? String(limits.pids) : 'max');
    } else if (limits.pids) {
      throw new Error('a pids limit needs the pids cgroup controller, which is not mounted');
    }
    if (limits.ioReadBps || limits.ioWriteBps) {
      const blkio = this.v1.blkio;
      if (!blkio) {
        throw new Error('an I/O limit needs the blkio cgroup controller, which is not mounted');
      }
      for (const disk of this.limitedDisks()) {
        if (limits.ioReadBps) {
          writeControl(join(blkio, 'blkio.throttle.read_bps_device'), `${disk.device} ${limits.ioReadBps}`);
        }
        if (limits.ioWriteBps) {
          writeControl(join(blkio, 'blkio.throttle.write_bps_device'), `${disk.device} ${limits.ioWriteBps}`);
        }
      }
    }
  }

  private limitedDisks(): BlockDevice[] {
    const disks = this.disks();
    if (disks.length === 0) {
      throw new Error('an I/O limit needs a disk to apply to, and /sys/block lists none with a medium');
    }
    return disks;
  }

  /**
   * Devices outside the container's list (devices.ts) are refused by the
   * kernel, for opens and mknod: by the v1 devices controller, and on the v2
   * cgroup by a BPF device program (`attachProgram`; v2 has no devices
   * controller). Both where both exist. The broker applies the same list to
   * the opens it makes, on every host. A container whose list no kernel
   * mechanism would hold is not made: without either, a workload on a pure
   * v2 host opened the node's disks and /dev/userfaultfd.
   */
  restrictDevices(attachProgram?: DeviceProgramAttacher): void {
    const devices = this.v1.devices;
    if (devices) {
      writeControl(join(devices, 'devices.deny'), 'a');
      for (const rule of CONTAINER_DEVICES) {
        writeControl(join(devices, 'devices.allow'), rule);
      }
    }
    if (!this.v2) {
      return;
    }
    try {
      if (!attachProgram) {
        throw new Error('no way to load a BPF device program was given');
      }
      attachProgram(this.v2, CONTAINER_DEVICES);
    } catch (error) {
      if (!devices) {
        throw new Error(
          `the container's device list cannot be enforced on ${this.v2} (no v1 devices controller): ${(error as Error).message}`
        );
      }
      // Hybrid host: the v1 controller holds the same list.
    }
  }

  sample(): CgroupSample {
    const read = this.sampleRead();
    return read.parse(read.paths.map(readText));
  }

  sampleRead(): SampleRead {
    const now = Date.now();
    const limitsDue = !this.limits || now - this.limits.at >= LIMITS_REREAD_MS;
    const usage = this.usageFiles();
    const limits = limitsDue ? this.limitFiles() : {};
    const paths = [...Object.values(usage), ...Object.values(limits)].filter((p): p is string => p !== undefined);
    return {
      paths,
      parse: (texts) => {
        const contents = new Map<string, string | undefined>();
        paths.forEach((path, i) => contents.set(path, texts[i]));
        const text = (path: string | undefined) => (path === undefined ? undefined : contents.get(path));
        if (limitsDue) {
          this.limits = { at: now, limits: this.parseLimits(limits, text) };
        } else if (!this.limits) {
          // Limits applied since the paths were handed out: read them now, they changed.
          this.limits = { at: now, limits: this.parseLimits(this.limitFiles(), (p) => (p ? readText(p) : undefined)) };
        }
        return this.parseUsage(usage, text, this.limits.limits);
      },
    };
  }

  /** The files a sample reads, by what they hold; undefined where the controller is missing. */
  private usageFiles(): Record<'memory' | 'cpu' | 'io' | 'pids' | 'oom' | 'pidsEvents', string | undefined> {
    if (this.limitsV2 && this.v2) {
      const dir = this.v2;
      return {
        memory: join(dir, 'memory.current'),
        cpu: join(dir, 'cpu.stat'),
        io: join(dir, 'io.stat'),
        pids: join(dir, 'pids.current'),
        oom: join(dir, 'memory.events'),
        pidsEvents: join(dir, 'pids.events'),
      };
    }
    const { memory, cpuacct, pids, blkio } = this.v1;
    return {
      memory: memory && join(memory, 'memory.usage_in_bytes'),
      cpu: cpuacct && join(cpuacct, 'cpuacct.usage'),
      io: blkio && join(blkio, 'blkio.throttle.io_service_bytes_recursive'),
      pids: pids && join(pids, 'pids.current'),
      oom: memory && join(memory, 'memory.oom_control'),
      pidsEvents: pids && join(pids, 'pids.events'),
    };
  }

  private parseUsage(
    files: ReturnType<Cgroup['usageFiles']>,
    text: (path: string | undefined) => string | undefined,
    limits: ResourceLimits
  ): CgroupSample {
    // v2 and v1 differ in how CPU time and I/O are written; a file whose
    // controller is missing (v1) reads as nothing.
    const v2 = Boolean(this.limitsV2 && this.v2);
    const cpu = text(files.cpu);
    let cpuSeconds: number | undefined;
    if (v2) {
      cpuSeconds = (parseKeyed(cpu).get('usage_usec') ?? NaN) / 1e6 || undefined; // cpu.stat
    } else {
      const ns = parseNumber(cpu); // cpuacct.usage
      cpuSeconds = ns === undefined ? undefined : ns / 1e9;
    }
    const io = files.io === undefined ? undefined : sumIo(text(files.io), v2);
    return {
      memoryBytes: parseNumber(text(files.memory)),
      cpuSeconds,
      ioReadBytes: io?.read,
      ioWriteBytes: io?.write,
      pids: parseNumber(text(files.pids)),
      oomKills: parseKeyed(text(files.oom)).get('oom_kill') ?? 0,
      pidsLimitHits: parseKeyed(text(files.pidsEvents)).get('max') ?? 0,
      limits,
    };
  }

  /** The control files of the limits the kernel enforces. */
  private limitFiles(): Partial<Record<'memory' | 'cpu' | 'cpuPeriod' | 'pids' | 'io' | 'ioWrite', string>> {
    if (this.limitsV2 && this.v2) {
      const dir = this.v2;
      return {
        memory: join(dir, 'memory.max'),
        cpu: join(dir, 'cpu.max'),
        pids: join(dir, 'pids.max'),
        io: join(dir, 'io.max'),
      };
    }
    const { memory, cpu, pids, blkio } = this.v1;
    return {
      memory: memory && join(memory, 'memory.limit_in_bytes'),
      cpu: cpu && join(cpu, 'cpu.cfs_quota_us'),
      cpuPeriod: cpu && join(cpu, 'cpu.cfs_period_us'),
      pids: pids && join(pids, 'pids.max'),
      io: blkio && join(blkio, 'blkio.throttle.read_bps_device'),
      ioWrite: blkio && join(blkio, 'blkio.throttle.write_bps_device'),
    };
  }

  private parseLimits(
    files: ReturnType<Cgroup['limitFiles']>,
    text: (path: string | undefined) => string | undefined
  ): ResourceLimits {
    if (this.limitsV2 && this.v2) {
      const ioMax = text(files.io);
      const cpuMax = text(files.cpu)?.trim().split(/\s+/);
      return {
        memoryBytes: parseNumber(text(files.memory)),
        cpus: cpuMax && cpuMax[0] !== 'max' ? Number(cpuMax[0]) / Number(cpuMax[1]) : undefined,
        pids: parseNumber(text(files.pids)),
        ioReadBps: lowestIoLimit(ioMax, 'rbps'),
        ioWriteBps: lowestIoLimit(ioMax, 'wbps'),
      };
    }
    const memoryLimit = files.memory ? parseNumber(text(files.memory)) : undefined;
    const quota = files.cpu ? parseNumber(text(files.cpu)) : undefined;
    const period = files.cpuPeriod ? parseNumber(text(files.cpuPeriod)) : undefined;
    return {
      memoryBytes: memoryLimit !== undefined && memoryLimit < V1_UNLIMITED ? memoryLimit : undefined,
      cpus: quota !== undefined && quota > 0 && period ? quota / period : undefined,
      pids: files.pids ? parseNumber(text(files.pids)) : undefined,
      ioReadBps: files.io ? lowestIoLimit(text(files.io)) : undefined,
      ioWriteBps: files.ioWrite ? lowestIoLimit(text(files.ioWrite)) : undefined,
    };
  }

  procs(): number[] {
    const seen = new Set<number>();
    const dirs = [...(this.v2 ? [this.v2] : []), ...Object.values(this.v1)];
    for (const dir of dirs.flatMap(subtreeDeepestFirst)) {
      readPids(join(dir, 'cgroup.procs')).forEach((p) => seen.add(p));
    }
    return [...seen];
  }

  private populated(): boolean {
    if (this.v2) {
      const events = readKeyed(join(this.v2, 'cgroup.events'));
      if (events.has('populated')) {
        return events.get('populated') === 1;
      }
    }
    return this.procs().length > 0;
  }

  kill(): void {
    if (this.v2 && existsSync(join(this.v2, 'cgroup.kill'))) {
      try {
        writeControl(join(this.v2, 'cgroup.kill'), '1');
        return;
      } catch {
        // The directory went away meanwhile, or an old kernel: signal one by one.
      }
    }
    for (const pid of this.procs()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.populated()) {
        return true;
      }
      if (Date.now() > deadline) {
        return false;
      }
      // Forks racing with the kill land in the cgroup too; kill again.
      this.kill();
      await sleep(10);
    }
  }

  async remove(): Promise<void> {
    const dirs = [...(this.v2 ? [this.v2] : []), ...Object.values(this.v1)];
    // A cgroup with children cannot be removed (EBUSY): the children go first.
    for (const dir of dirs.flatMap(subtreeDeepestFirst)) {
      for (let attempt = 0; ; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            break;
          }
          // EBUSY while the last exiting task is still being released.
          if (code === 'EBUSY' && attempt < 50) {
            await sleep(20);
            continue;
          }
          throw new Error(`cannot remove cgroup ${dir}: ${code ?? (error as Error).message}`);
        }
      }
    }
  }
}

class Driver implements CgroupDriver {
  readonly kind: 'v2' | 'hybrid' | 'v1';
  readonly root: string;
  readonly controllers: readonly string[];
  private readonly v2Root?: string;
  private readonly v1Roots: Partial<Record<V1Controller, string>> = {};
  /** The v2 hierarchy's mount, on pure v2 only (where the group delegates controllers). */
  private readonly unified?: string;

  constructor(
    layout: Exclude<CgroupLayout, { kind: 'none' }>,
    group: string,
    private readonly disks: () => BlockDevice[],
    private readonly attachDeviceProgram?: DeviceProgramAttacher
  ) {
    this.kind = layout.kind;
    if (!ID_PATTERN.test(group)) {
      throw new Error(`invalid cgroup group name "${group}"`);
    }
    if (layout.kind !== 'v1') {
      this.v2Root = join(layout.unified, group);
    }
    if (layout.kind !== 'v2') {
      for (const c of V1_USED) {
        const mount = layout.v1[c];
        if (mount) {
          this.v1Roots[c] = join(mount, group);
        }
      }
    }
    this.root = this.v2Root ?? this.v1Roots.memory ?? Object.values(this.v1Roots)[0] ?? group;
    this.unified = layout.kind === 'v2' ? layout.unified : undefined;
    // Made now, so a hierarchy the agent cannot write fails the broker at start, not the first run.
    for (const dir of [...(this.v2Root ? [this.v2Root] : []), ...Object.values(this.v1Roots)]) {
      try {
        mkdirp(dir);
      } catch (error) {
        throw new Error(`cannot create the cgroup group ${dir}: ${(error as Error).message}`);
      }
    }
    this.controllers = this.unified ? this.enableV2Controllers(this.unified) : Object.keys(this.v1Roots);
  }

  /**
   * A container's directory in the group. Another process sharing the group
   * removes it once it is empty (a standalone `zviz run` ending beside this
   * one), possibly just before this mkdir: the group is made again, on pure
   * v2 with its delegation (without it the container would have no limits),
   * and the mkdir tried again. Only a group that vanishes at every attempt
   * fails the start.
   */
  private makeInGroup(dir: string, delegated: boolean): void {
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1) {
          mkdirp(dirname(dir));
          if (delegated && this.unified) {
            this.enableV2Controllers(this.unified);
          }
        }
        mkdirOnce(dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === GROUP_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /** Pure v2: the group delegates memory, cpu, pids and io to container cgroups. */
  private enableV2Controllers(unified: string): string[] {
    const root = this.v2Root as string;
    const available = (readText(join(unified, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
    const wanted = V2_CONTROLLERS.filter((c) => available.includes(c));
    for (const dir of [unified, root]) {
      const enabled = (readText(join(dir, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
      const missing = wanted.filter((c) => !enabled.includes(c));
      if (missing.length > 0) {
        writeControl(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
      }
    }
    return wanted;
  }

  private dirs(id: string): { v2?: string; v1: Partial<Record<V1Controller, string>> } {
    if (!ID_PATTERN.test(id)) {
      throw new Error(`invalid container id "${id}"`);
    }
    const v1: Partial<Record<V1Controller, string>> = {};
    for (const [c, root] of Object.entries(this.v1Roots) as Array<[V1Controller, string]>) {
      v1[c] = join(root, id);
    }
    return { v2: this.v2Root ? join(this.v2Root, id) : undefined, v1 };
  }

  create(id: string): ContainerCgroup {
    const { v2, v1 } = this.dirs(id);
    for (const dir of [...(v2 ? [v2] : []), ...Object.values(v1)]) {
      this.makeInGroup(dir, dir === v2);
    }
    const cgroup = new Cgroup(id, v2, v1, this.kind === 'v2', this.disks);
    cgroup.restrictDevices(this.attachDeviceProgram);
    return cgroup;
  }

  open(id: string): ContainerCgroup {
    const { v2, v1 } = this.dirs(id);
    return new Cgroup(
      id,
      v2 && existsSync(v2) ? v2 : undefined,
      Object.fromEntries(Object.entries(v1).filter(([, d]) => existsSync(d))),
      this.kind === 'v2',
      this.disks
    );
  }

  removeGroup(): void {
    for (const root of [...(this.v2Root ? [this.v2Root] : []), ...Object.values(this.v1Roots)]) {
      try {
        rmdirSync(root);
      } catch {
        // Not empty (containers left) or already gone.
      }
    }
  }

  existing(): string[] {
    const ids = new Set<string>();
    for (const root of [...(this.v2Root ? [this.v2Root] : []), ...Object.values(this.v1Roots)]) {
      try {
        for (const entry of readdirSync(root, { withFileTypes: true })) {
          if (entry.isDirectory() && ID_PATTERN.test(entry.name)) {
            ids.add(entry.name);
          }
        }
      } catch {
        // The group does not exist yet.
      }
    }
    return [...ids].sort();
  }
}

/** Attaches a BPF device program allowing `rules` (devices.allow syntax) to a cgroup v2 directory; throws why not. */
export type DeviceProgramAttacher = (cgroupDir: string, rules: readonly string[]) => void;

export interface DriverOptions {
  /** The disks I/O limits apply to (default: every disk in /sys/block with a medium). */
  disks?: () => BlockDevice[];
  /**
   * How the container's device list is enforced on its v2 cgroup (the broker
   * addon's attachDeviceProgram). Without it, containers are made only where
   * the v1 devices controller holds the list.
   */
  attachDeviceProgram?: DeviceProgramAttacher;
}

export function createCgroupDriver(layout: CgroupLayout, group = 'zviz', options: DriverOptions = {}): CgroupDriver {
  if (layout.kind === 'none') {
    throw new Error(`cgroups unavailable: ${layout.reason}`);
  }
  return new Driver(layout, group, options.disks ?? listDisks, options.attachDeviceProgram);
}
