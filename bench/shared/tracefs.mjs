// tracefs for bpftrace's tracepoints, shared by the benchmarks that trace.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const TRACEFS = '/sys/kernel/tracing';

/** Mounts tracefs when it is not (bpftrace: "tracepoint not found"), and unmounts it again when the process exits. */
export function mountTracefs() {
  if (existsSync(`${TRACEFS}/events`)) {
    return;
  }
  try {
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', TRACEFS], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(
      `bpftrace needs tracefs at ${TRACEFS} and mounting it failed: ${String(error.stderr ?? error).trim()}`
    );
  }
  process.on('exit', () => {
    try {
      execFileSync('umount', [TRACEFS], { stdio: 'ignore' });
    } catch {
      // busy or already gone: leaving it mounted harms nothing
    }
  });
}
