// The audit trail's names: a refused open's path is recorded as the broker
// read it, and a workload chooses its bytes. Two names that differ only in
// bytes that are not UTF-8, and a name spelled as the escape of another,
// must be told apart in the record. Each open, for writing in the scratch
// tree's outside directory, is one every profile that brokers opens refuses
// and audits.
//   audit-names
// Lines: "NAME errno ENAME" (or "NAME ok") for each of bad-ff, bad-fe,
// literal, utf8, then "finished ok".
#include "attack.h"

static void try_name(const char* name, const char* file) {
  const char* outside = getenv("ZVIZ_ATTACK_OUTSIDE");
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", outside ? outside : "/nonexistent", file);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome(name, fd);
  if (fd >= 0) close(fd);
}

int main(void) {
  try_name("bad-ff", "zviz-name-\xff");
  try_name("bad-fe", "zviz-name-\xfe");
  try_name("literal", "zviz-name-\\xff");  // the four characters \xff
  try_name("utf8", "zviz-name-\xc3\xa9");  // é, valid UTF-8
  say("finished ok");
  return 0;
}
