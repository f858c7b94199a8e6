// Attack class: around a mask (attacks/mask-escape.c). A mask is a mount
// over one path; the workload tries to reach the file under it by another
// name or to take the mount away: rename or unlink the masked path, hard-link
// it, rename each directory above it (a mount moves with its directory, so the
// file stays masked in that container, but the next container's masks are
// made by name and would not find it), and, in a user and mount namespace of
// its own (only observe allows one), unmount it, move it, bind its
// directory without it, clone that directory, remount it writable.
//
// The cross-container case is the one that held a hole: under default and
// observe a workload renamed a directory above the agent's configuration
// file, and the next container read the file at its new name. Every
// directory above an agent file is now pinned (a mount point of the view:
// rename and rmdir get EBUSY; agent/src/containers/agent-files.ts).
//
// Standalone, the file is the default configuration file ($ZVIZ_CONFIG,
// masked, its own directory read-only); through an agent of the test's own,
// its API token file (masked alone, its directory writable). Both lie in a
// tree of the test's own under /var/lib, whose directories are renamed; the
// node's own directories above it (/var, /var/lib) are pinned by the same
// step but not renamed here (a success would rename the node's /var).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AttackAgent,
  attackSuite,
  byProfile,
  outcomes,
  PROFILES,
  readHash,
  type AttackRun,
  type Mode,
} from './harness';

const EMPTY = readHash(Buffer.alloc(0));

/** The directories from `file`'s parent up to `top`, innermost first (up1, up2, ...). */
function ancestorsUpTo(file: string, top: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(file); dir.length >= top.length; dir = dirname(dir)) {
    dirs.push(dir);
  }
  return dirs;
}

attackSuite('attack: around a mask (rename, link, unmount, move, bind)', (suite) => {
  let root: string;
  let agent: AttackAgent;
  let secret: Buffer;
  const paths = () => ({
    standalone: join(root, 'sa', 'etc', 'config.yaml'),
    token: join(root, 'agent', 'secrets', 'token'),
    config: join(root, 'agent', 'etc', 'config.yaml'),
    log: join(root, 'agent', 'log', 'agent.log'),
    audit: join(root, 'agent', 'audit', 'audit.json'),
  });
  const fileOf = (mode: Mode) => (mode === 'standalone' ? paths().standalone : paths().token);

  beforeAll(async () => {
    root = mkdtempSync('/var/lib/zviz-mask-escape-');
    secret = Buffer.from(`ZVIZ-MASKED-${randomBytes(24).toString('hex')}\n`);
    for (const file of [paths().standalone, paths().token, paths().config, paths().log, paths().audit]) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    }
    writeFileSync(paths().standalone, secret, { mode: 0o600 });
    writeFileSync(paths().token, secret, { mode: 0o600 });
    agent = await AttackAgent.start({
      files: { config: paths().config, log: paths().log, audit: paths().audit },
      auth: { type: 'bearer', token_file: paths().token },
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  /** One run of mask-escape with `args`, the way `mode` runs (standalone: $ZVIZ_CONFIG names the masked file). */
  function attack(profile: string, mode: Mode, args: string[]): Promise<AttackRun> {
    return suite.run({
      profile,
      mode,
      program: 'mask-escape',
      args,
      ...(mode === 'agent'
        ? { agent }
        : { wrap: (argv: string[]) => ['/usr/bin/env', `ZVIZ_CONFIG=${paths().standalone}`, ...argv] }),
    });
  }

  /** What each attempt of `try` gets. */
  function expectedTry(profile: string, mode: Mode): Record<string, string> {
    const ups = ancestorsUpTo(fileOf(mode), root).length;
    const all = (outcome: string) =>
      Object.fromEntries([...Array(ups).keys()].map((i) => [`up${i + 1}-rename`, outcome]));
    // The standalone file's directory is read-only (its own directory), the token's is writable.
    const self = mode === 'standalone' ? 'errno EROFS' : 'errno EBUSY';
    const writableHost = {
      'self-rename': self,
      'self-unlink': self,
      'self-link': 'errno EXDEV',
      // Standalone, up1 is the read-only configuration directory: a mount point of its own already.
      ...all('errno EBUSY'),
    };
    return byProfile(profile, {
      default: { ...writableHost, ns: 'errno ENOSYS' },
      observe: {
        ...writableHost,
        ns: 'ok',
        // Mounts made by the node's root are locked in a namespace the workload owns.
        'ns-umount': 'errno EINVAL',
        'ns-move': 'errno EINVAL',
        'ns-bind-parent': 'errno EINVAL',
        'ns-clone-parent': 'errno EINVAL',
        'ns-remount-rw': 'errno EPERM',
        'ns-after-read': EMPTY,
      },
      // ci-runner's view is read-only outside the workspace and its private /tmp.
      'ci-runner': {
        'self-rename': 'errno EROFS',
        'self-unlink': 'errno EROFS',
        'self-link': 'errno EXDEV',
        ...all('errno EROFS'),
        ns: 'errno ENOSYS',
      },
      // strict's view does not hold the tree: below its root nothing exists, the root's parent is the view's own.
      strict: {
        'self-rename': 'errno ENOENT',
        'self-unlink': 'errno ENOENT',
        'self-link': 'errno ENOENT',
        ...all('errno ENOENT'),
        [`up${ups}-rename`]: 'errno EROFS',
        ns: 'errno ENOSYS',
      },
    });
  }

  describe.each(PROFILES)('under %s', (profile) => {
    it.each(['standalone', 'agent'] as Mode[])(
      '%s: no name, unmount, move or bind reaches the masked file',
      async (mode) => {
        const run = await attack(profile, mode, ['try', fileOf(mode), root]);
        const detail = `${run.stdout}\n${run.stderr}`;
        expect(run.code, detail).toBe(0);
        const want = expectedTry(profile, mode);
        expect(outcomes(run, Object.keys(want)), detail).toEqual(want);
        // No read anywhere gave the file's bytes; the file is as it was.
        expect(detail).not.toContain(readHash(secret));
        expect(readFileSync(fileOf(mode)).equals(secret)).toBe(true);
        await suite.expectContained(run);
      }
    );

    it.each(['standalone', 'agent'] as Mode[])(
      '%s: no directory above the file is renamed, so the next container does not find it at a new name',
      async (mode) => {
        const file = fileOf(mode);
        const want = expectedTry(profile, mode);
        for (const [i, dir] of ancestorsUpTo(file, root).entries()) {
          const moved = `${dir}.zviz-moved`;
          const first = await attack(profile, mode, ['rename', dir]);
          const detail = `${dir}: ${first.stdout}\n${first.stderr}`;
          let read = 'not tried';
          if (existsSync(moved)) {
            // The hole: a later container looks for the file at its new name, then the tree is put back.
            const next = await attack(profile, mode, ['read', `${moved}${file.slice(dir.length)}`]);
            read = next.results.get('read') ?? next.stdout;
            renameSync(moved, dir);
          }
          expect({ rename: first.results.get('rename'), read }, detail).toEqual({
            rename: want[`up${i + 1}-rename`],
            read: 'not tried',
          });
          await suite.expectContained(first);
        }
        expect(readFileSync(file).equals(secret)).toBe(true);
      },
      120_000
    );
  });
});
