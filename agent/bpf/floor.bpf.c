// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of tracepoint tracing: a program that does nothing, attached
 * (once per tracepoint) to the tracepoints the tracer uses. The benchmark
 * compares the tracer's cost with this one, the least any tracepoint-based
 * tracer can pay on the kernel it runs on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("raw_tp")
int zviz_floor(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
