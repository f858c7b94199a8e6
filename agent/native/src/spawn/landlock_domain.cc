// The container's one Landlock domain (child.h, RestrictWithLandlock), made
// by the first process once the view is made and before the init and the
// workload exist, so that both inherit it and no task of the container ever
// runs outside it (a domain cannot be left). It holds two things:
//  - strict's reads, held to the allow-list view (view_reads.cc);
//  - the profile's scopes (Landlock ABI 6, Linux 6.12; the agent asks the
//    kernel's ABI before it asks for them, agent/src/profiles/scopes.ts):
//    abstract unix sockets, so that connect and send reach only abstract
//    sockets bound inside the domain, never a node process's listener on the
//    network the container shares; and signals, so that kill, tgkill,
//    pidfd_send_signal and F_SETOWN signals reach only the container's own
//    processes, never the node's (`--pid host`). The agent, outside the
//    domain, still signals into it (Landlock checks only the sender).
// One domain rather than one per job: Landlock nests at most 16 domains per
// task, and each one made here is one the workload's own sandbox cannot
// have. Raw calls only.
#include <linux/landlock.h>
#include <sys/prctl.h>

#include <cerrno>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

/**
 * struct landlock_ruleset_attr as of ABI 6; the build's kernel headers may
 * be older. The kernel accepts a larger struct whose fields it lacks are
 * zero, so a domain without scopes is still made on an older kernel.
 */
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

}  // namespace

void RestrictWithLandlock(const ChildPlan& p, int sock) {
  const int32_t step = p.view_reads ? kStepViewReads : kStepLandlockScopes;
  RulesetAttr attr = {};
  attr.handled_access_fs = p.view_reads ? kViewReadAccess : 0;
  attr.scoped = p.landlock_scopes;
  const int ruleset = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0));
  if (ruleset < 0) {
    ChildFail(sock, step);  // the agent asked the kernel's ABI first: never fail open
  }
  if (p.view_reads) {
    AllowReadsInView(p, ruleset, sock);
  }
  // Without CAP_SYS_ADMIN Landlock wants no_new_privs, which the filter sets anyway.
  if (::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0 &&
      (errno != EPERM || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
       ::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)) {
    ChildFail(sock, step);
  }
  close(ruleset);
}

}  // namespace zviz::broker::child
