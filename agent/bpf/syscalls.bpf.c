// SPDX-License-Identifier: GPL-2.0
/*
 * raw_syscalls:sys_enter and sys_exit, for three families that share them:
 * per-syscall counts and latency, file system read/write/fsync latency and
 * bytes on regular files, and DNS query latency.
 *
 * The cost of a syscall of an untraced task is a cgroup id, one hash miss at
 * enter and a task-storage miss at exit. A traced task pays one per-CPU array
 * add per syscall; only syscalls that need a duration (sampled ones, file
 * I/O, DNS) take timestamps and keep state in task-local storage.
 */
#include "tracer_common.bpf.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define DNS_PORT 53
#define TS_COMPAT 0x0002

/* Reads through kernel pointers without a helper call per field (6.2+);
 * bpf_probe_read_kernel where the kernel lacks it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

const volatile bool count_syscalls = true;
const volatile bool syscall_latency = true;
/* Time one syscall in (mask + 1): 0 times every call. */
const volatile __u32 latency_sample_mask = 0;
const volatile bool trace_fs = true;
const volatile bool trace_dns = true;
/* ZVIZ_CLASS_* per syscall number, from the agent. */
const volatile __u8 syscall_class[ZVIZ_SYSCALL_SLOTS] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256); /* = traced_cgroups; set by the agent */
	__type(key, __u32);
	__type(value, struct zviz_syscall_counts);
} syscall_counts SEC(".maps");

/* A DNS query on a socket, from its first send to its first answer. */
struct dns_key {
	__u64 sk;
	__u64 inode; /* the socket inode number, so a reused struct sock is a new key */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dns_key);
	__type(value, struct zviz_pending);
} dns_pending SEC(".maps");

enum task_kind {
	KIND_TIMED = 0x1,    /* sampled syscall latency */
	KIND_FS = 0x2,       /* file system operation on a regular file */
	KIND_DNS_RECV = 0x4, /* a receive on a socket with a query in flight */
};

/* The syscall a traced thread is in, between enter and exit. */
struct task_ctx {
	__u64 start_ns;
	__u64 cgroup_id;
	struct dns_key dns;
	__u32 nr;
	__u8 kind;
	__u8 fs_op;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

static __always_inline struct file *fd_file(struct task_struct *task, __u64 fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds;
	struct file *file = NULL;

	if (fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* The file type bits of an open file. */
static __always_inline __u16 file_mode(struct file *file)
{
	if (bpf_rdonly_cast) {
		struct file *f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));

		return f->f_inode->i_mode & S_IFMT;
	}
	return BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
}

static __always_inline __u64 first_arg(struct pt_regs *regs)
{
	if (bpf_rdonly_cast) {
		struct pt_regs *r = bpf_rdonly_cast(regs, bpf_core_type_id_kernel(struct pt_regs));

		return PT_REGS_PARM1_SYSCALL(r);
	}
	return PT_REGS_PARM1_CORE_SYSCALL(regs);
}

/* The destination port (host order) a send goes to: the connected peer, or
 * the address the call names. 0 when unknown. */
static __always_inline __u16 send_port(struct sock *sk, struct pt_regs *regs, __u8 class)
{
	struct {
		__u16 family;
		__be16 port;
	} addr = {};
	void *name = NULL;
	__u16 port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

	if (port)
		return port;
	if (class & ZVIZ_CLASS_ADDR_ARG5) {
		name = (void *)PT_REGS_PARM5_CORE_SYSCALL(regs);
	} else if (class & (ZVIZ_CLASS_ADDR_MSG | ZVIZ_CLASS_ADDR_MMSG)) {
		/* msg_name is the first member of both user_msghdr and mmsghdr. */
		void *msg = (void *)PT_REGS_PARM2_CORE_SYSCALL(regs);

		if (!msg || bpf_probe_read_user(&name, sizeof(name), msg)) {
			count_lost(ZVIZ_F_DNS, ZVIZ_LOST_READ_ERROR);
			return 0;
		}
	}
	if (!name)
		return 0;
	if (bpf_probe_read_user(&addr, sizeof(addr), name)) {
		count_lost(ZVIZ_F_DNS, ZVIZ_LOST_READ_ERROR);
		return 0;
	}
	if (addr.family != AF_INET && addr.family != AF_INET6)
		return 0;
	return bpf_ntohs(addr.port);
}

/* A send or receive on an INET socket: start a query, or note that this
 * receive may answer one. */
static __always_inline __u8 dns_enter(struct file *file, struct pt_regs *regs, __u8 class, __u64 cgroup_id,
				      __u32 slot, __u64 now, struct dns_key *key)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk;
	short type;

	if (!sock)
		return 0;
	type = BPF_CORE_READ(sock, type);
	if (type != SOCK_DGRAM && type != SOCK_STREAM)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	{
		__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

		if (family != AF_INET && family != AF_INET6)
			return 0;
	}
	key->sk = (__u64)sk;
	key->inode = BPF_CORE_READ(file, f_inode, i_ino);

	if ((class & ZVIZ_CLASS_DNS_SEND) && send_port(sk, regs, class) == DNS_PORT) {
		struct zviz_pending start = { .start_ns = now, .cgroup_id = cgroup_id };

		/* The first send starts the query; retries and the second half
		 * of an A+AAAA pair keep the earliest start (and take no more of
		 * the cgroup's share). */
		if (bpf_map_lookup_elem(&dns_pending, key))
			return 0;
		fill_comm(start.comm);
		pending_insert(&dns_pending, key, &start, slot, ZVIZ_Q_DNS, ZVIZ_F_DNS, false);
		return 0;
	}
	if ((class & ZVIZ_CLASS_DNS_RECV) && bpf_map_lookup_elem(&dns_pending, key))
		return KIND_DNS_RECV;
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(zviz_sys_enter, struct pt_regs *regs, long id)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	__u32 slot = traced_slot(cgroup_id);
	struct task_struct *task;
	struct task_ctx *state;
	__u32 index = ZVIZ_SYSCALL_OTHER;
	__u8 class = 0, kind = 0, fs_op = 0;
	struct dns_key dns = {};
	__u64 now = 0;

	if (slot == ZVIZ_NOT_TRACED)
		return 0;
	task = bpf_get_current_task_btf();
	/* A 32-bit task's numbers mean other syscalls: count them apart. */
	if (id >= 0 && id < ZVIZ_SYSCALL_OTHER &&
	    !(bpf_core_field_exists(task->thread_info.status) && (task->thread_info.status & TS_COMPAT))) {
		index = id;
		class = syscall_class[index];
	}

	if (count_syscalls && !with_comm) {
		struct zviz_syscall_counts *counts = bpf_map_lookup_elem(&syscall_counts, &slot);

		if (counts && index < ZVIZ_SYSCALL_SLOTS)
			counts->calls[index] += 1;
	} else if (count_syscalls) {
		struct zviz_stat_key key = { .cgroup_id = cgroup_id, .metric = ZVIZ_M_SYSCALL, .sub = index };
		struct zviz_stat_value *value;

		fill_comm(key.comm);
		value = stat_entry(&key, ZVIZ_F_SYSCALLS);
		if (value)
			value->count += 1;
	}

	if (syscall_latency && count_syscalls && (latency_sample_mask == 0 || (bpf_get_prandom_u32() & latency_sample_mask) == 0))
		kind |= KIND_TIMED;

	if ((trace_fs && (class & ZVIZ_CLASS_FS_MASK)) ||
	    (trace_dns && (class & (ZVIZ_CLASS_DNS_SEND | ZVIZ_CLASS_DNS_RECV)))) {
		struct file *file = fd_file(task, first_arg(regs));
		__u16 mode;

		if (file) {
			mode = file_mode(file);
			if (trace_fs && mode == S_IFREG && (class & ZVIZ_CLASS_FS_MASK)) {
				kind |= KIND_FS;
				fs_op = (class & ZVIZ_CLASS_FS_MASK) - 1;
			} else if (trace_dns && mode == S_IFSOCK) {
				now = bpf_ktime_get_ns();
				kind |= dns_enter(file, regs, class, cgroup_id, slot, now, &dns);
			}
		}
	}
	if (!kind)
		return 0;

	state = bpf_task_storage_get(&task_ctxs, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!state) {
		count_lost((kind & KIND_FS) ? ZVIZ_F_FS : (kind & KIND_DNS_RECV) ? ZVIZ_F_DNS : ZVIZ_F_SYSCALLS,
			   ZVIZ_LOST_MAP_FULL);
		return 0;
	}
	state->cgroup_id = cgroup_id;
	state->nr = index;
	state->kind = kind;
	state->fs_op = fs_op;
	state->dns = dns;
	state->start_ns = now ? now : bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(zviz_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_ctx *state;
	__u64 cgroup_id, now, elapsed;
	char comm[ZVIZ_COMM_LEN] = {};
	__u8 kind;

	/* Most tasks have no BPF task storage at all: skip the helper call. */
	if (bpf_core_field_exists(task->bpf_storage) && !task->bpf_storage)
		return 0;
	state = bpf_task_storage_get(&task_ctxs, task, NULL, 0);
	if (!state || !state->start_ns)
		return 0;
	now = bpf_ktime_get_ns();
	elapsed = now - state->start_ns;
	kind = state->kind;
	state->start_ns = 0;

	/* Attributed to the cgroup the call started in. Should it have been
	 * untraced meanwhile, the agent drops the entry on its next read. */
	cgroup_id = state->cgroup_id;
	fill_comm(comm);

	if (kind & KIND_TIMED) {
		struct zviz_stat_key key = { .cgroup_id = cgroup_id, .metric = ZVIZ_M_SYSCALL, .sub = state->nr };
		struct zviz_stat_value *value;

		if (with_comm)
			__builtin_memcpy(key.comm, comm, ZVIZ_COMM_LEN);
		value = stat_entry(&key, ZVIZ_F_SYSCALLS);
		if (value) {
			/* count stays the number of calls, kept at enter. */
			value->sum_ns += elapsed;
			value->last_ns = elapsed;
			value->last_at = now;
			add_to_bucket(value, elapsed, ZVIZ_BASE_NS_SYSCALL, 2);
		}
	}

	if (kind & KIND_FS) {
		struct zviz_stat_key key = { .cgroup_id = cgroup_id, .metric = ZVIZ_M_FS, .sub = state->fs_op };
		struct zviz_stat_value *value;

		if (with_comm)
			__builtin_memcpy(key.comm, comm, ZVIZ_COMM_LEN);
		value = stat_entry(&key, ZVIZ_F_FS);
		if (value) {
			observe(value, elapsed, now, ZVIZ_BASE_NS_TRACE, 1);
			if (ret > 0 && state->fs_op != ZVIZ_FS_FSYNC)
				value->bytes += ret;
		}
	}

	if ((kind & KIND_DNS_RECV) && ret > 0) {
		struct dns_key key = state->dns;
		struct zviz_pending *start = bpf_map_lookup_elem(&dns_pending, &key);

		if (start) {
			__u64 started = start->start_ns;
			__u64 owner = start->cgroup_id;
			char owner_comm[ZVIZ_COMM_LEN] = {};

			if (with_comm)
				__builtin_memcpy(owner_comm, start->comm, ZVIZ_COMM_LEN);
			pending_delete(&dns_pending, &key, owner, ZVIZ_Q_DNS);
			if (now > started && is_traced(owner))
				record_latency(owner, ZVIZ_M_DNS, 0, owner_comm, now - started, now, ZVIZ_F_DNS);
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
