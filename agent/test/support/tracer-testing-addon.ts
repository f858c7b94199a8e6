// The zviz_tracer_testing addon (agent/native/testing/exports.cc): the BPF
// programs only benchmarks and tests load, kept out of the production tracer
// addon. Found in the agent's build directory only: it is never packaged.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot, type Loaded } from '../../src/native/load';

/** Empty programs on chosen raw tracepoints: the tracer benchmark's floor. */
export interface NativeFloor {
  attach(tracepoints: string[]): void;
  detach(): void;
}

export interface TracerTestingAddon {
  Floor: new () => NativeFloor;
  /** Makes `n` getppid calls with a counting program attached to raw_syscalls:sys_enter; the count. */
  smokeCountSyscalls(n: number): number;
}

export function tracerTestingAddonPath(root: string = packageRoot()): string {
  return join(root, 'build', 'Release', 'zviz_tracer_testing.node');
}

export function loadTracerTestingAddon(root?: string): Loaded<TracerTestingAddon> {
  const path = tracerTestingAddonPath(root);
  if (!existsSync(path)) {
    return { ok: false, reason: `native addon zviz_tracer_testing not found at ${path}; run npm run build` };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ok: true, addon: require(path) as TracerTestingAddon, path };
  } catch (error) {
    return { ok: false, reason: `native addon zviz_tracer_testing failed to load: ${(error as Error).message}` };
  }
}
