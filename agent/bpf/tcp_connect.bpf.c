// SPDX-License-Identifier: GPL-2.0
/*
 * TCP state changes and active connect latency from sock:inet_sock_set_state.
 * A connect is timed from SYN_SENT (entered in the connecting task's
 * context) to ESTABLISHED (usually entered in softirq context when the
 * SYN-ACK arrives), keyed by socket. Both ends are attributed to the
 * socket's cgroup, which the kernel records when the socket is created.
 */
#include "tracer_common.bpf.h"

#include <bpf/bpf_tracing.h>

#define IPPROTO_TCP 6

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct zviz_pending);
} connecting SEC(".maps");

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(zviz_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk, cgroup_id, now;
	__u32 slot;
	struct zviz_stat_key state_key = { .metric = ZVIZ_M_TCP_STATE };
	struct zviz_stat_value *changes;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	cgroup_id = sock_cgroup_id(sk);
	slot = cgroup_id ? traced_slot(cgroup_id) : ZVIZ_NOT_TRACED;
	if (slot == ZVIZ_NOT_TRACED)
		return 0;

	state_key.cgroup_id = cgroup_id;
	state_key.sub = newstate;
	changes = stat_entry(&state_key, ZVIZ_F_TCP_CONNECT);
	if (changes)
		changes->count += 1;

	if (newstate == TCP_SYN_SENT) {
		struct zviz_pending start = { .start_ns = bpf_ktime_get_ns(), .cgroup_id = cgroup_id };

		/* connect() runs in the task that asked for it. */
		fill_comm(start.comm);
		pending_insert(&connecting, &key, &start, slot, ZVIZ_Q_CONNECTING, ZVIZ_F_TCP_CONNECT, true);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;

	{
		struct zviz_pending *start = bpf_map_lookup_elem(&connecting, &key);
		char comm[ZVIZ_COMM_LEN] = {};
		__u64 started;

		if (!start) {
			if (newstate == TCP_ESTABLISHED)
				count_lost(ZVIZ_F_TCP_CONNECT, ZVIZ_LOST_NO_START);
			return 0;
		}
		started = start->start_ns;
		if (with_comm)
			__builtin_memcpy(comm, start->comm, ZVIZ_COMM_LEN);
		pending_delete(&connecting, &key, cgroup_id, ZVIZ_Q_CONNECTING);
		now = bpf_ktime_get_ns();
		/* Failed connects (SYN_SENT to CLOSE) count as state changes only. */
		if (newstate == TCP_ESTABLISHED && now > started)
			record_latency(cgroup_id, ZVIZ_M_TCP_CONNECT, 0, comm, now - started, now, ZVIZ_F_TCP_CONNECT);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
