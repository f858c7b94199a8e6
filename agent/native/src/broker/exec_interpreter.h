// What else the kernel loads when it runs a program: the interpreter of a
// "#!" script (fs/binfmt_script.c) and the program interpreter an ELF names
// in its PT_INTERP header (fs/binfmt_elf.c). The broker judges an execve by
// the file it names; the kernel then opens these by path itself, with no
// syscall the filter sees, so a rule on where programs may come from has to
// judge them too (supervisor_exec.cc; docs/security.md, "Decisions and what
// they are").
#pragma once

#include <string>

namespace zviz::broker {

struct ProgramInterpreter {
  enum class Kind {
    kNone,    // neither a script nor an ELF with an interpreter: nothing else is loaded by path
    kScript,  // "#!": the kernel runs `path` (which may be a script or an ELF itself)
    kElf,     // PT_INTERP: the kernel maps `path` beside the program and looks no further
  } kind = Kind::kNone;
  std::string path;
};

/**
 * The interpreter the kernel would open for the program readable at `fd`,
 * parsed as the kernel parses it: a "#!" line within the first 256 bytes,
 * or the first PT_INTERP of an ELF (64- or 32-bit, little-endian). A file
 * the kernel would refuse to run by these formats names nothing. Reads with
 * pread; -errno when the file cannot be read.
 */
int ReadProgramInterpreter(int fd, ProgramInterpreter* out);

}  // namespace zviz::broker
