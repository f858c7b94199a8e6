// From a validated profile to the rules that apply on this host, as Docker
// expands them: `includes`/`excludes` by capability, architecture and kernel
// version; the architecture list from `architectures` (OCI) or the host's
// `archMap` entry (Docker). Done once per load (profile.ts): the checks of
// the expanded profile (check.ts) and the compiler (compile.ts) both read
// this result, and what a syscall gets is worked out once per name.
import { DEFAULT_CAPABILITIES } from './capabilities';
import { hostContext, type HostContext } from './host';
import { pointer } from './problems';
import { type ArgRule, type Filter, type Profile, ruleNames, type SeccompAction } from './schema';

function kernelAtLeast(ctx: HostContext, min: string): boolean {
  const [major, minor] = min.split('.').map(Number);
  return ctx.kernel[0] > major || (ctx.kernel[0] === major && ctx.kernel[1] >= minor);
}

/** Docker's semantics: every included capability present, none excluded present; the host arch listed / not listed. */
export function ruleApplies(includes: Filter | undefined, excludes: Filter | undefined, ctx: HostContext): boolean {
  if (includes) {
    if (includes.caps?.some((c) => !ctx.capabilities.has(c))) {
      return false;
    }
    if (includes.arches && includes.arches.length > 0 && !includes.arches.includes(ctx.goArch)) {
      return false;
    }
    if (includes.minKernel && !kernelAtLeast(ctx, includes.minKernel)) {
      return false;
    }
  }
  if (excludes) {
    if (excludes.caps?.some((c) => ctx.capabilities.has(c))) {
      return false;
    }
    if (excludes.arches?.includes(ctx.goArch)) {
      return false;
    }
    if (excludes.minKernel && kernelAtLeast(ctx, excludes.minKernel)) {
      return false;
    }
  }
  return true;
}

/** SCMP_ARCH_* names the filter covers on this host; the host's own first. */
export function selectedArchitectures(profile: Profile, ctx: HostContext): string[] {
  if (profile.architectures && profile.architectures.length > 0) {
    return [...new Set(profile.architectures)];
  }
  const entry = profile.archMap?.find((m) => m.architecture === ctx.scmpArch);
  if (entry) {
    return [entry.architecture, ...(entry.subArchitectures ?? []).filter((a) => a !== entry.architecture)];
  }
  return [ctx.scmpArch];
}

export interface ExpandedRule {
  name: string;
  action: SeccompAction;
  errnoRet?: number;
  args: ArgRule[];
  /** Index of the entry in `syscalls`. */
  entry: number;
  /** Pointer to the name inside the entry. */
  pointer: string;
  /** The entry has no args, includes or excludes: it applies to every call of the syscall. */
  plain: boolean;
}

export function expandRules(profile: Profile, ctx: HostContext): ExpandedRule[] {
  const out: ExpandedRule[] = [];
  (profile.syscalls ?? []).forEach((rule, i) => {
    if (!ruleApplies(rule.includes, rule.excludes, ctx)) {
      return;
    }
    const args = rule.args ?? [];
    const plain = args.length === 0 && !rule.includes && !rule.excludes;
    for (const { name, at } of ruleNames(rule)) {
      out.push({
        name,
        action: rule.action,
        errnoRet: rule.errnoRet,
        args,
        entry: i,
        pointer: `${pointer('syscalls', i)}/${at}`,
        plain,
      });
    }
  });
  return out;
}

export interface Effective {
  action: SeccompAction;
  errnoRet?: number;
  /** Only some calls (by argument) get this action. */
  conditional: boolean;
  /** The rule that decides, or "/defaultAction". */
  pointer: string;
}

/**
 * What the filter does with a syscall: the first rule without argument
 * conditions for it (libseccomp lets it override conditional ones), else the
 * default action, marked conditional when argument rules exist.
 */
export function effectiveAction(profile: Profile, rules: readonly ExpandedRule[], name: string): Effective {
  const forName = rules.filter((r) => r.name === name);
  const unconditional = forName.find((r) => r.args.length === 0);
  if (unconditional) {
    return {
      action: unconditional.action,
      errnoRet: unconditional.errnoRet,
      conditional: false,
      pointer: unconditional.pointer,
    };
  }
  return {
    action: profile.defaultAction,
    errnoRet: profile.defaultErrnoRet,
    conditional: forName.length > 0,
    pointer: forName.length > 0 ? forName[0].pointer : '/defaultAction',
  };
}

/** A profile as it applies on this host. */
export interface ExpandedProfile {
  /** The profile as written (validated). */
  profile: Profile;
  context: HostContext;
  /** SCMP_ARCH_* names the filter covers, the host's own first. */
  architectures: readonly string[];
  /** The `syscalls` entries that apply here, one per name, in the profile's order. */
  rules: readonly ExpandedRule[];
  /** What the filter does with `name` (effectiveAction), worked out once per name. */
  effective(name: string): Effective;
}

/** Expands a validated profile for this host, with the container's capabilities it names. */
export function expandProfile(profile: Profile): ExpandedProfile {
  const context = hostContext(profile.zviz?.capabilities ?? [...DEFAULT_CAPABILITIES]);
  const rules = expandRules(profile, context);
  const effective = new Map<string, Effective>();
  return {
    profile,
    context,
    architectures: selectedArchitectures(profile, context),
    rules,
    effective: (name) => {
      let found = effective.get(name);
      if (!found) {
        found = effectiveAction(profile, rules, name);
        effective.set(name, found);
      }
      return found;
    },
  };
}
