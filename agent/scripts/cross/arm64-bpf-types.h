/* Types an arm64 BPF build needs that an x86-64 vmlinux.h lacks. The cross
 * build (agent/scripts/prebuild.mjs) compiles the BPF programs for arm64
 * against this host's x86-64 kernel BTF; libbpf's PT_REGS_* macros for arm64
 * read registers through struct user_pt_regs, the arm64 UAPI register set
 * (arch/arm64/include/uapi/asm/ptrace.h). preserve_access_index makes every
 * field access a CO-RE relocation, resolved against the running arm64
 * kernel's own BTF when the program loads. */
#ifndef ZVIZ_ARM64_BPF_TYPES_H
#define ZVIZ_ARM64_BPF_TYPES_H

#include "vmlinux.h"

#if defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
} __attribute__((preserve_access_index));
#endif

#endif
