// The configuration file's schema: the core's own sections (logging, metrics,
// api) and the frame the components' sections are composed into where the
// agent is assembled (agent/src/assembly/config-sections.ts), so the core
// imports no component. Defaults live here, next to the rules, so `zviz
// agent` without a file runs with exactly these.
import type { JsonSchema } from './json-schema';

export const DEFAULT_CONFIG_PATH = '/etc/zviz/config.yaml';
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9090';
export const DEFAULT_AUDIT_PATH = '/var/log/zviz/audit.json';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AuditConfig {
  enabled: boolean;
  path: string;
  /** Rotated files older than this are deleted; 0 keeps them forever. */
  retention_days: number;
  compress: boolean;
  /** Rotate when the file would grow past this size. */
  max_size_mb: number;
  /** Rotate when the current file was started in an earlier period of this length (UTC-aligned); 0: size only. */
  rotate_hours: number;
  /** Events held for the writer; past this, events are dropped and counted. */
  queue_size: number;
}

export interface LoggingConfig {
  level: LogLevel;
  format: 'text' | 'json';
  /** `stderr`, `stdout` or a file path (reopened on SIGHUP, for logrotate). */
  output: string;
  audit: AuditConfig;
}

export type AuthConfig =
  | { type: 'none'; exempt_probes: boolean }
  | { type: 'bearer'; token?: string; token_file?: string; exempt_probes: boolean }
  | { type: 'basic'; users: Record<string, string>; exempt_probes: boolean };

export interface MetricsConfig {
  address: string;
  auth: AuthConfig;
  tls?: { cert_file: string; key_file: string };
  rate_limit: { rps: number; burst: number };
  /** Answer bytes held for all HTTP clients at once, in MiB (server/response-budget.ts). */
  response_budget_mb: number;
  max_series_per_family: number;
  /** How often Prometheus scrapes this agent; sets the default retention below. */
  scrape_interval_seconds: number;
  /** How long a removed container's final series stay; default endedRetentionSeconds(). */
  ended_container_retention_seconds?: number;
}

/**
 * How long an ended container's final series stay in the exposition: the
 * configured value, or two scrape intervals and 5 s for a late scrape, so at
 * least two scrapes see them (docs/metrics.md, "Ended containers").
 */
export function endedRetentionSeconds(metrics: MetricsConfig): number {
  return metrics.ended_container_retention_seconds ?? 2 * metrics.scrape_interval_seconds + 5;
}

export interface ApiConfig {
  ring_size: number;
  stream: { max_clients: number; max_per_client: number; buffer_events: number; heartbeat_seconds: number };
}

/** The core's part of the configuration; each component adds its own section (assembly/config-sections.ts). */
export interface CoreConfig {
  node_name: string;
  variant: string;
  logging: LoggingConfig;
  metrics: MetricsConfig;
  api: ApiConfig;
}

const auditSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    path: { type: 'string', minLength: 1, default: DEFAULT_AUDIT_PATH },
    retention_days: { type: 'integer', minimum: 0, maximum: 36500, default: 90 },
    compress: { type: 'boolean', default: false },
    max_size_mb: { type: 'number', exclusiveMinimum: 0, maximum: 1048576, default: 100 },
    rotate_hours: { type: 'number', minimum: 0, maximum: 8784, default: 24 },
    queue_size: { type: 'integer', minimum: 1, maximum: 10000000, default: 10000 },
  },
};

const loggingSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    level: { enum: LOG_LEVELS, default: 'info' },
    format: { enum: ['text', 'json'], default: 'json' },
    output: { type: 'string', minLength: 1, default: 'stderr' },
    audit: auditSchema,
  },
};

const metricsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    address: { type: 'string', minLength: 1, default: DEFAULT_METRICS_ADDRESS },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        type: { enum: ['none', 'bearer', 'basic'], default: 'none' },
        token: {
          type: 'string',
          minLength: 16,
          description: 'generate one with: openssl rand -hex 32',
        },
        token_file: { type: 'string', minLength: 1 },
        users: {
          type: 'object',
          additionalProperties: { type: 'string' },
          propertyNames: {
            pattern: '^[^:]+$',
            description: 'user names cannot contain ":" (it separates user and password in basic auth)',
          },
        },
        exempt_probes: { type: 'boolean', default: true },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert_file', 'key_file'],
      properties: {
        cert_file: { type: 'string', minLength: 1 },
        key_file: { type: 'string', minLength: 1 },
      },
    },
    rate_limit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rps: { type: 'number', minimum: 0, maximum: 100000, default: 10, description: '0 turns rate limiting off' },
        burst: { type: 'integer', minimum: 1, maximum: 100000, default: 20 },
      },
    },
    response_budget_mb: {
      type: 'integer',
      minimum: 8,
      maximum: 65536,
      default: 64,
      description: 'MiB of answers the HTTP server holds for all its clients at once',
    },
    max_series_per_family: { type: 'integer', minimum: 1, maximum: 10000000, default: 50000 },
    scrape_interval_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 86400,
      default: 15,
      description: "Prometheus' scrape interval for this agent, in seconds",
    },
    ended_container_retention_seconds: {
      type: 'number',
      minimum: 0,
      maximum: 86400,
      description: "seconds an ended container's final series stay (default: 2 scrape intervals + 5; 0: none)",
    },
  },
};

const apiSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    ring_size: { type: 'integer', minimum: 1, maximum: 10000000, default: 10000 },
    stream: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_clients: { type: 'integer', minimum: 1, maximum: 10000, default: 32 },
        max_per_client: {
          type: 'integer',
          minimum: 1,
          maximum: 10000,
          default: 8,
          description: 'streams one client (an IPv4 address or an IPv6 /64) may hold at once',
        },
        buffer_events: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
        heartbeat_seconds: { type: 'number', minimum: 1, maximum: 3600, default: 15 },
      },
    },
  },
};

/** The whole file's schema: the core's sections and the components' (by section name). */
export function configSchema(componentSections: Readonly<Record<string, JsonSchema>>): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      node_name: {
        type: 'string',
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$',
        description: 'letters, digits, "_", "." and "-", starting with a letter or digit',
      },
      variant: {
        type: 'string',
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$',
        default: 'production',
        description: 'letters, digits, "_", "." and "-", starting with a letter or digit (e.g. production, canary)',
      },
      logging: loggingSchema,
      metrics: metricsSchema,
      api: apiSchema,
      ...componentSections,
    },
  };
}
