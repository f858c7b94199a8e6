// Loading a profile for use, in one pass, each step a module of its own:
// read (load.ts), parse the JSON (parse.ts), validate it as written
// (validate.ts), expand it once for this host (expand.ts), check the
// expanded profile (check.ts), and compile it (compile.ts) once with
// libseccomp through the addon, so that a profile that libseccomp refuses is
// reported before any workload is started with it. Each step that finds
// problems ends the load with all of its own.
import type { BrokerAddon } from '../native/broker-addon';
import { checkExpanded } from './check';
import { compileProfile, type CompiledProfile } from './compile';
import { expandProfile, type ExpandedProfile } from './expand';
import { readProfile, type ProfileText } from './load';
import { planScopes } from './scopes';
import { parseJson } from './parse';
import { ProfileError, type Problem } from './problems';
import { syscallCatalog } from './syscall-catalog';
import { validateProfile, type Validated } from './validate';

export interface LoadedProfile {
  name: string;
  source: string;
  builtin: boolean;
  validated: Validated;
  /** The profile as it applies on this host. */
  expanded: ExpandedProfile;
  warnings: Problem[];
  /** Instructions of the compiled filter (for `zviz profile check`). */
  instructions: number;
  /** The plan for one container with this working directory. */
  forWorkspace(workspace: string): CompiledProfile;
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
  const parsed = parseJson(text.text);
  if ('problem' in parsed) {
    throw new ProfileError(text.source, [parsed.problem]);
  }
  const catalog = syscallCatalog(addon);
  const result = validateProfile(parsed.data, catalog);
  if (!result.ok) {
    throw new ProfileError(text.source, result.problems);
  }
  const validated = result.value;
  const expanded = expandProfile(validated.profile);
  const checked = checkExpanded(expanded, catalog);
  if (checked.problems.length > 0) {
    throw new ProfileError(text.source, checked.problems);
  }
  const warnings = [...validated.warnings, ...checked.warnings];
  // Whether the kernel may make the reads an allow-list view decides
  // (compile.ts, viewDecidesReads): a test's stand-in addon without the
  // probe gets the broker's reads, the slow and safe way.
  const host = { landlockAbi: addon.landlockAbi?.() ?? 0 };
  // A scope the profile requires and this kernel lacks: nothing may start
  // with it here (fail closed); one it asks best-effort: a warning.
  const scopes = planScopes(expanded.profile.zviz, host.landlockAbi);
  if (scopes.problems.length > 0) {
    throw new ProfileError(text.source, scopes.problems);
  }
  warnings.push(...scopes.warnings);
  // One trial compilation: what libseccomp refuses, it refuses for every
  // workspace (any path but "/", which no writable view may have).
  const trial = compileProfile(text.name, expanded, '/workspace', host);
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
    expanded,
    warnings,
    instructions: compiled.instructions,
    forWorkspace: (workspace) => compileProfile(text.name, expanded, workspace, host),
  };
}
