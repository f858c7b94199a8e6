// The Go modules' dependencies come from scripts/setup.sh, the one place that
// installs, not from the first test run: on a machine that has never seen ZViz
// the conformance test otherwise fetched its modules from the Go module proxy
// while it ran (docs/development.md). setup.sh must name every Go module of the
// repository, and stop with what failed when a download fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..');
const setup = readFileSync(join(repo, 'scripts', 'setup.sh'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'zviz-go-modules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** setup.sh's Go modules section alone: from its comment to the npm section's. */
function downloadSection(): string {
  const start = setup.indexOf("# The Go modules' dependencies");
  const end = setup.indexOf('\n# Install from the lockfile', start);
  expect(start, 'setup.sh has a "# The Go modules\' dependencies" section').toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return setup.slice(start, end);
}

/** Runs the section from the repository with a `go` that logs where it ran and fails in `failIn`. */
function download(failIn = ''): { status: number | null; output: string; calls: string[] } {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  const log = join(bin, 'calls');
  writeFileSync(
    join(bin, 'go'),
    `#!/bin/sh\necho "$PWD $*" >> ${log}\ncase "$PWD" in */${failIn || 'no-such-dir'}) exit 1;; esac\n`
  );
  chmodSync(join(bin, 'go'), 0o755);
  writeFileSync(log, '');
  const result = spawnSync('/bin/bash', ['-euo', 'pipefail', '-c', downloadSection()], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(`${repo}/`, ''));
  return { status: result.status, output: `${result.stdout}${result.stderr}`, calls };
}

describe("scripts/setup.sh's Go module downloads", () => {
  it('runs go mod download in every Go module the repository tracks, and nothing else', () => {
    const modules = execFileSync('git', ['ls-files', '*go.mod', 'go.mod'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => dirname(file))
      .sort();
    expect(modules.length).toBeGreaterThan(0);
    const { status, calls } = download();
    expect(status).toBe(0);
    expect(calls.sort()).toEqual(modules.map((dir) => `${dir} mod download`));
  });

  it('stops, naming the module, when a download fails', () => {
    const { status, output } = download('schema');
    expect(status).toBe(1);
    expect(output).toContain('could not download the Go modules test/deploy/schema needs');
  });
});
