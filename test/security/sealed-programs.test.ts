// Attack class: the programs every container start executes (attacks/
// replace-programs.c). zviz-spawn (each container's first process) and
// zviz-init (PID 1 of each PID namespace) are files of the node's root next
// to the broker addon, and under `default` and `observe` a workload writes
// the node's files as root. It replaces one of them with its own program
// (written over, renamed over, or unlinked and made again), then the same
// agent starts another container. The agent executes the sealed copies it
// made at its first start (agent/native/src/broker/sealed_program.h), so the
// replacement must never run: it would append its name to a marker file,
// and the marker must not exist; the next container must start and run.
// Under `strict` and `ci-runner` the rewrite itself is refused (REWRITE).
// Before the copies (2b4dadb) every replacement ran, as the node's root, in
// the next start (zviz-init's in the next container's view), whatever the
// next container's profile; writing over zviz-init failed with ETXTBSY only
// because the attacker's own container was running it.
//
// A process that loads the package from its files afterwards (another
// `zviz run --standalone`, an agent restarted) takes what the workload wrote:
// the copies keep what a running agent started with, not the files
// (docs/security.md, Known limits). The last tests show it.
//
// Isolation: the attack rewrites a private copy of the agent's package (its
// own agent runs from there), never the build other tests use.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AttackAgent, attackSuite, byProfile, outcomeOf, PROFILES, REPO, type AttackSuite, type Mode } from './harness';

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
    for (const file of ['zviz-spawn', 'zviz-init']) {
      rmSync(join(this.root, 'agent', 'build', 'Release', file), { force: true });
      copyFileSync(join(RELEASE, file), join(this.root, 'agent', 'build', 'Release', file));
    }
    rmSync(this.marker, { force: true });
  }

  /** Whether the program's file is the workload's replacement (it carries the marker's path). */
  replaced(program: Program): boolean {
    return readFileSync(this.path(program)).includes(`${TRAILER}${this.marker}\n`);
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
 * What the rewrite itself gets: under `strict` and `ci-runner` the broker
 * refuses every open for writing outside the workspace (EACCES); the unlink,
 * which is not brokered, finds no such file in `strict`'s view and a
 * read-only mount in `ci-runner`'s.
 */
const REWRITE: Record<string, Record<(typeof METHODS)[number], string>> = {
  strict: { write: 'errno EACCES', rename: 'errno EACCES', unlink: 'errno ENOENT' },
  'ci-runner': { write: 'errno EACCES', rename: 'errno EACCES', unlink: 'errno EROFS' },
  default: { write: 'ok', rename: 'ok', unlink: 'ok' },
  observe: { write: 'ok', rename: 'ok', unlink: 'ok' },
};

type Program = 'zviz-spawn' | 'zviz-init';
const PROGRAMS: Program[] = ['zviz-spawn', 'zviz-init'];

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
  const which = program === 'zviz-spawn' ? 'spawn' : 'init';
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

attackSuite('the programs a start executes (zviz-spawn, zviz-init)', (suite) => {
  describe.each(PROFILES)('replaced by a workload under %s', (profile) => {
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

    it.each(METHODS.flatMap((method) => PROGRAMS.map((program) => [method, program] as const)))(
      'by %s of %s: the same agent starts its next containers with its own copy',
      async (method, program) => {
        pkg.restore();
        const expected = byProfile(profile, REWRITE)[method];
        expect(await replaceFrom(suite, pkg, profile, 'agent', method, program, agent)).toBe(expected);
        // Where the workload does rewrite the file (the boundary is not the file), the agent runs no program from it.
        expect(pkg.replaced(program), `${program} on disk is the replacement`).toBe(expected === 'ok');
        // zviz-init runs only with a PID namespace of the container's own.
        for (const pid of program === 'zviz-spawn' ? (['private', 'host'] as const) : (['private'] as const)) {
          const second = await next(suite, pkg, 'agent', pid, agent);
          expect(pkg.ran(), `${method} of ${program}, --pid ${pid}: the replacement ran`).toBe('');
          expect(second.code, `--pid ${pid}: ${second.stderr}`).toBe(0);
          expect(second.results.get('second'), second.stdout).toBe('ran');
        }
        expect(await agent!.notAlive()).toBeUndefined();
      },
      120_000
    );
  });

  it.each(PROGRAMS)(
    'a process that loads the package afterwards takes %s as the workload left it (known limit)',
    async (program) => {
      const pkg = new PrivatePackage();
      try {
        expect(await replaceFrom(suite, pkg, 'default', 'standalone', 'rename', program)).toBe('ok');
        await next(suite, pkg, 'standalone', 'private');
        // The replacement ran in the next standalone run's start, as the node's root.
        expect(pkg.ran()).toBe(`${program} ran as uid 0\n`);
      } finally {
        pkg.remove();
      }
    },
    120_000
  );
});
