// SPDX-License-Identifier: GPL-2.0
/*
 * Off-CPU blocked time: from the moment a thread of a traced cgroup switches
 * out because it sleeps (sched_switch with a sleeping prev) to the moment it
 * is woken (sched_wakeup). Time spent runnable but waiting for a CPU, and
 * on-CPU slices, are not counted. sched_wakeup_new only cleans up: a new
 * thread has never slept.
 */
#include "tracer_common.bpf.h"

#include <bpf/bpf_tracing.h>

#define TASK_INTERRUPTIBLE 0x0001
#define TASK_UNINTERRUPTIBLE 0x0002

/* Blocked threads by thread id; sized for every thread of traced cgroups. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct zviz_pending);
} blocked SEC(".maps");

/* Before 5.14 the field was called state. */
struct task_struct___pre_5_14 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___pre_5_14 *)task, state);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(zviz_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct zviz_pending start = {};
	__u64 cgroup_id;
	unsigned int state;
	__u32 tid, slot;

	if (preempt)
		return 0;
	/* prev is the current task here; its state says why it leaves the CPU. */
	state = task_state(prev);
	if (!(state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)))
		return 0;
	cgroup_id = bpf_get_current_cgroup_id();
	slot = cgroup_id ? traced_slot(cgroup_id) : ZVIZ_NOT_TRACED;
	if (slot == ZVIZ_NOT_TRACED)
		return 0;

	tid = (__u32)bpf_get_current_pid_tgid();
	start.start_ns = bpf_ktime_get_ns();
	start.cgroup_id = cgroup_id;
	fill_comm(start.comm);
	pending_insert(&blocked, &tid, &start, slot, ZVIZ_Q_BLOCKED, ZVIZ_F_CPU_BLOCK, true);
	return 0;
}

static __always_inline void woken(struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct zviz_pending *start = bpf_map_lookup_elem(&blocked, &tid);
	char comm[ZVIZ_COMM_LEN] = {};
	__u64 now, started, cgroup_id;

	if (!start)
		return;
	now = bpf_ktime_get_ns();
	started = start->start_ns;
	cgroup_id = start->cgroup_id;
	if (with_comm)
		__builtin_memcpy(comm, start->comm, ZVIZ_COMM_LEN);
	pending_delete(&blocked, &tid, cgroup_id, ZVIZ_Q_BLOCKED);
	if (now > started && is_traced(cgroup_id))
		record_latency(cgroup_id, ZVIZ_M_CPU_BLOCK, 0, comm, now - started, now, ZVIZ_F_CPU_BLOCK);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(zviz_sched_wakeup, struct task_struct *task)
{
	woken(task);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(zviz_sched_wakeup_new, struct task_struct *task)
{
	woken(task);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
