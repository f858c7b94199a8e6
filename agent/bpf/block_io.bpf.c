// SPDX-License-Identifier: GPL-2.0
/*
 * Block device request latency, from block:block_rq_issue (handed to the
 * driver) to block:block_rq_complete, keyed by request. The request belongs
 * to the cgroup of the task that submitted it: block:block_io_start fires in
 * the submitter's context when the request is formed, before an I/O
 * scheduler may issue it from a kernel worker. Without that tracepoint the
 * issuing task's cgroup is used. Writeback of dirty pages by kernel flusher
 * threads is not attributed to the cgroup that dirtied them.
 */
#include "tracer_common.bpf.h"

#include <bpf/bpf_tracing.h>

#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1 << REQ_OP_BITS) - 1)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct zviz_pending);
} requests SEC(".maps");

static __always_inline __u32 operation(struct request *rq)
{
	switch (BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK) {
	case REQ_OP_READ:
		return ZVIZ_BIO_READ;
	case REQ_OP_WRITE:
		return ZVIZ_BIO_WRITE;
	case REQ_OP_FLUSH:
		return ZVIZ_BIO_FLUSH;
	case REQ_OP_DISCARD:
		return ZVIZ_BIO_DISCARD;
	default:
		return ZVIZ_BIO_OTHER;
	}
}

static __always_inline void claim(struct request *rq, __u64 start_ns)
{
	__u64 key = (__u64)rq;
	struct zviz_pending owner = { .start_ns = start_ns };
	__u32 slot;

	owner.cgroup_id = bpf_get_current_cgroup_id();
	slot = owner.cgroup_id ? traced_slot(owner.cgroup_id) : ZVIZ_NOT_TRACED;
	if (slot == ZVIZ_NOT_TRACED)
		return;
	owner.sub = operation(rq);
	fill_comm(owner.comm);
	pending_insert(&requests, &key, &owner, slot, ZVIZ_Q_REQUESTS, ZVIZ_F_BLOCK_IO, true);
}

SEC("raw_tp/block_io_start")
int BPF_PROG(zviz_block_io_start, struct request *rq)
{
	claim(rq, 0);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(zviz_block_rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct zviz_pending *owner = bpf_map_lookup_elem(&requests, &key);

	if (owner)
		owner->start_ns = bpf_ktime_get_ns();
	else
		claim(rq, bpf_ktime_get_ns());
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(zviz_block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now, started, cgroup_id;
	struct zviz_pending *owner = bpf_map_lookup_elem(&requests, &key);
	__u32 op;

	if (!owner)
		return 0;
	started = owner->start_ns;
	cgroup_id = owner->cgroup_id;
	op = owner->sub;
	pending_delete(&requests, &key, cgroup_id, ZVIZ_Q_REQUESTS);
	if (!started)
		return 0;
	now = bpf_ktime_get_ns();
	if (now > started && is_traced(cgroup_id))
		record_latency(cgroup_id, ZVIZ_M_BLOCK_IO, op, NULL, now - started, now, ZVIZ_F_BLOCK_IO);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
