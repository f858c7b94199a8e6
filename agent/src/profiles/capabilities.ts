// Linux capabilities by name (linux/capability.h), and the set a sandboxed
// workload keeps: Docker's default set, so profiles written for Docker (whose
// rules use `includes.caps` / `excludes.caps`) expand the same way here.
export const CAPABILITIES: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
};

/**
 * Docker's default capability set (moby's oci/caps/defaults.go) without
 * CAP_MKNOD, as Podman's: a workload makes no device nodes (a node of a host
 * device would be a way around the device list for anything that opens it
 * without the container's cgroup). A profile may grant it in zviz.capabilities;
 * the device cgroup then still allows only nodes of the container's devices.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * Capabilities a profile may not grant, with the way each would undo the
 * sandbox. The agent runs as root; with these, a workload could take the
 * broker's listener (pidfd_getfd, ptrace), leave its cgroup or mount
 * namespace, or load code into the kernel.
 */
export const FORBIDDEN_CAPABILITIES: Readonly<Record<string, string>> = {
  CAP_SYS_ADMIN: 'it allows mounts, namespaces and most of what the filter protects',
  CAP_SYS_PTRACE: 'it lets the workload take the broker listener out of the agent (pidfd_getfd, ptrace)',
  CAP_SYS_MODULE: 'it loads kernel modules',
  CAP_SYS_RAWIO: 'it gives raw access to memory and I/O ports',
  CAP_BPF: 'it loads BPF programs into the kernel',
  CAP_PERFMON: 'it opens performance monitoring on the whole system',
  CAP_SYS_BOOT: 'it reboots the node',
  CAP_MAC_ADMIN: 'it reconfigures the LSM',
  CAP_MAC_OVERRIDE: 'it overrides the LSM',
  CAP_DAC_READ_SEARCH: 'it opens files by handle, around every path rule',
  CAP_CHECKPOINT_RESTORE: 'it restores processes with chosen state',
};

/** The capability set as the bitmask the addon expects, as a decimal string (it exceeds 2^32). */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITIES[name];
    if (bit === undefined) {
      throw new Error(`unknown capability ${name}`);
    }
    mask |= 1n << BigInt(bit);
  }
  return mask.toString();
}
