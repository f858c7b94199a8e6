// Attack class: the agent's own files (attacks/agent-files.c). Under
// `default` and `observe` a workload writes the node's files as root; the
// agent's are among them unless every view protects them
// (agent/src/containers/agent-files.ts). The workload tries to read the
// API's token file and the configuration, to write both, to forge, truncate
// and add to the audit log, and to add to the agent's installation (a new
// file beside its code, an append to its bundle and to a built-in profile,
// which the next start would run or load as root). The test compares the
// bytes on the host: the token's and the configuration's bytes never reach
// the workload, and no file of the agent changes but by the agent's own
// records. A standalone run knows no agent configuration: it protects the
// installation it runs from, which is what its test attacks.
//
// Isolation: the agent runs from a private copy of the package, with its
// configuration, token, log and audit log each in a directory of its own
// (not beside the control socket, whose directory every view masks already).
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  AttackAgent,
  attackSuite,
  byProfile,
  outcomeOf,
  outcomes,
  PROFILES,
  readHash,
  REPO,
  Scratch,
  type AttackRun,
} from './harness';

/** A copy of the agent's package with what `zviz agent` and `zviz run` load; its root. */
function copyPackage(into: string): string {
  const from = join(REPO, 'agent');
  const agent = join(into, 'agent');
  const release = join(agent, 'build', 'Release');
  mkdirSync(release, { recursive: true });
  copyFileSync(join(from, 'package.json'), join(agent, 'package.json'));
  for (const dir of ['bin', 'dist', 'profiles']) {
    cpSync(join(from, dir), join(agent, dir), { recursive: true });
  }
  for (const file of ['zviz_broker.node', 'zviz-spawn', 'zviz-init']) {
    copyFileSync(join(from, 'build', 'Release', file), join(release, file));
  }
  return agent;
}

/**
 * What each attempt gets. Under `default` and `observe` the secrets and the
 * configuration are an empty read-only file in the view (read empty, writes
 * refused: EROFS; mask-writes.test.ts tries every kind of write), the audit directory an empty read-only tmpfs (ENOENT, EROFS) and
 * the installation read-only (EROFS); `strict` and `ci-runner` refuse every
 * write outside the workspace in the broker (EACCES), `strict`'s view does not
 * hold the files it does not list (ENOENT: its reads are the kernel's), and
 * `ci-runner` reads the masked files empty.
 */
const EMPTY = readHash(Buffer.alloc(0));
const INSTALL_ROFS = {
  'install-new': 'errno EROFS',
  'install-bundle': 'errno EROFS',
  'install-profile': 'errno EROFS',
};
const INSTALL_EACCES = {
  'install-new': 'errno EACCES',
  'install-bundle': 'errno EACCES',
  'install-profile': 'errno EACCES',
};
const MASKED_WRITABLE_HOST = {
  'token-read': EMPTY,
  'token-write': 'errno EROFS',
  'config-read': EMPTY,
  'config-write': 'errno EROFS',
  'audit-append': 'errno ENOENT',
  'audit-truncate': 'errno ENOENT',
  'audit-new': 'errno EROFS',
  ...INSTALL_ROFS,
};
const THROUGH_AGENT: Record<string, Record<string, string>> = {
  default: MASKED_WRITABLE_HOST,
  observe: MASKED_WRITABLE_HOST,
  'ci-runner': {
    'token-read': EMPTY,
    'token-write': 'errno EACCES',
    'config-read': EMPTY,
    'config-write': 'errno EACCES',
    'audit-append': 'errno EACCES',
    'audit-truncate': 'errno ENOENT',
    'audit-new': 'errno EACCES',
    ...INSTALL_EACCES,
  },
  strict: {
    // Reads are the kernel's under strict: what its view does not hold does not exist.
    'token-read': 'errno ENOENT',
    'token-write': 'errno EACCES',
    'config-read': 'errno ENOENT',
    'config-write': 'errno EACCES',
    'audit-append': 'errno EACCES',
    'audit-truncate': 'errno ENOENT',
    'audit-new': 'errno EACCES',
    ...INSTALL_EACCES,
  },
};
const STANDALONE: Record<string, Record<string, string>> = {
  default: INSTALL_ROFS,
  observe: INSTALL_ROFS,
  'ci-runner': INSTALL_EACCES,
  strict: INSTALL_EACCES,
};

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

attackSuite("the agent's own files", (suite) => {
  let root: string;
  let install: string;
  let agent: AttackAgent;
  let token: Buffer;
  let config: Buffer;
  const paths = () => ({
    token: join(root, 'secrets', 'token'),
    config: join(root, 'etc', 'config.yaml'),
    log: join(root, 'log', 'agent.log'),
    audit: join(root, 'audit', 'audit.json'),
  });
  const installed = () => ({
    bundle: sha(join(install, 'dist', 'zviz.js')),
    profile: sha(join(install, 'profiles', 'default.json')),
  });

  beforeAll(async () => {
    root = mkdtempSync('/var/lib/zviz-agent-files-');
    install = copyPackage(join(root, 'pkg'));
    for (const dir of ['secrets', 'etc', 'log', 'audit']) {
      mkdirSync(join(root, dir), { mode: 0o700 });
    }
    token = Buffer.from(`ZVIZ-AGENT-TOKEN-${randomBytes(24).toString('hex')}\n`);
    writeFileSync(paths().token, token, { mode: 0o600 });
    // The audit log exists before the attack, so that appending to it is a real attempt.
    writeFileSync(paths().audit, '', { mode: 0o600 });
    agent = await AttackAgent.start({
      zviz: join(install, 'bin', 'zviz.js'),
      files: { config: paths().config, log: paths().log, audit: paths().audit },
      auth: { type: 'bearer', token_file: paths().token },
    });
    config = readFileSync(paths().config);
  }, 60_000);

  // Each profile's attack finds the files as the agent left them, whatever an earlier attack did.
  beforeEach(() => {
    rmSync(join(install, 'dist', 'workload.js'), { force: true });
    rmSync(join(root, 'audit', 'forged.json'), { force: true });
    copyFileSync(join(REPO, 'agent', 'dist', 'zviz.js'), join(install, 'dist', 'zviz.js'));
    copyFileSync(join(REPO, 'agent', 'profiles', 'default.json'), join(install, 'profiles', 'default.json'));
    writeFileSync(paths().token, token);
    writeFileSync(paths().config, config);
  });

  afterAll(async () => {
    await agent?.stop();
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  /** The installation as it was: no new file, the bundle and the profile as copied. */
  function expectInstallUnchanged(run: AttackRun, before: ReturnType<typeof installed>): void {
    const context = `${run.profile}, ${run.mode}: ${run.stdout}`;
    expect(existsSync(join(install, 'dist', 'workload.js')), `${context}: a new file in the installation`).toBe(false);
    expect(installed(), context).toEqual(before);
  }

  describe.each(PROFILES)('under %s', (profile) => {
    it('through an agent: its token and configuration are not read, nor are they, its audit log or its installation written', async () => {
      const audit = readFileSync(paths().audit, 'utf8');
      const before = installed();
      const run = await suite.run({
        profile,
        mode: 'agent',
        agent,
        zviz: join(install, 'bin', 'zviz.js'),
        program: 'agent-files',
        env: {
          ZVIZ_ATTACK_AGENT_TOKEN: paths().token,
          ZVIZ_ATTACK_AGENT_CONFIG: paths().config,
          ZVIZ_ATTACK_AGENT_AUDIT: paths().audit,
          ZVIZ_ATTACK_AGENT_INSTALL: install,
        },
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const expected = byProfile(profile, THROUGH_AGENT);
      expect(outcomes(run, Object.keys(expected))).toEqual(expected);
      // What the workload read is not the secret's bytes, nor the configuration's.
      expect(outcomeOf(run, 'token-read')).not.toBe(readHash(token));
      expect(outcomeOf(run, 'config-read')).not.toBe(readHash(config));
      expect(run.stdout).not.toContain(token.toString('hex'));
      // Nothing of the agent's changed but by the agent.
      expect(readFileSync(paths().token).equals(token), `${profile}: the token file changed`).toBe(true);
      expect(readFileSync(paths().config).equals(config), `${profile}: the configuration changed`).toBe(true);
      const now = readFileSync(paths().audit, 'utf8');
      expect(now.startsWith(audit), `${profile}: the audit log lost records`).toBe(true);
      // What came after is the agent's records (the refusals name forged.json; the workload's record is {"forged":...}).
      const added = now.slice(audit.length);
      expect(added).not.toContain('{"forged"');
      for (const line of added.split('\n').filter((l) => l !== '')) {
        expect(() => JSON.parse(line), line).not.toThrow();
      }
      expect(existsSync(join(root, 'audit', 'forged.json')), `${profile}: a file beside the audit log`).toBe(false);
      expectInstallUnchanged(run, before);
      expect(await agent.notAlive()).toBeUndefined();
      await suite.expectContained(run);
    }, 120_000);

    it('standalone: the installation it runs from is not written', async () => {
      const before = installed();
      const run = await suite.run({
        profile,
        mode: 'standalone',
        zviz: join(install, 'bin', 'zviz.js'),
        program: 'agent-files',
        args: ['install'],
        env: { ZVIZ_ATTACK_AGENT_INSTALL: install },
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const expected = byProfile(profile, STANDALONE);
      expect(outcomes(run, Object.keys(expected))).toEqual(expected);
      expectInstallUnchanged(run, before);
      await suite.expectContained(run);
    }, 120_000);

    // A file masked inside what the view shows: in strict's allow-list view the mask (then /dev/null
    // bound over the file) came before the view had a /dev, and the start failed.
    it("standalone: the default configuration file is masked, even in the workload's own workspace", async () => {
      const scratch = Scratch.create();
      const file = join(scratch.workspace, 'config.yaml');
      const content = Buffer.from(`# ${randomBytes(16).toString('hex')}\nmetrics: { auth: { type: none } }\n`);
      writeFileSync(file, content, { mode: 0o600 });
      const run = await suite.run({
        profile,
        mode: 'standalone',
        scratch,
        program: 'agent-files',
        args: ['config'],
        env: { ZVIZ_ATTACK_AGENT_CONFIG: file },
        wrap: (argv) => ['/usr/bin/env', `ZVIZ_CONFIG=${file}`, ...argv],
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(outcomeOf(run, 'config-read')).toBe(EMPTY);
      expect(readFileSync(file).equals(content)).toBe(true);
      await suite.expectContained(run);
    }, 120_000);
  });
});
