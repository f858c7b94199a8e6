// A classic BPF interpreter for seccomp programs. The broker runs the
// profile's reference program (the profile as written, before denials are
// turned into notifications) on each notification's seccomp_data, so it
// answers with exactly the action the kernel would have taken: the same
// errno, the same kill, decided by the same compiled rules.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace zviz::broker {

using BpfProgram = std::vector<struct sock_filter>;

/**
 * Checks a program the way the kernel's seccomp_check_filter does (only the
 * instructions seccomp accepts, aligned loads inside seccomp_data, forward
 * jumps inside the program, a return at the end). Empty string when valid.
 */
std::string CheckSeccompProgram(const BpfProgram& program);

/**
 * The SECCOMP_RET_* value the program returns for this data; the program
 * must have passed the check. With `beyond_call`, tells whether the run
 * loaded anything of `data` beyond the call number and the architecture (the
 * instruction pointer, an argument): when it did not, the answer is the same
 * for every call with those two (reference_outcomes.h).
 */
uint32_t RunSeccompProgram(const BpfProgram& program, const struct seccomp_data& data, bool* beyond_call = nullptr);

}  // namespace zviz::broker
