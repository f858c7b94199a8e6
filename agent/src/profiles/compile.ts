// The last step of loading a profile (profile.ts): from the profile as it
// applies on this host (expand.ts) to what the addon runs for one container:
// the seccomp rules for libseccomp (brokered syscalls turned into
// notifications), the broker's rules with `${workspace}` filled in, the
// capability set and the mount plan.
import type {
  FilesystemPlan,
  MountStep,
  NativeAction,
  NativeFilterPlan,
  NativePolicy,
  NativeSeccompRule,
} from '../native/broker-addon';
import { capabilityMask, DEFAULT_CAPABILITIES } from './capabilities';
import { nativeNetworks, parseAddress } from './addresses';
import { errnoNumber } from './errno';
import type { ExpandedProfile } from './expand';
import { ALLOW_LIST_VIEW_MOUNTS, expandPathPrefix, PSEUDO_PREFIXES } from './paths';
import { pointer } from './problems';
import type { NetworkMode, PidMode, Profile, SeccompAction } from './schema';
import { isAllowing } from './check';
import { planScopes, type Scopes } from './scopes';
import {
  ADDRESSED_SYSCALLS,
  CLONE3,
  F_SETLEASE,
  F_UNLCK,
  FCNTL_SYSCALLS,
  IOCTL_SYSCALLS,
  LANDLOCK_SYSCALLS,
  OPEN_SYSCALLS,
  PRLIMIT_SYSCALLS,
  NAMESPACE_SYSCALLS,
  CLONE_NEWCGROUP,
  TIOCSETD,
  UMASK,
} from './syscall-families';

const EPERM = 1;
const EINVAL = 22;
const ENOSYS = 38;
const EOPNOTSUPP = 95;

// Open flags (the same on x86_64, x86 and the generic ABI).
const O_ACCMODE = 0o3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_TMPFILE_BIT = 0o20000000;
/** Which argument holds the flags, for the opens whose flags are a register. */
const FLAGS_ARG: Readonly<Record<string, number>> = { open: 1, openat: 2 };

/**
 * A read (no write access, O_CREAT, O_TRUNC or O_TMPFILE: the broker's "read"
 * class) is `flags & READ_MASK == 0`; its complement is covered by one
 * masked comparison per bit group, so the two sets of rules never overlap.
 */
const READ_MASK = O_ACCMODE | O_CREAT | O_TRUNC | O_TMPFILE_BIT;
const WRITE_MATCHES: ReadonlyArray<[number, number]> = [
  [O_ACCMODE, 1],
  [O_ACCMODE, 2],
  [O_ACCMODE, 3],
  [O_CREAT, O_CREAT],
  [O_TRUNC, O_TRUNC],
  [O_TMPFILE_BIT, O_TMPFILE_BIT],
];

/** What the broker rules decide for reads of `syscall` when that does not depend on the path. */
function fixedReadDecision(zviz: NonNullable<Profile['zviz']>, syscall: string): string | undefined {
  for (const rule of zviz.broker ?? []) {
    const access = rule.access ?? 'any';
    if (!rule.syscalls.includes(syscall) || access === 'write') {
      continue;
    }
    return rule.paths || rule.addresses ? undefined : rule.decision;
  }
  return zviz.defaultDecision ?? 'allow';
}

function within(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`) || (dir.endsWith(':') && path.startsWith(dir));
}

/** The broker's decision for a read of `path` by `syscall`: its first rule that matches, or the default. */
function readDecisionOf(zviz: NonNullable<Profile['zviz']>, syscall: string, path: string, workspace: string): string {
  for (const rule of zviz.broker ?? []) {
    if (!rule.syscalls.includes(syscall) || rule.access === 'write') {
      continue;
    }
    if (!rule.paths || rule.paths.some((p) => within(path, expandPathPrefix(p, workspace)))) {
      return rule.decision;
    }
  }
  return zviz.defaultDecision ?? 'allow';
}

/** Which of the kernel or the broker decides the reads of `open` and `openat`, and why. */
export interface ReadsDecision {
  /**
   * `flags`: the rules allow every read, the filter lets the kernel make them;
   * `view`: the filter lets the kernel make them, the view and its Landlock
   * domain decide; `broker`: notified, the broker emulates them.
   */
  by: 'flags' | 'view' | 'broker';
  why: string;
}

/**
 * Whether the allow-list view decides the reads of `syscall` exactly as the
 * broker's rules would, so that the filter may let the kernel make them
 * (docs/security.md, "Emulated opens"): every path the view shows (its
 * mounts, /proc and /dev) is read-allowed by the rules, with no rule that
 * refuses or logs a path inside one, and the objects Landlock does not
 * check (pipes, sockets, anonymous inodes) are allowed too. A path the view
 * does not show is missing for the kernel (ENOENT) and refused by the rules.
 * The directories the view makes to hold its mounts (`/`, the workspace's
 * parents, `/etc` under strict) are the view's own, hold nothing but those
 * mounts, and are refused for reading by the Landlock domain (EACCES): never
 * more than the rules allow. Needs Landlock, which closes the magic links
 * (`/proc/self/fd/N` of an object outside the view) that a kernel open
 * would follow (agent/native/src/spawn/view_reads.cc).
 */
export function viewDecidesReads(
  zviz: NonNullable<Profile['zviz']>,
  syscall: string,
  plan: FilesystemPlan,
  workspace: string,
  landlockAbi: number
): ReadsDecision {
  if (plan.view !== 'allow-list') {
    return { by: 'broker', why: "the view is the host's: only the rules tell what a read may open" };
  }
  if (landlockAbi < 1) {
    return {
      by: 'broker',
      why: 'this kernel has no Landlock (before 5.13, or the LSM is off), which would keep kernel reads from following magic links out of the view',
    };
  }
  const mounts = [
    ...plan.mounts
      .filter((m) => m.kind === 'readOnly' || m.kind === 'writable' || m.kind === 'tmpfs')
      .map((m) => m.path),
    ...ALLOW_LIST_VIEW_MOUNTS,
  ];
  const rulePaths = (zviz.broker ?? [])
    .filter((rule) => rule.syscalls.includes(syscall) && rule.access !== 'write')
    .flatMap((rule) => (rule.paths ?? []).map((p) => expandPathPrefix(p, workspace)));
  for (const mount of mounts) {
    const decision = readDecisionOf(zviz, syscall, mount, workspace);
    if (decision !== 'allow') {
      return { by: 'broker', why: `the view shows ${mount}, whose reads the rules ${decision}` };
    }
    for (const inside of rulePaths.filter((p) => p.startsWith('/') && p !== mount && within(p, mount))) {
      const carved = readDecisionOf(zviz, syscall, inside, workspace);
      if (carved !== 'allow') {
        return { by: 'broker', why: `the view shows ${inside} (in ${mount}), whose reads the rules ${carved}` };
      }
    }
  }
  // Objects without a path, reached through the workload's own descriptors
  // (/proc/self/fd/N): Landlock does not check them (internal file systems),
  // so the rules must allow them too.
  for (const pseudo of PSEUDO_PREFIXES) {
    const decision = readDecisionOf(zviz, syscall, pseudo, workspace);
    if (decision !== 'allow') {
      return { by: 'broker', why: `the rules ${decision} reads of ${pseudo}, which Landlock does not check` };
    }
  }
  return { by: 'view', why: 'every path the view shows is one the rules let it read' };
}

/**
 * The directories the allow-list view makes to hold its mounts (`/`, `/etc`,
 * the workspace's parents) whose listing the rules allow: the view-reads
 * domain lets them be read as directories (view_reads.cc). They lie on the
 * view's own fresh tmpfs and hold nothing but mount points, so a rule on one
 * reaches nothing of the node. A directory is left out (listing refused,
 * EACCES) where the rules refuse it or any view-made directory below it,
 * since a Landlock rule holds for everything beneath.
 */
export function viewReadDirs(zviz: NonNullable<Profile['zviz']>, plan: FilesystemPlan, workspace: string): string[] {
  const mounts = [
    ...plan.mounts
      .filter((m) => m.kind === 'readOnly' || m.kind === 'writable' || m.kind === 'tmpfs')
      .map((m) => m.path),
    ...ALLOW_LIST_VIEW_MOUNTS,
  ];
  const made = new Set<string>();
  for (const mount of mounts) {
    for (let dir = parentOf(mount); ; dir = parentOf(dir)) {
      if (!mounts.some((m) => m !== dir && within(dir, m))) {
        made.add(dir);
      }
      if (dir === '/') {
        break;
      }
    }
  }
  const allowed = (dir: string) =>
    Object.keys(FLAGS_ARG).every((syscall) => readDecisionOf(zviz, syscall, dir, workspace) === 'allow');
  return [...made].filter((dir) => [...made].filter((other) => within(other, dir)).every(allowed)).sort();
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

/** Options of the host the profile is compiled for. */
export interface CompileHost {
  /** The running kernel's Landlock ABI (addon.landlockAbi()); 0 or absent: none, reads stay the broker's. */
  landlockAbi?: number;
}

export interface CompiledProfile {
  name: string;
  filter: NativeFilterPlan;
  policy: NativePolicy;
  /** Bitmask (decimal string) of the capabilities the workload keeps. */
  capabilities: string;
  capabilityNames: readonly string[];
  filesystem: FilesystemPlan;
  pid: PidMode;
  network: NetworkMode;
  /** Syscalls the broker sees for every call (by rule or SCMP_ACT_NOTIFY). */
  brokered: readonly string[];
  /** Who decides the reads of `open` and `openat` where rules by path would notify them (viewDecidesReads). */
  reads: ReadsDecision;
  /** The filter lets the kernel make reads the view decides: the first process must restrict reads to the view. */
  viewReads: boolean;
  /** With viewReads: the view's own directories whose listing the rules allow (viewReadDirs). */
  viewReadDirs: string[];
  /** The Landlock scopes of the container's domain on this kernel (scopes.ts). */
  scopes: Scopes;
}

export function nativeAction(
  action: SeccompAction,
  errnoRet: number | undefined,
  defaultErrno: number | undefined
): NativeAction {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return { type: 'allow' };
    case 'SCMP_ACT_ERRNO':
      return { type: 'errno', errno: errnoRet ?? defaultErrno ?? EPERM };
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return { type: 'kill_thread' };
    case 'SCMP_ACT_KILL_PROCESS':
      return { type: 'kill_process' };
    case 'SCMP_ACT_TRAP':
      return { type: 'trap' };
    case 'SCMP_ACT_LOG':
      return { type: 'log' };
    case 'SCMP_ACT_NOTIFY':
      return { type: 'notify' };
    case 'SCMP_ACT_TRACE':
      throw new Error('SCMP_ACT_TRACE is not supported');
  }
}

function scmpToLibseccomp(arch: string): string {
  return arch.replace(/^SCMP_ARCH_/, '').toLowerCase();
}

function decimal(value: number | string): string {
  return BigInt(value).toString();
}

const LOW_32_BITS = 0xffffffff;

/**
 * The rules that refuse one command of a syscall whose command is a register
 * (argument `index`), where the profile allows the syscall (`allowed`): the
 * command refused by `refusal` (its extra conditions narrow it), every other
 * call `allowed`. The kernel reads the command as an unsigned int, so "the
 * command is C" is a comparison of its low 32 bits, and its complement (no
 * single comparison says "not equal" under a mask) is the union of one rule
 * per bit: C's own bit clear if it is set in C, or set if it is clear. The
 * rules do not overlap, so libseccomp's order between actions never matters.
 */
function commandRefusingRules(
  syscall: string,
  index: number,
  command: number,
  refusal: Array<{ action: NativeAction; args: NativeSeccompRule['args'] }>,
  allowed: NativeAction,
  at: string
): NativeSeccompRule[] {
  const masked = (mask: number, value: number) => ({
    index,
    op: 'SCMP_CMP_MASKED_EQ',
    value: String(mask),
    valueTwo: String(value),
  });
  const rules: NativeSeccompRule[] = refusal.map((r) => ({
    syscall,
    action: r.action,
    args: [masked(LOW_32_BITS, command), ...r.args],
    pointer: at,
  }));
  for (let bit = 0; bit < 32; bit++) {
    const mask = 2 ** bit;
    const otherCommands = (command & mask) !== 0 ? masked(mask, 0) : masked(mask, mask);
    rules.push({ syscall, action: allowed, args: [otherCommands], pointer: at });
  }
  return rules;
}

/** fcntl's F_SETLEASE refused with EINVAL, but with F_UNLCK (which takes nothing) `allowed` (syscall-families.ts). */
function leaseRefusingRules(syscall: string, allowed: NativeAction, at: string): NativeSeccompRule[] {
  const leaseType = (op: string) => ({ index: 2, op, value: String(F_UNLCK) });
  return commandRefusingRules(
    syscall,
    1,
    F_SETLEASE,
    [
      { action: { type: 'errno', errno: EINVAL }, args: [leaseType('SCMP_CMP_NE')] },
      { action: allowed, args: [leaseType('SCMP_CMP_EQ')] },
    ],
    allowed,
    at
  );
}

/** ioctl's TIOCSETD refused with EPERM (syscall-families.ts). */
function lineDisciplineRefusingRules(syscall: string, allowed: NativeAction, at: string): NativeSeccompRule[] {
  return commandRefusingRules(
    syscall,
    1,
    TIOCSETD,
    [{ action: { type: 'errno', errno: EPERM }, args: [] }],
    allowed,
    at
  );
}

/**
 * prlimit64 that sets another process's limits refused with EPERM
 * (syscall-families.ts): allowed with pid 0 (itself) or without a new limit
 * (a read); refused with both. The three rules do not overlap.
 */
function foreignLimitRefusingRules(syscall: string, allowed: NativeAction, at: string): NativeSeccompRule[] {
  const pid = (op: string) => ({ index: 0, op, value: '0' });
  const newLimit = (op: string) => ({ index: 2, op, value: '0' });
  return [
    { syscall, action: allowed, args: [pid('SCMP_CMP_EQ')], pointer: at },
    { syscall, action: allowed, args: [pid('SCMP_CMP_NE'), newLimit('SCMP_CMP_EQ')], pointer: at },
    {
      syscall,
      action: { type: 'errno', errno: EPERM },
      args: [pid('SCMP_CMP_NE'), newLimit('SCMP_CMP_NE')],
      pointer: at,
    },
  ];
}

/**
 * unshare and clone with CLONE_NEWCGROUP refused with EPERM, every other
 * call `allowed` (syscall-families.ts). The two rules do not overlap.
 */
function cgroupNamespaceRefusingRules(syscall: string, allowed: NativeAction, at: string): NativeSeccompRule[] {
  const newCgroup = (value: number) => ({
    index: 0,
    op: 'SCMP_CMP_MASKED_EQ',
    value: String(CLONE_NEWCGROUP),
    valueTwo: String(value),
  });
  return [
    { syscall, action: { type: 'errno', errno: EPERM }, args: [newCgroup(CLONE_NEWCGROUP)], pointer: at },
    { syscall, action: allowed, args: [newCgroup(0)], pointer: at },
  ];
}

export function compileProfile(
  name: string,
  expanded: ExpandedProfile,
  workspace: string,
  host: CompileHost = {}
): CompiledProfile {
  const { profile, rules, architectures } = expanded;
  const zviz = profile.zviz ?? {};
  const filesystem = filesystemPlan(zviz.filesystem, workspace);
  const brokeredByRule = new Set((zviz.broker ?? []).flatMap((r) => r.syscalls));
  const defaultErrno = profile.defaultErrnoRet;
  // Rules on connect also judge the calls that carry a peer's address, where
  // the seccomp rules allow them (check.ts refuses conditional ones).
  const addressed = brokeredByRule.has('connect')
    ? ADDRESSED_SYSCALLS.filter((name) => expanded.effective(name).action === 'SCMP_ACT_ALLOW')
    : [];

  const nativeRules: NativeSeccompRule[] = [];
  // clone3 is refused whatever the rules allow (syscall-families.ts).
  const clone3 = expanded.effective(CLONE3);
  const refuseClone3 = isAllowing(clone3.action);
  if (refuseClone3) {
    nativeRules.push({ syscall: CLONE3, action: { type: 'errno', errno: ENOSYS }, args: [], pointer: clone3.pointer });
  }
  // Landlock is refused where the broker emulates opens (syscall-families.ts):
  // rules on opens that depend on the path or on the access.
  const emulatesOpens = (zviz.broker ?? []).some(
    (r) =>
      r.syscalls.some((s) => (OPEN_SYSCALLS as readonly string[]).includes(s)) &&
      (r.paths !== undefined || r.access !== undefined)
  );
  const refusedLandlock = new Set<string>();
  if (emulatesOpens) {
    for (const name of LANDLOCK_SYSCALLS) {
      const effective = expanded.effective(name);
      if (isAllowing(effective.action) && !brokeredByRule.has(name)) {
        refusedLandlock.add(name);
        nativeRules.push({
          syscall: name,
          action: { type: 'errno', errno: EOPNOTSUPP },
          args: [],
          pointer: effective.pointer,
        });
      }
    }
  }
  // umask(2) goes to the broker where it makes creates (umask_tracker.h in
  // agent/native/src/broker): the supervisor notes each call before it lets
  // it through, and so knows the umask an emulated create must apply without
  // reading /proc/<tid>/status. The native side trusts that knowledge only
  // when every umask call that could succeed is seen (umaskNotified).
  let umaskNotified = false;
  let trackUmask = false;
  if (emulatesOpens) {
    const umask = expanded.effective(UMASK);
    if (umask.conditional) {
      umaskNotified = false; // some calls may pass unseen: creates read /proc
    } else if (brokeredByRule.has(UMASK) || umask.action === 'SCMP_ACT_NOTIFY') {
      umaskNotified = true;
    } else if (umask.action === 'SCMP_ACT_ALLOW') {
      trackUmask = true;
      umaskNotified = true;
      nativeRules.push({ syscall: UMASK, action: { type: 'notify' }, args: [], pointer: umask.pointer });
    } else if (umask.action === 'SCMP_ACT_LOG') {
      umaskNotified = zviz.audit !== false; // audited: the broker answers it
    } else {
      umaskNotified = true; // refused: no umask ever changes
    }
  }
  // F_SETLEASE is refused (syscall-families.ts). libseccomp lets a rule
  // without conditions override conditional ones of the same syscall, so a
  // profile's rule that allows fcntl outright is replaced by rules that
  // allow every other command, and F_SETLEASE only with F_UNLCK.
  // ioctl's TIOCSETD likewise, prlimit64 of another process with a new
  // limit, and unshare and clone with CLONE_NEWCGROUP (syscall-families.ts).
  const commandGuarded = new Set<string>();
  const guards: Array<[readonly string[], typeof leaseRefusingRules]> = [
    [FCNTL_SYSCALLS, leaseRefusingRules],
    [IOCTL_SYSCALLS, lineDisciplineRefusingRules],
    [PRLIMIT_SYSCALLS, foreignLimitRefusingRules],
    [NAMESPACE_SYSCALLS, cgroupNamespaceRefusingRules],
  ];
  for (const [names, guard] of guards) {
    for (const name of names) {
      const effective = expanded.effective(name);
      if (!isAllowing(effective.action) || brokeredByRule.has(name)) {
        continue; // refused anyway, or brokered (check.ts refuses that)
      }
      commandGuarded.add(name);
      nativeRules.push(
        ...guard(name, nativeAction(effective.action, effective.errnoRet, defaultErrno), effective.pointer)
      );
    }
  }
  // Identical rules add nothing to the filter, and libseccomp takes time
  // quadratic in their number: each is passed once.
  const added = new Set<string>();
  for (const rule of rules) {
    if (brokeredByRule.has(rule.name) || (addressed as readonly string[]).includes(rule.name)) {
      continue; // replaced by one unconditional notification below
    }
    if (trackUmask && rule.name === UMASK) {
      continue; // notified above
    }
    if ((refuseClone3 && rule.name === CLONE3) || refusedLandlock.has(rule.name)) {
      continue; // refused above
    }
    if (commandGuarded.has(rule.name) && rule.args.length === 0) {
      continue; // replaced above
    }
    const native: NativeSeccompRule = {
      syscall: rule.name,
      action: nativeAction(rule.action, rule.errnoRet, defaultErrno),
      args: rule.args.map((a) => ({
        index: a.index,
        op: a.op,
        value: decimal(a.value),
        ...(a.valueTwo !== undefined ? { valueTwo: decimal(a.valueTwo) } : {}),
      })),
      pointer: rule.pointer,
    };
    const key = JSON.stringify([native.syscall, native.action, native.args]);
    if (!added.has(key)) {
      added.add(key);
      nativeRules.push(native);
    }
  }
  const notified = new Set<string>();
  let reads: ReadsDecision | undefined;
  let viewReads = false;
  (zviz.broker ?? []).forEach((rule, i) => {
    const at = pointer('zviz', 'broker', i);
    for (const syscall of rule.syscalls) {
      if (notified.has(syscall)) {
        continue;
      }
      notified.add(syscall);
      const flagsArg = FLAGS_ARG[syscall];
      const fixedDecision = flagsArg !== undefined ? fixedReadDecision(zviz, syscall) : undefined;
      let fixed = fixedDecision === 'allow';
      if (flagsArg !== undefined) {
        const decision: ReadsDecision =
          fixedDecision === undefined
            ? viewDecidesReads(zviz, syscall, filesystem, workspace, host.landlockAbi ?? 0)
            : fixed
              ? { by: 'flags', why: 'the rules allow reads whatever the path' }
              : { by: 'broker', why: `the rules ${fixedDecision} every read, whatever the path` };
        // The summary names the broker where either of open and openat keeps its reads.
        if (reads === undefined || decision.by === 'broker') {
          reads = decision;
        }
        if (decision.by === 'view') {
          fixed = viewReads = true;
        }
      }
      if (fixed) {
        // Reads the rules allow whatever the path, or that the view decides
        // as the rules would, never reach the broker: the filter tells them
        // apart by their flags (a register) and allows them in the kernel.
        // Everything else about this syscall is notified.
        const masked = (mask: number, value: number) => ({
          index: flagsArg,
          op: 'SCMP_CMP_MASKED_EQ',
          value: String(mask),
          valueTwo: String(value),
        });
        nativeRules.push({ syscall, action: { type: 'allow' }, args: [masked(READ_MASK, 0)], pointer: at });
        for (const [mask, value] of WRITE_MATCHES) {
          nativeRules.push({ syscall, action: { type: 'notify' }, args: [masked(mask, value)], pointer: at });
        }
      } else {
        nativeRules.push({ syscall, action: { type: 'notify' }, args: [], pointer: at });
      }
    }
  });

  const connectAt = pointer(
    'zviz',
    'broker',
    (zviz.broker ?? []).findIndex((r) => r.syscalls.includes('connect'))
  );
  for (const syscall of addressed) {
    if (syscall === 'sendto') {
      // The address is a register: sendto without one (send) stays in the kernel.
      const dest = (op: string) => ({ index: 4, op, value: '0' });
      nativeRules.push({ syscall, action: { type: 'allow' }, args: [dest('SCMP_CMP_EQ')], pointer: connectAt });
      nativeRules.push({ syscall, action: { type: 'notify' }, args: [dest('SCMP_CMP_NE')], pointer: connectAt });
    } else if (syscall === 'socketcall') {
      // libseccomp writes the rules of connect, sendto, sendmsg and sendmmsg
      // for the i386 ABI twice: for the syscall itself and for socketcall with
      // its call number (a register), so the notifications above cover both.
      // The profile's own rule for all of socketcall would take precedence and
      // is left out; the other socket calls keep the rules of their own names.
      continue;
    } else {
      // sendmsg, sendmmsg: the address is inside the message, in memory.
      nativeRules.push({ syscall, action: { type: 'notify' }, args: [], pointer: connectAt });
    }
  }

  const policy: NativePolicy = {
    rules: (zviz.broker ?? []).map((rule, index) => {
      const networks = [];
      const unixPaths = [];
      for (const text of rule.addresses ?? []) {
        const parsed = parseAddress(text);
        if ('error' in parsed) {
          throw new Error(`${pointer('zviz', 'broker', index)}: ${parsed.error}`);
        }
        if (parsed.kind === 'unix') {
          unixPaths.push(parsed.prefix);
        } else {
          networks.push(...nativeNetworks(parsed.network));
        }
      }
      return {
        syscalls: [...new Set(rule.syscalls)],
        access: rule.access ?? 'any',
        ...(rule.paths ? { paths: rule.paths.map((p) => expandPathPrefix(p, workspace)) } : {}),
        ...(networks.length > 0 ? { networks } : {}),
        ...(unixPaths.length > 0 ? { unixPaths } : {}),
        decision: rule.decision,
        ...(rule.decision === 'deny' ? { errno: errnoNumber(rule.errno ?? EPERM) ?? EPERM } : {}),
        index,
      };
    }),
    fallback: {
      decision: zviz.defaultDecision ?? 'allow',
      ...(zviz.defaultDecision === 'deny' ? { errno: errnoNumber(zviz.defaultErrno ?? EPERM) ?? EPERM } : {}),
    },
    umaskNotified,
  };
  if (trackUmask) {
    // Allowed as the profile says; index -1: no rule of the profile decided it.
    policy.rules.push({ syscalls: [UMASK], access: 'any', decision: 'allow', index: -1 });
  }

  const capabilityNames = zviz.capabilities ?? DEFAULT_CAPABILITIES;
  const brokered = new Set([
    ...brokeredByRule,
    ...addressed.filter((name) => name !== 'socketcall' || architectures.includes('SCMP_ARCH_X86')),
    ...rules.filter((r) => r.action === 'SCMP_ACT_NOTIFY').map((r) => r.name),
    ...(trackUmask ? [UMASK] : []),
  ]);
  return {
    name,
    filter: {
      defaultAction: nativeAction(profile.defaultAction, undefined, defaultErrno),
      architectures: architectures.map(scmpToLibseccomp),
      rules: nativeRules,
      audit: zviz.audit !== false,
    },
    policy,
    capabilities: capabilityMask(capabilityNames),
    capabilityNames,
    filesystem,
    pid: zviz.pid ?? 'private',
    network: zviz.network ?? 'host',
    brokered: [...brokered].sort(),
    reads: reads ?? { by: 'flags', why: 'no rule judges open or openat' },
    viewReads,
    viewReadDirs: viewReads ? viewReadDirs(zviz, filesystem, workspace) : [],
    scopes: planScopes(zviz, host.landlockAbi ?? 0).scopes,
  };
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}

/**
 * The view's steps with `${workspace}` filled in, parents first (a path
 * inside another is mounted after it, whatever its list), so that a
 * writable workspace inside a read-only tree or a tmpfs stays visible.
 */
export function filesystemPlan(fs: NonNullable<Profile['zviz']>['filesystem'], workspace: string): FilesystemPlan {
  const view = fs?.view ?? 'host';
  const mounts: MountStep[] = [];
  for (const kind of ['readOnly', 'writable', 'tmpfs'] as const) {
    for (const text of fs?.[kind] ?? []) {
      const path = expandPathPrefix(text, workspace);
      if (kind === 'tmpfs' && path === workspace) {
        continue; // run from /tmp itself: an empty tmpfs would hide the very directory the workload works in
      }
      mounts.push({ path, kind });
    }
  }
  for (const step of mounts) {
    // Only \${workspace} can be "/" here (check.ts refuses "/" itself where it matters).
    if (step.path === '/' && (view === 'allow-list' || step.kind !== 'readOnly')) {
      throw new Error(
        `the working directory is "/", and the profile's ${step.kind} \${workspace} would ${view === 'allow-list' ? 'put the whole host in its view' : 'make the whole host writable'}; run from the directory the workload works in (-w DIR)`
      );
    }
  }
  const ordered = mounts.map((step, index) => ({ step, index }));
  ordered.sort((a, b) => depth(a.step.path) - depth(b.step.path) || a.index - b.index);
  return { view, mounts: ordered.map((o) => o.step) };
}

export function profileDescription(profile: Profile): string | undefined {
  return profile.zviz?.description;
}
