// The code a starting container runs between clone3 and execve is a copy of
// the threaded agent made behind glibc's back: a call that takes a lock or
// allocates can wait for ever on a lock another agent thread held at the
// clone (agent/native/src/broker/spawn_child.h). That code lives in the
// files of namespace zviz::broker::child, so its rule can be checked where it
// matters, on the compiled objects: every function they call from outside is
// one of theirs, SendWithFds, or a libc function that is async-signal-safe
// (signal-safety(7)) or a wrapper of one system call. A call to malloc, new,
// printf or a mutex, written or pulled in by a header, fails here.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { binary, describeWhere, file } from '@zviz/test-support/requirements';

import { REPO } from './import-graph';

const SOURCES = join(REPO, 'agent/native/src/broker');
const OBJECTS = join(REPO, 'agent/build/Release/obj.target/zviz_broker/native/src/broker');
const CHILD_NAMESPACE = 'namespace zviz::broker::child {';

/** Mangled prefixes of the broker functions a child may call: its own, and the one sendmsg of fdpass.h. */
const OWN = ['_ZN4zviz6broker5child', '_ZN4zviz6broker11SendWithFds'];

const LIBC = new Set([
  // Async-signal-safe in POSIX (signal-safety(7)); *64 are glibc's large-file names of the same calls.
  '_exit',
  'chdir',
  'close',
  'execve',
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
  'setsid',
  'sigaction',
  'sigemptyset',
  'sigprocmask',
  'socket',
  'stat64',
  'strlen',
  'symlink',
  'write',
  // Linux calls glibc wraps as one system call, with no lock and no allocation.
  'dup3',
  'ioctl',
  'mount',
  'pipe2',
  'prctl',
  'setrlimit64',
  'syscall',
  'umount2',
  'unshare',
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
  [binary('nm', 'binutils'), file(join(OBJECTS, 'spawn.o'), 'needs the broker addon built (npm run build)')],
  'the code between clone3 and execve',
  () => {
    it('is where spawn_child.h says: the first process, the init, the workload, namespaces and views', () => {
      expect(childSources()).toEqual(
        expect.arrayContaining([
          'spawn_allow_list_view.cc',
          'spawn_first_process.cc',
          'spawn_host_view.cc',
          'spawn_init.cc',
          'spawn_namespaces.cc',
          'spawn_seccomp.cc',
          'spawn_workload.cc',
        ])
      );
      // The agent's side allocates, and says so by staying out of the namespace.
      expect(childSources()).not.toContain('spawn.cc');
      expect(childSources()).not.toContain('spawn_bootstrap.cc');
    });

    it('calls nothing that allocates or locks', () => {
      const found: Record<string, string[]> = {};
      for (const source of childSources()) {
        const forbidden = forbiddenCalls(undefinedSymbols(join(OBJECTS, source.replace(/\.cc$/, '.o'))));
        if (forbidden.length > 0) {
          found[source] = forbidden;
        }
      }
      expect(found).toEqual({});
    });

    it('sees the calls it judges', () => {
      // The check reads real objects: the workload's file calls execve, the init's kill.
      expect(undefinedSymbols(join(OBJECTS, 'spawn_seccomp.o'))).toContain('execve');
      expect(undefinedSymbols(join(OBJECTS, 'spawn_init.o'))).toContain('kill');
      // And the agent's side, which allocates, would fail it.
      expect(forbiddenCalls(undefinedSymbols(join(OBJECTS, 'spawn.o')))).toContain('_Znwm');
    });
  }
);
