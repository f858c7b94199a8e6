// zviz-spawn takes a start plan from whoever holds the other end of the
// socket it is given (docs/security.md, "The programs a start executes").
// Through the agent that is the agent alone; but the program is a file any
// process may execute, so its decoder is fuzzed here: malformed plans and
// plan messages (truncated, wrong counts, offsets outside the plan or
// wrapping around, unterminated strings and arrays, too many descriptors,
// a plan descriptor it cannot map) must be refused at the plan step
// (EPROTO, or the errno of the call that failed), with exit code 127 and
// before anything of the plan is acted on: the base plan's first step
// after the plan writes into a "cgroup" file of the driver's, which must
// stay empty. Random corruption must never crash it.
//
// The driver (plan-decoder/driver.cc) writes the base plan with the agent's
// own code (spawn_plan.cc) and plays the agent's end of the socket.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { binary, describeWhere, file, root } from '@zviz/test-support/requirements';

const AGENT = join(__dirname, '..', '..');
const SPAWNER = join(AGENT, 'build', 'Release', 'zviz-spawn');
const RANDOM_CASES = 300;

/** The named cases: the base plan goes on to ask the agent for its user namespace's maps (message 4). */
const EXPECTED: Record<string, string> = {
  base: 'message 4 cgroup-written=1',
  'plan-descriptor-write-only': 'failure plan EACCES cgroup-written=0 exit 127',
};
const REFUSED = 'failure plan EPROTO cgroup-written=0 exit 127';

describeWhere(
  [root, binary('g++'), file(SPAWNER, 'needs zviz-spawn built (npm run build)')],
  'the start plan decoder of zviz-spawn',
  () => {
    let dir: string;
    let driver: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'zviz-plan-decoder-'));
      driver = join(dir, 'driver');
      execFileSync('g++', [
        '-std=c++20',
        '-O1',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-I',
        join(AGENT, 'native', 'src'),
        '-o',
        driver,
        join(__dirname, 'plan-decoder', 'driver.cc'),
        join(AGENT, 'native', 'src', 'broker', 'spawn_plan.cc'),
        join(AGENT, 'native', 'src', 'broker', 'fdpass.cc'),
      ]);
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses every malformed plan before acting on it, and never crashes on a corrupted one', () => {
      const seed = String(Math.floor(Math.random() * 2 ** 31));
      const output = execFileSync(driver, [SPAWNER, String(RANDOM_CASES), seed], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      const lines = new Map(
        output
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)])
      );
      const named = [...lines.keys()].filter((name) => !name.startsWith('random-'));
      expect(named.length).toBeGreaterThan(40);
      expect(Object.fromEntries(named.map((name) => [name, lines.get(name)]))).toEqual(
        Object.fromEntries(named.map((name) => [name, EXPECTED[name] ?? REFUSED]))
      );
      const random = [...lines.entries()].filter(([name]) => name.startsWith('random-'));
      expect(random).toHaveLength(RANDOM_CASES);
      const bad = random.filter(
        ([, outcome]) =>
          // crashed, or acted on a plan it then refused, or ended without a word
          outcome.startsWith('signal') ||
          (outcome.startsWith('failure plan') && !outcome.includes('cgroup-written=0')) ||
          outcome.startsWith('silent')
      );
      expect(bad, `seed ${seed}`).toEqual([]);
      // Most corruptions are refused; some (a capability bit, a seccomp flag) leave a plan that is taken.
      expect(random.filter(([, outcome]) => outcome.startsWith('failure plan')).length).toBeGreaterThan(
        RANDOM_CASES / 2
      );
    }, 300_000);
  }
);
