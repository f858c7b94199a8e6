// Attack class: what a container reaches of the node beyond its file system
// (attacks/scopes.c; docs/security.md, "Landlock scopes"). Sharing the
// node's network (`ci-runner`, `default`, `observe`), a workload can name
// every abstract unix socket a node process listens on; with `--pid host`
// it can name every node process. The node's side is attacks/node-recorder.c,
// run here outside any sandbox: an abstract stream listener, an abstract
// datagram socket and a signalfd for SIGUSR1, SIGUSR2 and SIGHUP, printing
// everything that reaches it. Each payload carries the run's tag, so what a
// run delivered is read from the recorder, not only from the errno.
//
// The profiles' Landlock scopes (zviz.scope) keep both out: the container's
// first process makes one domain scoped for abstract unix sockets and signals
// before the init and the workload exist (agent/native/src/spawn/
// landlock_domain.cc). What must keep working: the workload's own abstract
// sockets and its signals to its own processes, and the agent's (and zviz
// run's) signals into the container. A custom profile that opts out
// ("off") shows what the scopes hold back; a kernel without Landlock
// (force-no-landlock) shows the warning of "best-effort" and the refusal of
// "required".
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

import { waitFor } from '../support/ports';
import {
  ATTACK_BIN,
  AttackAgent,
  attackSuite,
  byProfile,
  buildAttacks,
  MODES,
  matrix,
  outcomeOf,
  outcomes,
  REPO,
  Scratch,
  ZVIZ,
} from './harness';

const SOCKET_ATTEMPTS = ['node-stream-connect', 'node-dgram-sendto', 'node-dgram-connect', 'own-stream', 'own-dgram'];
const SIGNAL_ATTEMPTS = ['node-kill', 'node-sigqueue', 'node-tgkill', 'own-signal'];

/** The node's listeners and signal target (attacks/node-recorder.c), and what reached them. */
class NodeRecorder {
  readonly stream = `zviz-attack-scope-s-${randomBytes(6).toString('hex')}`;
  readonly dgram = `zviz-attack-scope-d-${randomBytes(6).toString('hex')}`;
  private readonly lines: string[] = [];
  private child?: ChildProcessByStdio<null, Readable, Readable>;

  async start(): Promise<void> {
    buildAttacks();
    const child = spawn(join(ATTACK_BIN, 'node-recorder'), [this.stream, this.dgram], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    await waitFor('the node recorder to listen', async () => this.lines.includes('ready'));
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** What reached the node with `tag`: "stream ...", "dgram ...", "signal N" (a signal's value is the tag only for sigqueue, so signals are matched by sender below). */
  received(tag: string): string[] {
    return this.lines.filter((line) => line.endsWith(` ${tag}`) && !line.startsWith('signal '));
  }

  /** The signals that reached the node from any of `pids`. */
  signalsFrom(pids: number[]): string[] {
    return this.lines
      .map((line) => /^signal (\d+) from (\d+) value (-?\d+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && pids.includes(Number(m[2])))
      .map((m) => `signal ${m[1]}`);
  }

  /** Every signal line so far (for a run whose workload's pids are not known in advance). */
  signalCount(): number {
    return this.lines.filter((line) => line.startsWith('signal ')).length;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Waits until whatever was sent had time to arrive: the recorder is a process of its own. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** A profile file in `scratch`: built-in `base` with its `zviz.scope` replaced. */
function withScope(scratch: Scratch, base: string, scope: Record<string, string>): string {
  const profile = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', `${base}.json`), 'utf8')) as {
    zviz: Record<string, unknown>;
  };
  profile.zviz.scope = scope;
  const path = join(scratch.outside, `${base}-scope.json`);
  writeFileSync(path, JSON.stringify(profile));
  return path;
}

attackSuite("attack: the node's abstract unix sockets and processes, by what a container shares", (suite) => {
  const recorder = new NodeRecorder();
  beforeAll(() => recorder.start());
  afterAll(() => recorder.stop());

  const runScopes = (profile: string, mode: 'standalone' | 'agent', pidHost: boolean, scratch?: Scratch) => {
    const tag = String(1 + (randomBytes(3).readUIntBE(0, 3) % 1_000_000));
    return {
      tag,
      run: suite.run({
        profile,
        mode,
        program: 'scopes',
        ...(scratch ? { scratch } : {}),
        env: {
          ZVIZ_ATTACK_STREAM: recorder.stream,
          ZVIZ_ATTACK_DGRAM: recorder.dgram,
          ZVIZ_ATTACK_TAG: tag,
          ZVIZ_ATTACK_SIGNAL_PID: String(recorder.pid),
        },
        ...(pidHost ? { zvizArgs: ['--pid', 'host'] } : {}),
      }),
    };
  };

  const cases = matrix().flatMap(([profile, mode]) => [
    [profile, mode, 'private'] as const,
    [profile, mode, 'host'] as const,
  ]);
  it.each(cases)(
    '%s (%s, --pid %s): no node listener receives, no node process is signalled; its own sockets and signals work',
    async (profile, mode, pid) => {
      const before = recorder.signalCount();
      const { tag, run: running } = runScopes(profile, mode, pid === 'host');
      const run = await running;
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(run.code, detail).toBe(0);
      const scoped = {
        'node-stream-connect': 'errno EPERM',
        'node-dgram-sendto': 'errno EPERM',
        'node-dgram-connect': 'errno EPERM',
        'own-stream': 'ok ping',
        'own-dgram': 'ok ping',
      };
      // strict's broker refuses every connect and every send with an address first, its own included.
      const strict = Object.fromEntries(SOCKET_ATTEMPTS.map((name) => [name, 'errno EACCES']));
      expect(outcomes(run, SOCKET_ATTEMPTS), detail).toEqual(
        byProfile(profile, { strict, 'ci-runner': scoped, default: scoped, observe: scoped })
      );
      // With its own PID namespace the node's pid names nothing; with the node's, Landlock refuses.
      const refusal = pid === 'host' ? 'errno EPERM' : 'errno ESRCH';
      expect(outcomes(run, SIGNAL_ATTEMPTS), detail).toEqual({
        'node-kill': refusal,
        'node-sigqueue': refusal,
        'node-tgkill': refusal,
        'own-signal': 'ok signal 15',
      });
      await settle();
      expect(recorder.received(tag), detail).toEqual([]);
      expect(recorder.signalCount(), `signals reached the node's process\n${detail}`).toBe(before);
      await suite.expectContained(run);
    }
  );

  it.each(MODES)(
    'ci-runner with the scopes "off" (%s, --pid host): every listener receives and every signal arrives',
    async (mode) => {
      const scratch = Scratch.create();
      const profile = withScope(scratch, 'ci-runner', { abstractUnixSockets: 'off', signals: 'off' });
      const before = recorder.signalCount();
      const { tag, run: running } = runScopes(profile, mode, true, scratch);
      const run = await running;
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, [...SOCKET_ATTEMPTS, ...SIGNAL_ATTEMPTS]), detail).toEqual({
        'node-stream-connect': 'ok',
        'node-dgram-sendto': 'ok',
        'node-dgram-connect': 'ok',
        'own-stream': 'ok ping',
        'own-dgram': 'ok ping',
        'node-kill': 'ok',
        'node-sigqueue': 'ok',
        'node-tgkill': 'ok',
        'own-signal': 'ok signal 15',
      });
      await settle();
      expect(recorder.received(tag).sort(), detail).toEqual(
        [`stream stream ${tag}`, `dgram dgram-sendto ${tag}`, `dgram dgram-send ${tag}`].sort()
      );
      expect(recorder.signalCount() - before, detail).toBe(3);
      await suite.expectContained(run);
    }
  );

  it.each(MODES.flatMap((mode) => [[mode, 'private'] as const, [mode, 'host'] as const]))(
    'default (%s, --pid %s): zviz run, the agent and the init still signal into the scoped container',
    async (mode, pid) => {
      const run = await suite.run({
        profile: 'default',
        mode,
        program: 'scopes',
        env: { ZVIZ_ATTACK_WAIT: '1' },
        zvizArgs: ['--pid', pid],
        whileRunning: async ({ zviz, scratch }) => {
          // The workload blocks SIGTERM, then makes this file, then waits for it.
          await waitFor('the workload to wait', async () => existsSync(join(scratch.workspace, 'waiting')));
          zviz.kill('SIGTERM'); // forwarded: zviz run (standalone) or the agent sends it into the container
        },
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ['waiting', 'waited', 'finished']), detail).toEqual({
        waiting: 'ok',
        waited: 'ok signal 15',
        finished: 'ok',
      });
      expect(run.code, detail).toBe(0);
      await suite.expectContained(run);
    }
  );
});

/** zviz run under force-no-landlock: this kernel as one whose Landlock is off at boot. */
const noLandlock = (argv: string[]) => [join(ATTACK_BIN, 'force-no-landlock'), ...argv];

attackSuite('a kernel without Landlock scopes: best-effort warns and runs, required refuses', (suite) => {
  const recorder = new NodeRecorder();
  beforeAll(() => recorder.start());
  afterAll(() => recorder.stop());
  let agent: AttackAgent | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  const env = (tag: string) => ({
    ZVIZ_ATTACK_STREAM: recorder.stream,
    ZVIZ_ATTACK_DGRAM: recorder.dgram,
    ZVIZ_ATTACK_TAG: tag,
  });
  const warning =
    /zviz: warning: \S+: \/zviz\/scope: this kernel has no Landlock .*containers run without the scopes abstractUnixSockets and signals/;

  it('ci-runner (standalone): zviz run warns at the start, and the workload is not scoped', async () => {
    const tag = '424242';
    const run = await suite.run({
      profile: 'ci-runner',
      mode: 'standalone',
      program: 'scopes',
      env: env(tag),
      wrap: noLandlock,
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(run.stderr, detail).toMatch(warning);
    expect(outcomes(run, ['node-stream-connect', 'node-dgram-sendto']), detail).toEqual({
      'node-stream-connect': 'ok',
      'node-dgram-sendto': 'ok',
    });
    await settle();
    expect(recorder.received(tag).length, detail).toBeGreaterThan(0);
    await suite.expectContained(run);
  });

  it('ci-runner (agent): the agent logs the warning at the start, and the workload is not scoped', async () => {
    agent = await AttackAgent.start({ wrap: noLandlock });
    const tag = '434343';
    const run = await suite.run({ profile: 'ci-runner', mode: 'agent', agent, program: 'scopes', env: env(tag) });
    const detail = `${run.stdout}\n${run.stderr}\n${agent.log}`;
    expect(run.code, detail).toBe(0);
    expect(outcomeOf(run, 'node-stream-connect'), detail).toBe('ok');
    await waitFor('the warning in the agent log', async () => /no Landlock/.test(agent!.fullLog()));
    expect(agent.fullLog(), detail).toMatch(/containers run without the scopes abstractUnixSockets and signals/);
  });

  it.each(MODES)('a profile that requires the scopes (%s): refused before anything runs, saying why', async (mode) => {
    const scratch = Scratch.create();
    const profile = withScope(scratch, 'ci-runner', { abstractUnixSockets: 'required', signals: 'best-effort' });
    if (mode === 'agent') {
      agent = await AttackAgent.start({ wrap: noLandlock });
    }
    const tag = '454545';
    const run = await suite.run({
      profile,
      mode,
      ...(agent ? { agent } : {}),
      program: 'scopes',
      scratch,
      env: env(tag),
      // Through an agent, zviz run (on this kernel) lets the profile pass: the agent's refusal is what is shown.
      ...(mode === 'standalone' ? { wrap: noLandlock } : {}),
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(run.code, detail).toBe(125);
    expect(run.stderr, detail).toMatch(
      /\/zviz\/scope\/abstractUnixSockets: "required" needs Landlock ABI 6 \(Linux 6\.12\) and this kernel has no Landlock/
    );
    expect(run.stdout, detail).toBe('');
    await settle();
    expect(recorder.received(tag), detail).toEqual([]);
  });

  it('zviz profile check warns for a built-in profile (best-effort) and passes it', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        noLandlock([process.execPath, ZVIZ, 'profile', 'check', 'observe'])[0],
        noLandlock([process.execPath, ZVIZ, 'profile', 'check', 'observe']).slice(1),
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        }
      );
      const err: Buffer[] = [];
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.once('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString() }));
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning: \S+: \/zviz\/scope: this kernel has no Landlock .*containers run without the scopes abstractUnixSockets and signals/
    );
  });
});
