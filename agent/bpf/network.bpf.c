// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes sent and received on INET sockets (TCP, UDP, raw), from
 * sock:sock_send_length and sock:sock_recv_length, which fire in the task
 * that called sendmsg/recvmsg (or write/read on a socket). UNIX sockets are
 * local IPC, not network, and are left out.
 */
#include "tracer_common.bpf.h"

#include <bpf/bpf_tracing.h>

#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2

static __always_inline void count_bytes(struct sock *sk, int bytes, int flags, enum zviz_direction direction)
{
	struct zviz_stat_key key = { .metric = ZVIZ_M_NET, .sub = direction };
	struct zviz_stat_value *value;
	__u16 family;

	/* Errors are negative; a peek is read again later. */
	if (bytes <= 0 || (flags & MSG_PEEK))
		return;
	key.cgroup_id = bpf_get_current_cgroup_id();
	if (!is_traced(key.cgroup_id))
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	fill_comm(key.comm);
	value = stat_entry(&key, ZVIZ_F_NETWORK);
	if (value) {
		value->count += 1;
		value->bytes += bytes;
	}
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(zviz_sock_send_length, struct sock *sk, int ret, int flags)
{
	count_bytes(sk, ret, flags, ZVIZ_DIR_SEND);
	return 0;
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(zviz_sock_recv_length, struct sock *sk, int ret, int flags)
{
	count_bytes(sk, ret, flags, ZVIZ_DIR_RECV);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
