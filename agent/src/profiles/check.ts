// The fourth step of loading a profile (profile.ts), after it was validated
// field by field and expanded for this host: the checks that need the rules
// as they apply here, reported together. Rules that contradict each other,
// broker rules that cannot work (a syscall they judge that the seccomp rules
// refuse, one door of a family brokered and not the others, io_uring around
// them), and profiles that would not let the sandbox start; with them, the
// zviz section's broker and file-system entries, so that one run names
// every problem of the profile as a whole.
import { type ExpandedProfile, type ExpandedRule } from './expand';
import { parseAddress } from './addresses';
import { errnoNumber } from './errno';
import { ALLOW_LIST_VIEW_MOUNTS, checkPathPrefix } from './paths';
import { pointer, type Problem } from './problems';
import type { Profile } from './schema';
import {
  ADDRESSED_SYSCALLS,
  CLONE3,
  EXEC_SYSCALLS,
  FCNTL_SYSCALLS,
  IOCTL_SYSCALLS,
  PRLIMIT_SYSCALLS,
  OPEN_SYSCALLS,
} from './syscall-families';
import { type SyscallCatalog, unknownSyscall } from './syscall-catalog';

/** Syscalls whose path argument broker rules can match. */
const PATH_SYSCALLS = new Set<string>([...OPEN_SYSCALLS, ...EXEC_SYSCALLS]);
/**
 * What the workload calls after its filter is on, before execve: it writes
 * the listener's number to the agent and reads the go-ahead (a profile may
 * broker sendmsg, so the listener is not sent with it), or exits.
 */
const BOOTSTRAP_SYSCALLS = ['write', 'read', 'exit_group', 'exit'] as const;
const DANGEROUS_OPEN_BYPASS = ['io_uring_setup'];

/** Problems and warnings of the expanded profile, in the order a reader meets them. */
export function checkExpanded(
  expanded: ExpandedProfile,
  catalog: SyscallCatalog
): { problems: Problem[]; warnings: Problem[] } {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  checkConflicts(expanded, problems);
  const brokered = checkBroker(expanded, catalog, problems, warnings);
  checkBootstrap(expanded, brokered, expanded.profile.zviz?.audit !== false, problems);
  if (brokered.has(CLONE3)) {
    problems.push({
      pointer: '/zviz/broker',
      reason:
        'clone3 cannot be brokered: its flags live in memory, and the sandbox refuses it with ENOSYS in every filter (libc falls back to clone, which can be)',
    });
  }
  checkLeaseGuard(expanded, brokered, problems);
  checkFilesystem(expanded.profile, problems, warnings);
  return { problems, warnings };
}

/**
 * Every filter refuses fcntl's F_SETLEASE and ioctl's TIOCSETD by their
 * command, and prlimit64's new limits for another process by its pid and
 * limit (compile.ts, syscall-families.ts). A notification or a rule of the
 * profile's own that looks at their arguments would overlap those rules, and
 * libseccomp lets the less specific of two overlapping rules win.
 */
function checkLeaseGuard(expanded: ExpandedProfile, brokered: Set<string>, problems: Problem[]): void {
  const guarded: Array<[readonly string[], string]> = [
    [FCNTL_SYSCALLS, 'its F_SETLEASE in every filter, by the command argument'],
    [IOCTL_SYSCALLS, 'its TIOCSETD in every filter, by the command argument'],
    [PRLIMIT_SYSCALLS, 'new limits for another process in every filter, by the pid and limit arguments'],
  ];
  for (const [names, refused] of guarded) {
    for (const name of names) {
      if (brokered.has(name)) {
        problems.push({
          pointer: '/zviz/broker',
          reason: `${name} cannot be brokered: the sandbox refuses ${refused}`,
        });
      }
      const conditional = expanded.rules.find((r) => r.name === name && r.args.length > 0);
      if (conditional) {
        problems.push({
          pointer: conditional.pointer,
          reason: `${name} cannot have argument rules: the sandbox refuses ${refused}; allow or refuse it whole`,
        });
      }
    }
  }
}

function describeAction(r: { action: string; errnoRet?: number }): string {
  return r.action === 'SCMP_ACT_ERRNO' && r.errnoRet !== undefined ? `${r.action}(${r.errnoRet})` : r.action;
}

/** Two rules without conditions that give one syscall different actions: which one was meant? */
function checkConflicts({ profile, rules }: ExpandedProfile, problems: Problem[]): void {
  const first = new Map<string, ExpandedRule>();
  for (const rule of rules) {
    if (!rule.plain) {
      continue;
    }
    const earlier = first.get(rule.name);
    if (!earlier) {
      first.set(rule.name, rule);
      continue;
    }
    if (
      earlier.action !== rule.action ||
      (earlier.errnoRet ?? profile.defaultErrnoRet) !== (rule.errnoRet ?? profile.defaultErrnoRet)
    ) {
      problems.push({
        pointer: rule.pointer,
        reason: `conflicts with ${earlier.pointer}: "${rule.name}" gets ${describeAction(rule)} here and ${describeAction(earlier)} there, both without conditions`,
      });
    }
  }
}

export function isAllowing(action: string): boolean {
  return action === 'SCMP_ACT_ALLOW' || action === 'SCMP_ACT_LOG' || action === 'SCMP_ACT_NOTIFY';
}

/** Checks `zviz.broker` and returns the syscalls it brokers. */
function checkBroker(
  expanded: ExpandedProfile,
  catalog: SyscallCatalog,
  problems: Problem[],
  warnings: Problem[]
): Set<string> {
  const { profile } = expanded;
  const zviz = profile.zviz ?? {};
  const brokered = new Set<string>();
  const firstRule = new Map<string, number>();
  if (zviz.defaultErrno !== undefined && zviz.defaultDecision !== 'deny') {
    problems.push({ pointer: '/zviz/defaultErrno', reason: 'only applies when defaultDecision is "deny"' });
  }
  if (zviz.defaultErrno !== undefined && errnoNumber(zviz.defaultErrno) === undefined) {
    problems.push({ pointer: '/zviz/defaultErrno', reason: `unknown errno ${JSON.stringify(zviz.defaultErrno)}` });
  }
  const seenCatchAll = new Map<string, number>();
  (zviz.broker ?? []).forEach((rule, i) => {
    const at = pointer('zviz', 'broker', i);
    const inRule = new Set<string>();
    rule.syscalls.forEach((name, k) => {
      if (inRule.has(name)) {
        return;
      }
      inRule.add(name);
      if (!catalog.known(name)) {
        problems.push({ pointer: `${at}/syscalls/${k}`, reason: unknownSyscall(name, catalog) });
        return;
      }
      brokered.add(name);
      if (!firstRule.has(name)) {
        firstRule.set(name, i);
      }
    });
    const isOpen = rule.syscalls.every((s) => (OPEN_SYSCALLS as readonly string[]).includes(s));
    const isPath = rule.syscalls.every((s) => PATH_SYSCALLS.has(s));
    const isConnect = rule.syscalls.every((s) => s === 'connect');
    if (rule.access !== undefined && rule.access !== 'any' && !isOpen) {
      problems.push({ pointer: `${at}/access`, reason: `access applies to ${OPEN_SYSCALLS.join(', ')} only` });
    }
    if (rule.paths && !isPath) {
      problems.push({
        pointer: `${at}/paths`,
        reason: `paths apply to ${[...PATH_SYSCALLS].join(', ')} only; split the rule`,
      });
    }
    if (rule.addresses && !isConnect) {
      problems.push({ pointer: `${at}/addresses`, reason: 'addresses apply to connect only; split the rule' });
    }
    rule.paths?.forEach((p, k) => {
      const why = checkPathPrefix(p);
      if (why) {
        problems.push({ pointer: `${at}/paths/${k}`, reason: why });
      }
    });
    rule.addresses?.forEach((a, k) => {
      const parsed = parseAddress(a);
      if ('error' in parsed) {
        problems.push({ pointer: `${at}/addresses/${k}`, reason: parsed.error });
      }
    });
    if (rule.errno !== undefined && rule.decision !== 'deny') {
      problems.push({ pointer: `${at}/errno`, reason: 'only applies to decision "deny"' });
    } else if (rule.errno !== undefined && errnoNumber(rule.errno) === undefined) {
      problems.push({ pointer: `${at}/errno`, reason: `unknown errno ${JSON.stringify(rule.errno)}` });
    }
    // A rule after one that already takes every call of the same kind never matches.
    const catchAll = !rule.paths && !rule.addresses;
    const accessKey = rule.access ?? 'any';
    const shadowedBy = rule.syscalls
      .map((s) => seenCatchAll.get(`${s}|any`) ?? seenCatchAll.get(`${s}|${accessKey}`))
      .filter((x): x is number => x !== undefined);
    if (shadowedBy.length === rule.syscalls.length && rule.syscalls.length > 0) {
      warnings.push({
        pointer: at,
        reason: `never matches: ${pointer('zviz', 'broker', shadowedBy[0])} takes these calls first`,
      });
    }
    if (catchAll) {
      for (const s of rule.syscalls) {
        const key = `${s}|${accessKey}`;
        if (!seenCatchAll.has(key)) {
          seenCatchAll.set(key, i);
        }
      }
    }
  });

  // Brokering one way in and not the others leaves a way around the rules.
  for (const family of [OPEN_SYSCALLS, EXEC_SYSCALLS]) {
    const covered = family.filter((s) => brokered.has(s));
    if (covered.length > 0 && covered.length < family.length) {
      const missing = family.filter((s) => !brokered.has(s));
      const at = pointer('zviz', 'broker', firstRule.get(covered[0]) ?? 0, 'syscalls');
      problems.push({
        pointer: at,
        reason: `brokers ${covered.join(', ')} but not ${missing.join(', ')}, which reach the same files around the rules; list all of ${family.join(', ')}`,
      });
    }
  }
  for (const name of brokered) {
    const effective = expanded.effective(name);
    if (!isAllowing(effective.action) || effective.conditional) {
      const at = pointer('zviz', 'broker', firstRule.get(name) ?? 0);
      problems.push({
        pointer: at,
        reason: `"${name}" is ${effective.conditional ? 'only allowed for some arguments' : `refused (${describeAction(effective)} at ${effective.pointer})`} by the seccomp rules, so broker rules cannot apply to all its calls; allow it without conditions`,
      });
    }
  }
  const execRefusal = everyExecRefused(zviz);
  if (brokered.has('execve') && execRefusal) {
    problems.push({
      pointer: execRefusal.pointer,
      reason: `refuses every execve (decision "${execRefusal.decision}"), and the sandbox starts the workload's command with execve, so no workload could start; allow the programs it may run (a rule with paths and decision "allow" or "log") before refusing the rest`,
    });
  }
  checkAddressed(expanded, firstRule, problems);
  const openRules = (zviz.broker ?? []).filter((r) =>
    r.syscalls.some((s) => (OPEN_SYSCALLS as readonly string[]).includes(s))
  );
  if (openRules.length > 0) {
    // Opens through io_uring never reach the broker: a way around refusals, and
    // a blind spot for `log` rules, whose whole point is to see every open.
    const refuses =
      openRules.some((r) => r.decision === 'deny' || r.decision === 'kill') ||
      zviz.defaultDecision === 'deny' ||
      zviz.defaultDecision === 'kill';
    const records = openRules.some((r) => r.decision === 'log') || zviz.defaultDecision === 'log';
    for (const name of DANGEROUS_OPEN_BYPASS) {
      const effective = expanded.effective(name);
      if (isAllowing(effective.action)) {
        (refuses || records ? problems : warnings).push({
          pointer: effective.pointer,
          reason: refuses
            ? `${name} is allowed while broker rules refuse opens: io_uring opens files without the syscalls the broker sees; refuse io_uring_setup (SCMP_ACT_ERRNO with errnoRet 38, ENOSYS, as Docker does)`
            : records
              ? `${name} is allowed while broker rules log opens: opens made through io_uring would not be recorded; refuse io_uring_setup (SCMP_ACT_ERRNO with errnoRet 38, ENOSYS, as Docker does)`
              : `${name} is allowed: opens made through io_uring are not seen by the broker`,
        });
      }
    }
  }
  const connectRules = (zviz.broker ?? []).filter((r) => r.syscalls.includes('connect'));
  const connectRefuses =
    connectRules.some((r) => r.decision === 'deny' || r.decision === 'kill') ||
    (connectRules.length > 0 && (zviz.defaultDecision === 'deny' || zviz.defaultDecision === 'kill'));
  if (connectRefuses) {
    const effective = expanded.effective('io_uring_setup');
    if (isAllowing(effective.action)) {
      problems.push({
        pointer: effective.pointer,
        reason:
          'io_uring_setup is allowed while broker rules refuse connections: io_uring connects and sends without the syscalls the broker sees; refuse io_uring_setup',
      });
    }
  }
  return brokered;
}

/**
 * Where the broker rules refuse every execve: a rule without paths that
 * denies or kills comes before any rule that could allow one (or, with no
 * such rule, the default decision refuses). Undefined when some execve can pass.
 */
function everyExecRefused(zviz: NonNullable<Profile['zviz']>): { pointer: string; decision: string } | undefined {
  const rules = zviz.broker ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule.syscalls.includes('execve')) {
      continue;
    }
    if (rule.decision === 'allow' || rule.decision === 'log') {
      return undefined;
    }
    if (!rule.paths) {
      return { pointer: pointer('zviz', 'broker', i), decision: rule.decision };
    }
  }
  const fallback = zviz.defaultDecision ?? 'allow';
  return fallback === 'allow' || fallback === 'log'
    ? undefined
    : { pointer: '/zviz/defaultDecision', decision: fallback };
}

/**
 * Rules on connect judge every call that names a peer: sendto, sendmsg and
 * sendmmsg with an address, and the i386 socketcall forms. So those are not
 * named in rules of their own, and the seccomp part allows or refuses them
 * whatever their arguments (the filter then notifies them as needed).
 */
function checkAddressed(expanded: ExpandedProfile, firstRule: Map<string, number>, problems: Problem[]): void {
  for (const name of ADDRESSED_SYSCALLS) {
    const index = firstRule.get(name);
    if (index !== undefined) {
      problems.push({
        pointer: pointer('zviz', 'broker', index, 'syscalls'),
        reason: `"${name}" is judged by the rules on connect whenever it carries an address; name connect instead`,
      });
    }
  }
  const connect = firstRule.get('connect');
  if (connect === undefined) {
    return;
  }
  const x86 = expanded.architectures.includes('SCMP_ARCH_X86');
  for (const name of ADDRESSED_SYSCALLS) {
    if (name === 'socketcall' && !x86) {
      continue; // only the i386 ABI has it
    }
    const effective = expanded.effective(name);
    if (effective.conditional || effective.action === 'SCMP_ACT_LOG' || effective.action === 'SCMP_ACT_NOTIFY') {
      problems.push({
        pointer: effective.pointer,
        reason: `"${name}" ${effective.conditional ? 'is allowed only for some arguments' : `gets ${effective.action}`}, but the rules on connect (${pointer('zviz', 'broker', connect)}) judge every call of it that carries an address; allow or refuse it without conditions`,
      });
    }
  }
}

/** The workload hands its listener over with write and read, and may exit before execve. */
function checkBootstrap(expanded: ExpandedProfile, brokered: Set<string>, audit: boolean, problems: Problem[]): void {
  for (const name of BOOTSTRAP_SYSCALLS) {
    const effective = expanded.effective(name);
    const ok = effective.action === 'SCMP_ACT_ALLOW' || (!audit && effective.action === 'SCMP_ACT_LOG');
    if (!ok || effective.conditional || brokered.has(name)) {
      problems.push({
        pointer: brokered.has(name) ? '/zviz/broker' : effective.pointer,
        reason: `"${name}" must be allowed without conditions or brokering: the sandbox calls it between installing the filter and starting the workload${audit && effective.action === 'SCMP_ACT_LOG' ? ' (with zviz.audit on, SCMP_ACT_LOG goes to the broker, which is not listening yet)' : ''}`,
      });
    }
  }
  for (const name of EXEC_SYSCALLS.slice(0, 1)) {
    const effective = expanded.effective(name);
    if (!isAllowing(effective.action) || effective.conditional) {
      problems.push({ pointer: effective.pointer, reason: `"${name}" must be allowed: no workload could start` });
    }
  }
}

/** Where host services listen on unix sockets (docker.sock, the journal, D-Bus, ...). */
const HOST_SOCKET_DIRS = ['/run', '/var/run'];

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

function checkFilesystem(profile: Profile, problems: Problem[], warnings: Problem[]): void {
  const fs = profile.zviz?.filesystem;
  if (!fs) {
    return;
  }
  const allowList = fs.view === 'allow-list';
  const seen = new Map<string, string>();
  for (const key of ['readOnly', 'writable', 'tmpfs'] as const) {
    fs[key]?.forEach((p, i) => {
      const at = pointer('zviz', 'filesystem', key, i);
      const why = checkPathPrefix(p);
      if (why || p.endsWith(':')) {
        problems.push({ pointer: at, reason: why ?? `"${p}" is not a path` });
        return;
      }
      const path = p.length > 1 ? p.replace(/\/+$/, '') : p;
      const earlier = seen.get(path);
      if (earlier) {
        problems.push({ pointer: at, reason: `"${p}" is listed already at ${earlier}; give each path one kind` });
      }
      seen.set(path, at);
      if (key === 'tmpfs' && path === '/') {
        problems.push({
          pointer: at,
          reason: 'a tmpfs cannot replace the root; use "view": "allow-list" to start from nothing',
        });
      }
      if (key === 'writable' && path === '/') {
        problems.push({
          pointer: at,
          reason: 'makes the whole host writable again; list the paths to open up, or leave readOnly without "/"',
        });
      }
      if (!allowList) {
        return;
      }
      if (path === '/') {
        problems.push({
          pointer: at,
          reason:
            'the allow-list view starts empty and "/" would bring the whole host back; list the directories the workload needs, or use "view": "host"',
        });
      }
      const provided = ALLOW_LIST_VIEW_MOUNTS.find((dir) => under(path, dir));
      if (provided) {
        problems.push({
          pointer: at,
          reason: `the allow-list view has ${provided} of its own (${provided === '/proc' ? "the container's processes only" : 'null, zero, full, random, urandom, tty, a private pts and shm'}); it cannot be listed`,
        });
      }
      const sockets = HOST_SOCKET_DIRS.find((dir) => under(path, dir) || under(dir, path));
      if (sockets && key !== 'tmpfs') {
        warnings.push({
          pointer: at,
          reason: `${sockets} holds the host's service sockets (the container runtime's, the journal's, D-Bus): a workload that can reach them can talk to those services`,
        });
      }
    });
  }
  // A host view with a /run of its own (ci-runner's) hides the file /etc/resolv.conf links to on
  // nodes with systemd-resolved, resolvconf or NetworkManager, unless the profile keeps it.
  const ownRun = (fs.tmpfs ?? []).findIndex((p) => HOST_SOCKET_DIRS.includes(p.replace(/(.)\/+$/, '$1')));
  const keepsResolver = [...(fs.readOnly ?? []), ...(fs.writable ?? [])].some(
    (p) => p === '/etc/resolv.conf' || p.replace(/(.)\/+$/, '$1') === '/etc'
  );
  if (!allowList && ownRun >= 0 && !keepsResolver) {
    warnings.push({
      pointer: pointer('zviz', 'filesystem', 'tmpfs', ownRun),
      reason:
        'an empty /run hides the node\'s resolver file, where /etc/resolv.conf leads on nodes with systemd-resolved, resolvconf or NetworkManager: names will not resolve there; list "/etc/resolv.conf" under readOnly, and the view binds the one file it leads to (docs/profiles.md, "/run")',
    });
  }
  if (allowList && (fs.readOnly ?? []).length + (fs.writable ?? []).length === 0) {
    problems.push({
      pointer: pointer('zviz', 'filesystem'),
      reason:
        'an allow-list view with no readOnly or writable path holds no program to run; list at least the directories of the workload and its libraries',
    });
  }
}
