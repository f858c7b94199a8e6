// The attack suite's harness. It runs one attack program (a small static C
// program of test/security/attacks) inside the sandbox under a built-in
// profile, through `zviz run --standalone` or through a running agent, as
// root, in a scratch workspace of its own; then it looks at what really
// happened on the host instead of trusting what the program says: what
// changed outside the workspace, whether the secret's bytes left their file,
// whether a process of the run outlived it, whether the agent still answers.
//
// Every attack class has one test file here that runs its program under
// every profile of agent/profiles/ and both ways of running, and states the
// exact outcome for each (docs/security.md, "Attack classes and their tests").
import { spawn, execFileSync, type ChildProcessByStdio } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  type BigIntStats,
} from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, expect } from 'vitest';
import { stringify } from 'yaml';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { fileScratchDir } from '@zviz/test-support/scratch';
import { ATTACK_BIN, buildAttacks } from './attack-programs';
import { createCgroupDriver } from '../../agent/src/cgroups/driver';
import { detectCgroups } from '../../agent/src/cgroups/detect';

export const REPO = join(__dirname, '..', '..');
export const ZVIZ = join(REPO, 'agent', 'bin', 'zviz.js');
export const AGENT_BUNDLE = join(REPO, 'agent', 'dist', 'zviz.js');

/** Every built-in profile: a profile added to agent/profiles/ is attacked too (and needs its expectations). */
export const PROFILES: string[] = readdirSync(join(REPO, 'agent', 'profiles'))
  .filter((name) => name.endsWith('.json'))
  .map((name) => basename(name, '.json'))
  .sort();

export type Mode = 'standalone' | 'agent';
export const MODES: Mode[] = ['standalone', 'agent'];

/** Every profile, each both ways: the rows of `it.each`. */
export function matrix(profiles: string[] = PROFILES): Array<[string, Mode]> {
  return profiles.flatMap((profile) => MODES.map((mode): [string, Mode] => [profile, mode]));
}

/**
 * The expectation for `profile` from a table with one entry per built-in
 * profile; a profile the table does not name fails the test (a new profile
 * needs its outcome stated, not guessed).
 */
export function byProfile<T>(profile: string, table: Record<string, T>): T {
  if (!(profile in table)) {
    throw new Error(`no expected outcome stated for profile "${profile}" (have: ${Object.keys(table).join(', ')})`);
  }
  return table[profile];
}

export { ATTACKS, ATTACK_BIN, buildAttacks } from './attack-programs';

/** Extra entries of a scratch tree's outside directory: path relative to it, and content, or null for a directory. */
export type ScratchFiles = Record<string, string | null>;

/**
 * A scratch tree per run, outside every directory a profile lets a workload
 * write (so not under /tmp, /var/tmp or /dev/shm):
 *   ROOT/ws        the workspace (the container's working directory), holding the attack program
 *   ROOT/outside/  a directory the workload must not change: `secret` (0600, random content),
 *                  `victim` (0644), `victim-dir/` with `file`
 * Anything an attack creates, changes or removes outside ROOT/ws shows in `changedOutside()`.
 */
export class Scratch {
  readonly tag = `zviz-attack-${randomBytes(8).toString('hex')}`;
  readonly workspace: string;
  readonly outside: string;
  readonly secretPath: string;
  readonly secret: Buffer;
  readonly victimPath: string;
  readonly victimDir: string;
  private readonly before: Map<string, string>;

  private constructor(
    readonly root: string,
    extra: ScratchFiles = {}
  ) {
    this.workspace = join(root, 'ws');
    this.outside = join(root, 'outside');
    this.secretPath = join(this.outside, 'secret');
    this.victimPath = join(this.outside, 'victim');
    this.victimDir = join(this.outside, 'victim-dir');
    this.secret = Buffer.from(`ZVIZ-SECRET-${randomBytes(24).toString('hex')}\n`);
    mkdirSync(this.workspace, { mode: 0o755 });
    mkdirSync(this.victimDir, { recursive: true, mode: 0o755 });
    chmodSync(root, 0o755);
    chmodSync(this.outside, 0o755);
    writeFileSync(this.secretPath, this.secret, { mode: 0o600 });
    writeFileSync(this.victimPath, 'victim: must stay as it is\n', { mode: 0o644 });
    writeFileSync(join(this.victimDir, 'file'), 'in the victim directory\n', { mode: 0o644 });
    for (const [rel, content] of Object.entries(extra)) {
      const path = join(this.outside, rel);
      if (content === null) {
        mkdirSync(path, { recursive: true, mode: 0o755 });
      } else {
        mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
        writeFileSync(path, content, { mode: 0o644 });
      }
    }
    this.before = this.snapshot();
  }

  /**
   * A new scratch tree; `extra` adds files (content) or directories (null) under ROOT/outside. Gone when the
   * test file ends at the latest (fileScratchDir), whatever failed before its suite's own cleanup. `parent` is
   * where ROOT is made (a test that hides /var/lib in a mount namespace of its own puts it elsewhere).
   */
  static create(extra: ScratchFiles = {}, parent = '/var/lib'): Scratch {
    return new Scratch(fileScratchDir('zviz-attack-', parent), extra);
  }

  /** Puts an attack program into the workspace (strict runs programs only from system directories and the workspace). */
  install(program: string): string {
    const target = join(this.workspace, program);
    copyFileSync(join(ATTACK_BIN, program), target);
    chmodSync(target, 0o755);
    return target;
  }

  /** Every entry under ROOT but the workspace, with type, mode, owner, size, times, link count and content. */
  snapshot(): Map<string, string> {
    const entries = new Map<string, string>();
    const walk = (path: string, rel: string) => {
      if (path === this.workspace) {
        return;
      }
      let st: BigIntStats;
      try {
        st = lstatSync(path, { bigint: true });
      } catch {
        return; // removed while walking: the caller compares again
      }
      let content = '';
      if (st.isFile()) {
        content = createHash('sha256').update(readFileSync(path)).digest('hex');
      } else if (st.isSymbolicLink()) {
        content = `-> ${readlinkSync(path)}`;
      }
      entries.set(
        rel,
        `mode=${st.mode.toString(8)} owner=${st.uid}:${st.gid} size=${st.size} nlink=${st.nlink} ` +
          `mtime=${st.mtimeNs} ctime=${st.ctimeNs} ${content}`
      );
      if (st.isDirectory()) {
        for (const name of readdirSync(path).sort()) {
          walk(join(path, name), rel === '.' ? name : `${rel}/${name}`);
        }
      }
    };
    walk(this.root, '.');
    return entries;
  }

  /** What differs outside the workspace since the scratch was made, one line per entry ("+ new", "- gone", "~ changed"). */
  changedOutside(): string[] {
    const after = this.snapshot();
    const changes: string[] = [];
    for (const [path, was] of this.before) {
      const now = after.get(path);
      if (now === undefined) {
        changes.push(`- ${path}`);
      } else if (now !== was) {
        changes.push(`~ ${path}: ${was} => ${now}`);
      }
    }
    for (const path of after.keys()) {
      if (!this.before.has(path)) {
        changes.push(`+ ${path}`);
      }
    }
    return changes;
  }

  /**
   * Where the secret got to, if anywhere: in `text` (raw or as the attack
   * programs print bytes, hex), in a file of the workspace, or as a
   * workspace name for its inode (a hard link).
   */
  secretFoundIn(text: string): string[] {
    const found: string[] = [];
    const secret = this.secret.toString('utf8').trim();
    const secretHex = Buffer.from(secret).toString('hex');
    if (text.includes(secret) || text.includes(secretHex)) {
      found.push('the output');
    }
    const { ino, dev } = lstatSync(this.secretPath, { bigint: true });
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        let st: BigIntStats;
        try {
          st = lstatSync(path, { bigint: true });
        } catch {
          continue;
        }
        if (st.ino === ino && st.dev === dev) {
          found.push(`${path} (a link to the secret)`);
        } else if (st.isDirectory()) {
          walk(path);
        } else if (st.isFile() && st.size < 16n * 1024n * 1024n) {
          const data = readFileSync(path);
          if (data.includes(secret) || data.includes(secretHex)) {
            found.push(path);
          }
        }
      }
    };
    walk(this.workspace);
    return found;
  }

  /** The environment every attack gets: where the scratch tree is, and the tag that finds its processes. */
  env(): Record<string, string> {
    return {
      ZVIZ_ATTACK_TAG: this.tag,
      ZVIZ_ATTACK_OUTSIDE: this.outside,
      ZVIZ_ATTACK_SECRET: this.secretPath,
      ZVIZ_ATTACK_VICTIM: this.victimPath,
      ZVIZ_ATTACK_VICTIM_DIR: this.victimDir,
    };
  }

  remove(): void {
    // Attacks that got through may have left immutable or odd entries; the tree is ours.
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Processes that belong to a run: its tag in their environment, or their working directory in its scratch tree. */
export function processesOf(scratch: Scratch): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) {
      continue;
    }
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(scratch.tag)) {
        pids.push(Number(name));
        continue;
      }
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === scratch.root || cwd.startsWith(`${scratch.root}/`)) {
        pids.push(Number(name));
      }
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

function describeProcess(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    const state = /^State:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
    return `${pid} (${cmdline}, ${state})`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** An agent of the test's own (private control socket, port and cgroup group), as `zviz agent` runs on a node. */
export class AttackAgent {
  private constructor(
    readonly child: ReturnType<typeof spawn>,
    readonly dir: string,
    readonly port: number,
    readonly group: string,
    private readonly output: string[],
    private readonly logFile: string,
    readonly auditPath: string,
    /** Its control socket (broker.control_socket). */
    readonly socket: string
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get log(): string {
    return this.output.join('');
  }

  /**
   * `wrap` runs the agent's command (its argv, node first) in another, such as one that sets up a session keyring;
   * `zviz` is the zviz command to run (default: the build's, agent/bin/zviz.js), such as a private copy of the package.
   * `files` puts the configuration, the log and the audit log elsewhere than beside the control socket (whose
   * directory every view masks), `auth` sets the API's authentication (metrics.auth), and `containers` the
   * configured containers the agent starts (`containers:`).
   * `sections` adds configuration sections of the agent's own (such as `tracer`).
   * `notReady` waits for /health alone: an agent some of whose configured containers cannot start is never ready.
   * `socket` puts the control socket elsewhere than in the agent's own directory.
   */
  static async start(
    options: {
      wrap?: (argv: string[]) => string[];
      zviz?: string;
      files?: { config: string; log: string; audit: string };
      auth?: Record<string, unknown>;
      containers?: Array<Record<string, unknown>>;
      sections?: Record<string, unknown>;
      notReady?: boolean;
      socket?: string;
    } = {}
  ): Promise<AttackAgent> {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-attack-agent-'));
    const port = await freePort();
    const group = `zviz-attack-${process.pid}-${port}`;
    const socket = options.socket ?? join(dir, 'agent.sock');
    const files = options.files ?? {
      config: join(dir, 'config.yaml'),
      log: join(dir, 'agent.log'),
      audit: join(dir, 'audit.json'),
    };
    const config = {
      metrics: {
        address: `127.0.0.1:${port}`,
        rate_limit: { rps: 0 },
        ...(options.auth ? { auth: options.auth } : {}),
      },
      logging: { format: 'json', output: files.log, audit: { path: files.audit } },
      broker: { control_socket: socket, cgroup_group: group },
      ...(options.containers ? { containers: options.containers } : {}),
      ...(options.sections ?? {}),
    };
    writeFileSync(files.config, stringify(config));
    const output: string[] = [];
    const command = [process.execPath, options.zviz ?? ZVIZ, 'agent', '--config', files.config];
    const argv = options.wrap ? options.wrap(command) : command;
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '' },
    });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    const agent = new AttackAgent(child, dir, port, group, output, files.log, files.audit, socket);
    try {
      await waitFor(
        'the agent to be ready',
        async () =>
          (await fetch(`${agent.url}/${options.notReady ? 'health' : 'ready'}`)).ok && existsSync(agent.socket),
        { timeoutMs: 30_000 }
      );
    } catch (error) {
      await agent.stop();
      throw new Error(`${(error as Error).message}\nagent output:\n${agent.log}`);
    }
    return agent;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Why the agent is not alive and answering /health, or undefined when it is. */
  async notAlive(): Promise<string | undefined> {
    if (!this.running) {
      return `the agent exited (code ${this.child.exitCode}, signal ${this.child.signalCode})\n${this.fullLog()}`;
    }
    try {
      const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.status !== 200) {
        return `/health answered ${response.status}: ${await response.text()}`;
      }
      const health = (await response.json()) as { broker?: { status?: string } };
      if (health.broker?.status !== 'running') {
        return `the broker is not running: ${JSON.stringify(health)}`;
      }
    } catch (error) {
      return `/health did not answer: ${(error as Error).message}`;
    }
    return undefined;
  }

  fullLog(): string {
    let file = '';
    try {
      file = readFileSync(this.logFile, 'utf8');
    } catch {
      // not written yet
    }
    return `${this.log}${file}`;
  }

  /** The agent's audit records (one JSON object a line). */
  audit(): Array<Record<string, unknown>> {
    if (!existsSync(this.auditPath)) {
      return [];
    }
    return readFileSync(this.auditPath, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async containers(): Promise<Array<{ id: string; name: string; pid: number; state: string; cgroup?: string }>> {
    const body = (await (await fetch(`${this.url}/api/v1/containers`)).json()) as {
      containers: Array<{ id: string; name: string; pid: number; state: string; cgroup?: string }>;
    };
    return body.containers;
  }

  async stop(): Promise<void> {
    if (this.running) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    // A killed agent leaves its containers' cgroups behind for the next agent
    // of its group to reclaim; no agent of this group comes again, so the
    // suite reclaims them (a CI run leaked about 20 groups otherwise).
    const cgroups = createCgroupDriver(detectCgroups(), this.group);
    for (const id of cgroups.existing()) {
      const left = cgroups.open(id);
      if (!(await left.drain(5_000))) {
        throw new Error(`container cgroup ${id} of the stopped agent still has processes: ${left.procs().join(' ')}`);
      }
      await left.remove();
    }
    cgroups.removeGroup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A `wrap` that runs zviz run as a shell runs `zviz run ... 2>>LOG <DIR`: stderr appended to a
 * file of the caller's and a directory of the caller's as stdin (zviz run's own summary goes to
 * LOG too).
 */
export function callerStdio(log: string, dir: string): (argv: string[]) => string[] {
  return (argv) => ['/bin/sh', '-c', 'log=$1 dir=$2; shift 2; exec "$@" 2>>"$log" <"$dir"', 'sh', log, dir, ...argv];
}

export interface RunOptions {
  profile: string;
  mode: Mode;
  /** A program of test/security/attacks/bin, copied into the workspace and run from there. */
  program: string;
  args?: string[];
  env?: Record<string, string>;
  memory?: string;
  pids?: number;
  /** zviz run is killed (SIGKILL) after this long; the run then counts as timed out. */
  timeoutMs?: number;
  /** Called once zviz run has started (to watch the workload, kill the agent, ...). */
  whileRunning?: (run: { zviz: ReturnType<typeof spawn>; scratch: Scratch }) => Promise<void>;
  /** A scratch tree prepared by the test (default: a new one). */
  scratch?: Scratch;
  /** More `zviz run` options (such as --pid host), before the command. */
  zvizArgs?: string[];
  /** In mode "agent": the agent to run through (default: the suite's). */
  agent?: AttackAgent;
  /**
   * The command that runs `zviz run` (its argv, node first) in another, such
   * as script(1) to give it a terminal, or a program that sets up a session
   * keyring; zviz run's summary is then looked for in stdout too.
   */
  wrap?: (argv: string[]) => string[];
  /** Keep zviz run's stdin an open pipe (nothing is written to it) instead of /dev/null. */
  stdinPipe?: boolean;
  /** The zviz command to run (default: the build's, agent/bin/zviz.js), such as a private copy of the package. */
  zviz?: string;
}

export interface AttackRun {
  profile: string;
  mode: Mode;
  scratch: Scratch;
  /** The `zviz run` process (the workload's parent when it runs standalone with --pid host). */
  zvizPid: number;
  /** zviz run's exit code (the workload's, or 125 when zviz itself failed). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** From zviz run's summary line: present when zviz run (and, through an agent, the agent) saw the run to its end. */
  summary?: string;
  containerId?: string;
  /** "NAME OUTCOME" lines of the program, by NAME. */
  results: Map<string, string>;
}

/** The program's outcome for one attempt, failing with everything it printed if it never got there. */
export function outcomeOf(run: AttackRun, name: string): string {
  const value = run.results.get(name);
  if (value === undefined) {
    throw new Error(
      `the attack printed nothing for "${name}" (${run.profile}, ${run.mode}; exit ${run.code}, signal ${run.signal}` +
        `${run.timedOut ? ', timed out' : ''})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`
    );
  }
  return value;
}

/** Every outcome of the run, by name, for `toEqual` against a table. */
export function outcomes(run: AttackRun, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, outcomeOf(run, name)]));
}

function parseResults(stdout: string): Map<string, string> {
  const results = new Map<string, string>();
  for (const line of stdout.split(/\r?\n/)) {
    const space = line.indexOf(' ');
    if (space > 0) {
      results.set(line.slice(0, space), line.slice(space + 1));
    }
  }
  return results;
}

export interface AttackSuite {
  /** The suite's agent (started before the first test). */
  agent(): AttackAgent;
  /** Stops the suite's agent (SIGKILL when `kill`) and starts a new one, for tests that kill it. */
  restartAgent(kill?: boolean): Promise<AttackAgent>;
  /** Runs an attack program to its end (or its timeout). */
  run(options: RunOptions): Promise<AttackRun>;
  /**
   * Runs an attack program outside any sandbox, as root, in a scratch tree
   * of its own: what the bare kernel answers, the reference for what an
   * emulating broker must answer too.
   */
  runBare(program: string, args?: string[]): { scratch: Scratch; stdout: string; results: Map<string, string> };
  /**
   * Starts `sleeper` in a container of its own (the victim of attacks on
   * other containers) under `profile`, and waits until it is ready.
   */
  victim(profile: string, mode: Mode): Promise<Victim>;
  /**
   * What holds after every attack under every profile: zviz run saw the run
   * to its end (its summary line: it did not crash), the agent is alive and
   * answers /health with a running broker, no process of the run is left;
   * and, as asked, nothing changed outside the workspace and the secret's
   * bytes are nowhere the workload could leave them.
   */
  expectContained(run: AttackRun, what?: { outsideUnchanged?: boolean; secretKept?: boolean }): Promise<void>;
}

/** Runs `body` as a suite of attack tests: needs root, seccomp user notification and the built agent. */
export function attackSuite(name: string, body: (suite: AttackSuite) => void): void {
  describeWhere([root, seccompUserNotif, file(AGENT_BUNDLE, 'needs the built agent (npm run build)')], name, () => {
    let agent: AttackAgent | undefined;
    let starting: Promise<AttackAgent> | undefined;
    const scratches: Scratch[] = [];

    beforeAll(async () => {
      buildAttacks();
      starting = AttackAgent.start();
      agent = await starting;
    }, 60_000);

    afterAll(async () => {
      // A beforeAll that timed out goes on starting the agent: stop that one as well, once it is up.
      agent ??= await starting?.catch(() => undefined);
      try {
        await agent?.stop();
      } finally {
        scratches.forEach((scratch) => scratch.remove());
      }
    });

    const suite: AttackSuite = {
      agent: () => {
        if (!agent) {
          throw new Error('the suite has no agent (beforeAll failed)');
        }
        return agent;
      },

      restartAgent: async (kill = false) => {
        if (agent && kill && agent.running) {
          const exited = new Promise((resolve) => agent!.child.once('exit', resolve));
          agent.child.kill('SIGKILL');
          await exited;
        }
        await agent?.stop();
        agent = await AttackAgent.start();
        return agent;
      },

      run: async (options) => {
        const scratch = options.scratch ?? Scratch.create();
        if (!scratches.includes(scratch)) {
          scratches.push(scratch);
        }
        scratch.install(options.program);
        const via = options.mode === 'agent' ? ['--socket', (options.agent ?? suite.agent()).socket] : ['--standalone'];
        const env = { ...scratch.env(), ...(options.env ?? {}) };
        const args = [
          options.zviz ?? ZVIZ,
          'run',
          ...via,
          '--profile',
          options.profile,
          '--workdir',
          scratch.workspace,
          ...(options.memory ? ['--memory', options.memory] : []),
          ...(options.pids ? ['--pids', String(options.pids)] : []),
          ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
          ...(options.zvizArgs ?? []),
          '--',
          `./${options.program}`,
          ...(options.args ?? []),
        ];
        const argv = options.wrap ? options.wrap([process.execPath, ...args]) : [process.execPath, ...args];
        const child = spawn(argv[0], argv.slice(1), {
          cwd: scratch.workspace,
          stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
          env: { ...process.env, ZVIZ_AGENT_SOCKET: '' },
        }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => stdout.push(c));
        child.stderr.on('data', (c: Buffer) => stderr.push(c));
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once('close', (code, signal) => resolve({ code, signal }))
        );
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs ?? 45_000);
        try {
          await options.whileRunning?.({ zviz: child, scratch });
          const { code, signal } = await exited;
          const err = Buffer.concat(stderr).toString('utf8');
          const summaryLine = /^zviz: (\S+) \(([^)]+)\) exited with code [^\r\n]*/m;
          const summary =
            summaryLine.exec(err) ?? (options.wrap ? summaryLine.exec(Buffer.concat(stdout).toString('utf8')) : null);
          return {
            profile: options.profile,
            mode: options.mode,
            scratch,
            zvizPid: child.pid ?? 0,
            code,
            signal,
            timedOut,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: err,
            summary: summary?.[0],
            containerId: summary?.[1],
            results: parseResults(Buffer.concat(stdout).toString('utf8')),
          };
        } finally {
          clearTimeout(timer);
        }
      },

      runBare: (program, args = []) => {
        const scratch = Scratch.create();
        scratches.push(scratch);
        const path = scratch.install(program);
        const stdout = execFileSync(path, args, {
          cwd: scratch.workspace,
          env: { ...process.env, ...scratch.env() },
          encoding: 'utf8',
          timeout: 30_000,
        });
        return { scratch, stdout, results: parseResults(stdout) };
      },

      expectContained: async (run, what = {}) => {
        const context = `${run.profile}, ${run.mode}`;
        expect(run.timedOut, `${context}: the run timed out\n${run.stdout}\n${run.stderr}`).toBe(false);
        expect(run.summary, `${context}: zviz run ended without its summary line:\n${run.stderr}`).toBeDefined();
        const why = await suite.agent().notAlive();
        expect(why, `${context}: the agent`).toBeUndefined();
        let left: number[] = [];
        try {
          await waitFor(
            'no process of the run',
            async () => {
              left = processesOf(run.scratch);
              return left.length === 0;
            },
            { timeoutMs: 5_000 }
          );
        } catch {
          const described = left.map(describeProcess);
          left.forEach((pid) => {
            try {
              process.kill(pid, 'SIGKILL'); // this test's own workload, left behind
            } catch {
              // gone meanwhile
            }
          });
          expect(described, `${context}: processes of the run outlived it`).toEqual([]);
        }
        if (what.outsideUnchanged) {
          expect(run.scratch.changedOutside(), `${context}: changed outside the workspace`).toEqual([]);
        }
        if (what.secretKept) {
          expect(run.scratch.secretFoundIn(run.stdout + run.stderr), `${context}: the secret got out`).toEqual([]);
        }
      },

      victim: async (profile, mode) => {
        const scratch = Scratch.create();
        const memory = `ZVIZ-VICTIM-MEMORY-${randomBytes(12).toString('hex')}`;
        const file = `ZVIZ-VICTIM-FILE-${randomBytes(12).toString('hex')}\n`;
        writeFileSync(join(scratch.workspace, 'victim-file'), file, { mode: 0o600 });
        const done = suite.run({
          profile,
          mode,
          program: 'sleeper',
          scratch,
          env: { ZVIZ_ATTACK_VICTIM_MEMORY: memory },
          timeoutMs: 120_000,
        });
        const ready = join(scratch.workspace, 'ready');
        const [, address] = await waitFor('the victim to be ready', async () => {
          try {
            return readFileSync(ready, 'utf8').trim().split(' ');
          } catch {
            return undefined;
          }
        });
        const pid = processesOf(scratch).find((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('./sleeper\0');
          } catch {
            return false;
          }
        });
        if (!pid) {
          throw new Error('the victim runs, but its process is not to be found');
        }
        return {
          scratch,
          pid,
          address,
          memory,
          file,
          signalled: () => existsSync(join(scratch.workspace, 'signalled')),
          stop: async () => {
            writeFileSync(join(scratch.workspace, 'stop'), '');
            return done;
          },
        };
      },
    };

    body(suite);
  });
}

/** A workload of another container, waiting to be attacked (attacks/sleeper.c). */
export interface Victim {
  scratch: Scratch;
  /** Its process, as the host numbers it. */
  pid: number;
  /** Where its memory holds `memory` (its own address space). */
  address: string;
  memory: string;
  /** The content of its workspace's victim-file. */
  file: string;
  /** Whether it got a SIGUSR2. */
  signalled(): boolean;
  stop(): Promise<AttackRun>;
}

/**
 * Listeners on the host a workload must not reach: TCP and UDP on 127.0.0.1
 * and a unix stream socket (a path, and an abstract name). Each records every
 * connection and datagram it gets.
 */
export class HostListeners {
  readonly seen: string[] = [];
  private tcp?: Server;
  private udp?: UdpSocket;
  private unix?: Server;
  private abstract?: Server;
  tcpPort = 0;
  udpPort = 0;
  readonly abstractName = `zviz-attack-${randomBytes(6).toString('hex')}`;

  constructor(readonly unixPath: string) {}

  async start(): Promise<void> {
    const stream = (what: string) =>
      createTcpServer((socket) => {
        this.seen.push(`${what} connection`);
        socket.on('data', (d) => this.seen.push(`${what} data ${d.toString('hex')}`));
        socket.on('error', () => undefined);
      });
    this.tcp = stream('tcp');
    await new Promise<void>((resolve) => this.tcp!.listen(0, '127.0.0.1', resolve));
    this.tcpPort = (this.tcp.address() as { port: number }).port;
    this.udp = createSocket('udp4');
    this.udp.on('message', (m) => this.seen.push(`udp data ${m.toString('hex')}`));
    await new Promise<void>((resolve) => this.udp!.bind(0, '127.0.0.1', resolve));
    this.udpPort = this.udp.address().port;
    this.unix = stream('unix');
    await new Promise<void>((resolve) => this.unix!.listen(this.unixPath, resolve));
    this.abstract = stream('abstract');
    await new Promise<void>((resolve) => this.abstract!.listen(`\0${this.abstractName}`, resolve));
  }

  env(): Record<string, string> {
    return {
      ZVIZ_ATTACK_TCP_PORT: String(this.tcpPort),
      ZVIZ_ATTACK_UDP_PORT: String(this.udpPort),
      ZVIZ_ATTACK_UNIX: this.unixPath,
      ZVIZ_ATTACK_ABSTRACT: this.abstractName,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.tcp, this.unix, this.abstract].map(
        (server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
      )
    );
    this.udp?.close();
  }
}

/** What the attack programs print for a host file they must not read: "read-hash LENGTH:FNV1A64" (attack.h). */
export function readHash(content: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of content) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `read-hash ${content.length}:${h.toString(16).padStart(16, '0')}`;
}

export interface RaceCounts {
  opened: number;
  refused: number;
  leaked: number;
  writable: number;
}

/** The counts a race of attacks/race.h printed: "NAME opened=N refused=N leaked=N writable=N". */
export function raceCounts(run: AttackRun, name: string): RaceCounts {
  const line = outcomeOf(run, name);
  const match = /^opened=(\d+) refused=(\d+) leaked=(\d+) writable=(\d+)$/.exec(line);
  if (!match) {
    throw new Error(`"${name}" is not a race's line: ${line}`);
  }
  const [opened, refused, leaked, writable] = match.slice(1).map(Number);
  return { opened, refused, leaked, writable };
}
