// Loading a profile for use: read, validate, and compile once with
// libseccomp (through the addon) so that a profile that libseccomp refuses is
// reported before any workload is started with it.
import type { BrokerAddon } from '../native/broker-addon';
import { compileProfile, type CompiledProfile } from './compile';
import { readProfile, type ProfileText } from './load';
import { ProfileError, type Problem } from './problems';
import { validateProfile, type SyscallCatalog, type Validated } from './validate';

export interface LoadedProfile {
  name: string;
  source: string;
  builtin: boolean;
  validated: Validated;
  warnings: Problem[];
  /** Instructions of the compiled filter (for `zviz profile check`). */
  instructions: number;
  /** The plan for one container with this working directory. */
  forWorkspace(workspace: string): CompiledProfile;
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

function nativeProblem(message: string): Problem {
  const match = /^(\/[^:]*): (.*)$/s.exec(message);
  return match ? { pointer: match[1], reason: match[2] } : { pointer: '', reason: message };
}

/** Throws ProfileError (every problem, with pointers) or Error (unreadable, unknown name). */
export function loadProfile(reference: string, addon: BrokerAddon): LoadedProfile {
  return loadProfileText(readProfile(reference), addon);
}

/** loadProfile for a profile already read. */
export function loadProfileText(text: ProfileText, addon: BrokerAddon): LoadedProfile {
  const result = validateProfile(text.text, syscallCatalog(addon));
  if (!result.ok) {
    throw new ProfileError(text.source, result.problems);
  }
  const validated = result.value;
  const warnings = [...validated.warnings];
  // One trial compilation: what libseccomp refuses, it refuses for every
  // workspace (any path but "/", which no writable view may have).
  const trial = compileProfile(text.name, validated, '/workspace');
  const compiled = addon.compileFilter(trial.filter);
  if (!compiled.ok) {
    throw new ProfileError(text.source, [nativeProblem(compiled.error ?? 'libseccomp refused the profile')]);
  }
  const policyError = addon.checkPolicy(trial.policy);
  if (policyError) {
    throw new ProfileError(text.source, [{ pointer: '/zviz/broker', reason: policyError }]);
  }
  warnings.push(...compiled.warnings.map(nativeProblem));
  return {
    name: text.name,
    source: text.source,
    builtin: text.builtin,
    validated,
    warnings,
    instructions: compiled.instructions,
    forWorkspace: (workspace) => compileProfile(text.name, validated, workspace),
  };
}
