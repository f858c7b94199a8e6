// The Landlock scopes a profile asks for (zviz.scope; scopes.ts): what the
// container's domain gets on kernels with and without Landlock ABI 6, and
// what a profile that requires them is told where the kernel lacks them.
// The kernel's side is test/security/scopes.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import type { BrokerAddon } from '../native/broker-addon';
import { requireBrokerAddon } from '../native/broker-addon';
import { compileProfile } from './compile';
import { ProfileError } from './problems';
import { loadProfile } from './profile';
import { planScopes } from './scopes';

const scratch = mkdtempSync(join(tmpdir(), 'zviz-scopes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The addon, with the kernel's Landlock ABI as `abi`. */
function kernelWith(abi: number): BrokerAddon {
  const addon = requireBrokerAddon();
  return new Proxy(addon, {
    get: (target, key, receiver) =>
      key === 'landlockAbi' ? () => abi : (Reflect.get(target, key, receiver) as unknown),
  });
}

let serial = 0;
function ciRunnerWith(scope: unknown): string {
  const profile = JSON.parse(readFileSync(join(__dirname, '..', '..', 'profiles', 'ci-runner.json'), 'utf8')) as {
    zviz: Record<string, unknown>;
  };
  if (scope === undefined) {
    delete profile.zviz.scope;
  } else {
    profile.zviz.scope = scope;
  }
  const path = join(scratch, `ci-runner-${serial++}.json`);
  writeFileSync(path, JSON.stringify(profile));
  return path;
}

describe('planScopes', () => {
  it('scopes both by default where the kernel has ABI 6, and none before', () => {
    expect(planScopes({}, 6).scopes).toEqual({ abstractUnixSockets: true, signals: true });
    expect(planScopes({}, 7).warnings).toEqual([]);
    const old = planScopes({}, 5);
    expect(old.scopes).toEqual({ abstractUnixSockets: false, signals: false });
    expect(old.problems).toEqual([]);
    expect(old.warnings).toHaveLength(1);
    expect(old.warnings[0].pointer).toBe('/zviz/scope');
    expect(old.warnings[0].reason).toMatch(/^this kernel offers Landlock ABI 5, before 6 \(Linux 6\.12\)/);
  });

  it('leaves out a scope that is "off", whatever the kernel', () => {
    expect(planScopes({ scope: { signals: 'off' } }, 7).scopes).toEqual({ abstractUnixSockets: true, signals: false });
    const old = planScopes({ scope: { abstractUnixSockets: 'off', signals: 'off' } }, 0);
    expect(old).toEqual({ scopes: { abstractUnixSockets: false, signals: false }, problems: [], warnings: [] });
  });

  it('refuses a profile that requires a scope this kernel lacks, naming the scope', () => {
    const plan = planScopes({ scope: { abstractUnixSockets: 'required' } }, 0);
    expect(plan.problems).toEqual([
      {
        pointer: '/zviz/scope/abstractUnixSockets',
        reason: expect.stringMatching(
          /^"required" needs Landlock ABI 6 \(Linux 6\.12\) and this kernel has no Landlock/
        ),
      },
    ]);
    // The other, best-effort by default, is warned about.
    expect(plan.warnings[0].reason).toMatch(/without the scopes signals, so signals to the node's processes/);
  });
});

describe('a profile load on kernels with and without scopes', () => {
  it('gives the first process the scopes on ABI 6', () => {
    const loaded = loadProfile(ciRunnerWith(undefined), kernelWith(6));
    expect(loaded.warnings.filter((w) => w.pointer.startsWith('/zviz/scope'))).toEqual([]);
    expect(loaded.forWorkspace('/work/project').scopes).toEqual({ abstractUnixSockets: true, signals: true });
  });

  it('warns and leaves them out on ABI 5 (best-effort, the built-in profiles)', () => {
    for (const name of ['ci-runner', 'default', 'observe', 'strict']) {
      const loaded = loadProfile(name, kernelWith(5));
      expect(loaded.warnings.map((w) => w.pointer)).toContain('/zviz/scope');
      expect(loaded.forWorkspace('/work/project').scopes).toEqual({ abstractUnixSockets: false, signals: false });
    }
    // strict's reads are still the view's: Landlock itself is there.
    expect(loadProfile('strict', kernelWith(5)).forWorkspace('/work/project').viewReads).toBe(true);
  });

  it('refuses a profile that requires them on ABI 5, with every problem located', () => {
    const path = ciRunnerWith({ abstractUnixSockets: 'required', signals: 'required' });
    let error: unknown;
    try {
      loadProfile(path, kernelWith(5));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ProfileError);
    expect((error as ProfileError).problems.map((p) => p.pointer)).toEqual([
      '/zviz/scope/abstractUnixSockets',
      '/zviz/scope/signals',
    ]);
  });

  it('refuses an unknown scope or mode as written', () => {
    expect(() => loadProfile(ciRunnerWith({ signals: 'yes' }), kernelWith(6))).toThrow(/\/zviz\/scope\/signals/);
    expect(() => loadProfile(ciRunnerWith({ ptrace: 'required' }), kernelWith(6))).toThrow(/\/zviz\/scope/);
  });

  it('compiles without scopes where no kernel is given (a stand-in host)', () => {
    const loaded = loadProfile('default', kernelWith(6));
    expect(compileProfile('default', loaded.expanded, '/work/project', {}).scopes).toEqual({
      abstractUnixSockets: false,
      signals: false,
    });
  });
});
