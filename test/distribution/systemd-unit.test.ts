// deploy/systemd/zviz-agent.service: systemd is not PID 1 here, so the unit
// cannot be started; it is checked by structure, by `systemd-analyze verify`
// (with ExecStart pointed at a real zviz) and by `systemd-analyze security
// --offline`, which reads the same settings systemd would apply.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';
import { DEFAULT_CAPABILITIES } from '../../agent/src/profiles/capabilities';
import { repo, run, scratch } from './support';

const unitPath = join(repo, 'deploy', 'systemd', 'zviz-agent.service');
const text = readFileSync(unitPath, 'utf8');

/** The unit's settings per section, in order; comments dropped. */
function parse(unit: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) {
      continue;
    }
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1], current);
      continue;
    }
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (!setting || !current) {
      throw new Error(`not a unit file line: ${raw}`);
    }
    current.push([setting[1], setting[2]]);
  }
  return sections;
}

const sections = parse(text);
const service = new Map(sections.get('Service'));

describe('systemd unit zviz-agent.service', () => {
  it('has the Unit, Service and Install sections, and starts with the system', () => {
    expect([...sections.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(new Map(sections.get('Install')).get('WantedBy')).toBe('multi-user.target');
    expect(new Map(sections.get('Unit')).get('After')).toMatch(/network-online\.target/);
  });

  it('runs `zviz agent` with the config in /etc/zviz and logs in /var/log/zviz', () => {
    expect(service.get('ExecStart')).toBe('zviz agent --config /etc/zviz/config.yaml');
    expect(service.get('ConfigurationDirectory')).toBe('zviz');
    expect(service.get('LogsDirectory')).toBe('zviz');
    expect(service.get('StateDirectory')).toBe('zviz');
    expect(service.get('Restart')).toBe('on-failure');
  });

  it('sets the hardening that leaves the broker and tracer working', () => {
    expect(
      Object.fromEntries([...service].filter(([k]) => /^(Protect|Private|Restrict|NoNew|Lock|SystemCallArch)/.test(k)))
    ).toEqual({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'full',
      PrivateMounts: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      ProtectProc: 'invisible',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      SystemCallArchitectures: 'native',
    });
  });

  it('leaves out what would break the agent or hide decisions from the broker', () => {
    // V8's JIT; workload cgroups; BPF in the initial user namespace; the
    // broker as the only syscall policy; /proc/sys for feature probes;
    // CAP_MKNOD for workloads; the caller's working directory.
    for (const key of [
      'PrivateDevices',
      'PrivateTmp',
      'ProtectHome',
      'MemoryDenyWriteExecute',
      'ProtectControlGroups',
      'PrivateUsers',
      'DynamicUser',
      'User',
      'RestrictNamespaces',
      'SystemCallFilter',
      'RestrictAddressFamilies',
      'ProcSubset',
      'PrivateNetwork',
    ]) {
      expect(service.has(key), key).toBe(false);
    }
  });

  it('bounds root to what the agent uses and workloads may be given, each removal explained', () => {
    const removed = (service.get('CapabilityBoundingSet') ?? '').replace(/^~/, '').split(/\s+/);
    expect(service.get('CapabilityBoundingSet')).toMatch(/^~/);
    // What the agent itself needs must stay.
    for (const kept of ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_PTRACE', 'CAP_SYS_RESOURCE']) {
      expect(removed).not.toContain(kept);
    }
    // Docker's default set, which the broker gives every workload, must stay:
    // capset(2) cannot grant what the bounding set lacks.
    for (const kept of DEFAULT_CAPABILITIES) {
      expect(removed).not.toContain(kept);
    }
    expect(removed).toEqual(expect.arrayContaining(['CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_BOOT']));
    const comments = text
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    for (const cap of removed) {
      expect(comments, `${cap} is not explained`).toMatch(new RegExp(`# .*\\b${cap}\\b`));
    }
  });

  it('explains every hardening option it sets and every one it leaves out', () => {
    const comments = text
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    const hardening = [...service.keys()].filter((k) =>
      /^(Protect|Private|Restrict|NoNew|Lock|SystemCall|UMask)/.test(k)
    );
    for (const key of [
      ...hardening,
      'MemoryDenyWriteExecute',
      'ProtectControlGroups',
      'SystemCallFilter',
      'PrivateUsers',
    ]) {
      expect(comments, key).toMatch(new RegExp(`#\\s+.*\\b${key}\\b`));
    }
  });

  it('keeps BPF maps loadable on kernels that charge them to RLIMIT_MEMLOCK', () => {
    expect(service.get('LimitMEMLOCK')).toBe('infinity');
  });
});

describeWhere([binary('systemd-analyze', 'systemd')], 'systemd-analyze on zviz-agent.service', () => {
  const dir = scratch('systemd');

  it('verifies without errors once ExecStart names an executable zviz', () => {
    // systemd-analyze verify checks that ExecStart exists; point it at a real
    // executable file standing in for the installed zviz.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'zviz'), '#!/bin/sh\n', { mode: 0o755 });
    const unit = join(dir, 'zviz-agent.service');
    writeFileSync(unit, text.replace(/^ExecStart=zviz /m, `ExecStart=${join(bin, 'zviz')} `));
    const result = run('systemd-analyze', ['verify', unit], { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } });
    const relevant = (result.stdout + result.stderr)
      .split('\n')
      .filter((l) => l.includes('zviz-agent.service'))
      .join('\n');
    expect(relevant).toBe('');
    expect(result.status).toBe(0);
  });

  it('is rated far safer by systemd-analyze security --offline than the same service unhardened', () => {
    const exposure = (unit: string) => {
      const result = run('systemd-analyze', ['security', '--offline=true', '--no-pager', unit]);
      const level = /Overall exposure level for [\w.-]+: ([\d.]+)/.exec(result.stdout);
      expect(level, result.stdout + result.stderr).not.toBeNull();
      return Number(level![1]);
    };
    const plain = join(dir, 'plain', 'zviz-agent.service');
    mkdirSync(dirname(plain));
    writeFileSync(plain, '[Service]\nExecStart=/bin/true\n');
    const [ours, unhardened] = [exposure(unitPath), exposure(plain)];
    console.log(
      `[systemd] exposure of zviz-agent.service: ${ours}; the same service unhardened: ${unhardened} (0 confined, 10 not)`
    );
    // Root with CAP_SYS_ADMIN is inherent; two points less is what the options above buy.
    expect(unhardened - ours).toBeGreaterThanOrEqual(2);
  });
});
