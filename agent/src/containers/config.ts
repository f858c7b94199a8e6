// The `containers:` section of the agent's configuration: workloads the
// agent runs and supervises from its start, each like one `zviz run`.
//
//   containers:
//     - name: nightly-build
//       profile: ci-runner
//       command: [sh, -c, "make test"]
//       workdir: /srv/build
//       env: { CI: "true" }
//       limits: { memory: 2G, cpus: 2, pids: 512, io_read_bps: 50M, io_write_bps: 20M }
//       restart: on-failure
//       stdout: /var/log/zviz/containers/nightly-build.log
//       network: none     # overrides the profile's; see docs/profiles.md
//       pid: private      # "host" shares the host's PID namespace
import { isAbsolute } from 'node:path';

import type { Problem } from '../config/checks';
import type { JsonSchema } from '../config/json-schema';
import { NETWORK_MODES, PID_MODES, type NetworkMode, type PidMode } from '../profiles/schema';
import { quote } from '../text/quote';

export interface ContainerConfig {
  name: string;
  profile: string;
  command: string[];
  workdir: string;
  env: Record<string, string>;
  limits: {
    memory?: string;
    cpus?: number;
    pids?: number;
    /** Bytes a second on every disk, such as "50M". */
    io_read_bps?: string;
    io_write_bps?: string;
  };
  restart: string;
  /** A file (appended to), "null", or "inherit" (the agent's own stdout). */
  stdout: string;
  /** Like stdout; defaults to the same file. */
  stderr?: string;
  /** Overrides the profile's `pid`. */
  pid?: PidMode;
  /** Overrides the profile's `network`. */
  network?: NetworkMode;
}

export const CONTAINERS_SCHEMA: JsonSchema = {
  type: 'array',
  default: [],
  description: 'workloads the agent runs in the sandbox and supervises',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'command'],
    properties: {
      name: {
        type: 'string',
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$',
        description: 'letters, digits, "_", "." and "-"',
      },
      profile: {
        type: 'string',
        minLength: 1,
        default: 'default',
        description: 'a built-in profile name or an absolute path',
      },
      command: { type: 'array', minItems: 1, items: { type: 'string' } },
      workdir: { type: 'string', pattern: '^/', default: '/', description: 'an absolute path' },
      env: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
      limits: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          memory: {
            type: 'string',
            pattern: '^[0-9]+(\\.[0-9]+)?([kKmMgGtT]i?[bB]?)?$',
            description: 'such as 512M or 2G',
          },
          cpus: { type: 'number', exclusiveMinimum: 0, description: 'CPUs, such as 1 or 0.5' },
          pids: { type: 'integer', minimum: 1 },
          io_read_bps: {
            type: 'string',
            pattern: '^[0-9]+(\\.[0-9]+)?([kKmMgGtT]i?[bB]?)?$',
            description: 'bytes a second on every disk, such as 50M (a string)',
          },
          io_write_bps: {
            type: 'string',
            pattern: '^[0-9]+(\\.[0-9]+)?([kKmMgGtT]i?[bB]?)?$',
            description: 'bytes a second on every disk, such as 20M (a string)',
          },
        },
      },
      restart: { type: 'string', pattern: '^(no|always|on-failure(:[0-9]+)?)$', default: 'on-failure' },
      stdout: { type: 'string', minLength: 1, default: 'null', description: 'a file path, "null" or "inherit"' },
      stderr: { type: 'string', minLength: 1, description: 'a file path, "null" or "inherit" (default: as stdout)' },
      pid: {
        enum: [...PID_MODES],
        description: '"private" (a PID namespace of its own) or "host"; default: the profile\'s (private)',
      },
      network: {
        enum: [...NETWORK_MODES],
        description: '"none" (only loopback) or "host"; default: the profile\'s (host unless it says none)',
      },
    },
  },
};

/**
 * The containers' output files, which the agent appends to: each must be an
 * absolute path. What lies at the path (a FIFO, a device, a link) is judged
 * when the container starts (files/no-link-open.ts), and fails that
 * container alone: the file may lie in a workspace its workload changes,
 * and a workload must not be able to make the agent refuse its whole
 * configuration at its next start.
 */
export function containerOutputProblems(containers: readonly ContainerConfig[]): Problem[] {
  const problems: Problem[] = [];
  containers.forEach((container, i) => {
    for (const key of ['stdout', 'stderr'] as const) {
      const value = container[key];
      if (value !== undefined && value !== 'null' && value !== 'inherit' && !isAbsolute(value)) {
        problems.push({
          path: `containers.${i}.${key}`,
          reason: `${quote(value)} is neither null, inherit nor an absolute file path`,
        });
      }
    }
  });
  return problems;
}
