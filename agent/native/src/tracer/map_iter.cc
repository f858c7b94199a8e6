#include "tracer/map_iter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace zviz::tracer {
namespace {

constexpr uint32_t kBatch = 1024;

int ForEachByKey(int fd, size_t key_size, size_t value_size,
                 const std::function<void(const void*, const void*)>& visit) {
  std::vector<uint8_t> key(key_size), next(key_size), value(value_size);
  const void* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, next.data()) == 0) {
    if (bpf_map_lookup_elem(fd, next.data(), value.data()) == 0) visit(next.data(), value.data());
    key.swap(next);
    previous = key.data();
  }
  return errno == ENOENT ? 0 : -errno;
}

}  // namespace

int PossibleCpus() {
  static const int cpus = libbpf_num_possible_cpus();
  return cpus;
}

size_t PerCpuValueSize(size_t value_size) { return ((value_size + 7) / 8) * 8 * static_cast<size_t>(PossibleCpus()); }

int ForEachEntry(int fd, size_t key_size, size_t value_size,
                 const std::function<void(const void* key, const void* value)>& visit) {
  uint32_t capacity = kBatch;
  std::vector<uint8_t> keys(static_cast<size_t>(capacity) * key_size);
  std::vector<uint8_t> values(static_cast<size_t>(capacity) * value_size);
  // Hash maps use a bucket index as the batch cursor; 8 bytes covers it.
  uint64_t in_token = 0, out_token = 0;
  bool first = true;
  for (;;) {
    uint32_t count = capacity;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &in_token, &out_token, keys.data(), values.data(), &count,
                                   &opts);
    err = err < 0 ? -errno : 0;
    if (err == -ENOSPC && count == 0) {
      // One hash bucket holds more entries than the buffers: grow them.
      capacity *= 2;
      keys.resize(static_cast<size_t>(capacity) * key_size);
      values.resize(static_cast<size_t>(capacity) * value_size);
      continue;
    }
    if (first && (err == -EINVAL || err == -ENOTSUP || err == -524 /* ENOTSUPP */)) {
      return ForEachByKey(fd, key_size, value_size, visit);
    }
    for (uint32_t i = 0; i < count; i++) visit(&keys[i * key_size], &values[i * value_size]);
    if (err == -ENOENT) return 0;
    if (err != 0) return err;
    in_token = out_token;
    first = false;
  }
}

}  // namespace zviz::tracer
