// The tracer's families: what each one measures, from which tracepoints, into
// which catalog families. Numbers mirror agent/bpf/tracer_abi.h; a test checks
// them against the addon.
export const TRACER_FAMILIES = [
  'syscalls',
  'fs',
  'dns',
  'tcp_connect',
  'tcp_rtt',
  'network',
  'cpu_block',
  'block_io',
] as const;
export type TracerFamily = (typeof TRACER_FAMILIES)[number];

/** Families whose programs run on every syscall (raw_syscalls:sys_enter/sys_exit). */
export const SYSCALL_TRACEPOINT_FAMILIES: readonly TracerFamily[] = ['syscalls', 'fs', 'dns'];

export const FAMILY_TRACEPOINTS: Record<TracerFamily, readonly string[]> = {
  syscalls: ['raw_syscalls:sys_enter', 'raw_syscalls:sys_exit'],
  fs: ['raw_syscalls:sys_enter', 'raw_syscalls:sys_exit'],
  dns: ['raw_syscalls:sys_enter', 'raw_syscalls:sys_exit'],
  tcp_connect: ['sock:inet_sock_set_state'],
  tcp_rtt: ['tcp:tcp_probe'],
  network: ['sock:sock_send_length', 'sock:sock_recv_length'],
  cpu_block: ['sched:sched_switch', 'sched:sched_wakeup', 'sched:sched_wakeup_new'],
  block_io: ['block:block_io_start', 'block:block_rq_issue', 'block:block_rq_complete'],
};

export const FAMILY_METRICS: Record<TracerFamily, readonly string[]> = {
  syscalls: ['zviz_syscalls_total', 'zviz_syscall_latency_seconds'],
  fs: ['zviz_fs_latency_seconds', 'zviz_fs_latency_latest_seconds', 'zviz_filesystem_bytes_total'],
  dns: ['zviz_dns_latency_seconds', 'zviz_dns_latency_latest_seconds'],
  tcp_connect: [
    'zviz_tcp_connect_latency_seconds',
    'zviz_tcp_connect_latency_latest_seconds',
    'zviz_tcp_state_changes_total',
  ],
  tcp_rtt: ['zviz_tcp_rtt_seconds', 'zviz_tcp_rtt_latest_seconds'],
  network: ['zviz_network_bytes_total'],
  cpu_block: ['zviz_cpu_block_seconds', 'zviz_cpu_block_latest_seconds'],
  block_io: ['zviz_block_io_latency_seconds'],
};

/** enum zviz_metric */
export const METRIC = {
  syscall: 1,
  fs: 2,
  dns: 3,
  tcpConnect: 4,
  tcpState: 5,
  tcpRtt: 6,
  network: 7,
  cpuBlock: 8,
  blockIo: 9,
} as const;

/** enum zviz_lost_reason, in order. */
export const LOST_REASONS = ['map_full', 'no_start', 'read_error', 'expired', 'quota'] as const;

/** enum zviz_quota_map, in order: the maps every traced cgroup shares, each with a reserved share per cgroup. */
export const QUOTA_MAPS = ['stats', 'dns_pending', 'connecting', 'blocked', 'requests'] as const;

export const FS_OPERATIONS = ['read', 'write', 'fsync'] as const;
export const DIRECTIONS = ['send', 'recv'] as const;
export const BLOCK_OPERATIONS = ['read', 'write', 'flush', 'discard', 'other'] as const;
