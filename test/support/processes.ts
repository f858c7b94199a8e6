// Ending a process a test started, and waiting until it is gone, so that what
// it held (its port, its files, its cgroups) is free when the test goes on.
import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to `child` unless it has ended already, and resolves once it has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
