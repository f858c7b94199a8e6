// A dynamically linked program for exec-tricks.c: its PT_INTERP is a
// placeholder that the attack rewrites to an interpreter of its choosing, and
// run by the system's ld.so it prints "NAME ok" for its argv[1].
#include <stdio.h>

int main(int argc, char** argv) {
  printf("%s ok\n", argc > 1 ? argv[1] : "dyn");
  return 0;
}
