// The Go a fresh machine needs: scripts/setup.sh's check, run with a stand-in
// `go` of each version a user may have, against the version the conformance
// module names; and README.md states that version. Debian 12's Go 1.19 cannot
// fetch a newer toolchain and must be refused with what to do; Go 1.21 and
// newer fetch it themselves unless GOTOOLCHAIN=local forbids it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..');
const setup = readFileSync(join(repo, 'scripts', 'setup.sh'), 'utf8');
const needed = /^go ([\d.]+)$/m.exec(readFileSync(join(repo, 'test', 'conformance', 'go.mod'), 'utf8'))![1];
const scratch = mkdtempSync(join(tmpdir(), 'zviz-go-version-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** setup.sh's Go check alone: from its comment to the next section's. */
function goCheck(): string {
  const start = setup.indexOf('# Go: ');
  const end = setup.indexOf('\n# kustomize', start);
  expect(start, 'setup.sh has a "# Go: " section').toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return setup.slice(start, end);
}

/** Runs the check from the repository with a `go` that answers `go env` as the given Go would. */
function check(version: string | undefined, toolchain = 'auto'): { status: number | null; output: string } {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  if (version) {
    const go = join(bin, 'go');
    writeFileSync(
      go,
      `#!/bin/sh\ncase "$2" in GOVERSION) echo go${version};; GOTOOLCHAIN) echo ${toolchain};; *) exit 9;; esac\n`
    );
    chmodSync(go, 0o755);
  }
  const result = spawnSync('/bin/bash', ['-euo', 'pipefail', '-c', goCheck()], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin` },
    // A socket on stdin (Node's pipes are sockets) makes bash read bashrc, as under rshd.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("scripts/setup.sh's Go check", () => {
  it('reads the version the conformance module names', () => {
    expect(needed).toMatch(/^1\.\d+(\.\d+)?$/);
  });

  it('passes that version and newer ones silently', () => {
    expect(check(needed)).toEqual({ status: 0, output: '' });
    expect(check('1.99.0')).toEqual({ status: 0, output: '' });
  });

  it('lets Go 1.21+ fetch it, and says so', () => {
    const result = check('1.21.0');
    expect(result.status).toBe(0);
    expect(result.output).toContain(`will fetch Go ${needed} from the Go module proxy`);
  });

  it("refuses Debian 12's Go 1.19, a Go that may not fetch (GOTOOLCHAIN=local), and no Go, saying what to do", () => {
    for (const [version, toolchain] of [
      ['1.19.8', 'auto'],
      ['1.22.0', 'local'],
    ]) {
      const result = check(version, toolchain);
      expect(result.status, `${version} ${toolchain}`).toBe(1);
      expect(result.output).toContain(`the conformance test needs Go ${needed}; install it (https://go.dev/dl)`);
    }
    const none = check(undefined);
    expect(none.status).toBe(1);
    expect(none.output).toContain(`Go is missing; the Grafana SDK conformance test needs Go ${needed}`);
    // Where go.dev's archive is installed but not on PATH (sudo resets it), it says where Go is.
    if (existsSync('/usr/local/go/bin/go')) {
      expect(none.output).toContain('/usr/local/go/bin/go is there but not on PATH');
    }
  });

  it('README.md names the same version', () => {
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toContain(`names (${needed}), or any Go from 1.21 on`);
  });
});
