// The foundation's toolchain probe: load the smallest BPF object, attach it
// to raw_syscalls:sys_enter and count this process's own syscalls.
#ifndef ZVIZ_TRACER_SMOKE_H_
#define ZVIZ_TRACER_SMOKE_H_

#include <cstdint>
#include <string>

namespace zviz::tracer {

// Makes `calls` getppid calls while attached; returns false with a reason.
bool SmokeCountSyscalls(int calls, uint64_t* counted, std::string* error);

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_SMOKE_H_
