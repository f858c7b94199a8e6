/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * What the tracer's BPF programs and the agent's native reader agree on: map
 * keys and values, metric and loss identifiers, histogram geometry. Plain C
 * types only, so both clang -target bpf and the C++ addon include it.
 */
#ifndef ZVIZ_TRACER_ABI_H
#define ZVIZ_TRACER_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Syscall numbers the counts array keeps per cgroup; larger numbers and
 * 32-bit compat syscalls fold into the last index. */
#define ZVIZ_SYSCALL_SLOTS 512
#define ZVIZ_SYSCALL_OTHER (ZVIZ_SYSCALL_SLOTS - 1)

#define ZVIZ_COMM_LEN 16

/* Histogram geometry. Bucket i of a histogram holds values v (in ns) with
 * v <= base * 2^(step * i), the first such i; the last bucket is +Inf. The
 * agent's catalog uses the same bounds, so folding is exact. */
#define ZVIZ_HIST_BUCKETS 21
#define ZVIZ_BASE_NS_TRACE 100000ULL /* 100 us, step 1: 100 us .. 52.4 s */
#define ZVIZ_BASE_NS_SYSCALL 1000ULL /* 1 us, step 2: 1 us .. 67.1 s */

/* What a stats entry measures; `sub` refines it (syscall number, operation,
 * direction, TCP state). */
enum zviz_metric {
	ZVIZ_M_SYSCALL = 1,     /* sub: syscall index; count = calls, buckets = timed calls */
	ZVIZ_M_FS = 2,          /* sub: zviz_fs_op; buckets + bytes */
	ZVIZ_M_DNS = 3,         /* sub: 0 */
	ZVIZ_M_TCP_CONNECT = 4, /* sub: 0 */
	ZVIZ_M_TCP_STATE = 5,   /* sub: new TCP state; count only */
	ZVIZ_M_TCP_RTT = 6,     /* sub: 0 */
	ZVIZ_M_NET = 7,         /* sub: zviz_direction; count + bytes */
	ZVIZ_M_CPU_BLOCK = 8,   /* sub: 0 */
	ZVIZ_M_BLOCK_IO = 9,    /* sub: zviz_block_op */
};

enum zviz_fs_op { ZVIZ_FS_READ = 0, ZVIZ_FS_WRITE = 1, ZVIZ_FS_FSYNC = 2 };
enum zviz_direction { ZVIZ_DIR_SEND = 0, ZVIZ_DIR_RECV = 1 };
enum zviz_block_op { ZVIZ_BIO_READ = 0, ZVIZ_BIO_WRITE = 1, ZVIZ_BIO_FLUSH = 2, ZVIZ_BIO_DISCARD = 3, ZVIZ_BIO_OTHER = 4 };

/* Families, in the order of the lost-events array. */
enum zviz_family {
	ZVIZ_F_SYSCALLS = 0,
	ZVIZ_F_FS = 1,
	ZVIZ_F_DNS = 2,
	ZVIZ_F_TCP_CONNECT = 3,
	ZVIZ_F_TCP_RTT = 4,
	ZVIZ_F_NETWORK = 5,
	ZVIZ_F_CPU_BLOCK = 6,
	ZVIZ_F_BLOCK_IO = 7,
};
#define ZVIZ_F_COUNT 8

enum zviz_lost_reason {
	ZVIZ_LOST_MAP_FULL = 0,   /* a stats or pending map refused an insert */
	ZVIZ_LOST_NO_START = 1,   /* an end event whose start was never seen */
	ZVIZ_LOST_READ_ERROR = 2, /* reading kernel or user memory failed */
	ZVIZ_LOST_EXPIRED = 3,    /* a start never followed by an end, swept by the agent */
	ZVIZ_LOST_QUOTA = 4,      /* the cgroup held its reserved share and the shared pool was spent */
};
#define ZVIZ_LOST_REASONS 5

/* The maps every traced cgroup shares, in the order of the quota arrays. Each
 * cgroup has a reserved share of each (held for it whatever the others do);
 * beyond it, cgroups draw on a pool of what is not reserved, first come. */
enum zviz_quota_map {
	ZVIZ_Q_STATS = 0,
	ZVIZ_Q_DNS = 1,
	ZVIZ_Q_CONNECTING = 2,
	ZVIZ_Q_BLOCKED = 3,
	ZVIZ_Q_REQUESTS = 4,
};
#define ZVIZ_QUOTA_MAPS 5

/* Entries a traced cgroup holds in each shared map, by its slot. The programs
 * add at each insert and subtract at each delete; the agent, which maps the
 * array, subtracts for the entries it deletes itself (swept DNS queries) and
 * zeroes a slot whose cgroup it untraces, with atomic operations too. */
struct zviz_quota_held {
	__s32 held[ZVIZ_QUOTA_MAPS];
	__s32 pad;
};

/* Entries held beyond the reserved shares, per map, summed over cgroups. */
struct zviz_quota_pool {
	__s32 pooled[ZVIZ_QUOTA_MAPS];
	__s32 pad;
};

/* Inserts refused for a cgroup over its share, per map (per CPU, by slot). */
struct zviz_quota_refused {
	__u64 refused[ZVIZ_QUOTA_MAPS];
};

/* Syscall classes, a byte per syscall number, filled by the agent from the
 * host's syscall numbers so the BPF code stays architecture neutral. */
#define ZVIZ_CLASS_FS_READ 0x01
#define ZVIZ_CLASS_FS_WRITE 0x02
#define ZVIZ_CLASS_FS_FSYNC 0x03
#define ZVIZ_CLASS_FS_MASK 0x03
#define ZVIZ_CLASS_DNS_SEND 0x04   /* a send on a socket: connected, or the address below */
#define ZVIZ_CLASS_DNS_RECV 0x08   /* a receive that may answer a pending query */
#define ZVIZ_CLASS_ADDR_ARG5 0x10  /* sendto: struct sockaddr * in the fifth argument */
#define ZVIZ_CLASS_ADDR_MSG 0x20   /* sendmsg: struct user_msghdr * in the second */
#define ZVIZ_CLASS_ADDR_MMSG 0x40  /* sendmmsg: struct mmsghdr * in the second */

struct zviz_traced {
	__u32 slot; /* index into the per-cgroup syscall counts array */
	__u32 pad;
};

/* The traced set is looked up on every syscall: a direct-mapped array by
 * cgroup id is several times cheaper than a hash lookup. Cgroups whose
 * index entry is taken by another one go to the traced_cgroups hash, which
 * is consulted only while such spills exist. */
#define ZVIZ_INDEX_SIZE 4096
struct zviz_index_entry {
	__u64 cgroup_id; /* 0: empty */
	__u32 slot;
	__u32 pad;
};

struct zviz_stat_key {
	__u64 cgroup_id;
	__u16 metric;
	__u16 sub;
	__u32 pad;
	char comm[ZVIZ_COMM_LEN]; /* zero unless the process_name label is on */
};

struct zviz_stat_value {
	__u64 count; /* events; for syscalls, every call (buckets hold the timed ones) */
	__u64 sum_ns;
	__u64 bytes;
	__u64 last_ns; /* latest value and when it was taken, for the *_latest gauges */
	__u64 last_at;
	__u64 buckets[ZVIZ_HIST_BUCKETS];
};

/* Per-CPU syscall counts of one traced cgroup, indexed by syscall number. */
struct zviz_syscall_counts {
	__u64 calls[ZVIZ_SYSCALL_SLOTS];
};

/* A started interval waiting for its end: a connect, a DNS query, a block
 * request, a blocked thread. */
struct zviz_pending {
	__u64 start_ns;
	__u64 cgroup_id;
	__u32 sub;
	__u32 pad;
	char comm[ZVIZ_COMM_LEN];
};

#endif /* ZVIZ_TRACER_ABI_H */
