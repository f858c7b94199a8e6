// The broker addon's JavaScript surface, typed. Loaded once; a missing or
// broken addon is reported with its reason by `brokerAddon()`, never thrown
// at import time.
import { loadAddon, type Loaded } from './load';
import { adoptPrebuiltFilters, type CompiledProgram } from './prebuilt-filters';

export type { CompiledProgram };

export type NativeActionType = 'allow' | 'errno' | 'kill_process' | 'kill_thread' | 'trap' | 'log' | 'notify';

export interface NativeAction {
  type: NativeActionType;
  errno?: number;
}

export interface NativeArg {
  index: number;
  op: string;
  /** Decimal string: values reach 2^64. */
  value: string;
  valueTwo?: string;
}

export interface NativeSeccompRule {
  syscall: string;
  action: NativeAction;
  args: NativeArg[];
  /** Where the rule came from in the profile, for messages. */
  pointer: string;
}

export interface NativeFilterPlan {
  defaultAction: NativeAction;
  /** libseccomp architecture names ("x86_64", "x86", "x32"). */
  architectures: string[];
  rules: NativeSeccompRule[];
  /** Hand ERRNO, KILL and LOG outcomes to the broker, which answers them identically and counts them. */
  audit: boolean;
}

export interface NativeNetwork {
  address: string;
  prefix: number;
  port?: number;
}

export type NativeDecision = 'allow' | 'log' | 'deny' | 'kill';

export interface NativePolicyRule {
  syscalls: string[];
  access: 'any' | 'read' | 'write';
  paths?: string[];
  networks?: NativeNetwork[];
  unixPaths?: string[];
  decision: NativeDecision;
  errno?: number;
  index: number;
}

export interface NativePolicy {
  rules: NativePolicyRule[];
  fallback: { decision: NativeDecision; errno?: number };
  /** The filter notifies every umask(2) call that could succeed: the broker knows the umask creates apply. */
  umaskNotified?: boolean;
}

/** One step of a container's file-system view, made in order (parents before what lies inside them). */
export interface MountStep {
  path: string;
  /**
   * mask: an empty read-only tmpfs hiding a directory (the agent's control
   * socket's), an empty read-only file hiding a file; skipped where absent.
   * pin: a directory made a mount point of the view (bound on itself), so the
   * workload cannot rename or remove it; skipped where absent or one already.
   */
  kind: 'readOnly' | 'writable' | 'tmpfs' | 'mask' | 'pin';
}

/**
 * The file-system view: the host's tree with `mounts` applied, or an empty
 * read-only root holding only `mounts` (bound from the host), the
 * container's /proc and a minimal /dev.
 */
export interface FilesystemPlan {
  view: 'host' | 'allow-list';
  mounts: MountStep[];
}

export interface SpawnOptions {
  containerId: string;
  profile: string;
  file: string;
  argv: string[];
  env: string[];
  cwd: string;
  stdio: [number, number, number];
  cgroupV2?: string;
  /**
   * The v2 cgroup never had cgroup.kill written: the first process is cloned
   * into it (no wait for the kernel's cgroup lock; OpenCgroups in spawn.cc
   * says why not otherwise).
   */
  cgroupV2Fresh?: boolean;
  /** v1 cgroup.procs files; the first process joins their cgroups by writing itself into their tasks files. */
  cgroupV1Procs: string[];
  capabilities: string;
  /** The container's device list (cgroups/devices.ts); the broker opens no other device node for it. */
  devices: readonly string[];
  waitKillableRecv: boolean;
  syncWakeUp: boolean;
  eventsAll: boolean;
  /**
   * The container's CPU limit in CPUs: the supervisor thread's own CPU time
   * is held to it too (cpu_pacer.h), since the container's cgroup does not
   * see it. Absent or 0: no limit.
   */
  cpus?: number;
  /** A PID namespace of its own with zviz-init as PID 1 ("private"), or the host's. */
  pid: 'private' | 'host';
  /** zviz-init; by default the one next to the broker addon. */
  initPath?: string;
  /** zviz-spawn, which each container's first process executes; by default the one next to the broker addon. */
  spawnerPath?: string;
  /**
   * How long the start may take, in milliseconds (1 to 3,600,000; default
   * 10,000): past it the container's processes are killed and the promise
   * rejects with an error naming what the start was waiting for, its
   * `reason` "timeout" (containers/start-failures.ts lists the reasons).
   */
  startTimeoutMs?: number;
  /** A network namespace with only loopback ("none"), or the host's network. */
  network: 'none' | 'host';
  filesystem?: FilesystemPlan;
  /**
   * The filter lets the kernel make the reads the allow-list view decides
   * (profiles/compile.ts, viewDecidesReads): the first process restricts
   * reads to beneath the view's mounts with Landlock, or the start fails.
   */
  viewReads?: boolean;
  /** With viewReads: directories the view makes whose listing the rules allow (profiles/compile.ts, viewReadDirs). */
  viewReadDirs?: string[];
  /**
   * The Landlock scopes of the container's domain (profiles/scopes.ts; ABI
   * 6): made by the first process before the init and the workload exist,
   * or the start fails. Asked only where the kernel has them.
   */
  scopes?: { abstractUnixSockets: boolean; signals: boolean };
  filter: NativeFilterPlan;
  policy: NativePolicy;
  /**
   * `filter` and `policy` as prepareProfile read them: when given, spawn
   * reads neither again (native/src/broker/prepared_profile.h).
   */
  prepared?: PreparedProfile;
  /** Refusals counted apart, as expected (containers/fallbacks.ts); counted and audited like any other. */
  expectedRefusals?: ReadonlyArray<{ syscall: string; errno?: number; address?: string }>;
}

/** An opaque handle of a profile's seccomp programs and policy, held by the addon (prepareProfile). */
export interface PreparedProfile {
  readonly __preparedProfile: unique symbol;
}

export type DecisionCounts = Record<'allow' | 'emulate' | 'log' | 'deny' | 'trap' | 'kill', number>;

export type ContainerEvent =
  | { kind: 'exec'; error: number; message?: string; reason?: 'exec' | 'setup' }
  | { kind: 'exit'; code?: number; signal?: number };

export interface NativeContainer {
  /** The workload's first process, in the agent's PID namespace. */
  readonly pid: number;
  /** The container's init (zviz-init) in the agent's PID namespace; 0 when it shares the host's. */
  readonly initPid: number;
  /** Inode numbers of the PID and mount namespaces made for it; 0 where it shares the agent's. */
  readonly namespaces: { pid: number; mnt: number };
  readonly syncWakeUp: boolean;
  /**
   * Signals the first process, or (group) its process group; with a PID
   * namespace, the init, which forwards to the workload's process group.
   * False once the first process has been reaped.
   */
  signal(signal: number, group?: boolean): boolean;
  /** Ends supervision: brokered syscalls of anything still running fail (ENOSYS). */
  stopSupervisor(): void;
  /**
   * Once the run has ended and its counts are read: closes what the supervisor
   * and the reaped process held (counts and refusals then read empty).
   */
  release(): void;
  supervising(): boolean;
  counts(): DecisionCounts;
  /** Refusals by syscall, less the expected ones. */
  refusals(): Record<string, number>;
  /** Refusals that matched `expectedRefusals`, by syscall. */
  expectedRefusals(): Record<string, number>;
}

export interface KernelSupport {
  userNotif: boolean;
  waitKillableRecv: boolean;
  syncWakeUp: boolean;
  addfdSend: boolean;
  libseccomp: string;
  detail?: string;
}

export interface NativeMetrics {
  requests: number;
  errors: number;
  eventsDropped: number;
  violations: number;
  /** Seconds supervisor threads slept to keep their work within their container's CPU limit. */
  pacedSeconds: number;
  /** Emulated opens whose descriptor an interrupted install withdrew (the opener was killed). */
  installsInterrupted: number;
  inflight: number;
  denials: Record<'seccomp' | 'broker' | 'cgroup', number>;
  decisions: Array<{ syscall: string; decision: string; count: number }>;
  latencyBuckets: number[];
  latencyCount: number;
  latencySumSeconds: number;
}

/** Limits of the decision event queue: its capacity, and each container's events a second (rate) and burst. */
export interface EventLimits {
  capacity: number;
  rate: number;
  burst: number;
}

/** A chunk of decision events (layout in native/src/broker/events.cc; decoded by broker/events.ts). */
export interface NativeEventChunk {
  fields: Float64Array;
  /** Distinct strings, joined by NUL. */
  strings: string;
  /** Whether more events wait: the addon wakes the sink again only after a take that emptied the queue. */
  more: boolean;
}

/** Events of one container dropped since the previous takeEventDrops(). */
export interface NativeEventDrops {
  container: string;
  /** Over the container's event rate limit. */
  rateLimited: number;
  /** The queue to JavaScript was full. */
  queueFull: number;
}

/** A filter plan's programs as libseccomp compiled them, keyed by the whole plan. */
export interface BrokerAddon {
  seccompFeatures(): { filterMode: number; actionsAvailable: string };
  kernelSupport(): KernelSupport;
  /** The Landlock ABI version of the running kernel, 0 where it has none (one syscall, no ruleset made). */
  landlockAbi?(): number;
  syscallInfo(name: string): { libseccomp: boolean; newer: boolean; native: number };
  syscallNames(): string[];
  compileFilter(plan: NativeFilterPlan): { ok: boolean; error?: string; warnings: string[]; instructions: number };
  /** The plan's compiled programs and key (throws what compileFilter reports), for the build to keep. */
  compiledProgram(plan: NativeFilterPlan): CompiledProgram;
  /** Keeps what compiledProgram gave, so compiling the same plan costs nothing; null, or why not. */
  adoptCompiledProgram(compiled: CompiledProgram): string | null;
  checkPolicy(policy: NativePolicy): string | null;
  /**
   * Starts a workload off the main thread (native/src/broker/spawn_thread.h).
   * Throws for bad options; the promise rejects when the workload cannot
   * start. stdio must stay open until it settles. onEvent gets the handle as `this`.
   */
  spawn(
    options: SpawnOptions,
    onEvent: (this: NativeContainer, kind: 'exec' | 'exit', details: Record<string, unknown>) => void
  ): Promise<NativeContainer>;
  /**
   * Reads and compiles a profile's filter and policy once, for spawn's
   * `prepared`; throws what is wrong with either. Optional: an addon without
   * it (an older build, a test's stand-in) gets them at every spawn.
   */
  prepareProfile?(plan: { filter: NativeFilterPlan; policy: NativePolicy }): PreparedProfile;
  metrics(): NativeMetrics;
  /** One wake-up per process (replacing any earlier one), called when events wait; then takeEvents until empty. */
  setEventSink(wake: () => void, limits: EventLimits): void;
  setEventLimits(limits: EventLimits): void;
  takeEvents(max: number): NativeEventChunk | undefined;
  takeEventDrops(): NativeEventDrops[];
  sendWithFds(fd: number, data: Buffer, fds: number[]): number;
  recvWithFds(fd: number, maxBytes: number, timeoutMs: number): Promise<{ data: Buffer; fds: number[] }>;
  /** Who is at the other end of a unix socket, pinned by a pidfd (native/src/broker/peer.h). */
  peerIdentity(fd: number): PeerIdentity;
  /** The cgroup v2 id (decimal) of the local process at the other end of a TCP connection (native/src/broker/tcp_peer.h). */
  tcpPeerCgroup(peerAddress: string, peerPort: number, localAddress: string, localPort: number): string | undefined;
  /**
   * Enforces a device list (devices.allow rules) on a cgroup v2 directory with
   * a BPF device program (native/src/broker/device_program.h); throws why not.
   */
  attachDeviceProgram(cgroupDir: string, rules: readonly string[]): void;
  /** Hands free heap memory back to the kernel (glibc's malloc_trim), off the main thread; whether any was. */
  releaseFreeMemory(): Promise<boolean>;
  /**
   * Each file's whole content (at most 1 MiB), or null where it could not be
   * opened or read, read on the libuv pool (native/src/broker/read_files.h).
   * The last component of a path is never followed as a symbolic link.
   */
  readFiles(paths: readonly string[]): Promise<Array<string | null>>;
}

export interface PeerIdentity {
  /** In the agent's PID namespace; 0 when the peer is in one the agent cannot see. */
  pid: number;
  uid: number;
  gid: number;
  /** The process that connected still runs, and what follows describes it. */
  alive: boolean;
  /** Pinned by SO_PEERPIDFD (false on kernels before 6.5: pidfd_open of the pid). */
  pinned: boolean;
  pidNs?: number;
  mntNs?: number;
  /** Its /proc/PID/cgroup. */
  cgroup?: string;
  /** In a PID namespace other than the agent's: that namespace's init. */
  nsInit?: { pid: number; exe: string };
  nsInitError?: string;
}

let loaded: Loaded<BrokerAddon> | undefined;

export function brokerAddon(): Loaded<BrokerAddon> {
  if (!loaded) {
    loaded = loadAddon<BrokerAddon>('zviz_broker');
    if (loaded.ok) {
      adoptPrebuiltFilters(loaded.addon);
    }
  }
  return loaded;
}

/** The addon, or an Error saying why it is not there. */
export function requireBrokerAddon(): BrokerAddon {
  const result = brokerAddon();
  if (!result.ok) {
    throw new Error(result.reason);
  }
  return result.addon;
}
