// The agent's own files, out of every workload's reach whatever its profile
// (docs/security.md, "The agent's own files"). Under `default` and `observe`
// a workload writes the node's files as root; among them are the agent's
// installation (its bundle, the broker addon, zviz-spawn and zviz-init, the
// built-in profiles), which the next agent start or `zviz run --standalone`
// executes as root, its configuration and the secrets it names (the API's
// token, TLS key), and the audit log that records the workload's refusals.
// Each container's mount view gets, as its last steps, every directory that
// holds one of them pinned (bound on itself, so that no rename moves the
// file to a name the next container's masks do not know), the installation,
// the configuration's directory and the profiles the agent loads by path
// made read-only, and the secrets, the configuration file and the
// directories the agent writes (audit, log) masked: a read-only empty tmpfs
// over a directory, an empty read-only file over a file
// (spawn/mount_calls.cc, Mask and Pin).
import { dirname, isAbsolute, resolve } from 'node:path';

import type { FilesystemPlan, MountStep } from '../native/broker-addon';
import { within } from './path-within';

/** What of the agent's files a container's view protects. */
export interface AgentFiles {
  /**
   * Read-only in every view: the agent's installation (its package: the
   * bundle, the broker addon, zviz-spawn and zviz-init, the built-in
   * profiles; docs/security.md, "The programs a start executes"), the
   * configuration's own directory, the TLS certificate, profiles loaded by path.
   */
  readOnly: string[];
  /** Hidden (empty): secrets and the configuration file, the audit and log directories (or files, in a shared directory). */
  masked: string[];
}

/**
 * Directories that hold more than the agent's files: a file of the agent
 * directly in one of them is protected alone (the directory stays as the
 * profile has it), so rotated siblings of a log placed there are not hidden.
 */
const SHARED_DIRS = new Set([
  '/etc',
  '/run',
  '/var/run',
  '/var/tmp',
  '/var/lib',
  '/var/log',
  '/var/cache',
  '/usr/local',
  '/usr/lib',
  '/usr/share',
  '/opt',
  '/srv',
  '/home',
  '/root',
  '/tmp',
]);

/** Whether `dir` holds only what its owner put there: neither / nor a top-level or shared system directory. */
function ownDirectory(dir: string): boolean {
  return dir.split('/').length > 2 && !SHARED_DIRS.has(dir);
}

/** The directory of `file` when it is a directory of its own, else the file itself. */
function dirOrFile(file: string): string {
  const dir = dirname(file);
  return ownDirectory(dir) ? dir : file;
}

/** The parts of the agent's configuration that name its files (config/schema.ts, containers/config.ts). */
export interface AgentFilesConfig {
  logging: { output: string; audit: { enabled: boolean; path: string } };
  metrics: {
    auth: { type: string; token_file?: string };
    tls?: { cert_file: string; key_file: string };
  };
  containers?: ReadonlyArray<{ profile: string }>;
}

/**
 * The agent's files from its configuration: `configFile` is the file its
 * configuration is read from (or would be: an absent default file is still
 * protected where it would be made); `installation` the package it runs from
 * (the root is never one).
 */
export function agentFilesOf(
  configFile: string | undefined,
  config: AgentFilesConfig | undefined,
  installation?: string
): AgentFiles {
  const readOnly: string[] = [];
  const masked: string[] = [];
  if (installation && resolve(installation) !== '/') {
    readOnly.push(installation);
  }
  if (configFile) {
    masked.push(configFile); // it may hold the API's token or passwords inline
    const dir = dirname(configFile);
    if (ownDirectory(dir)) {
      readOnly.push(dir); // nothing added beside it (a profile, a token file the next start is pointed at)
    }
  }
  if (config) {
    const auth = config.metrics.auth;
    if (auth.type === 'bearer' && auth.token_file) {
      masked.push(auth.token_file);
    }
    if (config.metrics.tls) {
      masked.push(config.metrics.tls.key_file);
      readOnly.push(config.metrics.tls.cert_file);
    }
    if (config.logging.audit.enabled) {
      masked.push(dirOrFile(config.logging.audit.path));
    }
    if (config.logging.output !== 'stderr' && config.logging.output !== 'stdout') {
      masked.push(dirOrFile(config.logging.output));
    }
    for (const container of config.containers ?? []) {
      if (isAbsolute(container.profile)) {
        readOnly.push(container.profile);
      }
    }
  }
  // Relative names are the agent's, from its working directory.
  const unique = (paths: string[]) => [...new Set(paths.map((p) => resolve(p)))];
  return { readOnly: unique(readOnly), masked: unique(masked) };
}

/**
 * The step that decides what the view shows at the host's `path`: the
 * deepest one holding it. A pin shows what was there: it decides nothing.
 */
function decidingStep(steps: readonly MountStep[], path: string): MountStep | undefined {
  let deepest: MountStep | undefined;
  for (const step of steps) {
    if (step.kind !== 'pin' && within(path, step.path) && (!deepest || step.path.length >= deepest.path.length)) {
      deepest = step;
    }
  }
  return deepest;
}

/**
 * Whether the host's `path` is in the view `plan` makes: the deciding step
 * (a tmpfs or mask hides it, any other step shows it); with no such step the
 * host view shows the host's tree and the allow-list view shows nothing.
 */
export function inView(plan: FilesystemPlan | undefined, path: string): boolean {
  const deepest = decidingStep(plan?.mounts ?? [], path);
  if (!deepest) {
    return (plan?.view ?? 'host') === 'host';
  }
  return deepest.kind === 'readOnly' || deepest.kind === 'writable';
}

/**
 * Whether the host's `path` is on a read-only mount of the view `steps`
 * make (made read-only with everything mounted inside it,
 * spawn/mount_calls.cc ReadOnlyInPlace).
 */
function readOnlyIn(steps: readonly MountStep[], path: string): boolean {
  return decidingStep(steps, path)?.kind === 'readOnly';
}

/** Every directory above `path` but the root, the outermost first. */
function ancestors(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); dir !== '/' && dir !== '.'; dir = dirname(dir)) {
    dirs.unshift(dir);
  }
  return dirs;
}

/**
 * `plan` with `files` protected, as its last steps (pins, then read-only
 * ones, parents before what they hold, then the masks), so that no step of
 * the profile re-opens them. A mask is a mount over one path: under a view
 * the workload writes (default, observe), renaming a directory above it
 * moves the real file, mask and all, to a name the next container's masks
 * do not know, and leaves the old name free for a file of the workload's. So
 * every directory above a protected path the view shows is pinned (made a
 * mount point: rename and rmdir get EBUSY); the allow-list view needs none
 * (the directories above what it attaches are its own, read-only). A path the workload's working directory lies in is
 * left as the profile has it and reported through `skipped` (protecting it
 * would take the workspace away). A read-only step is added only where the
 * view shows the path: in the allow-list view it would otherwise bring the
 * host's path into the view, and under a profile's tmpfs it would show what
 * the tmpfs hides. Missing paths are skipped where the view is made.
 */
export function withAgentFiles(
  plan: FilesystemPlan | undefined,
  files: AgentFiles,
  cwd: string,
  skipped?: (path: string) => void
): FilesystemPlan | undefined {
  const keep = (path: string) => {
    if (within(cwd, path)) {
      skipped?.(path);
      return false;
    }
    return true;
  };
  const depth = (path: string) => path.split('/').length;
  const readOnly = files.readOnly
    .filter((path) => keep(path) && inView(plan, path))
    .sort((a, b) => depth(a) - depth(b))
    .map((path): MountStep => ({ path, kind: 'readOnly' }));
  const masks = files.masked.filter(keep).map((path): MountStep => ({ path, kind: 'mask' }));
  if (readOnly.length === 0 && masks.length === 0) {
    return plan;
  }
  const view = plan?.view ?? 'host';
  const shown = [...readOnly, ...masks].map((step) => step.path).filter((path) => inView(plan, path));
  // A directory whose parent is read-only in the view cannot be renamed or
  // removed there (EROFS) and needs no pin. That spares `ci-runner`'s
  // read-only host view every pin, each of which copied every mount inside
  // its directory into the view (a pin of /var held a node's thousands of
  // /var/lib/kubelet mounts a second time; docs/benchmarks.md, "Mounts of
  // the node").
  const steps = [...(plan?.mounts ?? []), ...readOnly];
  const pins =
    view === 'host'
      ? [...new Set(shown.flatMap(ancestors))]
          // A protected directory is a mount point of its own step already.
          .filter((dir) => !shown.includes(dir) && inView(plan, dir) && !readOnlyIn(steps, dirname(dir)))
          .sort((a, b) => depth(a) - depth(b))
          .map((path): MountStep => ({ path, kind: 'pin' }))
      : [];
  return { view, mounts: [...(plan?.mounts ?? []), ...pins, ...readOnly, ...masks] };
}
