// One container's cgroup, whatever the host's hierarchy: where the workload
// joins it, its identity for the tracer, its limits, its usage, and killing
// everything in it.
import type { ResourceLimits } from './limits';

export interface CgroupSample {
  memoryBytes?: number;
  cpuSeconds?: number;
  ioReadBytes?: number;
  ioWriteBytes?: number;
  pids?: number;
  /** Processes the kernel's OOM killer ended at the memory limit (cumulative). */
  oomKills: number;
  /** Forks refused at the pids limit (cumulative). */
  pidsLimitHits: number;
  limits: ResourceLimits;
}

/**
 * A sample's files, for a caller that reads them itself (the sampler reads a
 * thousand containers' in a few batches off the main thread), and how to
 * turn what it read into the sample.
 */
export interface SampleRead {
  readonly paths: readonly string[];
  /** `texts[i]` is the content of `paths[i]`, or undefined where it could not be read. */
  parse(texts: ReadonlyArray<string | undefined>): CgroupSample;
}

export interface ContainerCgroup {
  readonly id: string;
  /** The path users and the API see (the v2 directory where there is one). */
  readonly path: string;
  /** The v2 directory the workload joins (writing its cgroup.procs, like the v1 ones). */
  readonly v2Dir?: string;
  /** v1 cgroup.procs files the workload writes itself into (after applyLimits). */
  readonly v1Procs: readonly string[];
  /** Inode of the v2 directory: the id bpf_get_current_cgroup_id() returns; undefined without v2. */
  cgroupId(): bigint | undefined;
  applyLimits(limits: ResourceLimits): void;
  sample(): CgroupSample;
  /** sample(), its files read by the caller. */
  sampleRead(): SampleRead;
  /** Process ids in the cgroup. */
  procs(): number[];
  /** SIGKILL for everything inside (cgroup.kill where the kernel has it). */
  kill(): void;
  /** Waits until no process is left, killing again while any remains; false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Removes the directories; the cgroup must be empty. */
  remove(): Promise<void>;
}

export interface CgroupDriver {
  readonly kind: 'v2' | 'hybrid' | 'v1';
  /** Where container cgroups live, for messages. */
  readonly root: string;
  /** What limits work here, for /health. */
  readonly controllers: readonly string[];
  create(id: string): ContainerCgroup;
  /** Container cgroups that exist now under the root (left by a previous run, or current ones). */
  existing(): string[];
  open(id: string): ContainerCgroup;
  /** Removes the group directories when no container cgroup is left in them. */
  removeGroup(): void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
