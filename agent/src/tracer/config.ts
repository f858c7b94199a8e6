// The `tracer` section of the agent config: its JSON schema (the agent's
// config loader composes it and validates with it) and its defaults.
import type { JsonSchema } from '../config/json-schema';
import { TRACER_FAMILIES, type TracerFamily } from './families';

export interface TracerConfig {
  /** Start the tracer at all. */
  enabled: boolean;
  /** Whether /ready waits for the tracer (by default the sandbox runs without it). */
  required: boolean;
  /** Families on or off; syscalls, fs and dns are the ones that use the syscall tracepoints. */
  families: Record<TracerFamily, boolean>;
  /** Per-syscall latency histograms (timestamps at sys_enter and sys_exit). */
  syscall_latency: boolean;
  /** Time one syscall in N for the latency histograms (1 = all); counts are always exact. */
  syscall_latency_sample: number;
  labels: { process_name: boolean };
  /** Most series each family exports; beyond it new label sets fold into one `other` series. */
  series_limits: Record<TracerFamily, number>;
  /** Extra cgroup v2 paths to trace, absolute or relative to the cgroup2 mount. */
  cgroups: string[];
  /** Maps are read at scrape time, at most once per this many seconds; scrapes in between share a read. */
  read_interval_seconds: number;
  /** Cgroups traced at once (containers plus `cgroups`). */
  max_cgroups: number;
  map_sizes: { stats: number; pending: number; blocked_threads: number };
  /** A DNS query without an answer for this long is dropped and counted as lost (expired). */
  dns_timeout_seconds: number;
  /** Hold kernel.bpf_stats_enabled on while the tracer runs (costs two clock reads per program run). */
  program_stats: boolean;
  /** Raw tracepoint renames, for kernels that name one differently (and for tests). */
  tracepoint_overrides: Record<string, string>;
}

export const DEFAULT_TRACER_CONFIG: TracerConfig = {
  enabled: true,
  required: false,
  families: {
    syscalls: true,
    fs: true,
    dns: true,
    tcp_connect: true,
    tcp_rtt: true,
    network: true,
    cpu_block: true,
    block_io: true,
  },
  syscall_latency: true,
  syscall_latency_sample: 16,
  labels: { process_name: false },
  series_limits: {
    syscalls: 20000,
    fs: 5000,
    dns: 2000,
    tcp_connect: 5000,
    tcp_rtt: 2000,
    network: 2000,
    cpu_block: 2000,
    block_io: 2000,
  },
  cgroups: [],
  read_interval_seconds: 1,
  max_cgroups: 256,
  map_sizes: { stats: 16384, pending: 8192, blocked_threads: 32768 },
  dns_timeout_seconds: 30,
  program_stats: false,
  tracepoint_overrides: {},
};

const SAMPLE_RATES = Array.from({ length: 17 }, (_, i) => 2 ** i);
const d = DEFAULT_TRACER_CONFIG;

function perFamily(description: string, item: (family: TracerFamily) => JsonSchema): JsonSchema {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    default: {},
    properties: Object.fromEntries(TRACER_FAMILIES.map((f) => [f, item(f)])),
  };
}

/**
 * JSON Schema (draft-07) of the `tracer` section, in the form the agent's
 * config loader composes (agent/src/assembly/config-sections.ts): every
 * property has its default, so the validated section is a complete
 * TracerConfig.
 */
export const TRACER_CONFIG_SCHEMA = {
  type: 'object',
  description: 'eBPF tracer: families, labels, series caps, cgroups to watch.',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: d.enabled },
    required: { type: 'boolean', default: d.required, description: 'whether /ready waits for the tracer' },
    families: perFamily('families on (true) or off (false)', (f) => ({ type: 'boolean', default: d.families[f] })),
    syscall_latency: { type: 'boolean', default: d.syscall_latency },
    syscall_latency_sample: {
      type: 'integer',
      enum: SAMPLE_RATES,
      default: d.syscall_latency_sample,
      description: 'time one syscall in N for the latency histograms: a power of two from 1 to 65536',
    },
    labels: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { process_name: { type: 'boolean', default: d.labels.process_name } },
    },
    series_limits: perFamily('most series each family exports', (f) => ({
      type: 'integer',
      minimum: 0,
      default: d.series_limits[f],
    })),
    cgroups: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description: 'extra cgroup v2 paths to trace, absolute or inside the cgroup2 hierarchy',
    },
    read_interval_seconds: { type: 'number', minimum: 0, maximum: 3600, default: d.read_interval_seconds },
    max_cgroups: { type: 'integer', minimum: 1, maximum: 65536, default: d.max_cgroups },
    map_sizes: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        stats: { type: 'integer', minimum: 64, maximum: 4194304, default: d.map_sizes.stats },
        pending: { type: 'integer', minimum: 64, maximum: 4194304, default: d.map_sizes.pending },
        blocked_threads: { type: 'integer', minimum: 64, maximum: 4194304, default: d.map_sizes.blocked_threads },
      },
    },
    dns_timeout_seconds: { type: 'integer', minimum: 1, maximum: 3600, default: d.dns_timeout_seconds },
    program_stats: { type: 'boolean', default: d.program_stats },
    tracepoint_overrides: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9_]+$' },
      description: 'raw tracepoint renames, default name to the name this kernel uses',
    },
  },
} satisfies JsonSchema;

/** The section as a user writes it: every field optional, nested ones too. */
export type TracerConfigInput = Partial<
  Omit<TracerConfig, 'families' | 'labels' | 'series_limits' | 'map_sizes'> & {
    families: Partial<TracerConfig['families']>;
    labels: Partial<TracerConfig['labels']>;
    series_limits: Partial<TracerConfig['series_limits']>;
    map_sizes: Partial<TracerConfig['map_sizes']>;
  }
>;

/** Defaults filled in; the input is assumed valid against TRACER_CONFIG_SCHEMA. */
/** The configuration section the tracer reads beside the core's. */
export interface TracerSections {
  tracer: TracerConfigInput;
}

export function resolveTracerConfig(input: TracerConfigInput = {}): TracerConfig {
  const d = DEFAULT_TRACER_CONFIG;
  return {
    ...d,
    ...input,
    families: { ...d.families, ...input.families },
    labels: { ...d.labels, ...input.labels },
    series_limits: { ...d.series_limits, ...input.series_limits },
    map_sizes: { ...d.map_sizes, ...input.map_sizes },
    cgroups: [...(input.cgroups ?? d.cgroups)],
    tracepoint_overrides: { ...d.tracepoint_overrides, ...input.tracepoint_overrides },
  };
}
