// The second step of loading a profile (profile.ts): the parsed JSON checked
// as written, every problem at once, each with its JSON pointer: structure
// (JSON Schema, ajv), then the meaning of each field: syscall names the
// kernel has, capabilities and architectures that exist, values that fit,
// fields that only apply with others. What needs the rules as they apply on
// this host (conflicts, broker rules that cannot work, profiles that would
// not let the sandbox start) is checked after expansion, in check.ts.
import type { ErrorObject, ValidateFunction } from 'ajv';

import { CAPABILITIES, FORBIDDEN_CAPABILITIES } from './capabilities';
import { GO_ARCHES, hostContext } from './host';
import { pointer, type Problem } from './problems';
import { type ArgRule, type Profile, ruleNames } from './schema';
import { profileSchemaValidator } from './schema-validator';
import { type SyscallCatalog, unknownSyscall } from './syscall-catalog';

/** A profile whose every field is as it should be, and what is worth a warning. */
export interface Validated {
  profile: Profile;
  warnings: Problem[];
}

export type ValidationResult = { ok: true; value: Validated } | { ok: false; problems: Problem[]; warnings: Problem[] };

let compiled: ValidateFunction | undefined;

function schemaProblems(data: unknown): Problem[] {
  compiled ??= profileSchemaValidator();
  if (compiled(data)) {
    return [];
  }
  const errors = compiled.errors ?? [];
  // anyOf reports one error per branch and then its own; keep its own.
  const anyOfAt = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && anyOfAt.has(e.instancePath)) {
      continue;
    }
    const problem = describe(e);
    const key = `${problem.pointer}\u0000${problem.reason}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(problem);
    }
  }
  return out;
}

function describe(e: ErrorObject): Problem {
  const at = e.instancePath;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { pointer: `${at}/${String(params.additionalProperty)}`, reason: 'unknown property' + hint(e) };
    case 'required':
      return { pointer: at, reason: `missing required property "${String(params.missingProperty)}"` };
    case 'enum':
      return {
        pointer: at,
        reason: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type':
      return { pointer: at, reason: `must be ${article(String(params.type))}` };
    case 'anyOf':
      return { pointer: at, reason: 'must be one of the accepted forms' + anyOfHint(at) };
    case 'pattern':
      return { pointer: at, reason: patternReason(at) };
    case 'minimum':
    case 'maximum':
      return {
        pointer: at,
        reason: `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}`,
      };
    case 'maxItems':
      return { pointer: at, reason: `must have at most ${String(params.limit)} items` };
    case 'minItems':
      return { pointer: at, reason: `must have at least ${String(params.limit)} item` };
    case 'minLength':
      return { pointer: at, reason: 'must not be empty' };
    default:
      return { pointer: at, reason: e.message ?? e.keyword };
  }
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'an object',
    array: 'an array',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    'array,null': 'an array',
  };
  return names[type] ?? type;
}

function hint(e: ErrorObject): string {
  const schema = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
  const names = schema?.properties ? Object.keys(schema.properties) : [];
  return names.length > 0 ? ` (expected ${names.join(', ')})` : '';
}

function anyOfHint(at: string): string {
  if (/\/(value|valueTwo)$/.test(at)) {
    return ': a non-negative integer, or a decimal or 0x string for values above 2^53';
  }
  if (/errno$/i.test(at)) {
    return ': an errno number (0 to 4095) or name such as "EACCES"';
  }
  return '';
}

function patternReason(at: string): string {
  if (/\/(syscalls\/\d+\/names\/\d+|syscalls\/\d+\/name|broker\/\d+\/syscalls\/\d+)$/.test(at)) {
    return 'is not a syscall name: lower-case letters, digits and "_" only';
  }
  if (at.endsWith('/minKernel')) {
    return 'must be a kernel version such as "4.8"';
  }
  if (/\/(value|valueTwo)$/.test(at)) {
    return 'must be a decimal or 0x number';
  }
  return 'has the wrong form';
}

function bigValue(value: number | string): bigint | undefined {
  try {
    const v = BigInt(value);
    return v >= 0n && v < 1n << 64n ? v : undefined;
  } catch {
    return undefined;
  }
}

function checkArgs(args: ArgRule[], at: string, problems: Problem[]): void {
  const indexes = new Set<number>();
  args.forEach((arg, k) => {
    const here = `${at}/args/${k}`;
    for (const key of ['value', 'valueTwo'] as const) {
      const v = arg[key];
      if (v === undefined) {
        continue;
      }
      if (typeof v === 'number' && !Number.isSafeInteger(v)) {
        problems.push({
          pointer: `${here}/${key}`,
          reason: 'above 2^53 a JSON number is not exact; write the value as a string',
        });
      } else if (bigValue(v) === undefined) {
        problems.push({ pointer: `${here}/${key}`, reason: 'must fit in 64 bits' });
      }
    }
    if (arg.op !== 'SCMP_CMP_MASKED_EQ' && arg.valueTwo !== undefined && bigValue(arg.valueTwo) !== 0n) {
      problems.push({ pointer: `${here}/valueTwo`, reason: 'valueTwo is only used by SCMP_CMP_MASKED_EQ' });
    }
    if (indexes.has(arg.index)) {
      problems.push({
        pointer: `${here}/index`,
        reason: `argument ${arg.index} is compared twice in one rule; libseccomp takes one comparison per argument`,
      });
    }
    indexes.add(arg.index);
  });
}

export function validateProfile(data: unknown, catalog: SyscallCatalog): ValidationResult {
  const problems = schemaProblems(data);
  const warnings: Problem[] = [];
  if (problems.length > 0) {
    return { ok: false, problems, warnings };
  }
  const profile = data as Profile;
  const zviz = profile.zviz ?? {};

  zviz.capabilities?.forEach((cap, i) => {
    const at = pointer('zviz', 'capabilities', i);
    if (!(cap in CAPABILITIES)) {
      problems.push({ pointer: at, reason: `unknown capability "${cap}"` });
    } else if (cap in FORBIDDEN_CAPABILITIES) {
      problems.push({
        pointer: at,
        reason: `the sandbox cannot hold a workload with ${cap}: ${FORBIDDEN_CAPABILITIES[cap]}`,
      });
    }
  });
  const hostArch = hostContext().scmpArch;

  if (profile.defaultErrnoRet !== undefined && profile.defaultAction !== 'SCMP_ACT_ERRNO') {
    problems.push({ pointer: '/defaultErrnoRet', reason: 'only applies when defaultAction is SCMP_ACT_ERRNO' });
  }
  if (profile.defaultAction === 'SCMP_ACT_TRACE') {
    problems.push({ pointer: '/defaultAction', reason: traceReason });
  }
  if (profile.architectures && profile.architectures.length > 0 && profile.archMap && profile.archMap.length > 0) {
    problems.push({ pointer: '/archMap', reason: 'give architectures (OCI) or archMap (Docker), not both' });
  }
  if (profile.architectures && profile.architectures.length > 0 && !profile.architectures.includes(hostArch)) {
    problems.push({
      pointer: '/architectures',
      reason: `must include this host's architecture ${hostArch}; every syscall would be refused`,
    });
  }
  if (profile.archMap && profile.archMap.length > 0 && !profile.archMap.some((m) => m.architecture === hostArch)) {
    warnings.push({
      pointer: '/archMap',
      reason: `no entry for ${hostArch}: only that architecture is filtered`,
    });
  }
  (profile.flags ?? []).forEach((flag, i) => {
    if (flag !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') {
      warnings.push({
        pointer: pointer('flags', i),
        reason: `${flag} is ignored: ZViz installs the filter with its own flags`,
      });
    }
  });
  for (const key of ['listenerPath', 'listenerMetadata'] as const) {
    if (profile[key] !== undefined) {
      warnings.push({ pointer: `/${key}`, reason: 'ignored: the ZViz broker answers SCMP_ACT_NOTIFY itself' });
    }
  }

  (profile.syscalls ?? []).forEach((rule, i) => {
    const at = pointer('syscalls', i);
    const names = ruleNames(rule);
    if (names.length === 0) {
      problems.push({ pointer: at, reason: 'lists no syscall (names is empty)' });
    }
    // Each name once: a list of 50,000 copies is checked (and warned about) as one.
    const inRule = new Map<string, { count: number; second?: string }>();
    for (const { name, at: where } of names) {
      const seen = inRule.get(name);
      if (seen) {
        seen.count++;
        seen.second ??= where;
        continue;
      }
      inRule.set(name, { count: 1 });
      if (!catalog.known(name)) {
        problems.push({ pointer: `${at}/${where}`, reason: unknownSyscall(name, catalog) });
      }
    }
    for (const [name, { count, second }] of inRule) {
      if (count > 1) {
        warnings.push({
          pointer: `${at}/${second}`,
          reason: `"${name}" is listed ${count === 2 ? 'twice' : `${count} times`} in this rule`,
        });
      }
    }
    if (rule.action === 'SCMP_ACT_TRACE') {
      problems.push({ pointer: `${at}/action`, reason: traceReason });
    }
    if (rule.errnoRet !== undefined && rule.action !== 'SCMP_ACT_ERRNO') {
      problems.push({ pointer: `${at}/errnoRet`, reason: 'only applies to SCMP_ACT_ERRNO' });
    }
    checkArgs(rule.args ?? [], at, problems);
    for (const side of ['includes', 'excludes'] as const) {
      const filter = rule[side];
      filter?.caps?.forEach((cap, k) => {
        if (!(cap in CAPABILITIES)) {
          problems.push({ pointer: `${at}/${side}/caps/${k}`, reason: `unknown capability "${cap}"` });
        }
      });
      filter?.arches?.forEach((arch, k) => {
        if (!GO_ARCHES.includes(arch)) {
          problems.push({
            pointer: `${at}/${side}/arches/${k}`,
            reason: `unknown architecture "${arch}" (Docker's names: ${GO_ARCHES.join(', ')})`,
          });
        }
      });
    }
  });
  if (problems.length > 0) {
    return { ok: false, problems, warnings };
  }
  return { ok: true, value: { profile, warnings } };
}

const traceReason =
  'SCMP_ACT_TRACE needs a ptrace tracer, which ZViz does not run; use SCMP_ACT_ERRNO or SCMP_ACT_NOTIFY';
