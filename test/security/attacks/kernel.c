// The kernel's larger attack surfaces, each one call: bpf, perf_event_open,
// userfaultfd, keyrings (not namespaced: root's keys are every root
// process's), kexec and modules, port I/O, reboot, the kernel log, process
// accounting, swap, the clock, the host name, personality flags, fanotify.
// Each is made harmless by its arguments (a bad reboot magic, the current
// host name and time written back, no module image), so a call that
// succeeds proves the workload could reach it and changes nothing.
#include "attack.h"

#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sys/fanotify.h>
#include <sys/io.h>
#include <sys/klog.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/swap.h>
#include <time.h>

int main(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  outcome("bpf-map-create", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
  struct perf_event_attr pe;
  memset(&pe, 0, sizeof(pe));
  pe.type = PERF_TYPE_SOFTWARE;
  pe.size = sizeof(pe);
  pe.config = PERF_COUNT_SW_CPU_CLOCK;
  pe.exclude_kernel = 1;
  outcome("perf-event-open-self", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
  outcome("perf-event-open-cpu", syscall(SYS_perf_event_open, &pe, -1, 0, -1, 0));
  outcome("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
  outcome("userfaultfd-user-mode", syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
  outcome("keyctl-get-user-keyring", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0));
  outcome("add-key-thread", syscall(SYS_add_key, "user", "zviz-attack", "x", 1, KEY_SPEC_THREAD_KEYRING));
  outcome("request-key", syscall(SYS_request_key, "user", "zviz-attack-absent", NULL, 0));
  outcome("kexec-load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
  outcome("init-module", syscall(SYS_init_module, NULL, 0, ""));
  outcome("finit-module", syscall(SYS_finit_module, -1, "", 0));
  outcome("delete-module", syscall(SYS_delete_module, "zviz_attack_absent", O_NONBLOCK));
  outcome("iopl", syscall(SYS_iopl, 3));
  outcome("ioperm", syscall(SYS_ioperm, 0x80, 1, 1));
  outcome("reboot-bad-magic", syscall(SYS_reboot, 0, 0, 0, NULL));
  char log[64];
  outcome("syslog-read-all", syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log)));
  outcome("acct", syscall(SYS_acct, NULL));
  outcome("swapon", syscall(SYS_swapon, "/nonexistent-zviz", 0));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  outcome("clock-settime", syscall(SYS_clock_settime, CLOCK_REALTIME, &now));
  char host[256];
  gethostname(host, sizeof(host));
  outcome("sethostname", syscall(SYS_sethostname, host, strlen(host)));
  outcome("personality-read-implies-exec", syscall(SYS_personality, READ_IMPLIES_EXEC));
  outcome("fanotify-init", syscall(SYS_fanotify_init, FAN_CLASS_NOTIF, O_RDONLY));
  outcome("lookup-dcookie", syscall(SYS_lookup_dcookie, 0, NULL, 0));
  outcome("vhangup", syscall(SYS_vhangup));
  return 0;
}
