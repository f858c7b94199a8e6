// The JSON Schema of a profile: the OCI/Docker seccomp format, accepted as
// Docker and runc accept it, plus ZViz's `zviz` extension. Structure only;
// what needs knowledge of the kernel (syscall names, architectures) or of
// several fields at once is checked in validate.ts and check.ts.
export const ACTIONS = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
  'SCMP_ACT_TRACE',
] as const;
export type SeccompAction = (typeof ACTIONS)[number];

export const ARCHITECTURES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
] as const;

export const OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;

export const FILTER_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

export const BROKER_DECISIONS = ['allow', 'log', 'deny', 'kill'] as const;
export type BrokerDecision = (typeof BROKER_DECISIONS)[number];

export const ACCESS = ['any', 'read', 'write'] as const;
export type Access = (typeof ACCESS)[number];

export interface ArgRule {
  index: number;
  value: number | string;
  valueTwo?: number | string;
  op: (typeof OPERATORS)[number];
}

export interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SyscallRule {
  names?: string[];
  name?: string;
  action: SeccompAction;
  errnoRet?: number;
  args?: ArgRule[] | null;
  comment?: string;
  includes?: Filter;
  excludes?: Filter;
}

/** The syscalls a rule names (`names` and Docker's older `name`), each with its pointer inside the rule. */
export function ruleNames(rule: { names?: string[] | null; name?: string }): Array<{ name: string; at: string }> {
  const out: Array<{ name: string; at: string }> = [];
  (rule.names ?? []).forEach((name, j) => out.push({ name, at: `names/${j}` }));
  if (rule.name) {
    out.push({ name: rule.name, at: 'name' });
  }
  return out;
}

export interface BrokerRule {
  syscalls: string[];
  access?: Access;
  paths?: string[];
  addresses?: string[];
  decision: BrokerDecision;
  errno?: string | number;
  comment?: string;
}

/** Where a container's file-system view starts: the host's tree, or nothing (docs/profiles.md). */
export const FILESYSTEM_VIEWS = ['host', 'allow-list'] as const;
export type FilesystemView = (typeof FILESYSTEM_VIEWS)[number];

export interface Filesystem {
  view?: FilesystemView;
  readOnly?: string[];
  writable?: string[];
  tmpfs?: string[];
}

/** A PID namespace of the container's own (the default), or the host's. */
export const PID_MODES = ['private', 'host'] as const;
export type PidMode = (typeof PID_MODES)[number];

/** A network namespace with only loopback, or the host's network (the default). */
export const NETWORK_MODES = ['none', 'host'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/**
 * How a profile asks for a Landlock scope (zviz.scope; ABI 6, Linux 6.12):
 * "required": no container starts on a kernel without it; "best-effort"
 * (the default): scoped where the kernel has it, a warning where not;
 * "off": not scoped.
 */
export const SCOPE_MODES = ['required', 'best-effort', 'off'] as const;
export type ScopeMode = (typeof SCOPE_MODES)[number];

export interface Scope {
  abstractUnixSockets?: ScopeMode;
  signals?: ScopeMode;
}

export interface ZvizExtension {
  description?: string;
  audit?: boolean;
  capabilities?: string[];
  pid?: PidMode;
  network?: NetworkMode;
  scope?: Scope;
  defaultDecision?: BrokerDecision;
  defaultErrno?: string | number;
  filesystem?: Filesystem;
  broker?: BrokerRule[];
}

export interface Profile {
  $schema?: string;
  comment?: string;
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }>;
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SyscallRule[] | null;
  zviz?: ZvizExtension;
}

const u64 = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$' },
  ],
};

const errnoValue = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 4095 },
    { type: 'string', pattern: '^E[A-Z0-9]+$' },
  ],
};

const filter = {
  type: 'object',
  additionalProperties: false,
  properties: {
    caps: { type: 'array', items: { type: 'string' } },
    arches: { type: 'array', items: { type: 'string' } },
    minKernel: { type: 'string', pattern: '^[0-9]+\\.[0-9]+$' },
  },
};

const stringList = { type: 'array', maxItems: 4096, items: { type: 'string', minLength: 1 } };

/**
 * A syscall name as libseccomp spells them: lower-case letters, digits and
 * "_". Anything else (a NUL byte, which native code would cut the name at) is
 * refused before any name is looked up.
 */
const syscallName = { type: 'string', minLength: 1, pattern: '^[a-z0-9_]+$' };
/** More names than Linux has syscalls is a mistake; duplicates are warned about and compiled once. */
const syscallNames = { type: 'array', maxItems: 4096, items: syscallName };

export const PROFILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['defaultAction'],
  properties: {
    $schema: { type: 'string' },
    comment: { type: 'string' },
    defaultAction: { enum: ACTIONS },
    defaultErrnoRet: { type: 'integer', minimum: 0, maximum: 4095 },
    architectures: { type: 'array', items: { enum: ARCHITECTURES } },
    archMap: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['architecture'],
        properties: {
          architecture: { enum: ARCHITECTURES },
          subArchitectures: { type: ['array', 'null'], items: { enum: ARCHITECTURES } },
        },
      },
    },
    flags: { type: ['array', 'null'], items: { enum: FILTER_FLAGS } },
    listenerPath: { type: 'string' },
    listenerMetadata: { type: 'string' },
    syscalls: {
      type: ['array', 'null'],
      maxItems: 4096,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['action'],
        properties: {
          names: { type: ['array', 'null'], maxItems: 4096, items: syscallName },
          name: syscallName,
          action: { enum: ACTIONS },
          errnoRet: { type: 'integer', minimum: 0, maximum: 4095 },
          args: {
            type: ['array', 'null'],
            maxItems: 6,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['index', 'value', 'op'],
              properties: {
                index: { type: 'integer', minimum: 0, maximum: 5 },
                value: u64,
                valueTwo: u64,
                op: { enum: OPERATORS },
              },
            },
          },
          comment: { type: 'string' },
          includes: filter,
          excludes: filter,
        },
      },
    },
    zviz: {
      type: 'object',
      additionalProperties: false,
      properties: {
        description: { type: 'string' },
        audit: { type: 'boolean' },
        capabilities: stringList,
        pid: { enum: PID_MODES },
        network: { enum: NETWORK_MODES },
        scope: {
          type: 'object',
          additionalProperties: false,
          properties: {
            abstractUnixSockets: { enum: SCOPE_MODES },
            signals: { enum: SCOPE_MODES },
          },
        },
        defaultDecision: { enum: BROKER_DECISIONS },
        defaultErrno: errnoValue,
        filesystem: {
          type: 'object',
          additionalProperties: false,
          properties: {
            view: { enum: FILESYSTEM_VIEWS },
            readOnly: stringList,
            writable: stringList,
            tmpfs: stringList,
          },
        },
        broker: {
          type: 'array',
          maxItems: 4096,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['syscalls', 'decision'],
            properties: {
              syscalls: { ...syscallNames, minItems: 1 },
              access: { enum: ACCESS },
              paths: { ...stringList, minItems: 1 },
              addresses: { ...stringList, minItems: 1 },
              decision: { enum: BROKER_DECISIONS },
              errno: errnoValue,
              comment: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;
