// Writes the built-in profiles (agent/profiles/*.json) from one description,
// so the four stay consistent. Run `node scripts/profiles.mjs` after changing
// this file; a test checks that the committed files match its output.
//
// Every built-in profile starts from the same list of syscalls ordinary
// programs use, refused by default with ENOSYS (38) so that libc falls back
// gracefully from syscalls newer than the list. Refused everywhere: what
// loads code into or reconfigures the kernel, what reaches other processes'
// memory, what creates namespaces or mounts, and io_uring (it opens files
// without syscalls the broker sees). adjtimex and clock_adjtime are allowed,
// as Docker allows them: the filter sees only the struct's address, but the
// kernel judges its own copy, and every change needs CAP_SYS_TIME in the
// node's user namespace, which no workload has (docs/security.md).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'profiles');

const COMMON = `
accept accept4 access adjtimex alarm arch_prctl bind brk cachestat capget capset chdir chmod chown
clock_adjtime clock_getres clock_gettime clock_nanosleep close close_range connect copy_file_range creat
dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_pwait2 epoll_wait eventfd eventfd2 execve execveat exit exit_group
faccessat faccessat2 fadvise64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl
fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex
futex_waitv futimesat get_robust_list getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups
getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit
getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_setup io_submit ioctl
ioprio_get ioprio_set kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lgetxattr
link linkat listen listxattr llistxattr lremovexattr lseek lsetxattr lstat madvise map_shadow_stack
membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap
modify_ldt mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap msgctl
msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep newfstatat open openat openat2 pause
pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll prctl pread64 preadv
preadv2 prlimit64 process_mrelease pselect6 pwrite64 pwritev pwritev2 read readahead readlink readlinkat
readv recvfrom recvmmsg recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall
rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
rt_sigtimedwait rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min sched_getaffinity
sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr
sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop sendfile
sendmmsg sendmsg sendto set_robust_list set_thread_area set_tid_address setfsgid setfsuid setgid setgroups
setitimer setpgid setpriority setregid setresgid setresuid setreuid setrlimit setsid setsockopt setuid
setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 socketpair splice stat statfs
statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete
timer_getoverrun timer_gettime timer_settime timerfd_create timerfd_gettime timerfd_settime times tkill
truncate umask uname unlink unlinkat utime utimensat utimes vfork vmsplice wait4 waitid write writev
`
  .trim()
  .split(/\s+/);

// 32-bit x86 and x32 names, for the `default` profile (which, like Docker's, covers those ABIs).
const COMPAT = `
_llseek _newselect chown32 fadvise64_64 fchown32 fcntl64 fstat64 fstatat64 fstatfs64 ftruncate64 getegid32
geteuid32 getgid32 getgroups32 getresgid32 getresuid32 getuid32 ipc lchown32 lstat64 mmap2 recv send
sendfile64 setfsgid32 setfsuid32 setgid32 setgroups32 setregid32 setresgid32 setresuid32 setreuid32
setuid32 sigpending sigprocmask sigreturn sigsuspend socketcall stat64 statfs64 truncate64
ugetrlimit waitpid clock_adjtime64 clock_gettime64 clock_getres_time64 clock_nanosleep_time64 futex_time64 ppoll_time64
pselect6_time64 recvmmsg_time64 rt_sigtimedwait_time64 sched_rr_get_interval_time64 semtimedop_time64
timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64 utimensat_time64 io_pgetevents_time64
mq_timedreceive_time64 mq_timedsend_time64 get_thread_area
`
  .trim()
  .split(/\s+/);

// Namespaces must not come through clone; clone3 hides its flags in memory,
// so it answers ENOSYS and libc falls back to clone.
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const PERSONALITIES = [0, 8, 0x20000, 0x20008, 0xffffffff];
const AF_VSOCK = 40;

function base({ compat }) {
  return [
    { names: [...COMMON, ...(compat ? COMPAT : [])].sort(), action: 'SCMP_ACT_ALLOW' },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      comment: 'threads and processes, no new namespaces',
    },
    {
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
      comment: 'flags live in memory; libc falls back to clone',
    },
    ...PERSONALITIES.map((value) => ({
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
    })),
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }],
      comment: 'every family but vsock (host-guest channels)',
    },
  ];
}

const ALL_ARCHES = [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }];
const NATIVE_ONLY = [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }];

const OPEN = ['open', 'openat', 'openat2', 'creat'];
const EXEC = ['execve', 'execveat'];

// Where a CI job writes: its workspace, the temporary directories, its own
// /run, and the objects it already holds (terminals, pipes, sockets reopened
// through /dev/stdout).
const CI_WRITABLE = ['${workspace}', '/tmp', '/var/tmp', '/dev/shm', '/run', '/var/run'];
// A job's temporary directories are its own (empty at the start, gone at the
// end), not the host's; so is its /run: the node's services listen there
// (/run/docker.sock is root on a Docker node, and systemd's, D-Bus's, podman's
// and session agents' sockets lie beside sockets nobody lists), and a
// read-only mount does not stop a connect (docs/security.md, "The node's
// /run"). /var/run is a link to /run on current distributions, a directory
// on old ones; /run/lock (and /var/lock) is where programs take their locks.
const CI_TMPFS = ['/tmp', '/var/tmp', '/dev/shm', '/run', '/var/run', '/run/lock'];
// What a job needs of the node's /run: the resolver's file, which
// /etc/resolv.conf links to on nodes with systemd-resolved, resolvconf or
// NetworkManager. The link is followed at each start and the one file it
// names is bound read-only into the job's /run; elsewhere the step leaves the
// node's file as it is, read-only like the rest.
const CI_FROM_NODE = ['/etc/resolv.conf'];
// The node's pods and containers, each hidden under an empty tmpfs of the
// job's own: other pods' volumes (their secrets, configmaps and service
// account tokens are tmpfs mounts under /var/lib/kubelet/pods) and other
// containers' root file systems, which a host view otherwise shows as root
// reads them (docs/security.md, "Mounts of the node"). Paths a node lacks are
// skipped. Their roots under /run/containerd are in the job's own /run, which
// shows none of the node's.
const NODE_WORKLOADS = ['/var/lib/kubelet', '/var/lib/containerd', '/var/lib/docker'];
const DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/pts', '/dev/ptmx', 'pipe:', 'socket:', 'anon_inode:'];

// What `strict` shows of the host (an allow-list: nothing else exists in its
// view): programs and libraries, and the files of /etc that programs read to
// start, none of which holds a secret. Paths a host lacks are left out.
// No /lib32 or /libx32: strict's filter is x86_64 only (i386 and x32 calls
// are killed), and every path the view shows lies under its read rules, so
// that the view decides its reads (agent/src/profiles/compile.ts,
// viewDecidesReads).
const STRICT_VIEW = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/etc/alternatives',
  '/etc/group',
  '/etc/host.conf',
  '/etc/hostname',
  '/etc/hosts',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/os-release',
  '/etc/passwd',
  '/etc/protocols',
  '/etc/services',
];

/**
 * Landlock scopes (docs/profiles.md, `scope`): no workload has business with
 * the node's abstract unix sockets or signalling the node's processes. Asked
 * best-effort, so a kernel before 6.12 still runs them, with a warning.
 */
const SCOPED = { abstractUnixSockets: 'best-effort', signals: 'best-effort' };

const profiles = {
  default: {
    zviz: {
      description:
        "Close to Docker's default profile: ordinary programs run, kernel and namespace administration is refused. " +
        'Refusals are answered by the broker, so they are counted and audited. /sys and /proc/sys are read-only. ' +
        "Not a file-system boundary: the workload sees and writes the host's tree as the node's root, the node's " +
        "service sockets under /run (docker.sock, systemd's, D-Bus's) included, and shares its network (not its " +
        'abstract unix sockets, where the kernel has Landlock scopes).',
      audit: true,
      scope: SCOPED,
      filesystem: { readOnly: ['/sys', '/proc/sys', '/proc/sysrq-trigger'] },
    },
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: ALL_ARCHES,
    syscalls: [...base({ compat: true }), { names: ['chroot'], action: 'SCMP_ACT_ALLOW' }],
  },
  'ci-runner': {
    zviz: {
      description:
        'For CI jobs: builds and tests run normally; writes outside the workspace and temporary directories are ' +
        'refused (by the broker for opens, by a read-only mount for everything else); /tmp, /var/tmp, /dev/shm ' +
        "and /run are the job's own: the node's service sockets under /run (docker.sock, systemd's, D-Bus's) are " +
        "not there, only the resolver's file /etc/resolv.conf links to; the node's pods and containers (their " +
        'volumes and secrets under /var/lib/kubelet, their root file systems under /var/lib/containerd and ' +
        "/var/lib/docker) are hidden under empty tmpfs; the network is the node's (not its abstract unix " +
        'sockets, where the kernel has Landlock scopes); every program started and every network connection is logged.',
      audit: true,
      scope: SCOPED,
      filesystem: {
        readOnly: ['/', ...CI_FROM_NODE],
        writable: ['${workspace}'],
        tmpfs: [...CI_TMPFS, ...NODE_WORKLOADS],
      },
      broker: [
        {
          syscalls: OPEN,
          access: 'write',
          paths: [...CI_WRITABLE, ...DEVICES],
          decision: 'allow',
          comment: 'the workspace, temporary directories and devices a build uses',
        },
        {
          syscalls: OPEN,
          access: 'write',
          decision: 'deny',
          errno: 'EACCES',
          comment: 'anything else: refused and audited',
        },
        { syscalls: EXEC, decision: 'log', comment: 'every program the job runs' },
        { syscalls: ['connect'], decision: 'log', comment: 'every connection the job makes' },
      ],
    },
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: NATIVE_ONLY,
    syscalls: base({ compat: false }),
  },
  strict: {
    zviz: {
      description:
        "For untrusted code: sees only the workspace, the system's programs and libraries and a minimal /etc; " +
        'writes only to the workspace and a private /tmp; programs only from system directories and the ' +
        'workspace; no network (only loopback).',
      audit: true,
      network: 'none',
      scope: SCOPED,
      filesystem: { view: 'allow-list', readOnly: STRICT_VIEW, writable: ['${workspace}'], tmpfs: ['/tmp'] },
      defaultDecision: 'deny',
      defaultErrno: 'EACCES',
      broker: [
        {
          syscalls: OPEN,
          paths: ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/sudoers.d', '/etc/ssh', '/root', '/var/log'],
          decision: 'deny',
          errno: 'EACCES',
          comment: 'secrets and other users',
        },
        {
          syscalls: OPEN,
          access: 'write',
          paths: ['${workspace}', '/tmp', '/dev/null', '/dev/pts', 'pipe:', 'socket:'],
          decision: 'allow',
        },
        {
          syscalls: OPEN,
          access: 'read',
          paths: [
            '${workspace}',
            '/tmp',
            '/usr',
            '/lib',
            '/lib64',
            '/bin',
            '/sbin',
            '/etc',
            '/proc',
            '/dev',
            'pipe:',
            'socket:',
            'anon_inode:',
          ],
          decision: 'allow',
        },
        { syscalls: EXEC, paths: ['/usr', '/bin', '/sbin', '/lib', '/lib64', '${workspace}'], decision: 'log' },
        { syscalls: ['connect'], decision: 'deny', errno: 'EACCES', comment: 'no network' },
      ],
    },
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: NATIVE_ONLY,
    syscalls: base({ compat: false }).filter((r) => !(r.names.length === 1 && r.names[0] === 'socket')),
  },
  observe: {
    zviz: {
      description:
        'Watch a workload without changing it: every open, program start and connection is logged, nothing is ' +
        'refused but io_uring (ENOSYS, as Docker refuses it), whose opens could not be seen, and clone3 (ENOSYS, ' +
        "as Docker refuses it; libc falls back to clone), whose CLONE_INTO_CGROUP would leave the container's " +
        'cgroup, and file leases (fcntl F_SETLEASE: EINVAL, as where leases are disabled), which would keep the ' +
        "node's opens of a file waiting, and the kernel's keyrings (ENOSYS, as Docker refuses them), which are " +
        "not namespaced: keys count against the node root's quota, and cgroup namespaces (unshare and clone with " +
        "CLONE_NEWCGROUP: EPERM), in which a user namespace's root could mount its container's cgroup writable " +
        "and raise its limits. An observation, not a boundary: the host's " +
        "tree as the node's root sees it, the node's service sockets under /run (docker.sock) included, and its network " +
        "(not its abstract unix sockets, where the kernel has Landlock scopes: a workload's own still work).",
      audit: true,
      scope: SCOPED,
      broker: [
        { syscalls: OPEN, decision: 'log' },
        { syscalls: EXEC, decision: 'log' },
        { syscalls: ['connect'], decision: 'log' },
      ],
    },
    defaultAction: 'SCMP_ACT_ALLOW',
    archMap: NATIVE_ONLY,
    syscalls: [
      {
        names: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 38,
        comment:
          "io_uring opens files in kernel workers, out of the broker's sight: refused with ENOSYS (as Docker's " +
          'default profile does), so that every open is observed',
      },
      {
        names: ['clone3'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 38,
        comment:
          "flags live in memory, and CLONE_INTO_CGROUP would start a process out of the container's cgroup: " +
          "refused with ENOSYS (as Docker's default profile does); libc falls back to clone, which the filter " +
          'sees whole',
      },
      {
        names: ['add_key', 'keyctl', 'request_key'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 38,
        comment:
          'keys are not namespaced: every key a uid-0 workload makes is charged to the node root, and ' +
          "request_key runs an upcall as the node root: refused with ENOSYS (as Docker's default profile does)",
      },
    ],
  },
};

// `strict` keeps local sockets only.
profiles.strict.syscalls.push({
  names: ['socket'],
  action: 'SCMP_ACT_ALLOW',
  args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
  comment: 'AF_UNIX only',
});

export function render(name) {
  const { zviz, ...seccomp } = profiles[name];
  return `${JSON.stringify({ ...seccomp, zviz }, null, 2)}\n`;
}

export const NAMES = Object.keys(profiles);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of NAMES) {
    writeFileSync(join(out, `${name}.json`), render(name));
  }
  console.log(`wrote ${NAMES.map((n) => `profiles/${n}.json`).join(', ')}`);
}
