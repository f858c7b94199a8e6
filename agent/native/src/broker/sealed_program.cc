#include "broker/sealed_program.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "common/unique_fd.h"

namespace zviz::broker {

namespace {

// Newer than the headers this builds with (Debian 12): Linux 6.3.
constexpr unsigned kMfdExec = 0x0010U;
constexpr int kSealExec = 0x0020;

constexpr int kBaseSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

/** Larger than any build of ours by far; a bound, so a wrong path cannot fill the agent's memory. */
constexpr off_t kMaxProgramBytes = 256 << 20;

struct Cache {
  std::mutex mu;
  std::map<std::string, int> fds;  // never closed: starts borrow them for the life of the process
  uint64_t bytes = 0;
};

Cache& TheCache() {
  static Cache* cache = new Cache();  // never destroyed: the spawn thread may run at exit
  return *cache;
}

std::string Named(const std::string& path, const std::string& what) { return path + ": " + what; }

/**
 * An executable memfd. Where vm.memfd_noexec asks for it, a memfd without
 * MFD_EXEC cannot be executed (6.3), so the flag is asked for first; older
 * kernels refuse the unknown flag (EINVAL) and make every memfd executable.
 */
int ExecutableMemfd(const char* name) {
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (fd < 0 && errno == EINVAL) {
    fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  }
  return fd;
}

std::string Copy(const std::string& path, UniqueFd* out, uint64_t* bytes) {
  UniqueFd file(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!file) {
    return Named(path, strerror(errno));
  }
  struct stat st;
  if (fstat(file.get(), &st) != 0) {
    return Named(path, strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Named(path, "not a regular file");
  }
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return Named(path, "owned by uid " + std::to_string(st.st_uid) + ", neither root nor the agent's user");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Named(path, "writable by its group or by others (chmod go-w)");
  }
  if (st.st_size <= 0 || st.st_size > kMaxProgramBytes) {
    return Named(path, "size " + std::to_string(st.st_size) + " bytes is not a program's");
  }
  const std::string base = path.substr(path.rfind('/') + 1);
  UniqueFd copy(ExecutableMemfd(base.c_str()));
  if (!copy) {
    return Named(path, std::string("memfd_create: ") + strerror(errno));
  }
  off_t offset = 0;
  while (offset < st.st_size) {
    const ssize_t n = sendfile(copy.get(), file.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Named(path, std::string("copying into a memfd: ") + (n < 0 ? strerror(errno) : "the file shrank"));
    }
  }
  // The copy executes as the file did (a file without x bits fails with
  // EACCES at the start, as before), and no one may write it.
  if (fchmod(copy.get(), st.st_mode & 0555) != 0) {
    return Named(path, std::string("fchmod of its copy: ") + strerror(errno));
  }
  // F_SEAL_EXEC keeps that mode (6.3); older kernels refuse it (EINVAL) and
  // nothing can reach the copy to change its mode anyway.
  (void)fcntl(copy.get(), F_ADD_SEALS, kSealExec);
  if (fcntl(copy.get(), F_ADD_SEALS, kBaseSeals) != 0) {
    return Named(path, std::string("sealing its copy: ") + strerror(errno));
  }
  const int seals = fcntl(copy.get(), F_GET_SEALS);
  if (seals < 0 || (seals & kBaseSeals) != kBaseSeals) {
    return Named(path, "its copy did not keep its seals");
  }
  *bytes = static_cast<uint64_t>(st.st_size);
  *out = std::move(copy);
  return {};
}

}  // namespace

std::string SealedProgram(const std::string& path, int* fd) {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  if (auto it = cache.fds.find(path); it != cache.fds.end()) {
    *fd = it->second;
    return {};
  }
  UniqueFd copy;
  uint64_t bytes = 0;
  if (auto e = Copy(path, &copy, &bytes); !e.empty()) {
    return e;
  }
  cache.bytes += bytes;
  *fd = copy.release();
  cache.fds.emplace(path, *fd);
  return {};
}

uint64_t SealedProgramBytes() {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  return cache.bytes;
}

}  // namespace zviz::broker
