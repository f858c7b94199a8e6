// Parses "#!" lines and ELF program headers as the kernel does when it runs
// a program (exec_interpreter.h). Only what decides which file is opened next
// is mirrored; everything else the kernel checks fails the exec anyway.
#include "broker/exec_interpreter.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace zviz::broker {
namespace {

// BINPRM_BUF_SIZE: the bytes of a program the kernel reads to choose its format.
constexpr size_t kHeadSize = 256;

bool SpaceTab(unsigned char c) { return c == ' ' || c == '\t'; }
bool Terminator(unsigned char c) { return c == ' ' || c == '\t' || c == '\0'; }

ssize_t ReadAt(int fd, void* buf, size_t n, off_t offset) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, static_cast<char*>(buf) + done, n - done, offset + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r < 0) {
      return -errno;
    }
    if (r == 0) {
      break;
    }
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

/** PT_INTERP of an ELF whose class is `Ehdr`/`Phdr`, as load_elf_binary reads it. */
template <typename Ehdr, typename Phdr>
int ElfInterpreter(int fd, const unsigned char* head, size_t n, ProgramInterpreter* out) {
  if (n < sizeof(Ehdr)) {
    return 0;
  }
  Ehdr eh;
  memcpy(&eh, head, sizeof(eh));
  if ((eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Phdr) || eh.e_phnum < 1 ||
      static_cast<size_t>(eh.e_phnum) * sizeof(Phdr) > 65536) {
    return 0;  // the kernel refuses to run it (ENOEXEC)
  }
  std::vector<Phdr> phdrs(eh.e_phnum);
  const size_t bytes = phdrs.size() * sizeof(Phdr);
  ssize_t r = ReadAt(fd, phdrs.data(), bytes, static_cast<off_t>(eh.e_phoff));
  if (r < 0) {
    return static_cast<int>(r);
  }
  if (static_cast<size_t>(r) != bytes) {
    return 0;
  }
  for (const Phdr& ph : phdrs) {
    if (ph.p_type != PT_INTERP) {
      continue;
    }
    // The kernel takes the first one: 2 to PATH_MAX bytes, NUL-terminated.
    if (ph.p_filesz > PATH_MAX || ph.p_filesz < 2) {
      return 0;
    }
    std::string path(static_cast<size_t>(ph.p_filesz), '\0');
    r = ReadAt(fd, path.data(), path.size(), static_cast<off_t>(ph.p_offset));
    if (r < 0) {
      return static_cast<int>(r);
    }
    if (static_cast<size_t>(r) != path.size() || path.back() != '\0') {
      return 0;
    }
    path.resize(strlen(path.c_str()));
    out->kind = ProgramInterpreter::Kind::kElf;
    out->path = std::move(path);
    return 0;
  }
  return 0;
}

ProgramInterpreter ParseScriptInterpreter(const unsigned char* head, size_t n) {
  ProgramInterpreter none;
  unsigned char buf[kHeadSize] = {};
  memcpy(buf, head, n < kHeadSize ? n : kHeadSize);
  if (buf[0] != '#' || buf[1] != '!') {
    return none;
  }
  // load_script: the line ends at the first newline before any NUL (strnchr);
  // without one, the interpreter's name must end within the buffer, its last
  // byte included (a script of 255 bytes has a NUL there, and a name of 253
  // bytes before it runs).
  unsigned char* const end = buf + kHeadSize - 1;
  const size_t text = strnlen(reinterpret_cast<const char*>(buf), kHeadSize);
  unsigned char* line_end = static_cast<unsigned char*>(memchr(buf, '\n', text));
  if (line_end == nullptr) {
    unsigned char* p = buf + 2;
    while (p <= end && SpaceTab(*p)) ++p;
    if (p > end) {
      return none;
    }
    while (p <= end && !Terminator(*p)) ++p;
    if (p > end) {
      return none;  // the name may be cut short: the kernel refuses it
    }
    line_end = end;
  }
  while (line_end > buf + 2 && SpaceTab(line_end[-1])) --line_end;
  *line_end = '\0';
  unsigned char* name = buf + 2;
  while (name < line_end && SpaceTab(*name)) ++name;
  if (name >= line_end) {
    return none;
  }
  unsigned char* name_end = name;
  while (name_end < line_end && !Terminator(*name_end)) ++name_end;
  ProgramInterpreter script;
  script.kind = ProgramInterpreter::Kind::kScript;
  script.path.assign(reinterpret_cast<const char*>(name), static_cast<size_t>(name_end - name));
  return script;
}

}  // namespace

int ReadProgramInterpreter(int fd, ProgramInterpreter* out) {
  *out = ProgramInterpreter();
  unsigned char head[kHeadSize];
  const ssize_t n = ReadAt(fd, head, sizeof(head), 0);
  if (n < 0) {
    return static_cast<int>(n);
  }
  const size_t size = static_cast<size_t>(n);
  if (size >= 2 && head[0] == '#' && head[1] == '!') {
    *out = ParseScriptInterpreter(head, size);
    return 0;
  }
  if (size < EI_NIDENT || memcmp(head, ELFMAG, SELFMAG) != 0 || head[EI_DATA] != ELFDATA2LSB) {
    return 0;
  }
  if (head[EI_CLASS] == ELFCLASS64) {
    return ElfInterpreter<Elf64_Ehdr, Elf64_Phdr>(fd, head, size, out);
  }
  if (head[EI_CLASS] == ELFCLASS32) {
    return ElfInterpreter<Elf32_Ehdr, Elf32_Phdr>(fd, head, size, out);
  }
  return 0;
}

}  // namespace zviz::broker
