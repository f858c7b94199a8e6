// SPDX-License-Identifier: GPL-2.0
/*
 * Smoothed TCP round-trip time from tcp:tcp_probe, which fires for each
 * segment received on an established connection, mostly in softirq context.
 * The sample goes to the socket's cgroup (recorded by the kernel when the
 * socket was created), never to the task the interrupt interrupted.
 */
#include "tracer_common.bpf.h"

#include <bpf/bpf_tracing.h>

SEC("raw_tp/tcp_probe")
int BPF_PROG(zviz_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	__u64 cgroup_id = sock_cgroup_id(sk);
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 srtt_ns;

	if (!is_traced(cgroup_id))
		return 0;
	/* srtt_us holds eight times the smoothed RTT in microseconds. */
	srtt_ns = (__u64)(BPF_CORE_READ(tp, srtt_us) >> 3) * 1000;
	if (!srtt_ns)
		return 0;
	/* No task context worth naming: the sample has no process name. */
	record_latency(cgroup_id, ZVIZ_M_TCP_RTT, 0, NULL, srtt_ns, bpf_ktime_get_ns(), ZVIZ_F_TCP_RTT);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
