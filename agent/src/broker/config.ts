// The `broker:` section of the agent's configuration.
//
//   broker:
//     control_socket: /run/zviz/agent.sock   # where `zviz run` finds the agent
//     event_queue_size: 8192                  # decision events held for the audit log and API
//     event_rate_limit: 1000                  # per container: decision events a second for the audit log and API
//     event_burst: 5000                       # per container: events at once above that rate
//     events: notable                         # notable: log, deny, kill; all: also allow
//     sync_wake_up: true                      # SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP where the kernel has it
//     cgroup_group: zviz                      # container cgroups live in <hierarchy>/<group>/<id>
//     sample_interval_seconds: 5              # CPU and I/O rates of containers
//     start_timeout_seconds: 10               # a container start not done by then is killed and fails
import type { JsonSchema } from '../config/json-schema';
import { DEFAULT_CONTROL_SOCKET, MAX_SOCKET_PATH_BYTES } from '../control/protocol';

export interface BrokerConfig {
  control_socket: string;
  event_queue_size: number;
  event_rate_limit: number;
  event_burst: number;
  events: 'notable' | 'all';
  sync_wake_up: boolean;
  cgroup_group: string;
  sample_interval_seconds: number;
  start_timeout_seconds: number;
}

export const BROKER_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    control_socket: {
      type: 'string',
      pattern: '^/',
      maxLength: MAX_SOCKET_PATH_BYTES,
      default: DEFAULT_CONTROL_SOCKET,
      description: `an absolute path of at most ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket's address)`,
    },
    event_queue_size: { type: 'integer', minimum: 16, maximum: 10000000, default: 8192 },
    event_rate_limit: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1000000,
      default: 1000,
      description: 'decision events a second per container; beyond it they are dropped and counted',
    },
    event_burst: { type: 'integer', minimum: 1, maximum: 10000000, default: 5000 },
    events: { enum: ['notable', 'all'], default: 'notable' },
    sync_wake_up: { type: 'boolean', default: true },
    cgroup_group: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$', default: 'zviz' },
    sample_interval_seconds: { type: 'number', minimum: 1, maximum: 3600, default: 5 },
    start_timeout_seconds: {
      type: 'number',
      minimum: 1,
      maximum: 3600,
      default: 10,
      description:
        'seconds a container start may take (from its first process to its seccomp listener taken); past it its processes are killed and the start fails',
    },
  },
};

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  control_socket: DEFAULT_CONTROL_SOCKET,
  event_queue_size: 8192,
  event_rate_limit: 1000,
  event_burst: 5000,
  events: 'notable',
  sync_wake_up: true,
  cgroup_group: 'zviz',
  sample_interval_seconds: 5,
  start_timeout_seconds: 10,
};

/** The broker's event limits from its configuration. */
export function eventLimits(config: BrokerConfig): { capacity: number; rate: number; burst: number } {
  return { capacity: config.event_queue_size, rate: config.event_rate_limit, burst: config.event_burst };
}
