// A container's first process runs in the agent's own memory from clone3
// until it executes zviz-spawn (agent/native/src/broker/spawn_launch.h):
// anything it wrote besides its stack, or any lock it took, would be the
// agent's. So that object may call nothing but raw system calls. zviz-spawn
// (agent/native/src/spawn/) then sets the container up in a process of its
// own and forks the workload with a raw clone3; its files, in namespace
// zviz::broker::child, keep to calls that are async-signal-safe
// (signal-safety(7)) or wrappers of one system call, so each step is one
// system call whose errno the step's report carries, and nothing in them
// depends on glibc's view of a process it did not fork itself. The rules are
// checked where they matter, on the compiled objects: a call to malloc, new,
// printf or a mutex, written or pulled in by a header, fails here.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { binary, describeWhere, file } from '@zviz/test-support/requirements';

import { REPO } from './import-graph';

const SOURCES = join(REPO, 'agent/native/src/spawn');
const OBJECTS = join(REPO, 'agent/build/Release/obj.target/zviz-spawn/native/src/spawn');
const LAUNCH = join(REPO, 'agent/build/Release/obj.target/zviz_broker/native/src/broker/spawn_launch.o');
const CHILD_NAMESPACE = 'namespace zviz::broker::child {';

/** What the launch (in the agent's memory) may call: the system call itself, and errno's address. */
const RAW = new Set(['syscall', '__errno_location', '__stack_chk_fail']);

/** Mangled prefixes of the broker functions a child may call: its own, and fdpass.h's sendmsg and allocation-free recvmsg. */
const OWN = ['_ZN4zviz6broker5child', '_ZN4zviz6broker11SendWithFds', '_ZN4zviz6broker18ReceiveWithFdsInto'];
/** fdpass.cc as zviz-spawn links it: those two functions must keep the rules too. */
const FDPASS = join(REPO, 'agent/build/Release/obj.target/zviz-spawn/native/src/broker/fdpass.o');

const LIBC = new Set([
  // Async-signal-safe in POSIX (signal-safety(7)); *64 are glibc's large-file names of the same calls.
  '_exit',
  'chdir',
  'close',
  'execve',
  'fchdir',
  'fcntl64',
  'fstat64',
  'getpid',
  'getppid',
  'kill',
  'lstat64',
  'memcpy',
  'memmove',
  'memset',
  'mkdir',
  'open64',
  'poll',
  'read',
  'rmdir',
  'sendmsg',
  'setsid',
  'sigaction',
  'sigemptyset',
  'sigprocmask',
  'socket',
  'stat64',
  'strcmp',
  'strlen',
  'symlink',
  'write',
  // Linux calls glibc wraps as one system call, with no lock and no allocation.
  'dup3',
  'getrlimit64',
  'ioctl',
  'mmap64',
  'mount',
  'pipe2',
  'prctl',
  'recvmsg',
  'sched_getscheduler',
  'sched_setscheduler',
  'setpriority',
  'setrlimit64',
  'syscall',
  'umount2',
  'unshare',
  // Reads of memory only.
  'memchr',
  'strncmp',
  // errno's address, SIGRTMIN's value (fixed at start-up) and the stack protector's abort.
  '__errno_location',
  '__libc_current_sigrtmin',
  '__stack_chk_fail',
]);

/** The symbols among `undefined` that a child may not call. */
function forbiddenCalls(undefinedSymbols: string[]): string[] {
  return undefinedSymbols.filter((symbol) => !LIBC.has(symbol) && !OWN.some((prefix) => symbol.startsWith(prefix)));
}

function childSources(): string[] {
  return readdirSync(SOURCES)
    .filter((name) => name.endsWith('.cc'))
    .filter((name) => readFileSync(join(SOURCES, name), 'utf8').includes(CHILD_NAMESPACE))
    .sort();
}

function undefinedSymbols(object: string): string[] {
  const out = execFileSync('nm', ['--undefined-only', '--format=posix', object], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[0]);
}

it('flags what may allocate or lock, and lets the safe calls through', () => {
  expect(
    forbiddenCalls([
      'write',
      '_ZN4zviz6broker5child4LiftEii',
      'malloc',
      '_Znwm',
      'printf',
      'pthread_mutex_lock',
      '_ZN4zviz6broker14ReceiveWithFdsEiPvmi',
    ])
  ).toEqual(['malloc', '_Znwm', 'printf', 'pthread_mutex_lock', '_ZN4zviz6broker14ReceiveWithFdsEiPvmi']);
});

describeWhere(
  [
    binary('nm', 'binutils'),
    file(join(OBJECTS, 'main.o'), 'needs the broker addon and zviz-spawn built (npm run build)'),
  ],
  'the code between clone3 and execve',
  () => {
    it("runs nothing but system calls in the agent's memory, from clone3 to the execve of zviz-spawn", () => {
      const calls = undefinedSymbols(LAUNCH);
      expect(calls).toContain('syscall');
      expect(calls.filter((symbol) => !RAW.has(symbol))).toEqual([]);
    });

    it('is where spawn/child.h says: the plan, the first process, the init, the workload, namespaces and views', () => {
      expect(childSources()).toEqual(
        expect.arrayContaining([
          'allow_list_view.cc',
          'become_init.cc',
          'first_process.cc',
          'host_view.cc',
          'main.cc',
          'namespaces.cc',
          'seccomp.cc',
          'workload.cc',
        ])
      );
    });

    it('calls nothing that allocates or locks', () => {
      const found: Record<string, string[]> = {};
      for (const source of childSources()) {
        const forbidden = forbiddenCalls(undefinedSymbols(join(OBJECTS, source.replace(/\.cc$/, '.o'))));
        if (forbidden.length > 0) {
          found[source] = forbidden;
        }
      }
      const fdpass = forbiddenCalls(undefinedSymbols(FDPASS));
      if (fdpass.length > 0) {
        found['../broker/fdpass.cc'] = fdpass;
      }
      expect(found).toEqual({});
    });

    it('sees the calls it judges', () => {
      // The check reads real objects: the workload's file calls execve, the init's kill.
      expect(undefinedSymbols(join(OBJECTS, 'seccomp.o'))).toContain('execve');
      expect(undefinedSymbols(join(OBJECTS, 'become_init.o'))).toContain('kill');
      // And the agent's side, which allocates, would fail it.
      const agentSide = join(REPO, 'agent/build/Release/obj.target/zviz_broker/native/src/broker/spawn.o');
      expect(forbiddenCalls(undefinedSymbols(agentSide))).toContain('_Znwm');
    });
  }
);
