// A workload opens allowed and denied paths under ci-runner: it sees the
// right results and errnos, and the counters, the latency histogram and the
// decision events say exactly what happened.
import { existsSync, mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import {
  BIN,
  buildWorkloads,
  builtin,
  decisionCount,
  EventLog,
  lines,
  metrics,
  run,
  sandbox,
  workspace,
  type Sandbox,
} from './harness';
import { PID_MODES } from '../../src/profiles/schema';

describeWhere([root, seccompUserNotif], 'broker decisions on opens', () => {
  let box: Sandbox;
  let log: EventLog;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('decisions');
    log = new EventLog();
  });
  afterAll(() => box.close());

  it('allows, emulates and refuses opens by path, and counts each exactly once', async () => {
    const ws = workspace();
    writeFileSync(join(ws, 'input'), 'in');
    const before = metrics();
    const result = await run(box, {
      profile: builtin('ci-runner'),
      cwd: ws,
      command: [
        join(BIN, 'opener'),
        'r:/etc/hostname', // read: allowed without looking at the path (CONTINUE)
        `c:${ws}/created`, // write in the workspace: emulated (ADDFD)
        'w:/tmp/../tmp/x-does-not-matter', // write in /tmp, created? no: O_WRONLY of a missing file
        'c:/etc/zviz-must-not-exist', // write outside: refused
        'w:/etc/passwd', // write outside: refused
        'c:relative-file', // relative to the workspace (cwd)
      ],
    });
    await log.settle();
    const after = metrics();
    expect(result.end.exitCode).toBe(0);
    const out = lines(result.stdout);
    expect(out.get('/etc/hostname')).toBe('ok /etc/hostname cloexec');
    expect(out.get(`${ws}/created`)).toBe(`ok ${ws}/created cloexec`);
    expect(out.get('/tmp/../tmp/x-does-not-matter')).toBe('errno ENOENT');
    expect(out.get('/etc/zviz-must-not-exist')).toBe('errno EACCES');
    expect(out.get('/etc/passwd')).toBe('errno EACCES');
    expect(out.get('relative-file')).toBe(`ok ${ws}/relative-file cloexec`);

    const delta = (syscall: string, decision: string) =>
      decisionCount(after, syscall, decision) - decisionCount(before, syscall, decision);
    // Two opens emulated (created, relative-file), one emulated failure (ENOENT), two refusals.
    expect(delta('openat', 'emulate')).toBe(3);
    expect(delta('openat', 'deny')).toBe(2);
    // The read never reached the broker: ci-runner allows reads whatever the
    // path, so the filter allows them in the kernel by their flags.
    expect(delta('openat', 'allow')).toBe(0);
    expect(after.denials.broker - before.denials.broker).toBe(2);
    // Every answered notification is in the histogram exactly once, and was received once.
    const answered =
      after.decisions.reduce((s, d) => s + d.count, 0) - before.decisions.reduce((s, d) => s + d.count, 0);
    expect(after.latencyCount - before.latencyCount).toBe(answered);
    expect(after.requests - before.requests).toBe(answered);
    expect(after.latencyBuckets[after.latencyBuckets.length - 1]).toBe(after.latencyCount);
    expect(after.latencySumSeconds).toBeGreaterThan(before.latencySumSeconds);
    expect(after.inflight).toBe(0);
    expect(after.errors).toBe(before.errors);

    // The audit records: the two refusals, with path, errno and layer.
    const denied = log.for(result.container.id).filter((e) => e.decision === 'deny');
    expect(
      denied.map((e) => (e.args as Record<string, string>).resolved ?? (e.args as Record<string, string>).path).sort()
    ).toEqual(['/etc/passwd', '/etc/zviz-must-not-exist']);
    for (const e of denied) {
      expect(e).toMatchObject({
        event_type: 'syscall',
        syscall: 'openat',
        layer: 'broker',
        errno: 13,
        profile: 'ci-runner',
      });
      expect(typeof e.latency_us).toBe('number');
      expect(Date.parse(e.timestamp as string)).toBeGreaterThan(Date.now() - 60_000);
    }
    // The program start (execve) is logged by ci-runner.
    expect(log.for(result.container.id).some((e) => e.syscall === 'execve' && e.decision === 'log')).toBe(true);
  });

  it('names the object the rules judged as d_path names it, however the path was spelled', async () => {
    // A path walked from the root without a link or ".." is named from its
    // own components (no d_path read); the others by d_path. Both must give
    // the one canonical name the rules and the audit record see.
    const ws = workspace();
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc', join(ws, 'etc-link'));
    const spellings = ['//etc/./passwd', '/etc/../etc/passwd', `${ws}/etc-link/passwd`, '/etc/', '/etc//'];
    const result = await run(box, {
      profile: builtin('ci-runner'),
      cwd: ws,
      command: [join(BIN, 'opener'), ...spellings.map((p) => `w:${p}`)],
    });
    await log.settle();
    const out = lines(result.stdout);
    for (const p of spellings) {
      expect({ p, out: out.get(p) }).toEqual({ p, out: 'errno EACCES' });
    }
    const denied = log.for(result.container.id).filter((e) => e.decision === 'deny');
    const named = new Map(
      denied.map((e) => [(e.args as Record<string, string>).path, (e.args as Record<string, string>).resolved])
    );
    expect(Object.fromEntries(named)).toEqual({
      '//etc/./passwd': '/etc/passwd',
      '/etc/../etc/passwd': '/etc/passwd',
      [`${ws}/etc-link/passwd`]: '/etc/passwd',
      '/etc/': '/etc',
      '/etc//': '/etc',
    });
  });

  it('judges the file a symlink leads to, not the link', async () => {
    const ws = workspace();
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/passwd', join(ws, 'innocent'));
    symlinkSync('/etc/zviz-dangling-target', join(ws, 'dangling'));
    const result = await run(box, {
      profile: builtin('ci-runner'),
      cwd: ws,
      command: [join(BIN, 'opener'), `w:${ws}/innocent`, `c:${ws}/dangling`, 'w:/dev/stdout', 'r:/proc/self/status'],
    });
    const out = lines(result.stdout);
    expect(out.get(`${ws}/innocent`)).toBe('errno EACCES');
    expect(out.get(`${ws}/dangling`)).toBe('errno EACCES');
    // The output file run() made in the run's temporary directory (below /tmp).
    expect(out.get('/dev/stdout')).toMatch(/^ok \/tmp\/(.+\/)?zviz-out-[^/]+\/stdout cloexec$/);
    // /proc/self is the workload's own entry, not the agent's.
    expect(out.get('/proc/self/status')).toMatch(/^ok \/proc\/(\d+)\/status cloexec$/);
    expect(out.get('/proc/self/status')).not.toContain(`/proc/${process.pid}/`);
  });

  // docs/security.md, "Emulated opens", step 5: a create whose directory is
  // reached through /proc (a magic link, or a procfs directory) is not
  // resolved the quick way, which reads "self" as the agent, but walked the
  // ordinary way (ResolveForCreate in path_resolver.cc), where /proc/self is
  // the workload: the file is made where the workload itself would make it.
  // With a PID namespace of its own the agent has no /proc/self in the
  // workload's /proc; with the node's (--pid host), /proc/self is the agent.
  it.each(PID_MODES)(
    'creates through /proc/self/cwd and /proc/self/fd/N where the workload would, and nowhere else (pid %s)',
    async (pid) => {
      const ws = workspace();
      mkdirSync(join(ws, 'sub'));
      const names = ['via-cwd', 'via-thread-cwd', 'via-fd'];
      const result = await run(box, {
        profile: builtin('ci-runner'),
        pid,
        cwd: ws,
        command: [
          join(BIN, 'opener'),
          `d:${ws}/sub`, // kept open as descriptor 3
          'c:/proc/self/cwd/via-cwd',
          'c:/proc/thread-self/cwd/via-thread-cwd',
          'c:/proc/self/fd/3/via-fd',
          'c:/proc/self/fdinfo/via-fdinfo', // a procfs directory: nothing is made there
        ],
      });
      await log.settle();
      const denied = log.for(result.container.id).filter((e) => e.decision === 'deny');
      // Refused by the rules (a write outside the workspace), and judged in the
      // workload's own /proc entry: the agent's is never the one looked at.
      expect(denied).toHaveLength(1);
      const opener = denied[0].pid as number;
      expect(opener).not.toBe(process.pid);
      expect((denied[0].args as Record<string, string>).resolved).toBe(
        `/proc/${pid === 'private' ? 2 : opener}/fdinfo/via-fdinfo`
      );
      expect(result.end.exitCode, result.stderr).toBe(0);
      const out = lines(result.stdout);
      expect(out.get(`${ws}/sub`)).toBe(`ok ${ws}/sub fd 3`);
      expect(out.get('/proc/self/cwd/via-cwd')).toBe(`ok ${ws}/via-cwd cloexec`);
      expect(out.get('/proc/thread-self/cwd/via-thread-cwd')).toBe(`ok ${ws}/via-thread-cwd cloexec`);
      expect(out.get('/proc/self/fd/3/via-fd')).toBe(`ok ${ws}/sub/via-fd cloexec`);
      expect(out.get('/proc/self/fdinfo/via-fdinfo')).toBe('errno EACCES');
      expect(readdirSync(ws).sort()).toEqual(['sub', 'via-cwd', 'via-thread-cwd']);
      expect(readdirSync(join(ws, 'sub'))).toEqual(['via-fd']);
      // Not where the agent's own /proc/self would lead: this process's cwd,
      // the directories its descriptors hold, the root.
      const agentDirs = [process.cwd(), '/'];
      for (const fd of readdirSync('/proc/self/fd')) {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          if (target.startsWith('/') && statSync(target).isDirectory()) {
            agentDirs.push(target);
          }
        } catch {
          // closed meanwhile, or not a path
        }
      }
      const strays = agentDirs
        .flatMap((dir) => names.map((name) => join(dir, name)))
        .filter((path) => existsSync(path));
      expect(strays).toEqual([]);
    }
  );
});
