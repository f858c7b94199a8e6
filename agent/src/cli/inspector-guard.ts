// Node opens its inspector, a debugger that runs whatever JavaScript it is
// sent, on 127.0.0.1:9229 when the process gets SIGUSR1 and nothing handles
// that signal; Node 20 has no option to turn this off (--disable-sigusr1
// came with Node 22.14). In the agent or in `zviz run`, both root, that would
// hand the node to any process allowed to signal them: a workload that
// shares the host's PID namespace (--pid host) among them. So SIGUSR1 always
// has a handler in zviz: bin/zviz.js installs one before anything else
// loads, and the agent logs the signal. What remains is Node's own
// bootstrap, before bin/zviz.js runs; a SIGUSR1 that lands there opens the
// inspector, and closeInspectorOpenedBySignal closes it again at once
// (docs/security.md, "The agent's own process").
import inspector from 'node:inspector';

/** Whether the inspector was asked for on the command line (then it is the operator's, and stays). */
function inspectorRequested(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
    /^--inspect(-brk|-wait)?(=|$)/.test(arg)
  );
}

/**
 * Closes the inspector if a signal opened it (one that arrived before the
 * SIGUSR1 handler was installed). Returns whether it did.
 */
export function closeInspectorOpenedBySignal(warn: (message: string) => void): boolean {
  if (inspectorRequested() || inspector.url() === undefined) {
    return false;
  }
  inspector.close();
  warn(
    "Node's inspector was opened by a SIGUSR1 that arrived while Node started, before zviz could refuse it; it is closed again"
  );
  return true;
}

/**
 * Keeps SIGUSR1 from ever opening the inspector in this process (the
 * handler bin/zviz.js installs does the same; a second one costs nothing)
 * and calls `onSignal` for each one that arrives.
 */
export function refuseInspectorSignal(onSignal: () => void = () => undefined): void {
  process.on('SIGUSR1', onSignal);
}
