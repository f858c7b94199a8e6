import { describe, expect, it } from 'vitest';

import { agentFilesOf, withAgentFiles, type AgentFilesConfig } from './agent-files';

const CONFIG: AgentFilesConfig = {
  logging: { output: '/var/log/zviz-agent/agent.log', audit: { enabled: true, path: '/var/log/zviz/audit.json' } },
  metrics: {
    auth: { type: 'bearer', token_file: '/etc/zviz-secrets/token' },
    tls: { cert_file: '/etc/ssl/zviz.crt', key_file: '/etc/ssl/private/zviz.key' },
  },
  containers: [{ profile: '/etc/zviz/profiles/build.json' }, { profile: 'strict' }],
};

describe('agentFilesOf', () => {
  it("names the configuration's directory, the certificate and profiles by path read-only", () => {
    expect(agentFilesOf('/etc/zviz/config.yaml', CONFIG).readOnly).toEqual([
      '/etc/zviz',
      '/etc/ssl/zviz.crt',
      '/etc/zviz/profiles/build.json',
    ]);
  });

  it('masks the configuration file and secret files themselves, and the directories the agent writes', () => {
    expect(agentFilesOf('/etc/zviz/config.yaml', CONFIG).masked).toEqual([
      '/etc/zviz/config.yaml',
      '/etc/zviz-secrets/token',
      '/etc/ssl/private/zviz.key',
      '/var/log/zviz',
      '/var/log/zviz-agent',
    ]);
  });

  it('protects a file directly in a shared directory alone, never the directory (/etc, /var/log)', () => {
    const files = agentFilesOf('/etc/zviz.yaml', {
      logging: { output: '/var/log/zviz.log', audit: { enabled: true, path: '/var/log/audit.json' } },
      metrics: { auth: { type: 'bearer', token_file: '/etc/zviz.token' } },
    });
    expect(files).toEqual({
      readOnly: [],
      masked: ['/etc/zviz.yaml', '/etc/zviz.token', '/var/log/audit.json', '/var/log/zviz.log'],
    });
  });

  it('leaves out what the configuration does not use: a token file under other auth, a disabled audit log, stderr', () => {
    const files = agentFilesOf(undefined, {
      logging: { output: 'stderr', audit: { enabled: false, path: '/var/log/zviz/audit.json' } },
      metrics: { auth: { type: 'none', token_file: '/etc/zviz/token' } },
    });
    expect(files).toEqual({ readOnly: [], masked: [] });
  });

  it('names the installation read-only first, and never the root', () => {
    expect(agentFilesOf(undefined, undefined, '/opt/zviz/agent/').readOnly).toEqual(['/opt/zviz/agent']);
    expect(agentFilesOf('/etc/zviz/config.yaml', CONFIG, '/opt/zviz/agent').readOnly[0]).toBe('/opt/zviz/agent');
    expect(agentFilesOf(undefined, undefined, '/')).toEqual({ readOnly: [], masked: [] });
  });

  it("resolves relative names from the agent's working directory, as the agent reads them", () => {
    const files = agentFilesOf('config.yaml', undefined);
    expect(files.masked).toEqual([`${process.cwd()}/config.yaml`]);
  });
});

describe('withAgentFiles', () => {
  const files = { readOnly: ['/opt/zviz/agent', '/etc/zviz'], masked: ['/etc/zviz/config.yaml', '/var/log/zviz'] };

  it('appends the pins, the read-only steps (parents first) and then the masks, after every profile step', () => {
    const plan = withAgentFiles(
      {
        view: 'host',
        mounts: [
          { path: '/', kind: 'writable' },
          { path: '/run/zviz', kind: 'mask' },
        ],
      },
      files,
      '/srv/job'
    );
    expect(plan).toEqual({
      view: 'host',
      mounts: [
        { path: '/', kind: 'writable' },
        { path: '/run/zviz', kind: 'mask' },
        // Every directory above a protected path, outermost first: a rename of one would take the file away from its name.
        { path: '/etc', kind: 'pin' },
        { path: '/opt', kind: 'pin' },
        { path: '/var', kind: 'pin' },
        { path: '/opt/zviz', kind: 'pin' },
        { path: '/var/log', kind: 'pin' },
        { path: '/etc/zviz', kind: 'readOnly' },
        { path: '/opt/zviz/agent', kind: 'readOnly' },
        { path: '/etc/zviz/config.yaml', kind: 'mask' },
        { path: '/var/log/zviz', kind: 'mask' },
      ],
    });
  });

  it('gives a profile without a file-system section a host view with the steps', () => {
    expect(withAgentFiles(undefined, files, '/srv/job')?.mounts.filter((m) => m.kind !== 'pin')).toHaveLength(4);
  });

  it("leaves a path holding the workload's working directory as the profile has it, and says so", () => {
    const skipped: string[] = [];
    const plan = withAgentFiles(undefined, files, '/opt/zviz/agent/examples', (path) => skipped.push(path));
    expect(skipped).toEqual(['/opt/zviz/agent']);
    expect(plan?.mounts.map((m) => m.path)).not.toContain('/opt/zviz/agent');
  });

  it('pins nothing above a path the view does not show, nor the root', () => {
    const plan = withAgentFiles(
      { view: 'host', mounts: [{ path: '/var', kind: 'tmpfs' }] },
      { readOnly: ['/opt'], masked: ['/var/log/zviz'] },
      '/srv/job'
    );
    expect(plan?.mounts.filter((m) => m.kind === 'pin')).toEqual([]);
  });

  it('pins no directory whose parent is read-only in the view (it cannot be renamed there)', () => {
    const plan = withAgentFiles(
      {
        view: 'host',
        mounts: [
          { path: '/', kind: 'readOnly' },
          { path: '/srv/job', kind: 'writable' },
          { path: '/tmp', kind: 'tmpfs' },
        ],
      },
      { readOnly: ['/opt/zviz/agent'], masked: ['/var/log/zviz', '/srv/job/keep/token', '/opt/zviz/run/x'] },
      '/srv/job/ws'
    );
    // /srv/job is writable: /srv/job/keep could be renamed there. /opt/zviz/run lies in the read-only package step.
    expect(plan?.mounts.filter((m) => m.kind === 'pin')).toEqual([{ path: '/srv/job/keep', kind: 'pin' }]);
  });

  it('adds no read-only step that would bring a host path into the allow-list view, and no pin there', () => {
    const plan = withAgentFiles(
      {
        view: 'allow-list',
        mounts: [
          { path: '/usr', kind: 'readOnly' },
          { path: '/opt', kind: 'writable' },
        ],
      },
      { readOnly: ['/opt/zviz/agent', '/etc/zviz'], masked: ['/etc/zviz/config.yaml'] },
      '/srv/job'
    );
    expect(plan?.mounts.slice(2)).toEqual([
      { path: '/opt/zviz/agent', kind: 'readOnly' },
      { path: '/etc/zviz/config.yaml', kind: 'mask' },
    ]);
  });

  it("adds no read-only step under a profile's tmpfs or mask, where it would show what they hide", () => {
    // The package's case: its step was a module of its own before.
    const tmp = { view: 'host' as const, mounts: [{ path: '/tmp', kind: 'tmpfs' as const }] };
    expect(withAgentFiles(tmp, { readOnly: ['/tmp/zviz/agent'], masked: [] }, '/work')).toBe(tmp);

    const plan = withAgentFiles(
      {
        view: 'host',
        mounts: [
          { path: '/opt', kind: 'tmpfs' },
          { path: '/etc', kind: 'mask' },
          { path: '/etc/zviz', kind: 'writable' },
        ],
      },
      { readOnly: ['/opt/zviz/agent', '/etc/zviz'], masked: [] },
      '/srv/job'
    );
    expect(plan?.mounts.slice(3)).toEqual([{ path: '/etc/zviz', kind: 'readOnly' }]);
  });
});
