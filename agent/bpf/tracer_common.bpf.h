/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and helpers every tracer object shares. The agent creates the shared
 * maps once and hands the same file descriptors to each object it loads, so
 * a family whose program the kernel refuses does not take the others down.
 */
#ifndef ZVIZ_TRACER_COMMON_BPF_H
#define ZVIZ_TRACER_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "tracer_abi.h"

#ifndef EEXIST
#define EEXIST 17
#endif

/* Set by the agent before load; the verifier prunes what they switch off. */
const volatile bool with_comm = false;
/* ZVIZ_INDEX_SIZE - 1; tests shrink it to force index collisions. */
const volatile __u32 index_mask = ZVIZ_INDEX_SIZE - 1;

/* Traced cgroup v2 ids. max_entries is set by the agent (tracer.max_cgroups). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct zviz_traced);
} traced_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZVIZ_INDEX_SIZE);
	__type(key, __u32);
	__type(value, struct zviz_index_entry);
} traced_index SEC(".maps");

/* How many traced cgroups live only in traced_cgroups (index collisions). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} traced_spills SEC(".maps");

/* Every histogram and counter but the per-syscall counts, per CPU, so an event
 * costs one lookup and a few adds without atomics. Entries are allocated on
 * first use; the agent deletes a cgroup's entries when it stops tracing it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct zviz_stat_key);
	__type(value, struct zviz_stat_value);
} stats SEC(".maps");

/* Events that could not be recorded, by family and reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZVIZ_F_COUNT * ZVIZ_LOST_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(enum zviz_family family, enum zviz_lost_reason reason)
{
	__u32 key = family * ZVIZ_LOST_REASONS + reason;
	__u64 *value = bpf_map_lookup_elem(&lost, &key);

	if (value)
		*value += 1;
}

/* Per traced cgroup (by slot) and map: the entries it holds, what it was
 * refused. max_entries is set by the agent (tracer.max_cgroups). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct zviz_quota_held);
} quota_held SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zviz_quota_pool);
} quota_pool SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct zviz_quota_refused);
} quota_refused SEC(".maps");

/* Set by the agent from the map sizes: what each cgroup may always hold of a
 * shared map, and how much beyond the reserved shares all cgroups together
 * may hold. Reserved shares times max_cgroups plus the pool is the map's
 * size, so a cgroup under its share always finds room, whatever another
 * cgroup does. 0 reserved and a pool of 2^31 - 1 switch quotas off. */
const volatile __s32 quota_reserved[ZVIZ_QUOTA_MAPS] = {};
const volatile __s32 quota_pool_size[ZVIZ_QUOTA_MAPS] = { 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff };

/*
 * Takes a place in a shared map for one more entry of the cgroup in `slot`,
 * before the insert: within its reserved share, or from the pool. Check and
 * add are two steps (fetching atomics need Linux 5.12), so CPUs racing at the
 * edge may overshoot by one entry each; the map's own size still bounds all.
 */
static __always_inline bool quota_take(__u32 slot, enum zviz_quota_map map, enum zviz_family family)
{
	struct zviz_quota_held *held = bpf_map_lookup_elem(&quota_held, &slot);
	struct zviz_quota_refused *refused;
	struct zviz_quota_pool *pool;
	__u32 zero = 0;

	if (!held)
		return true; /* not a traced slot: the map's size is the only bound */
	if (held->held[map] < quota_reserved[map]) {
		__sync_fetch_and_add(&held->held[map], 1);
		return true;
	}
	pool = bpf_map_lookup_elem(&quota_pool, &zero);
	if (pool && pool->pooled[map] < quota_pool_size[map]) {
		__sync_fetch_and_add(&pool->pooled[map], 1);
		__sync_fetch_and_add(&held->held[map], 1);
		return true;
	}
	refused = bpf_map_lookup_elem(&quota_refused, &slot);
	if (refused)
		refused->refused[map] += 1;
	count_lost(family, ZVIZ_LOST_QUOTA);
	return false;
}

/* Gives back the place of an entry of the cgroup in `slot` that is gone. */
static __always_inline void quota_give(__u32 slot, enum zviz_quota_map map)
{
	struct zviz_quota_held *held = bpf_map_lookup_elem(&quota_held, &slot);
	struct zviz_quota_pool *pool;
	__u32 zero = 0;

	if (!held)
		return;
	if (held->held[map] > quota_reserved[map]) {
		pool = bpf_map_lookup_elem(&quota_pool, &zero);
		if (pool)
			__sync_fetch_and_add(&pool->pooled[map], -1);
	}
	__sync_fetch_and_add(&held->held[map], -1);
}

#define ZVIZ_NOT_TRACED 0xffffffffu

/* The counts slot of a traced cgroup, or ZVIZ_NOT_TRACED. */
static __always_inline __u32 traced_slot(__u64 cgroup_id)
{
	__u32 key = cgroup_id & index_mask, zero = 0;
	struct zviz_index_entry *entry = bpf_map_lookup_elem(&traced_index, &key);
	struct zviz_traced *spilled;
	__u32 *spills;

	if (entry && entry->cgroup_id == cgroup_id)
		return entry->slot;
	spills = bpf_map_lookup_elem(&traced_spills, &zero);
	if (!spills || !*spills)
		return ZVIZ_NOT_TRACED;
	spilled = bpf_map_lookup_elem(&traced_cgroups, &cgroup_id);
	return spilled ? spilled->slot : ZVIZ_NOT_TRACED;
}

static __always_inline bool is_traced(__u64 cgroup_id)
{
	return cgroup_id && traced_slot(cgroup_id) != ZVIZ_NOT_TRACED;
}

/* Position of the highest set bit, 1-based; 0 for 0. */
static __always_inline __u32 fls64(__u64 x)
{
	__u32 r = 0;

	if (x >> 32) { x >>= 32; r += 32; }
	if (x >> 16) { x >>= 16; r += 16; }
	if (x >> 8) { x >>= 8; r += 8; }
	if (x >> 4) { x >>= 4; r += 4; }
	if (x >> 2) { x >>= 2; r += 2; }
	if (x >> 1) { x >>= 1; r += 1; }
	return r + (__u32)x;
}

/* The first bucket i with value_ns <= base * 2^(step * i): v <= b * 2^k holds
 * exactly when (v - 1) / b < 2^k, i.e. when fls((v - 1) / b) <= k. */
static __always_inline __u32 bucket_of(__u64 value_ns, __u64 base_ns, __u32 step)
{
	__u32 bits, index;

	if (value_ns == 0)
		return 0;
	bits = fls64((value_ns - 1) / base_ns);
	index = step == 2 ? (bits + 1) / 2 : bits;
	return index < ZVIZ_HIST_BUCKETS - 1 ? index : ZVIZ_HIST_BUCKETS - 1;
}

static __always_inline void fill_comm(char comm[ZVIZ_COMM_LEN])
{
	if (with_comm)
		bpf_get_current_comm(comm, ZVIZ_COMM_LEN);
}

/* The stats entry for a key, created zeroed when missing and the cgroup's
 * share of the map allows. */
static __always_inline struct zviz_stat_value *stat_entry(const struct zviz_stat_key *key, enum zviz_family family)
{
	static const struct zviz_stat_value zero;
	struct zviz_stat_value *value = bpf_map_lookup_elem(&stats, key);
	__u32 slot;
	long err;

	if (value)
		return value;
	slot = traced_slot(key->cgroup_id);
	if (!quota_take(slot, ZVIZ_Q_STATS, family))
		return NULL;
	err = bpf_map_update_elem(&stats, key, &zero, BPF_NOEXIST);
	if (err) {
		quota_give(slot, ZVIZ_Q_STATS);
		if (err != -EEXIST) {
			count_lost(family, ZVIZ_LOST_MAP_FULL);
			return NULL;
		}
	}
	return bpf_map_lookup_elem(&stats, key);
}

/*
 * Inserts a start-to-end entry for the cgroup in `slot`, within its share of
 * the map. An existing entry under the key is overwritten in place (it holds
 * its place already). Returns whether the entry is in the map.
 */
static __always_inline bool pending_insert(void *map, const void *key, const struct zviz_pending *start, __u32 slot,
					   enum zviz_quota_map quota, enum zviz_family family, bool replace)
{
	long err;

	if (!quota_take(slot, quota, family))
		return false;
	err = bpf_map_update_elem(map, key, start, BPF_NOEXIST);
	if (!err)
		return true;
	quota_give(slot, quota);
	if (err == -EEXIST)
		return !replace || bpf_map_update_elem(map, key, start, BPF_EXIST) == 0;
	count_lost(family, ZVIZ_LOST_MAP_FULL);
	return false;
}

/* Deletes a start-to-end entry of `cgroup_id` and gives its place back. */
static __always_inline void pending_delete(void *map, const void *key, __u64 cgroup_id, enum zviz_quota_map quota)
{
	if (bpf_map_delete_elem(map, key) == 0)
		quota_give(traced_slot(cgroup_id), quota);
}

static __always_inline void add_to_bucket(struct zviz_stat_value *value, __u64 value_ns, __u64 base_ns, __u32 step)
{
	__u32 index = bucket_of(value_ns, base_ns, step);

	/* Keep the bound check the compiler would fold away: the verifier
	 * needs it to accept the variable offset. */
	barrier_var(index);
	if (index < ZVIZ_HIST_BUCKETS)
		value->buckets[index] += 1;
}

static __always_inline void observe(struct zviz_stat_value *value, __u64 value_ns, __u64 now, __u64 base_ns,
				    __u32 step)
{
	value->count += 1;
	value->sum_ns += value_ns;
	value->last_ns = value_ns;
	value->last_at = now;
	add_to_bucket(value, value_ns, base_ns, step);
}

/* Record one latency under (cgroup, metric, sub). */
static __always_inline void record_latency(__u64 cgroup_id, enum zviz_metric metric, __u16 sub,
					   const char *comm, __u64 value_ns, __u64 now, enum zviz_family family)
{
	struct zviz_stat_key key = { .cgroup_id = cgroup_id, .metric = metric, .sub = sub };
	struct zviz_stat_value *value;

	if (with_comm && comm)
		__builtin_memcpy(key.comm, comm, ZVIZ_COMM_LEN);
	value = stat_entry(&key, family);
	if (value)
		observe(value, value_ns, now, ZVIZ_BASE_NS_TRACE, 1);
}

/* The cgroup v2 id of the cgroup that created a socket. The kernel records it
 * at socket creation (cgroup_sk_alloc, in process context), so events in
 * softirq context are attributed to the socket's owner, not to whatever task
 * the interrupt happened to land on. */
static __always_inline __u64 sock_cgroup_id(const struct sock *sk)
{
	struct cgroup *cgroup = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);

	if (!cgroup)
		return 0;
	return BPF_CORE_READ(cgroup, kn, id);
}

#endif /* ZVIZ_TRACER_COMMON_BPF_H */
