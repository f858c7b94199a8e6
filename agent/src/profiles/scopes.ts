// The Landlock scopes a profile asks for (`zviz.scope`; docs/profiles.md):
// which of them the container's first process puts in its domain
// (agent/native/src/spawn/landlock_domain.cc) on this kernel, and what the
// user is told where the kernel lacks them (docs/security.md, "Landlock
// scopes"). Scopes came with Landlock ABI 6 (Linux 6.12).
import type { Profile, ScopeMode } from './schema';
import { pointer, type Problem } from './problems';

/** The first Landlock ABI with LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET and LANDLOCK_SCOPE_SIGNAL. */
export const SCOPES_ABI = 6;

/** A profile without the key (or without one scope of it) gets each scope where the kernel has it. */
export const DEFAULT_SCOPE_MODE: ScopeMode = 'best-effort';

export const SCOPE_NAMES = ['abstractUnixSockets', 'signals'] as const;
export type ScopeName = (typeof SCOPE_NAMES)[number];

/** What each scope keeps from the workload, for the messages of a kernel without it. */
const WHAT_IT_KEEPS: Record<ScopeName, string> = {
  abstractUnixSockets: "the node's abstract unix sockets (where the container shares the node's network)",
  signals: "signals to the node's processes (with --pid host)",
};

/** The scopes the container's domain gets: the first process's plan (SpawnOptions.scopes). */
export type Scopes = Record<ScopeName, boolean>;

export interface ScopePlan {
  scopes: Scopes;
  /** A scope the profile requires and this kernel lacks: the profile cannot be used here. */
  problems: Problem[];
  /** Scopes asked for best-effort that this kernel lacks: the container runs without them. */
  warnings: Problem[];
}

function abiText(landlockAbi: number): string {
  return landlockAbi < 1
    ? 'this kernel has no Landlock (before Linux 5.13, or the LSM is not enabled at boot: lsm=...,landlock)'
    : `this kernel offers Landlock ABI ${landlockAbi}`;
}

export function planScopes(zviz: Profile['zviz'], landlockAbi: number): ScopePlan {
  const scopes: Scopes = { abstractUnixSockets: false, signals: false };
  const problems: Problem[] = [];
  const unscoped: ScopeName[] = [];
  for (const name of SCOPE_NAMES) {
    const mode = zviz?.scope?.[name] ?? DEFAULT_SCOPE_MODE;
    if (mode === 'off') {
      continue;
    }
    if (landlockAbi >= SCOPES_ABI) {
      scopes[name] = true;
    } else if (mode === 'required') {
      problems.push({
        pointer: pointer('zviz', 'scope', name),
        reason:
          `"required" needs Landlock ABI ${SCOPES_ABI} (Linux 6.12) and ${abiText(landlockAbi)}: ` +
          `no container starts with this profile here. Use "best-effort" to run without ${WHAT_IT_KEEPS[name]} kept from the workload`,
      });
    } else {
      unscoped.push(name);
    }
  }
  const warnings: Problem[] =
    unscoped.length === 0
      ? []
      : [
          {
            pointer: pointer('zviz', 'scope'),
            reason:
              `${abiText(landlockAbi)}, before ${SCOPES_ABI} (Linux 6.12): containers run without the scopes ` +
              `${unscoped.join(' and ')}, so ${unscoped.map((n) => WHAT_IT_KEEPS[n]).join(' and ')} ` +
              `are not kept from the workload ("required" refuses to start instead)`,
          },
        ];
  return { scopes, problems, warnings };
}

/** Whether a warning of the profile's load is planScopes' (zviz run and the agent repeat it at each start). */
export function isScopeWarning(problem: Problem): boolean {
  return problem.pointer === pointer('zviz', 'scope');
}
