#include "common/build_id.h"

#include <elf.h>
#include <link.h>

#include <cstdint>
#include <cstring>

namespace zviz {
namespace {

struct Search {
  uintptr_t address;  // an address inside this object
  std::string id;
};

size_t Align4(size_t n) { return (n + 3) & ~static_cast<size_t>(3); }

/** The NT_GNU_BUILD_ID note among the notes of [p, end), in hex. */
std::string FindBuildId(const char* p, const char* end) {
  while (p + sizeof(ElfW(Nhdr)) <= end) {
    ElfW(Nhdr) header;
    std::memcpy(&header, p, sizeof header);
    const char* name = p + sizeof header;
    const char* desc = name + Align4(header.n_namesz);
    const char* next = desc + Align4(header.n_descsz);
    if (next > end || next <= p) {
      return {};
    }
    if (header.n_type == NT_GNU_BUILD_ID && header.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
      static const char kHex[] = "0123456789abcdef";
      std::string hex;
      for (size_t i = 0; i < header.n_descsz; ++i) {
        const auto byte = static_cast<unsigned char>(desc[i]);
        hex += kHex[byte >> 4];
        hex += kHex[byte & 0xf];
      }
      return hex;
    }
    p = next;
  }
  return {};
}

int Visit(struct dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<Search*>(data);
  bool ours = false;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum && !ours; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    ours = ph.p_type == PT_LOAD && search->address >= start && search->address < start + ph.p_memsz;
  }
  if (!ours) {
    return 0;
  }
  for (ElfW(Half) i = 0; i < info->dlpi_phnum && search->id.empty(); ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_NOTE) {
      const char* notes = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
      search->id = FindBuildId(notes, notes + ph.p_memsz);
    }
  }
  return 1;
}

}  // namespace

std::string OwnBuildId() {
  static const std::string id = [] {
    Search search{reinterpret_cast<uintptr_t>(&Visit), {}};
    dl_iterate_phdr(Visit, &search);
    return search.id;
  }();
  return id;
}

}  // namespace zviz
