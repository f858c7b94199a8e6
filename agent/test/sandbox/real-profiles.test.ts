// Profiles from the real world, loaded as they are: Docker's and Podman's
// defaults run a shell; the built-in profiles run a shell too.
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { loadProfile } from '../../src/profiles/profile';
import { addon, builtin, run, sandbox, workspace, type Sandbox } from './harness';

const FIXTURES = join(__dirname, '..', 'fixtures');
const SCRIPT = 'echo shell ok; ls /usr > /dev/null && cat /etc/hostname > /dev/null && echo files ok; uname -s';

describeWhere([root, seccompUserNotif], 'real-world and built-in profiles', () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox('profiles');
  });
  afterAll(() => box.close());

  for (const file of ['docker-default-seccomp.json', 'podman-default-seccomp.json']) {
    it(`${file} loads as is and runs a shell`, async () => {
      const profile = loadProfile(join(FIXTURES, file), addon());
      expect(profile.warnings).toEqual([]);
      const result = await run(box, { profile, command: ['/bin/sh', '-c', SCRIPT] });
      expect(result.stdout).toBe('shell ok\nfiles ok\nLinux\n');
      expect(result.end.exitCode).toBe(0);
    });
  }

  it("Docker's profile refuses what it refuses: a user namespace needs CAP_SYS_ADMIN there", async () => {
    const profile = loadProfile(join(FIXTURES, 'docker-default-seccomp.json'), addon());
    const result = await run(box, { profile, command: ['/bin/sh', '-c', 'unshare -U true; echo unshare=$?'] });
    expect(result.stdout).toBe('unshare=1\n');
    expect(result.stderr).toMatch(/unshare.*Operation not permitted/);
  });

  for (const name of ['default', 'ci-runner', 'strict', 'observe']) {
    it(`built-in ${name} runs a shell`, async () => {
      const result = await run(box, { profile: builtin(name), cwd: workspace(), command: ['/bin/sh', '-c', SCRIPT] });
      expect(result.stdout).toBe('shell ok\nfiles ok\nLinux\n');
      expect(result.end.exitCode).toBe(0);
    });
  }
});
