// Walks every entry of a BPF map from user space, in batches where the
// kernel supports them (one syscall per few thousand entries) and key by key
// where it does not.
#ifndef ZVIZ_TRACER_MAP_ITER_H_
#define ZVIZ_TRACER_MAP_ITER_H_

#include <cstddef>
#include <functional>

namespace zviz::tracer {

// Calls visit(key, value) for each entry; value_size is the size user space
// sees (for per-CPU maps, the rounded value size times the possible CPUs).
// Returns 0 or a negative errno.
int ForEachEntry(int fd, size_t key_size, size_t value_size,
                 const std::function<void(const void* key, const void* value)>& visit);

// Per-CPU value size as user space sees it.
size_t PerCpuValueSize(size_t value_size);

int PossibleCpus();

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_MAP_ITER_H_
