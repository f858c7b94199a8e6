// Refusals a program recovers from by itself, and that a default profile
// makes on purpose: counted apart (natively, on the refusal path) so the end
// of `zviz run` says them apart from refusals a user should look at. The
// decisions stay what they are in the metrics, the events and the audit log.
import { errnoNumber } from '../profiles/errno';

export interface KnownFallback {
  syscall: string;
  /** Only a refusal with this errno (a program falls back only on it). */
  errno?: string;
  /** connect only: the exact address, as events show it. */
  address?: string;
  /** Why it is harmless, in a few words for the summary line. */
  why: string;
}

export const KNOWN_FALLBACKS: readonly KnownFallback[] = [
  // glibc 2.34+ creates threads with clone3 and retries with clone on ENOSYS;
  // clone3's flags live in memory, which a seccomp filter cannot check.
  { syscall: 'clone3', errno: 'ENOSYS', why: 'glibc retries with clone' },
  // glibc's NSS asks the nscd daemon first and reads the files when it cannot reach it.
  { syscall: 'connect', address: 'unix:/var/run/nscd/socket', why: 'NSS tries nscd, then reads the files' },
  { syscall: 'connect', address: 'unix:/run/nscd/socket', why: 'NSS tries nscd, then reads the files' },
];

/** What the addon takes: errno names as numbers. */
export function nativeExpectedRefusals(): Array<{ syscall: string; errno?: number; address?: string }> {
  return KNOWN_FALLBACKS.map((f) => ({
    syscall: f.syscall,
    ...(f.errno ? { errno: errnoNumber(f.errno) } : {}),
    ...(f.address ? { address: f.address } : {}),
  }));
}

/** The reasons for a syscall's expected refusals, for the summary line. */
export function fallbackReason(syscall: string): string | undefined {
  return KNOWN_FALLBACKS.find((f) => f.syscall === syscall)?.why;
}
