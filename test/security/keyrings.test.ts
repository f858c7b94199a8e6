// Attack class: the kernel's keyrings (attacks/keyrings.c). The agent and
// zviz run are started here with a session keyring that holds a node secret
// (attacks/host-keyring.c), as a systemd service or a login session has one.
// A session keyring is inherited across fork and exec, and keys are charged
// to their owner's uid whatever the namespace: under `observe`, which let
// keyrings through, the workload read the node's key, left keys in the
// agent's session keyring (where every later container of that agent found
// them) and charged its keys to the node root's quota. Now every built-in
// profile refuses keyctl, add_key and request_key (ENOSYS), and every
// workload starts in a session keyring of its own, empty, so that a profile
// that allows keyrings (`keyrings` here: observe without that refusal) does
// not reach the node's keys either. Its keys are still charged to uid 0
// (docs/security.md, Known limits).
//
// Judged on the host: the secret's payload is not in the output, and no key
// the workload made is left in the node's /proc/keys once the run has ended.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { ATTACK_BIN, AttackAgent, attackSuite, byProfile, matrix, outcomes, PROFILES, REPO, Scratch } from './harness';

const ATTEMPTS = ['session-keyring', 'node-key-search', 'session-plant', 'quota-add'];
const NODE_KEY = `zviz-attack-node-key-${randomBytes(4).toString('hex')}`;
const NODE_SECRET = `ZVIZ-NODE-KEY-${randomBytes(16).toString('hex')}`;

/** observe, with keyrings let through (as it was). */
function withKeyrings(): object {
  const observe = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'observe.json'), 'utf8')) as {
    syscalls: Array<{ names: string[] }>;
  };
  return { ...observe, syscalls: observe.syscalls.filter((rule) => !rule.names.includes('keyctl')) };
}

function expected(profile: string): Record<string, string> {
  const refused = Object.fromEntries(ATTEMPTS.map((a) => [a, 'errno ENOSYS']));
  return byProfile(profile, {
    strict: refused,
    'ci-runner': refused,
    default: refused,
    observe: refused,
    // A session keyring of its own: the node's key is not in it.
    keyrings: { 'session-keyring': 'ok', 'node-key-search': 'errno ENOKEY', 'session-plant': 'ok', 'quota-add': 'ok' },
  });
}

/** The number of keys the node charges to uid 0 (/proc/key-users, "0: usage nkeys/ninstantiated ..."). */
function nodeRootKeys(): number {
  const line = /^\s*0:\s+\d+\s+(\d+)\//m.exec(readFileSync('/proc/key-users', 'utf8'));
  return line ? Number(line[1]) : -1;
}

/** Lines of the node's /proc/keys (every key uid 0 may view) that name `tag`. */
function nodeKeysNaming(tag: string): string[] {
  return readFileSync('/proc/keys', 'utf8')
    .split('\n')
    .filter((line) => line.includes(tag));
}

const inKeyring = (argv: string[]) => [join(ATTACK_BIN, 'host-keyring'), NODE_KEY, NODE_SECRET, ...argv];

attackSuite("attack: the node's keyrings", (suite) => {
  let profiles: Scratch;
  let custom = '';
  let agent: AttackAgent;

  beforeAll(async () => {
    profiles = Scratch.create();
    custom = join(profiles.outside, 'keyrings.json');
    writeFileSync(custom, JSON.stringify(withKeyrings()));
    agent = await AttackAgent.start({ wrap: inKeyring });
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    profiles?.remove();
  });

  it.each(matrix([...PROFILES, 'keyrings']))(
    "%s (%s): the node's session keyring and key quota are out of reach",
    async (name, mode) => {
      // The node's count of uid 0's keys, watched while the workload holds its 32
      // (it cannot read /proc/key-users itself: masked, node-files.test.ts).
      const before = nodeRootKeys();
      let most = before;
      const run = await suite.run({
        profile: name === 'keyrings' ? custom : name,
        mode,
        program: 'keyrings',
        agent,
        env: { ZVIZ_ATTACK_KEY: NODE_KEY, ZVIZ_ATTACK_HOLD_MS: '1500' },
        wrap: mode === 'standalone' ? inKeyring : undefined,
        whileRunning: async ({ zviz }) => {
          while (zviz.exitCode === null && zviz.signalCode === null) {
            most = Math.max(most, nodeRootKeys());
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        },
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ATTEMPTS), detail).toEqual(expected(name));
      if (name === 'keyrings') {
        // Not closed: keys are charged to the uid that makes them, and the workload is uid 0.
        expect(outcomes(run, ['quota-charged-to-node-root']), detail).toEqual({
          'quota-charged-to-node-root': 'unseen',
        });
        expect(
          most - before,
          `uid 0's keys on the node: ${before} before, ${most} at most during the run`
        ).toBeGreaterThanOrEqual(32);
        // No request-key helper here (ENOENT), or the helper found no rule for the key (ENOKEY).
        expect(['errno ENOENT', 'errno ENOKEY'], detail).toContain(
          outcomes(run, ['request-key-upcall'])['request-key-upcall']
        );
      } else {
        expect(outcomes(run, ['request-key-upcall']), detail).toEqual({ 'request-key-upcall': 'errno ENOSYS' });
      }
      expect(detail).not.toContain(NODE_SECRET);
      expect(detail).not.toContain(Buffer.from(NODE_SECRET).toString('hex'));
      // What it made went with it: its own keyrings end with the container (the kernel collects them shortly after).
      let left: string[] = [];
      try {
        await waitFor(
          "the run's keys to be collected",
          async () => (left = nodeKeysNaming(run.scratch.tag)).length === 0,
          {
            timeoutMs: 10_000,
          }
        );
      } catch {
        expect(left, `${name}, ${mode}: keys the workload made outlived it`).toEqual([]);
      }
      expect(await agent.notAlive(), `${name}, ${mode}: the keyring agent`).toBeUndefined();
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
    }
  );
});
