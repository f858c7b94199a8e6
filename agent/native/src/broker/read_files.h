// Small kernel files (cgroup statistics) read in one batch on the libuv
// pool. The container sampler reads some six files per container every few
// seconds; at a thousand containers, reading them on the JavaScript thread
// held it for a third of a second per round, mostly in the kernel producing
// the files' contents (docs/benchmarks.md).
#ifndef ZVIZ_BROKER_READ_FILES_H_
#define ZVIZ_BROKER_READ_FILES_H_

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

namespace zviz::broker {

// Longest content kept of one file: more than any cgroup statistics file
// holds, even io.stat with many disks; a longer file is cut there.
constexpr size_t kReadFileLimit = 1 << 20;

// The whole content of each file, or nothing where it could not be opened
// or read. The last component is never followed as a symbolic link.
std::vector<std::optional<std::string>> ReadFiles(const std::vector<std::string>& paths);

// readFiles(paths: string[]): Promise<Array<string | null>>, read off the main thread.
Napi::Value ReadFilesJs(const Napi::CallbackInfo& info);

}  // namespace zviz::broker

#endif  // ZVIZ_BROKER_READ_FILES_H_
