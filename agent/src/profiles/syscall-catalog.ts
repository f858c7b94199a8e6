// What the profile checks know of syscalls: which names the kernel and
// libseccomp have (through the broker addon), and the nearest one to a name
// that is not, for "did you mean".
import { distance } from 'fastest-levenshtein';

import type { BrokerAddon } from '../native/broker-addon';

export interface SyscallCatalog {
  known(name: string): boolean;
  names(): readonly string[];
}

export function syscallCatalog(addon: BrokerAddon): SyscallCatalog {
  let names: readonly string[] | undefined;
  return {
    known: (name) => {
      const info = addon.syscallInfo(name);
      return info.libseccomp || info.newer;
    },
    names: () => (names ??= addon.syscallNames()),
  };
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - name.length) > 2) {
      continue;
    }
    const d = distance(name, c);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return bestScore <= 2 ? best : undefined;
}

export function unknownSyscall(name: string, catalog: SyscallCatalog): string {
  const suggestion = closest(name, catalog.names());
  return `unknown syscall "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
}
