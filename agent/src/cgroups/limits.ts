// Resource limits as users write them (`--memory 512M --cpus 1.5 --pids 256
// --io-read-bps 20M --io-write-bps 10M`) and as the cgroup files want them.
import { RESOURCE_ALERT_THRESHOLDS } from '../metrics/catalog';

export interface ResourceLimits {
  memoryBytes?: number;
  cpus?: number;
  pids?: number;
  /** Block device reads, bytes per second, on every disk (io.max rbps, blkio.throttle.read_bps_device). */
  ioReadBps?: number;
  /** Block device writes, bytes per second, on every disk (io.max wbps, blkio.throttle.write_bps_device). */
  ioWriteBps?: number;
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** "512M", "1.5g", "1048576" (bytes); as Docker reads them, units are powers of 1024. */
export function parseMemory(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isInteger(text) || text <= 0) {
      throw new Error(`memory limit ${text} must be a positive number of bytes`);
    }
    return text;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`invalid memory limit "${text}": write a size such as 512M or 2G`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < 4096 * 64) {
    throw new Error(`memory limit "${text}" is below 256 KiB; no program starts in that`);
  }
  return bytes;
}

/** The smallest I/O rate accepted: a page a second. */
const MIN_IO_BPS = 4096;

/** "20M", "512k", "1048576" (bytes a second); units are powers of 1024, as for memory (and Docker's --device-read-bps). */
export function parseIoRate(text: string | number): number {
  const value = typeof text === 'number' ? String(text) : text;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)(?:\/s)?\s*$/.exec(value);
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`invalid I/O rate "${value}": write bytes a second such as 10M or 512K`);
  }
  const bps = Math.floor(Number(match[1]) * unit);
  if (bps < MIN_IO_BPS) {
    throw new Error(`I/O rate "${value}" is below 4K a second (one page)`);
  }
  return bps;
}

export function parseCpus(text: string | number): number {
  const cpus = typeof text === 'number' ? text : Number(text);
  if (!Number.isFinite(cpus) || cpus <= 0 || cpus > 4096) {
    throw new Error(`invalid CPU limit "${text}": a number of CPUs such as 1 or 0.5`);
  }
  if (cpus < 0.01) {
    throw new Error(`CPU limit "${text}" is below 0.01 CPU (the kernel needs a 1 ms quota per 100 ms)`);
  }
  return cpus;
}

export function parsePids(text: string | number): number {
  const pids = typeof text === 'number' ? text : Number(text);
  if (!Number.isInteger(pids) || pids < 1 || pids > 4194304) {
    throw new Error(`invalid pids limit "${text}": a whole number of tasks such as 256`);
  }
  return pids;
}

export const CPU_PERIOD_US = 100_000;

/** cpu.cfs_quota_us / the first field of cpu.max for a CPU limit. */
export function cpuQuotaUs(cpus: number): number {
  return Math.max(1000, Math.round(cpus * CPU_PERIOD_US));
}

/** The alert level of a utilization ratio (docs/metrics.md, Resources): 0 none, 1 at 80 %, 2 at 90 %, 3 at 95 %. */
export function alertLevel(ratio: number): number {
  return RESOURCE_ALERT_THRESHOLDS.filter((threshold) => ratio >= threshold).length;
}
