// modify_ldt: a 16-bit data segment in the workload's own local descriptor
// table (what Wine and DOS emulators do, and what exploits of the kernel's
// 16-bit segment handling needed), read back with modify_ldt itself, then
// checked by the CPU: `lar` loads the selector's access rights, and its
// D/B bit tells a 16-bit segment. x86 only; elsewhere it says so.
#include "attack.h"

#if defined(__x86_64__) || defined(__i386__)
#include <asm/ldt.h>

int main(void) {
  static char area[4096];
  struct user_desc desc;
  memset(&desc, 0, sizeof(desc));
  desc.entry_number = 0;
  desc.base_addr = (unsigned int)(unsigned long)area;
  desc.limit = 0xffff;
  desc.seg_32bit = 0;  // 16-bit
  desc.contents = 0;   // data
  desc.useable = 1;
  outcome("write-16bit", syscall(SYS_modify_ldt, 1, &desc, sizeof(desc)));
  unsigned char table[8 * LDT_ENTRY_SIZE];
  long got = syscall(SYS_modify_ldt, 0, table, sizeof(table));
  if (got < 0) {
    outcome("read", got);
  } else {
    say("read bytes=%ld", got);
  }
  // Selector of entry 0 in the LDT at privilege 3.
  unsigned int selector = (0 << 3) | 4 | 3, rights = 0;
  unsigned char valid = 0;
  __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(rights), "=q"(valid) : "r"(selector) : "cc");
  if (valid) {
    say("lar ok db=%u", (rights >> 22) & 1);
  } else {
    say("lar none");
  }
  return 0;
}
#else
int main(void) {
  say("arch not-x86");
  return 0;
}
#endif
