// The demo's children, each in its own process group (detached), so that
// Ctrl-C reaches the demo alone and the demo stops them in order: workloads,
// backend, agent (which stops its containers and removes their cgroups),
// Prometheus. Anything that does not stop in time is killed with its whole
// group, and the demo checks that no group is left.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** The file its output goes to, when it has one. */
  log?: string;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Processes {
  private readonly children: Child[] = [];

  /** Starts `command` in a new process group; output to `log` (appended) unless stdio says otherwise. */
  start(name: string, command: string, args: string[], options: SpawnOptions & { log?: string } = {}): Child {
    const fd = options.log ? openSync(options.log, 'a') : undefined;
    const child = spawn(command, args, {
      stdio: fd === undefined ? 'ignore' : ['ignore', fd, fd],
      ...options,
      detached: true,
    });
    if (fd !== undefined) {
      closeSync(fd);
    }
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.once('error', (error) => resolve(error.message));
    });
    const entry: Child = { name, process: child, exited, log: options.log };
    this.children.push(entry);
    return entry;
  }

  /** Children still running, newest first. */
  running(): Child[] {
    return this.children.filter((c) => c.process.exitCode === null && c.process.signalCode === null).reverse();
  }

  /**
   * Stops one child: `signal` to its process group, then SIGKILL to the group
   * after `graceMs`. Resolves once the process has exited and its group is empty.
   */
  async stop(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    const pid = child.process.pid;
    if (pid === undefined) {
      return;
    }
    const signalGroup = (s: NodeJS.Signals) => {
      try {
        process.kill(-pid, s);
      } catch {
        // Already gone.
      }
    };
    if (child.process.exitCode === null && child.process.signalCode === null) {
      signalGroup(signal);
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await child.exited;
      clearTimeout(timer);
    }
    // Grandchildren that outlived the leader (a shell's background job) go with the group.
    if (groupAlive(pid)) {
      signalGroup('SIGKILL');
      const deadline = Date.now() + 2000;
      while (groupAlive(pid) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Process groups of children that still have a live process. */
  leftovers(): string[] {
    return this.children.filter((c) => c.process.pid !== undefined && groupAlive(c.process.pid)).map((c) => c.name);
  }

  /** Last resort (a second Ctrl-C): SIGKILL to every group at once. */
  killAll(): void {
    for (const c of this.children) {
      if (c.process.pid !== undefined) {
        try {
          process.kill(-c.process.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }
}
