// Attack class: writes to what every view masks (attacks/mask-writes.c).
// A file mask used to be /dev/null bound over the file: it read empty, but
// an open for writing and the write itself succeeded and the bytes vanished,
// which tells a program its write landed (and a mask was a second name for
// /dev/null's device). Now a file mask is an empty regular file on a
// read-only tmpfs of the view's own, bound read-only
// (agent/native/src/spawn/mount_calls.cc): every write is refused, with
// EROFS where the kernel answers, or EACCES where the broker refuses the open
// first (strict, ci-runner). A masked directory is an empty read-only tmpfs.
// The program tries the node's kernel files of every view and an agent file
// of each way of running: standalone, the default configuration file
// (ZVIZ_CONFIG, here in the scratch tree, which outsideUnchanged compares
// byte by byte); through the agent, the directory of its configuration and
// control socket.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, Scratch, type AttackRun } from './harness';

const FILES = [
  '/proc/key-users',
  '/proc/keys',
  '/proc/timer_list',
  '/proc/sched_debug',
  '/proc/interrupts',
  '/proc/kpageflags',
  '/proc/kpagecount',
  '/proc/kpagecgroup',
  '/proc/slabinfo',
  '/sys/kernel/vmcoreinfo',
];
const DIRS = ['/sys/firmware', '/proc/acpi', '/proc/scsi', '/sys/kernel/debug', '/sys/kernel/security', '/sys/fs/bpf'];
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** How each profile answers an open for writing outside the workspace: the broker first, or the kernel (the mask). */
const WRITE_OPEN: Record<string, string> = {
  default: 'errno EROFS',
  observe: 'errno EROFS',
  'ci-runner': 'errno EACCES',
  strict: 'errno EACCES',
};
/** And a file created in a masked directory (strict judges mkdir by the kernel: its tmpfs is read-only). */
const CREATE_IN_DIR: Record<string, { create: string; mkdir: string }> = {
  default: { create: 'errno EROFS', mkdir: 'errno EROFS' },
  observe: { create: 'errno EROFS', mkdir: 'errno EROFS' },
  'ci-runner': { create: 'errno EACCES', mkdir: 'errno EROFS' },
  strict: { create: 'errno EACCES', mkdir: 'errno EROFS' },
};

/** A masked file the view shows: reads empty, is a regular file (no device), and refuses every write. */
function maskedFile(profile: string, path: string): Record<string, string> {
  const name = base(path);
  const write = byProfile(profile, WRITE_OPEN);
  return {
    [`${name}-read`]: 'ok bytes=0',
    [`${name}-type`]: 'ok reg size=0',
    [`${name}-write`]: write,
    [`${name}-rdwr`]: write,
    [`${name}-trunc`]: write,
    // Not opens: the kernel answers under every profile, and the mask is read-only.
    [`${name}-truncate`]: 'errno EROFS',
    [`${name}-chmod`]: 'errno EROFS',
  };
}

/** A masked directory the view shows: empty, and nothing can be made in it. */
function maskedDir(profile: string, path: string): Record<string, string> {
  const name = base(path);
  const { create, mkdir } = byProfile(profile, CREATE_IN_DIR);
  return { [`${name}-list`]: 'ok entries=0', [`${name}-create`]: create, [`${name}-mkdir`]: mkdir };
}

/** What the program printed for `names`: every line it printed for the names' prefixes. */
function got(run: AttackRun, prefixes: string[]): Record<string, string> {
  const names = [...run.results.keys()].filter((name) => prefixes.some((p) => name.startsWith(`${p}-`)));
  return outcomes(run, names);
}

/** The node's kernel files: masked where the node has them; strict's view has no /sys (its reads are the kernel's). */
function kernelExpected(profile: string): Record<string, string> {
  const expected: Record<string, string> = {};
  for (const path of FILES) {
    if (!existsSync(path)) {
      expected[`${base(path)}-read`] = 'errno ENOENT';
    } else if (profile === 'strict' && path.startsWith('/sys/')) {
      expected[`${base(path)}-read`] = 'errno ENOENT';
    } else {
      Object.assign(expected, maskedFile(profile, path));
    }
  }
  for (const path of DIRS) {
    if (!existsSync(path)) {
      expected[`${base(path)}-list`] = 'errno ENOENT';
    } else if (profile === 'strict' && path.startsWith('/sys/')) {
      expected[`${base(path)}-list`] = 'errno ENOENT';
    } else {
      Object.assign(expected, maskedDir(profile, path));
    }
  }
  return expected;
}

attackSuite('attack: writes to masked files and directories', (suite) => {
  it('the bare run: the kernel files are there to read, and /dev/null takes a write (what a /dev/null mask did)', () => {
    const bare = suite.runBare('mask-writes');
    const shown = FILES.filter((path) => existsSync(path)).map(base);
    expect(shown.length, 'this kernel has none of the masked files').toBeGreaterThan(0);
    for (const name of shown) {
      expect(bare.results.get(`${name}-read`), `${name}\n${bare.stdout}`).toMatch(/^ok bytes=/);
      expect(bare.results.get(`${name}-type`), `${name}\n${bare.stdout}`).toMatch(/^ok reg /);
    }
    expect(bare.results.get('key-users-read')).toMatch(/^ok bytes=[1-9]\d*$/);
    // Why a mask is no read-only bind of /dev/null: a device node takes writes on a read-only mount.
    const devnull = suite.runBare('mask-writes', ['devnull']);
    expect(outcomes({ results: devnull.results } as never, ['devnull-bind', 'devnull-ro', 'devnull-ro-write'])).toEqual(
      {
        'devnull-bind': 'ok',
        'devnull-ro': 'ok',
        'devnull-ro-write': 'ok',
      }
    );
  });

  it.each(matrix())('%s (%s): every write to a mask is refused, and it reads as before', async (profile, mode) => {
    let masked: { files?: string; dirs?: string; name: string };
    let scratch: Scratch | undefined;
    let wrap: ((argv: string[]) => string[]) | undefined;
    if (mode === 'standalone') {
      // A standalone run masks the default configuration file ($ZVIZ_CONFIG) and keeps its directory read-only.
      scratch = Scratch.create({ 'zviz-etc/config.yaml': 'metrics: { auth: { type: none } }\n' });
      const config = join(scratch.outside, 'zviz-etc', 'config.yaml');
      masked = { files: config, name: 'config.yaml' };
      wrap = (argv) => ['/usr/bin/env', `ZVIZ_CONFIG=${config}`, ...argv];
    } else {
      // The agent's configuration lies beside its control socket, in a directory every view masks.
      masked = { dirs: dirname(suite.agent().auditPath), name: base(dirname(suite.agent().auditPath)) };
    }
    const run = await suite.run({
      profile,
      mode,
      program: 'mask-writes',
      ...(scratch ? { scratch } : {}),
      ...(wrap ? { wrap } : {}),
      env: {
        ...(masked.files ? { ZVIZ_ATTACK_MASKED_FILES: masked.files } : {}),
        ...(masked.dirs ? { ZVIZ_ATTACK_MASKED_DIRS: masked.dirs } : {}),
      },
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(run.code, detail).toBe(0);
    expect(got(run, [...FILES, ...DIRS].map(base)), detail).toEqual(kernelExpected(profile));
    // The agent's file where the view holds it. Standalone: strict's view does not hold it (its reads
    // are the kernel's). Through the agent: its directory is under /tmp, which ci-runner's view has a
    // private tmpfs over and strict's view does not hold.
    const notShown =
      mode === 'standalone'
        ? { strict: { [`${masked.name}-read`]: 'errno ENOENT' } }
        : {
            strict: { [`${masked.name}-list`]: 'errno ENOENT' },
            'ci-runner': { [`${masked.name}-list`]: 'errno ENOENT' },
          };
    const agentFile =
      (notShown as Record<string, Record<string, string>>)[profile] ??
      (masked.files ? maskedFile(profile, masked.files) : maskedDir(profile, masked.dirs!));
    expect(got(run, [masked.name]), detail).toEqual(agentFile);
    // The node's /dev/null as the view shows it: it takes writes, and strict's own /dev binds it read-only, so
    // its inode (the node's) keeps its mode; the host view's /dev is the host's (Known limits).
    expect(outcomes(run, ['null-write', 'devnull-chmod']), detail).toEqual({
      'null-write': 'ok',
      'devnull-chmod': byProfile(profile, {
        strict: 'errno EROFS',
        'ci-runner': 'errno EROFS',
        default: 'ok',
        observe: 'ok',
      }),
    });
    // Nothing landed: the configuration file's bytes and everything else outside the workspace are as they were.
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
