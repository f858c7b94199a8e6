// Attack class: the broker fuzzed from inside (attacks/broker-fuzz.c). Every
// syscall a built-in profile brokers (opens, creat, execs, connect, the send
// forms, umask, the calls its filter refuses and the broker answers, and under
// `default` the i386 forms through int $0x80) with hostile arguments from six
// threads, memory flipped to PROT_NONE under the calls, and children killed
// in the middle of theirs, for a bounded time from a printed seed. Meanwhile
// another container of the same agent opens a workspace file in a loop.
//
// Judged from outside: the agent lives and /health says its broker runs; the
// other container's opens all succeed and its refused calls (a file lease,
// EINVAL from every filter through the broker) are all answered as refused
// (an ENOSYS would be the kernel's answer for a supervisor gone); the agent's
// descriptors and threads come back to their number once both have ended;
// every notification received was answered and counted, but for those whose
// caller was killed first (at most one per killed child: each is
// single-threaded); nothing outside the workspace changed; the fuzzing
// container still opens at the end.
//
// ZVIZ_FUZZ_SECONDS sets each run's length (default 6 through the agent, half
// that standalone), ZVIZ_FUZZ_SEED the seed (default: random, printed).
import { randomInt } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, outcomeOf, PROFILES, type AttackAgent, type AttackRun } from './harness';

const SECONDS = Number(process.env.ZVIZ_FUZZ_SECONDS ?? 6);
const SEED = process.env.ZVIZ_FUZZ_SEED ?? String(randomInt(1, 2 ** 47));
const THREADS = 6;

/** What the fuzzer may also do under each profile (i386 kills the caller where the filter covers only x86_64). */
const EXTRA: Record<string, string[]> = {
  strict: ['--refused'],
  'ci-runner': ['--refused'],
  default: ['--refused', '--i386'],
  // observe's filter lets the kernel run the refused calls: not made there.
  observe: [],
};

async function metrics(
  agent: AttackAgent
): Promise<{ requests: number; decisions: number; errors: number; inflight: number }> {
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    requests: sum('zviz_broker_requests_total'),
    decisions: sum('zviz_broker_decisions_total'),
    errors: sum('zviz_broker_errors_total'),
    inflight: sum('zviz_broker_inflight'),
  };
}

function counts(pid: number): { fds: number; tasks: number } {
  return { fds: readdirSync(`/proc/${pid}/fd`).length, tasks: readdirSync(`/proc/${pid}/task`).length };
}

/** What the agent's descriptors are, by kind (`anon_inode:[pidfd]`, `socket:`, a path), with their numbers. */
function descriptors(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/:\[\d+\]$/, ':');
    } catch {
      continue;
    }
    kinds[target] = (kinds[target] ?? 0) + 1;
  }
  return kinds;
}

function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([kind, n]) => [kind, n - (before[kind] ?? 0)] as const)
      .filter(([, n]) => n !== 0)
  );
}

function fuzzLines(run: AttackRun): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of run.stdout.matchAll(/^(calls \S+|children) (\d+)$/gm)) {
    out[match[1]] = Number(match[2]);
  }
  return out;
}

function expectSteady(run: AttackRun, context: string): void {
  const line = /^steady opens (\d+) wrong (\d+) refused (\d+) gone (\d+) worst-ms (\d+)$/m.exec(run.stdout);
  expect(line, `${context}: the other container's report\n${run.stdout}\n${run.stderr}`).not.toBeNull();
  const [, opens, wrong, refused, gone, worst] = line!.map(Number);
  console.log(
    `${context}: the other container: ${opens} opens, ${refused} refusals answered, longest wait ${worst} ms`
  );
  expect(opens, `${context}: the other container's opens`).toBeGreaterThan(0);
  expect({ wrong, gone }, `${context}: the other container`).toEqual({ wrong: 0, gone: 0 });
  expect(refused, `${context}: the other container's refused calls, answered`).toBeGreaterThan(0);
}

attackSuite('the broker fuzzed from inside', (suite) => {
  it.each(PROFILES)(
    '%s, through the agent: the agent, its counts and another container hold',
    async (profile) => {
      const agent = suite.agent();
      // A first run starts what the agent starts once (its thread pool): the counts after it are the baseline.
      await suite.run({ profile, mode: 'agent', program: 'broker-fuzz', args: ['steady', '1'] });
      const before = counts(agent.pid);
      const kindsBefore = descriptors(agent.pid);
      const metricsBefore = await metrics(agent);
      const context = `${profile}, agent, seed ${SEED}`;
      console.log(`${context}: ${SECONDS} s, ${THREADS} threads`);
      const [fuzz, steady] = await Promise.all([
        suite.run({
          profile,
          mode: 'agent',
          program: 'broker-fuzz',
          args: [SEED, String(SECONDS), String(THREADS), ...byProfile(profile, EXTRA)],
          timeoutMs: (SECONDS + 60) * 1000,
        }),
        suite.run({
          profile,
          mode: 'agent',
          program: 'broker-fuzz',
          args: ['steady', String(SECONDS)],
          timeoutMs: (SECONDS + 60) * 1000,
        }),
      ]);
      const lines = fuzzLines(fuzz);
      console.log(`${context}: ${JSON.stringify(lines)}`);
      expect(fuzz.stdout, `${context}: the seed is printed`).toContain(`seed ${SEED}`);
      expect(fuzz.code, `${context}: the fuzzer's exit\n${fuzz.stdout}\n${fuzz.stderr}`).toBe(0);
      expect(lines['calls total'], context).toBeGreaterThan(0);
      expect(outcomeOf(fuzz, 'after'), `${context}: an open after the fuzzing`).toBe('ok');
      await suite.expectContained(fuzz, { outsideUnchanged: true });
      await suite.expectContained(steady, { outsideUnchanged: true });
      expectSteady(steady, context);

      // Every notification answered and counted, but for the killed children's last ones.
      const after = await metrics(agent);
      const requests = after.requests - metricsBefore.requests;
      const decided = after.decisions - metricsBefore.decisions;
      console.log(
        `${context}: ${requests} notifications, ${decided} decisions counted, ${lines.children} children killed`
      );
      expect(after.inflight, `${context}: notifications left unanswered`).toBe(0);
      expect(decided, `${context}: decisions counted`).toBeGreaterThanOrEqual(
        requests - lines.children - (after.errors - metricsBefore.errors)
      );

      // The agent's descriptors and threads come back to their number.
      let now = counts(agent.pid);
      await waitFor(
        'the agent to hold no more descriptors and threads than before',
        async () => {
          now = counts(agent.pid);
          // Slack for the test's own HTTP connections to the agent (keep-alive).
          return now.tasks <= before.tasks && now.fds <= before.fds + 4;
        },
        { timeoutMs: 15_000 }
      ).catch(() => {
        expect(
          now,
          `${context}: the agent's descriptors and threads, before ${JSON.stringify(before)}; ` +
            `descriptors by kind, grown: ${JSON.stringify(grown(kindsBefore, descriptors(agent.pid)))}`
        ).toEqual(before);
      });
    },
    (SECONDS + 120) * 1000
  );

  it.each(PROFILES)(
    '%s, standalone: the run ends with its summary and nothing outside changes',
    async (profile) => {
      const seconds = Math.max(1, Math.round(SECONDS / 2));
      const context = `${profile}, standalone, seed ${SEED}`;
      const fuzz = await suite.run({
        profile,
        mode: 'standalone',
        program: 'broker-fuzz',
        args: [SEED, String(seconds), String(THREADS), ...byProfile(profile, EXTRA)],
        timeoutMs: (seconds + 60) * 1000,
      });
      console.log(`${context}: ${JSON.stringify(fuzzLines(fuzz))}`);
      expect(fuzz.code, `${context}: the fuzzer's exit\n${fuzz.stdout}\n${fuzz.stderr}`).toBe(0);
      expect(outcomeOf(fuzz, 'after'), `${context}: an open after the fuzzing`).toBe('ok');
      await suite.expectContained(fuzz, { outsideUnchanged: true });
    },
    (SECONDS + 120) * 1000
  );
});
