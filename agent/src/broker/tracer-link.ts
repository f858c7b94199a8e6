// Containers the broker runs, traced by the tracer: each run's cgroup v2 id
// on `launching`, before the workload runs, so nothing it does before the
// spawn returns escapes the counts (and again on `started`: a restart reuses
// the cgroup, so tracing it again is a no-op for the tracer); a first run
// that failed to start is dropped at once, and a removed container on
// `expired`: a removed
// container's final series stay as long as its cgroup counters do (the
// cgroup is gone, so nothing more is counted for it). The agent calls this
// once it has both components:
//
//   traceContainers(broker.lifecycle, tracer);
import type { ContainerLaunchingEvent, ContainerStartedEvent } from '../containers/manager';
import type { ContainerLifecycle } from './component';

export interface ContainerTracer {
  trace(containerId: string, cgroupId: string | bigint): void;
  untrace(containerId: string): Promise<void> | void;
}

export function traceContainers(
  lifecycle: ContainerLifecycle,
  tracer: ContainerTracer,
  warn: (message: string, detail: object) => void = () => undefined
): void {
  const warned = new Set<string>();
  const trace = (e: ContainerLaunchingEvent | ContainerStartedEvent) => {
    if (e.cgroupId === undefined) {
      // A host without a cgroup v2 hierarchy: nothing the tracer's programs can match.
      if (!warned.has(e.id)) {
        warned.add(e.id);
        warn('container not traced: this host has no cgroup v2 hierarchy', { container_id: e.id });
      }
      return;
    }
    tracer.trace(e.id, e.cgroupId);
  };
  lifecycle.on('launching', trace);
  lifecycle.on('started', trace);
  const drop = (e: { id: string }) => {
    warned.delete(e.id);
    void Promise.resolve(tracer.untrace(e.id)).catch((error: Error) =>
      warn('tracer could not drop a removed container', { container_id: e.id, err: error.message })
    );
  };
  lifecycle.on('launch-failed', drop);
  lifecycle.on('expired', drop);
}
