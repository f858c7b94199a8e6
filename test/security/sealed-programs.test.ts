// Attack class: the programs of the agent's own package, which every start
// executes or the agent runs (attacks/replace-programs.c): zviz-spawn (each
// container's first process), zviz-init (PID 1 of each PID namespace) and
// the broker addon, files of the node's root. Two boundaries keep them
// (docs/security.md, "The programs a start executes"):
//
// 1. Every host view holds the agent's package read-only, whatever the
//    profile. Under `default` and `observe`, where a workload writes the
//    node's files as root, it tries to write over, rename over, or unlink and
//    make again each program: refused (EROFS), the files unchanged, the next
//    container runs, the agent lives. Before the read-only step (at 3c3f626)
//    every rewrite succeeded, and writing over the loaded addon in place
//    killed the agent (SIGBUS). Under `strict` and `ci-runner` the broker
//    and the view refused it already.
// 2. The agent executes sealed copies it made at its first start
//    (agent/native/src/broker/sealed_program.h), never the files again. The
//    test itself rewrites them on the node, by the same three means, while
//    the agent runs (as any other writer of the node, or a workspace lying
//    inside the package, where step 1 is left out, could): the replacement
//    must never run (it would append its name to a marker file) and the
//    next containers must start and run. Before the copies (2b4dadb) every
//    replacement ran as the node's root in the next start.
//
// A process started afterwards takes the files as they are: that is how an
// upgrade reaches the containers (the last tests).
//
// Isolation: everything happens in a private copy of the agent's package
// (its own agent runs from there), never in the build other tests use.
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ATTACK_BIN,
  AttackAgent,
  attackSuite,
  byProfile,
  outcomeOf,
  PROFILES,
  REPO,
  type AttackSuite,
  type Mode,
} from './harness';

const PACKAGE = join(REPO, 'agent');
const RELEASE = join(PACKAGE, 'build', 'Release');
const METHODS = ['write', 'rename', 'unlink'] as const;
const TRAILER = 'ZVIZ-REPLACED-MARKER:';

/** The agent's package, copied with what `zviz agent` and `zviz run` load: its manifest, bin, dist, profiles and the broker's build. */
class PrivatePackage {
  readonly root: string;
  readonly zviz: string;
  readonly marker: string;

  constructor() {
    this.root = mkdtempSync('/var/lib/zviz-sealed-');
    const agent = join(this.root, 'agent');
    const release = join(agent, 'build', 'Release');
    mkdirSync(release, { recursive: true });
    copyFileSync(join(PACKAGE, 'package.json'), join(agent, 'package.json'));
    for (const dir of ['bin', 'dist', 'profiles']) {
      cpSync(join(PACKAGE, dir), join(agent, dir), { recursive: true });
    }
    for (const file of ['zviz_broker.node', 'zviz-spawn', 'zviz-init']) {
      copyFileSync(join(RELEASE, file), join(release, file));
    }
    this.zviz = join(agent, 'bin', 'zviz.js');
    this.marker = join(this.root, 'replacement-ran');
  }

  path(program: Program): string {
    return join(this.root, 'agent', 'build', 'Release', program);
  }

  /** The programs as the build made them again, and no marker. */
  restore(): void {
    for (const file of PROGRAMS) {
      rmSync(this.path(file), { force: true });
      copyFileSync(join(RELEASE, file), this.path(file));
    }
    rmSync(this.marker, { force: true });
  }

  /** Whether the program's file is the workload's replacement (it carries the marker's path). */
  replaced(program: Program): boolean {
    return readFileSync(this.path(program)).includes(`${TRAILER}${this.marker}\n`);
  }

  /** Whether the file is still the build's. */
  intact(program: Program): boolean {
    return readFileSync(this.path(program)).equals(readFileSync(join(RELEASE, program)));
  }

  /** The node (this test, as root) replaces `program` by `method`, with the replacement the attack program makes. */
  replaceOnNode(program: Program, method: (typeof METHODS)[number]): void {
    const replacement = Buffer.concat([
      readFileSync(join(ATTACK_BIN, 'replace-programs')),
      Buffer.from(`\n${TRAILER}${this.marker}\n`),
    ]);
    const path = this.path(program);
    if (method === 'write') {
      writeFileSync(path, replacement); // O_TRUNC, the same inode
    } else if (method === 'rename') {
      writeFileSync(`${path}.replacement`, replacement, { mode: 0o755 });
      renameSync(`${path}.replacement`, path);
    } else {
      rmSync(path);
      writeFileSync(path, replacement, { mode: 0o755 });
    }
    chmodSync(path, 0o755);
  }

  /** What the replacements that ran wrote ("zviz-spawn ran as uid 0"), or "" when none ran. */
  ran(): string {
    return existsSync(this.marker) ? readFileSync(this.marker, 'utf8') : '';
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * What a workload's rewrite gets: under `default` and `observe` the
 * package's read-only mount refuses it; under `strict` and `ci-runner` the
 * broker refuses every open for writing outside the workspace (EACCES), and
 * the unlink, which is not brokered, finds no such file in `strict`'s view
 * and a read-only mount in `ci-runner`'s.
 */
const REWRITE: Record<string, Record<(typeof METHODS)[number], string>> = {
  strict: { write: 'errno EACCES', rename: 'errno EACCES', unlink: 'errno ENOENT' },
  'ci-runner': { write: 'errno EACCES', rename: 'errno EACCES', unlink: 'errno EROFS' },
  default: { write: 'errno EROFS', rename: 'errno EROFS', unlink: 'errno EROFS' },
  observe: { write: 'errno EROFS', rename: 'errno EROFS', unlink: 'errno EROFS' },
};

type Program = 'zviz-spawn' | 'zviz-init' | 'zviz_broker.node';
/** The programs the starts execute. */
const PROGRAMS: Program[] = ['zviz-spawn', 'zviz-init'];
/** What a workload attacks: those, and the addon the agent has loaded. */
const TARGETS: Program[] = [...PROGRAMS, 'zviz_broker.node'];
const LINE: Record<Program, string> = { 'zviz-spawn': 'spawn', 'zviz-init': 'init', 'zviz_broker.node': 'addon' };

/** Replaces `program` of `pkg` by `method` from a workload under `profile`; its outcome line ("ok" when it did). */
async function replaceFrom(
  suite: AttackSuite,
  pkg: PrivatePackage,
  profile: string,
  mode: Mode,
  method: string,
  program: Program,
  agent?: AttackAgent
): Promise<string> {
  const which = LINE[program];
  const run = await suite.run({
    profile,
    mode,
    agent,
    zviz: pkg.zviz,
    program: 'replace-programs',
    args: [method, which, pkg.path(program), pkg.marker],
  });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return outcomeOf(run, `${which}-${method}`);
}

/** The next container of the run's kind: the harmless workload, which must start and end well. */
async function next(suite: AttackSuite, pkg: PrivatePackage, mode: Mode, pid: 'private' | 'host', agent?: AttackAgent) {
  return suite.run({
    profile: 'default',
    mode,
    agent,
    zviz: pkg.zviz,
    program: 'replace-programs',
    args: ['second'],
    zvizArgs: ['--pid', pid],
  });
}

/** The next containers (zviz-init runs only with a PID namespace of the container's own): they run, and nothing of a replacement does. */
async function nextRunClean(suite: AttackSuite, pkg: PrivatePackage, why: string, agent: AttackAgent) {
  for (const pid of ['private', 'host'] as const) {
    const second = await next(suite, pkg, 'agent', pid, agent);
    expect(pkg.ran(), `${why}, --pid ${pid}: the replacement ran`).toBe('');
    expect(second.code, `--pid ${pid}: ${second.stderr}`).toBe(0);
    expect(second.results.get('second'), second.stdout).toBe('ran');
  }
  expect(await agent.notAlive()).toBeUndefined();
}

attackSuite("the agent's own programs (zviz-spawn, zviz-init, the broker addon)", (suite) => {
  describe.each(PROFILES)('rewritten by a workload under %s', (profile) => {
    let pkg: PrivatePackage;
    let agent: AttackAgent | undefined;
    beforeAll(async () => {
      pkg = new PrivatePackage();
      agent = await AttackAgent.start({ zviz: pkg.zviz });
    }, 60_000);
    afterAll(async () => {
      await agent?.stop();
      pkg?.remove();
    });

    it.each(METHODS.flatMap((method) => TARGETS.map((program) => [method, program] as const)))(
      'by %s of %s: refused, and the next containers run',
      async (method, program) => {
        expect(await replaceFrom(suite, pkg, profile, 'agent', method, program, agent)).toBe(
          byProfile(profile, REWRITE)[method]
        );
        expect(pkg.intact(program), `${program} is still the build's`).toBe(true);
        await nextRunClean(suite, pkg, `${method} of ${program}`, agent!);
      },
      120_000
    );
  });

  describe('rewritten on the node while the agent runs', () => {
    let pkg: PrivatePackage;
    let agent: AttackAgent | undefined;
    beforeAll(async () => {
      pkg = new PrivatePackage();
      agent = await AttackAgent.start({ zviz: pkg.zviz });
      // The agent's first start, which makes its copies.
      expect((await next(suite, pkg, 'agent', 'private', agent)).code).toBe(0);
    }, 60_000);
    afterAll(async () => {
      await agent?.stop();
      pkg?.remove();
    });

    it.each(METHODS.flatMap((method) => PROGRAMS.map((program) => [method, program] as const)))(
      'by %s of %s: the same agent starts its next containers with its own copy',
      async (method, program) => {
        pkg.restore();
        pkg.replaceOnNode(program, method);
        expect(pkg.replaced(program)).toBe(true);
        await nextRunClean(suite, pkg, `${method} of ${program}`, agent!);
      },
      120_000
    );
  });

  it.each(PROGRAMS)(
    'a process started afterwards takes %s as it is on the node now (an upgrade)',
    async (program) => {
      const pkg = new PrivatePackage();
      try {
        pkg.replaceOnNode(program, 'rename');
        await next(suite, pkg, 'standalone', 'private');
        expect(pkg.ran()).toBe(`${program} ran as uid 0\n`);
      } finally {
        pkg.remove();
      }
    },
    120_000
  );
});
