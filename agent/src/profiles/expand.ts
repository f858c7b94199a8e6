// From a profile as written to the rules that apply on this host, as Docker
// expands them: `includes`/`excludes` by capability, architecture and kernel
// version; the architecture list from `architectures` (OCI) or the host's
// `archMap` entry (Docker).
import { arch as processArch, release } from 'node:os';

import { DEFAULT_CAPABILITIES } from './capabilities';
import { pointer } from './problems';
import type { ArgRule, Filter, Profile, SeccompAction } from './schema';

export interface HostContext {
  /** The container's capabilities (they select `includes.caps` rules). */
  capabilities: ReadonlySet<string>;
  kernel: readonly [number, number];
  /** Go's name for the host architecture, as Docker's `arches` filters use it. */
  goArch: string;
  /** libseccomp's name for it. */
  scmpArch: string;
}

const HOST_ARCHES: Readonly<Record<string, { go: string; scmp: string }>> = {
  x64: { go: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  arm64: { go: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  ia32: { go: '386', scmp: 'SCMP_ARCH_X86' },
  arm: { go: 'arm', scmp: 'SCMP_ARCH_ARM' },
  ppc64: { go: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  s390x: { go: 's390x', scmp: 'SCMP_ARCH_S390X' },
  riscv64: { go: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
};

/** Architecture names Docker's `includes.arches` may use. */
export const GO_ARCHES = [
  'amd64',
  'x86',
  'x32',
  '386',
  'arm',
  'arm64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64n32',
  'mipsel64n32',
  'ppc',
  'ppc64',
  'ppc64le',
  's390',
  's390x',
  'riscv64',
  'loong64',
];

export function kernelVersion(text = release()): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export function hostContext(capabilities: readonly string[] = DEFAULT_CAPABILITIES): HostContext {
  const host = HOST_ARCHES[processArch()] ?? { go: processArch(), scmp: 'SCMP_ARCH_NATIVE' };
  return { capabilities: new Set(capabilities), kernel: kernelVersion(), goArch: host.go, scmpArch: host.scmp };
}

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

export function ruleNames(rule: { names?: string[] | null; name?: string }): Array<{ name: string; at: string }> {
  const out: Array<{ name: string; at: string }> = [];
  (rule.names ?? []).forEach((name, j) => out.push({ name, at: `names/${j}` }));
  if (rule.name) {
    out.push({ name: rule.name, at: 'name' });
  }
  return out;
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
