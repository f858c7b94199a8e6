// The agent's control socket (/run/zviz/agent.sock, root only): how `zviz
// run` hands a workload to the running agent. JSON lines over a unix stream
// socket. The first message travels with the terminal's stdin, stdout and
// stderr (SCM_RIGHTS); the agent answers with progress lines and a final
// `done`; `zviz run` forwards signals (Ctrl-C) as `signal` lines. Closing
// the connection stops the container.
export const PROTOCOL_VERSION = 1;
export const DEFAULT_CONTROL_SOCKET = '/run/zviz/agent.sock';
export const MAX_REQUEST_BYTES = 256 * 1024;
/**
 * The longest path a Unix socket address holds: sun_path is 108 bytes with its
 * NUL. Node (libuv) cuts a longer path short without a word, so the agent
 * would listen, and `zviz run` would look, somewhere other than the path given.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Why `path` cannot be a Unix socket's address, or undefined when it can. */
export function socketPathProblem(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_SOCKET_PATH_BYTES) {
    return undefined;
  }
  return `${path} is ${bytes} bytes long, and a Unix socket's path holds at most ${MAX_SOCKET_PATH_BYTES}; choose a shorter one`;
}

export interface RunRequest {
  type: 'run';
  version: number;
  /** A built-in profile name or an absolute path. */
  profile: string;
  name?: string;
  command: string[];
  env: Record<string, string>;
  cwd: string;
  limits: { memory?: string; cpus?: string; pids?: string; ioReadBps?: string; ioWriteBps?: string };
  restart: string;
  eventsAll?: boolean;
  /** Overrides the profile's PID namespace ("private") or shares the host's ("host"). */
  pid?: 'private' | 'host';
  /** Overrides the profile's network: "none" (only loopback) or "host". */
  network?: 'none' | 'host';
}

export type ClientMessage = { type: 'signal'; signal: string };

export interface Summary {
  decisions: Record<string, number>;
  /** Refusals by syscall, less the expected ones. */
  refusals: Record<string, number>;
  durationMs: number;
  /** Refusals the program recovers from by itself (containers/fallbacks.ts), by syscall. */
  expected?: Record<string, number>;
  /** The signal that ended the last run, if one did. */
  signal?: number;
  /** What the cgroup limits refused over the container's runs, and the limits. */
  cgroup?: { oomKills: number; pidsLimitHits: number; memoryLimitBytes?: number; pidsLimit?: number };
}

export type ServerMessage =
  | { type: 'started'; id: string; name: string; profile: string; pid: number; restarts: number }
  | { type: 'exit'; id: string; exitCode: number; signal?: number; execError?: string }
  | { type: 'restarting'; id: string; restarts: number; delayMs: number }
  | { type: 'done'; id: string; exitCode: number; summary: Summary }
  | { type: 'error'; message: string; details?: string[] };

/** Checks what a client sent; a reason when it is not a run request this agent can take. */
export function checkRunRequest(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return 'the request is not a JSON object';
  }
  const r = value as Partial<RunRequest>;
  if (r.type !== 'run') {
    return `unknown request type ${JSON.stringify(r.type)}`;
  }
  if (r.version !== PROTOCOL_VERSION) {
    return `protocol version ${String(r.version)} is not ${PROTOCOL_VERSION}: zviz and the agent differ in version`;
  }
  if (typeof r.profile !== 'string' || r.profile === '') {
    return 'profile must be a name or an absolute path';
  }
  if (r.profile.includes('/') && !r.profile.startsWith('/')) {
    return 'a profile path must be absolute (the agent does not share your working directory)';
  }
  if (!Array.isArray(r.command) || r.command.length === 0 || !r.command.every((a) => typeof a === 'string')) {
    return 'command must be a non-empty list of strings';
  }
  if (typeof r.cwd !== 'string' || !r.cwd.startsWith('/')) {
    return 'cwd must be an absolute path';
  }
  if (typeof r.env !== 'object' || r.env === null || !Object.values(r.env).every((v) => typeof v === 'string')) {
    return 'env must map names to strings';
  }
  if (typeof r.restart !== 'string') {
    return 'restart must be a string';
  }
  if (r.name !== undefined && typeof r.name !== 'string') {
    return 'name must be a string';
  }
  if (typeof r.limits !== 'object' || r.limits === null) {
    return 'limits must be an object';
  }
  if (r.pid !== undefined && r.pid !== 'private' && r.pid !== 'host') {
    return 'pid must be "private" or "host"';
  }
  if (r.network !== undefined && r.network !== 'none' && r.network !== 'host') {
    return 'network must be "none" or "host"';
  }
  return undefined;
}
