// A program interpreter (PT_INTERP) of a few instructions, for
// exec-tricks.c: it prints "NAME ok" for the NAME the executed program got as
// argv[1], and exits. No libc: the kernel starts an interpreter with the
// program's own auxiliary vector, which a static libc would misread as its own.
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

__attribute__((used, noreturn)) void interp_main(long* sp) {
  char line[256];
  const char* name = sp[0] > 1 ? ((char**)(sp + 1))[1] : "interp";
  unsigned long n = 0;
  while (name[n] != 0 && n < 200) {
    line[n] = name[n];
    n++;
  }
  const char* ok = " ok\n";
  for (int i = 0; ok[i]; i++) line[n++] = ok[i];
  sys3(1 /* write */, 1, (long)line, (long)n);
  for (;;) sys3(231 /* exit_group */, 0, 0, 0);
}

__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call interp_main\n hlt\n");
