// Checks a profile completely and reports every problem at once, each with
// its JSON pointer: JSON syntax, structure (JSON Schema, ajv), then meaning:
// syscall names the kernel has, values that fit, rules that contradict each
// other, broker rules that cannot work, and profiles that would not let the
// sandbox start. A profile with problems never starts a workload.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { distance } from 'fastest-levenshtein';

import { CAPABILITIES, DEFAULT_CAPABILITIES, FORBIDDEN_CAPABILITIES } from './capabilities';
import { parseAddress } from './addresses';
import { errnoNumber } from './errno';
import {
  effectiveAction,
  expandRules,
  GO_ARCHES,
  hostContext,
  ruleNames,
  selectedArchitectures,
  type ExpandedRule,
  type HostContext,
} from './expand';
import { checkPathPrefix } from './paths';
import { pointer, type Problem } from './problems';
import { type ArgRule, type Profile } from './schema';
import { profileSchemaValidator } from './schema-validator';

/** What validation needs to know about syscalls (from libseccomp, through the addon). */
export interface SyscallCatalog {
  known(name: string): boolean;
  names(): readonly string[];
}

export interface Validated {
  profile: Profile;
  warnings: Problem[];
  context: HostContext;
}

export type ValidationResult = { ok: true; value: Validated } | { ok: false; problems: Problem[]; warnings: Problem[] };

export const OPEN_SYSCALLS = ['open', 'openat', 'openat2', 'creat'] as const;
/** Calls that may carry a peer's address: rules on connect judge them too (with an address). */
export const ADDRESSED_SYSCALLS = ['sendto', 'sendmsg', 'sendmmsg', 'socketcall'] as const;
export const EXEC_SYSCALLS = ['execve', 'execveat'] as const;
/** Syscalls whose path argument broker rules can match. */
const PATH_SYSCALLS = new Set<string>([...OPEN_SYSCALLS, ...EXEC_SYSCALLS]);
/**
 * What the workload calls after its filter is on, before execve: it writes
 * the listener's number to the agent and reads the go-ahead (a profile may
 * broker sendmsg, so the listener is not sent with it), or exits.
 */
const BOOTSTRAP_SYSCALLS = ['write', 'read', 'exit_group', 'exit'] as const;
const DANGEROUS_OPEN_BYPASS = ['io_uring_setup'];

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

/** JSON.parse with the position of a syntax error turned into line and column. */
export function parseJson(text: string): { data: unknown } | { problem: Problem } {
  try {
    return { data: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    return {
      problem: { pointer: '', reason: `invalid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}` },
    };
  }
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

function unknownSyscall(name: string, catalog: SyscallCatalog): string {
  const suggestion = closest(name, catalog.names());
  return `unknown syscall "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
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

export function validateProfile(text: string, catalog: SyscallCatalog): ValidationResult {
  const parsed = parseJson(text);
  if ('problem' in parsed) {
    return { ok: false, problems: [parsed.problem], warnings: [] };
  }
  return validateData(parsed.data, catalog);
}

export function validateData(data: unknown, catalog: SyscallCatalog): ValidationResult {
  const problems = schemaProblems(data);
  const warnings: Problem[] = [];
  if (problems.length > 0) {
    return { ok: false, problems, warnings };
  }
  const profile = data as Profile;
  const zviz = profile.zviz ?? {};

  // Capabilities first: they decide which Docker-style rules apply.
  const capabilities = zviz.capabilities ?? [...DEFAULT_CAPABILITIES];
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
  const context = hostContext(capabilities);

  if (profile.defaultErrnoRet !== undefined && profile.defaultAction !== 'SCMP_ACT_ERRNO') {
    problems.push({ pointer: '/defaultErrnoRet', reason: 'only applies when defaultAction is SCMP_ACT_ERRNO' });
  }
  if (profile.defaultAction === 'SCMP_ACT_TRACE') {
    problems.push({ pointer: '/defaultAction', reason: traceReason });
  }
  if (profile.architectures && profile.architectures.length > 0 && profile.archMap && profile.archMap.length > 0) {
    problems.push({ pointer: '/archMap', reason: 'give architectures (OCI) or archMap (Docker), not both' });
  }
  if (profile.architectures && profile.architectures.length > 0 && !profile.architectures.includes(context.scmpArch)) {
    problems.push({
      pointer: '/architectures',
      reason: `must include this host's architecture ${context.scmpArch}; every syscall would be refused`,
    });
  }
  if (
    profile.archMap &&
    profile.archMap.length > 0 &&
    !profile.archMap.some((m) => m.architecture === context.scmpArch)
  ) {
    warnings.push({
      pointer: '/archMap',
      reason: `no entry for ${context.scmpArch}: only that architecture is filtered`,
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

  const rules = expandRules(profile, context);
  checkConflicts(rules, profile, problems);
  const brokered = checkBroker(profile, rules, catalog, problems, warnings);
  checkBootstrap(profile, rules, brokered, zviz.audit !== false, problems);
  checkFilesystem(profile, problems, warnings);
  if (problems.length > 0) {
    return { ok: false, problems, warnings };
  }
  return { ok: true, value: { profile, warnings, context } };
}

const traceReason =
  'SCMP_ACT_TRACE needs a ptrace tracer, which ZViz does not run; use SCMP_ACT_ERRNO or SCMP_ACT_NOTIFY';

function describeAction(r: { action: string; errnoRet?: number }): string {
  return r.action === 'SCMP_ACT_ERRNO' && r.errnoRet !== undefined ? `${r.action}(${r.errnoRet})` : r.action;
}

/** Two rules without conditions that give one syscall different actions: which one was meant? */
function checkConflicts(rules: readonly ExpandedRule[], profile: Profile, problems: Problem[]): void {
  const first = new Map<string, ExpandedRule>();
  for (const rule of rules) {
    if (!rule.plain) {
      continue;
    }
    const earlier = first.get(rule.name);
    if (!earlier) {
      first.set(rule.name, rule);
      continue;
    }
    if (
      earlier.action !== rule.action ||
      (earlier.errnoRet ?? profile.defaultErrnoRet) !== (rule.errnoRet ?? profile.defaultErrnoRet)
    ) {
      problems.push({
        pointer: rule.pointer,
        reason: `conflicts with ${earlier.pointer}: "${rule.name}" gets ${describeAction(rule)} here and ${describeAction(earlier)} there, both without conditions`,
      });
    }
  }
}

function isAllowing(action: string): boolean {
  return action === 'SCMP_ACT_ALLOW' || action === 'SCMP_ACT_LOG' || action === 'SCMP_ACT_NOTIFY';
}

/** Checks `zviz.broker` and returns the syscalls it brokers. */
function checkBroker(
  profile: Profile,
  rules: readonly ExpandedRule[],
  catalog: SyscallCatalog,
  problems: Problem[],
  warnings: Problem[]
): Set<string> {
  const zviz = profile.zviz ?? {};
  const brokered = new Set<string>();
  const firstRule = new Map<string, number>();
  if (zviz.defaultErrno !== undefined && zviz.defaultDecision !== 'deny') {
    problems.push({ pointer: '/zviz/defaultErrno', reason: 'only applies when defaultDecision is "deny"' });
  }
  if (zviz.defaultErrno !== undefined && errnoNumber(zviz.defaultErrno) === undefined) {
    problems.push({ pointer: '/zviz/defaultErrno', reason: `unknown errno ${JSON.stringify(zviz.defaultErrno)}` });
  }
  const seenCatchAll = new Map<string, number>();
  (zviz.broker ?? []).forEach((rule, i) => {
    const at = pointer('zviz', 'broker', i);
    const inRule = new Set<string>();
    rule.syscalls.forEach((name, k) => {
      if (inRule.has(name)) {
        return;
      }
      inRule.add(name);
      if (!catalog.known(name)) {
        problems.push({ pointer: `${at}/syscalls/${k}`, reason: unknownSyscall(name, catalog) });
        return;
      }
      brokered.add(name);
      if (!firstRule.has(name)) {
        firstRule.set(name, i);
      }
    });
    const isOpen = rule.syscalls.every((s) => (OPEN_SYSCALLS as readonly string[]).includes(s));
    const isPath = rule.syscalls.every((s) => PATH_SYSCALLS.has(s));
    const isConnect = rule.syscalls.every((s) => s === 'connect');
    if (rule.access !== undefined && rule.access !== 'any' && !isOpen) {
      problems.push({ pointer: `${at}/access`, reason: `access applies to ${OPEN_SYSCALLS.join(', ')} only` });
    }
    if (rule.paths && !isPath) {
      problems.push({
        pointer: `${at}/paths`,
        reason: `paths apply to ${[...PATH_SYSCALLS].join(', ')} only; split the rule`,
      });
    }
    if (rule.addresses && !isConnect) {
      problems.push({ pointer: `${at}/addresses`, reason: 'addresses apply to connect only; split the rule' });
    }
    rule.paths?.forEach((p, k) => {
      const why = checkPathPrefix(p);
      if (why) {
        problems.push({ pointer: `${at}/paths/${k}`, reason: why });
      }
    });
    rule.addresses?.forEach((a, k) => {
      const parsed = parseAddress(a);
      if ('error' in parsed) {
        problems.push({ pointer: `${at}/addresses/${k}`, reason: parsed.error });
      }
    });
    if (rule.errno !== undefined && rule.decision !== 'deny') {
      problems.push({ pointer: `${at}/errno`, reason: 'only applies to decision "deny"' });
    } else if (rule.errno !== undefined && errnoNumber(rule.errno) === undefined) {
      problems.push({ pointer: `${at}/errno`, reason: `unknown errno ${JSON.stringify(rule.errno)}` });
    }
    // A rule after one that already takes every call of the same kind never matches.
    const catchAll = !rule.paths && !rule.addresses;
    const accessKey = rule.access ?? 'any';
    const shadowedBy = rule.syscalls
      .map((s) => seenCatchAll.get(`${s}|any`) ?? seenCatchAll.get(`${s}|${accessKey}`))
      .filter((x): x is number => x !== undefined);
    if (shadowedBy.length === rule.syscalls.length && rule.syscalls.length > 0) {
      warnings.push({
        pointer: at,
        reason: `never matches: ${pointer('zviz', 'broker', shadowedBy[0])} takes these calls first`,
      });
    }
    if (catchAll) {
      for (const s of rule.syscalls) {
        const key = `${s}|${accessKey}`;
        if (!seenCatchAll.has(key)) {
          seenCatchAll.set(key, i);
        }
      }
    }
  });

  // Brokering one way in and not the others leaves a way around the rules.
  for (const family of [OPEN_SYSCALLS, EXEC_SYSCALLS]) {
    const covered = family.filter((s) => brokered.has(s));
    if (covered.length > 0 && covered.length < family.length) {
      const missing = family.filter((s) => !brokered.has(s));
      const at = pointer('zviz', 'broker', firstRule.get(covered[0]) ?? 0, 'syscalls');
      problems.push({
        pointer: at,
        reason: `brokers ${covered.join(', ')} but not ${missing.join(', ')}, which reach the same files around the rules; list all of ${family.join(', ')}`,
      });
    }
  }
  for (const name of brokered) {
    const effective = effectiveAction(profile, rules, name);
    if (!isAllowing(effective.action) || effective.conditional) {
      const at = pointer('zviz', 'broker', firstRule.get(name) ?? 0);
      problems.push({
        pointer: at,
        reason: `"${name}" is ${effective.conditional ? 'only allowed for some arguments' : `refused (${describeAction(effective)} at ${effective.pointer})`} by the seccomp rules, so broker rules cannot apply to all its calls; allow it without conditions`,
      });
    }
  }
  const execRefusal = everyExecRefused(zviz);
  if (brokered.has('execve') && execRefusal) {
    problems.push({
      pointer: execRefusal.pointer,
      reason: `refuses every execve (decision "${execRefusal.decision}"), and the sandbox starts the workload's command with execve, so no workload could start; allow the programs it may run (a rule with paths and decision "allow" or "log") before refusing the rest`,
    });
  }
  checkAddressed(profile, rules, firstRule, problems);
  const openRules = (zviz.broker ?? []).filter((r) =>
    r.syscalls.some((s) => (OPEN_SYSCALLS as readonly string[]).includes(s))
  );
  if (openRules.length > 0) {
    // Opens through io_uring never reach the broker: a way around refusals, and
    // a blind spot for `log` rules, whose whole point is to see every open.
    const refuses =
      openRules.some((r) => r.decision === 'deny' || r.decision === 'kill') ||
      zviz.defaultDecision === 'deny' ||
      zviz.defaultDecision === 'kill';
    const records = openRules.some((r) => r.decision === 'log') || zviz.defaultDecision === 'log';
    for (const name of DANGEROUS_OPEN_BYPASS) {
      const effective = effectiveAction(profile, rules, name);
      if (isAllowing(effective.action)) {
        (refuses || records ? problems : warnings).push({
          pointer: effective.pointer,
          reason: refuses
            ? `${name} is allowed while broker rules refuse opens: io_uring opens files without the syscalls the broker sees; refuse io_uring_setup (SCMP_ACT_ERRNO with errnoRet 38, ENOSYS, as Docker does)`
            : records
              ? `${name} is allowed while broker rules log opens: opens made through io_uring would not be recorded; refuse io_uring_setup (SCMP_ACT_ERRNO with errnoRet 38, ENOSYS, as Docker does)`
              : `${name} is allowed: opens made through io_uring are not seen by the broker`,
        });
      }
    }
  }
  const connectRules = (zviz.broker ?? []).filter((r) => r.syscalls.includes('connect'));
  const connectRefuses =
    connectRules.some((r) => r.decision === 'deny' || r.decision === 'kill') ||
    (connectRules.length > 0 && (zviz.defaultDecision === 'deny' || zviz.defaultDecision === 'kill'));
  if (connectRefuses) {
    const effective = effectiveAction(profile, rules, 'io_uring_setup');
    if (isAllowing(effective.action)) {
      problems.push({
        pointer: effective.pointer,
        reason:
          'io_uring_setup is allowed while broker rules refuse connections: io_uring connects and sends without the syscalls the broker sees; refuse io_uring_setup',
      });
    }
  }
  return brokered;
}

/**
 * Where the broker rules refuse every execve: a rule without paths that
 * denies or kills comes before any rule that could allow one (or, with no
 * such rule, the default decision refuses). Undefined when some execve can pass.
 */
function everyExecRefused(zviz: NonNullable<Profile['zviz']>): { pointer: string; decision: string } | undefined {
  const rules = zviz.broker ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule.syscalls.includes('execve')) {
      continue;
    }
    if (rule.decision === 'allow' || rule.decision === 'log') {
      return undefined;
    }
    if (!rule.paths) {
      return { pointer: pointer('zviz', 'broker', i), decision: rule.decision };
    }
  }
  const fallback = zviz.defaultDecision ?? 'allow';
  return fallback === 'allow' || fallback === 'log'
    ? undefined
    : { pointer: '/zviz/defaultDecision', decision: fallback };
}

/**
 * Rules on connect judge every call that names a peer: sendto, sendmsg and
 * sendmmsg with an address, and the i386 socketcall forms. So those are not
 * named in rules of their own, and the seccomp part allows or refuses them
 * whatever their arguments (the filter then notifies them as needed).
 */
function checkAddressed(
  profile: Profile,
  rules: readonly ExpandedRule[],
  firstRule: Map<string, number>,
  problems: Problem[]
): void {
  for (const name of ADDRESSED_SYSCALLS) {
    const index = firstRule.get(name);
    if (index !== undefined) {
      problems.push({
        pointer: pointer('zviz', 'broker', index, 'syscalls'),
        reason: `"${name}" is judged by the rules on connect whenever it carries an address; name connect instead`,
      });
    }
  }
  const connect = firstRule.get('connect');
  if (connect === undefined) {
    return;
  }
  const x86 = selectedArchitectures(profile, hostContext()).includes('SCMP_ARCH_X86');
  for (const name of ADDRESSED_SYSCALLS) {
    if (name === 'socketcall' && !x86) {
      continue; // only the i386 ABI has it
    }
    const effective = effectiveAction(profile, rules, name);
    if (effective.conditional || effective.action === 'SCMP_ACT_LOG' || effective.action === 'SCMP_ACT_NOTIFY') {
      problems.push({
        pointer: effective.pointer,
        reason: `"${name}" ${effective.conditional ? 'is allowed only for some arguments' : `gets ${effective.action}`}, but the rules on connect (${pointer('zviz', 'broker', connect)}) judge every call of it that carries an address; allow or refuse it without conditions`,
      });
    }
  }
}

/** The workload hands its listener over with write and read, and may exit before execve. */
function checkBootstrap(
  profile: Profile,
  rules: readonly ExpandedRule[],
  brokered: Set<string>,
  audit: boolean,
  problems: Problem[]
): void {
  for (const name of BOOTSTRAP_SYSCALLS) {
    const effective = effectiveAction(profile, rules, name);
    const ok = effective.action === 'SCMP_ACT_ALLOW' || (!audit && effective.action === 'SCMP_ACT_LOG');
    if (!ok || effective.conditional || brokered.has(name)) {
      problems.push({
        pointer: brokered.has(name) ? '/zviz/broker' : effective.pointer,
        reason: `"${name}" must be allowed without conditions or brokering: the sandbox calls it between installing the filter and starting the workload${audit && effective.action === 'SCMP_ACT_LOG' ? ' (with zviz.audit on, SCMP_ACT_LOG goes to the broker, which is not listening yet)' : ''}`,
      });
    }
  }
  for (const name of EXEC_SYSCALLS.slice(0, 1)) {
    const effective = effectiveAction(profile, rules, name);
    if (!isAllowing(effective.action) || effective.conditional) {
      problems.push({ pointer: effective.pointer, reason: `"${name}" must be allowed: no workload could start` });
    }
  }
}

/** Where host services listen on unix sockets (docker.sock, the journal, D-Bus, ...). */
const HOST_SOCKET_DIRS = ['/run', '/var/run'];
/** What the sandbox itself puts in an allow-list view. */
const PROVIDED_IN_VIEW = ['/proc', '/dev'];

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

function checkFilesystem(profile: Profile, problems: Problem[], warnings: Problem[]): void {
  const fs = profile.zviz?.filesystem;
  if (!fs) {
    return;
  }
  const allowList = fs.view === 'allow-list';
  const seen = new Map<string, string>();
  for (const key of ['readOnly', 'writable', 'tmpfs'] as const) {
    fs[key]?.forEach((p, i) => {
      const at = pointer('zviz', 'filesystem', key, i);
      const why = checkPathPrefix(p);
      if (why || p.endsWith(':')) {
        problems.push({ pointer: at, reason: why ?? `"${p}" is not a path` });
        return;
      }
      const path = p.length > 1 ? p.replace(/\/+$/, '') : p;
      const earlier = seen.get(path);
      if (earlier) {
        problems.push({ pointer: at, reason: `"${p}" is listed already at ${earlier}; give each path one kind` });
      }
      seen.set(path, at);
      if (key === 'tmpfs' && path === '/') {
        problems.push({
          pointer: at,
          reason: 'a tmpfs cannot replace the root; use "view": "allow-list" to start from nothing',
        });
      }
      if (key === 'writable' && path === '/') {
        problems.push({
          pointer: at,
          reason: 'makes the whole host writable again; list the paths to open up, or leave readOnly without "/"',
        });
      }
      if (!allowList) {
        return;
      }
      if (path === '/') {
        problems.push({
          pointer: at,
          reason:
            'the allow-list view starts empty and "/" would bring the whole host back; list the directories the workload needs, or use "view": "host"',
        });
      }
      const provided = PROVIDED_IN_VIEW.find((dir) => under(path, dir));
      if (provided) {
        problems.push({
          pointer: at,
          reason: `the allow-list view has ${provided} of its own (${provided === '/proc' ? "the container's processes only" : 'null, zero, full, random, urandom, tty, a private pts and shm'}); it cannot be listed`,
        });
      }
      const sockets = HOST_SOCKET_DIRS.find((dir) => under(path, dir) || under(dir, path));
      if (sockets && key !== 'tmpfs') {
        warnings.push({
          pointer: at,
          reason: `${sockets} holds the host's service sockets (the container runtime's, the journal's, D-Bus): a workload that can reach them can talk to those services`,
        });
      }
    });
  }
  if (allowList && (fs.readOnly ?? []).length + (fs.writable ?? []).length === 0) {
    problems.push({
      pointer: pointer('zviz', 'filesystem'),
      reason:
        'an allow-list view with no readOnly or writable path holds no program to run; list at least the directories of the workload and its libraries',
    });
  }
}
