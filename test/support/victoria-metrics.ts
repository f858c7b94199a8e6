// A real scale-out store for tests: single-node VictoriaMetrics, built from
// the Go module proxy by scripts/setup.sh (`go install` into the tools cache,
// never into the repository), started on a free port with its data in a
// temporary directory and stopped with it. Prometheus remote-writes to it
// (`/api/v1/write`) and it answers Prometheus' query API, as Mimir, Thanos
// and Cortex do.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, waitFor } from './ports';

import { stopChild } from './processes';

/** The version scripts/setup.sh installs; the tests refuse another. */
export const VICTORIA_METRICS_VERSION = 'v1.151.0';

/** Where scripts/setup.sh puts Go tools: $ZVIZ_TOOLS_BIN, else ~/.cache/zviz/bin. */
export function toolsBin(): string {
  return process.env.ZVIZ_TOOLS_BIN || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'zviz', 'bin');
}

export function victoriaMetricsBinary(): string {
  return join(toolsBin(), 'victoria-metrics');
}

/** Why VictoriaMetrics cannot run here, or undefined. */
export function victoriaMetricsMissing(): string | undefined {
  const binary = victoriaMetricsBinary();
  if (!existsSync(binary)) {
    return `needs VictoriaMetrics ${VICTORIA_METRICS_VERSION} at ${binary} (bash scripts/setup.sh installs it)`;
  }
  // A `go install`ed binary names its module version in its build information.
  let info = '';
  try {
    info = execFileSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  } catch (error) {
    return `cannot read the build information of ${binary} (go version -m): ${(error as Error).message}`;
  }
  if (
    !new RegExp(`VictoriaMetrics/VictoriaMetrics\\s+${VICTORIA_METRICS_VERSION.replace(/\./g, '\\.')}\\b`).test(info)
  ) {
    return `${binary} is not VictoriaMetrics ${VICTORIA_METRICS_VERSION} (bash scripts/setup.sh installs it)`;
  }
  return undefined;
}

export class TestVictoriaMetrics {
  private constructor(
    readonly url: string,
    private readonly process: ChildProcess,
    private readonly dir: string,
    private readonly log: string[]
  ) {}

  /** Where Prometheus remote-writes. */
  get writeUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  static async start(): Promise<TestVictoriaMetrics> {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-vm-'));
    const port = await freePort();
    const log: string[] = [];
    const child = spawn(
      victoriaMetricsBinary(),
      [
        `-storageDataPath=${join(dir, 'data')}`,
        `-httpListenAddr=127.0.0.1:${port}`,
        '-retentionPeriod=1d',
        // Answer with the newest samples, as Prometheus does: by default the
        // last 30 s are held back in case late samples arrive.
        '-search.latencyOffset=0s',
        // No response cache: a test compares answers over data that is still arriving.
        '-search.disableCache',
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    const vm = new TestVictoriaMetrics(`http://127.0.0.1:${port}`, child, dir, log);
    try {
      await waitFor('VictoriaMetrics to answer /health', async () => (await fetch(`${vm.url}/health`)).ok, {
        timeoutMs: 30_000,
      });
    } catch (error) {
      await vm.stop();
      throw new Error(`${(error as Error).message}\nvictoria-metrics log:\n${log.join('')}`);
    }
    return vm;
  }

  logs(): string {
    return this.log.join('');
  }

  async stop(): Promise<void> {
    await stopChild(this.process);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
