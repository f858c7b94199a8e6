// The agent's own files, attacked from a workload as root: the API's token
// file and the configuration (read them; write them), the audit log (append
// a forged record, truncate it, add a file beside it) and the agent's
// installation (a new file among its code, an append to its bundle and to a
// built-in profile: either would run or load at the next start). The
// appends keep the files valid (a comment, a newline), so that a run where
// they land still shows it in the bytes, not in a broken package.
// Paths come from the environment: ZVIZ_ATTACK_AGENT_TOKEN, _CONFIG, _AUDIT,
// _INSTALL (the package's root). With the argument "install" only the
// installation is attacked, with "config" only the configuration is read
// (a standalone run knows no agent's configuration but the default file).
// Prints "NAME OUTCOME" lines (attack.h).
#include "attack.h"

#include <libgen.h>
#include <sys/stat.h>

static const char* env(const char* name) {
  const char* value = getenv(name);
  if (!value || !*value) {
    say("%s missing", name);
    exit(2);
  }
  return value;
}

/** Opens `path` with `flags` and writes `data`: "NAME ok" only when every byte was written. */
static void write_attempt(const char* name, const char* path, int flags, const char* data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  ssize_t n = write(fd, data, strlen(data));
  int err = errno;
  close(fd);
  errno = err;
  outcome(name, n == (ssize_t)strlen(data) ? 0 : -1);
}

static void read_attempt(const char* name, const char* path) {
  read_hash_outcome(name, open(path, O_RDONLY | O_CLOEXEC));
}

static void attack_agent_files(void) {
  const char* token = env("ZVIZ_ATTACK_AGENT_TOKEN");
  const char* config = env("ZVIZ_ATTACK_AGENT_CONFIG");
  const char* audit = env("ZVIZ_ATTACK_AGENT_AUDIT");
  char path[4096];

  read_attempt("token-read", token);
  write_attempt("token-write", token, O_TRUNC, "workload-token\n");
  read_attempt("config-read", config);
  write_attempt("config-write", config, O_APPEND, "\n# workload was here\n");

  write_attempt("audit-append", audit, O_APPEND, "{\"forged\":\"by the workload\"}\n");
  outcome("audit-truncate", truncate(audit, 0));
  char audit_dir[4096];
  snprintf(audit_dir, sizeof(audit_dir), "%s", audit);
  snprintf(path, sizeof(path), "%s/forged.json", dirname(audit_dir));
  write_attempt("audit-new", path, O_CREAT | O_EXCL, "{}\n");
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "config") == 0) {
    read_attempt("config-read", env("ZVIZ_ATTACK_AGENT_CONFIG"));
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "install") != 0) {
    attack_agent_files();
  }
  const char* install = env("ZVIZ_ATTACK_AGENT_INSTALL");
  char path[4096];
  snprintf(path, sizeof(path), "%s/dist/workload.js", install);
  write_attempt("install-new", path, O_CREAT | O_EXCL, "process.exit(0)\n");
  snprintf(path, sizeof(path), "%s/dist/zviz.js", install);
  write_attempt("install-bundle", path, O_APPEND, "\n// workload was here\n");
  snprintf(path, sizeof(path), "%s/profiles/default.json", install);
  write_attempt("install-profile", path, O_APPEND, "\n");
  return 0;
}
